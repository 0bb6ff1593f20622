"""Reading the dashboard as its user does: each chart's table, the totals, and each CSV."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any


class _Tables(HTMLParser):
    """Collects the body rows of every table, keyed by the ``chart-…`` section holding it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: dict[str, str] = {}
        self.cards: list[str] = []
        self._card = False
        self._chart: str | None = None
        self._in_body = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "section" and (attr.get("id") or "").startswith("chart-"):
            self._chart = str(attr["id"]).removeprefix("chart-")
            self.tables[self._chart] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []
        if tag == "p" and "kpi" in (attr.get("class") or "").split():
            self._card = True
            self.cards.append("")
        if attr.get("id") and tag in ("strong", "p"):
            self._id = attr["id"]
            self.ids[self._id] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag in ("th", "td") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._chart is not None:
            self.tables[self._chart].append(self._row)
            self._row = None
        elif tag == "section":
            self._chart = None
        elif tag in ("strong", "p"):
            self._id = None
            self._card = self._card and tag != "p"

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._id is not None:
            self.ids[self._id] += data
        if self._card:
            self.cards[-1] += data


Page = tuple[dict[str, list[list[str]]], dict[str, str]]


def read(client: Any, query: str = "") -> Page:
    """The page's tables per chart and the text of its elements with an id: ``decisions``,
    and ``cards``, the summary cards' words one line each ("Accepted all 41.1 % 37")."""
    answer = client.get(f"/consent/admin/?lang=en&{query}")
    assert answer.status_code == 200
    parser = _Tables()
    parser.feed(answer.get_data(as_text=True))
    ids = {k: v.strip() for k, v in parser.ids.items()}
    ids["cards"] = "\n".join(" ".join(card.split()) for card in parser.cards)
    return parser.tables, ids


def download(client: Any, chart: str, query: str = "") -> list[list[str]]:
    """A chart's CSV as rows, header first."""
    answer = client.get(f"/consent/admin/?lang=en&format=csv&chart={chart}&{query}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
