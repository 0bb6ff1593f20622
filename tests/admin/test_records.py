"""The dashboard's records (issue 18): a site's decisions, found by consent id or by day, page
by page, each with what its visitor was shown and whether its proof still holds.

Decisions go through the HTTP API, one browser (test client) per visitor, at chosen moments;
what the pages must list is computed from those requests alone, never read from the store.
The store is read or written directly only to play the attacker (a row edited with SQL) or to
look for the salt the page must never show.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from consent_sdk.admin.records import PAGE_SIZE
from tests.conftest import consent_id_of, make_app

ADMIN = {"CONSENT_ADMIN_ENABLED": True, "CONSENT_ADMIN_GUARD": lambda: True}
EVIL = "<script>alert('shown')</script> Cookies & you"
"""A banner title that is markup: the record page must show it as text."""
OTHER = "shop.example"
DAY = date(2026, 11, 10)


@dataclass(frozen=True)
class Decision:
    """One request of one visitor, and what the records list must say about it."""

    visitor: str
    at: datetime
    grant: tuple[str, ...] = ()
    action: str | None = None
    source: str = "banner"
    language: str = "en"
    gpc: bool = False
    withdraw: bool = False


class Visitors:
    """Browsers of one site: a test client per visitor, so each keeps its consent id."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.clients: dict[str, Any] = {}
        self.ids: dict[str, str] = {}

    def send(self, d: Decision, *, remote_addr: str = "198.51.100.23") -> None:
        client = self.clients.get(d.visitor)
        if client is None:
            client = self.clients[d.visitor] = self.app.test_client()
            client.environ_base["REMOTE_ADDR"] = remote_addr
        headers = {"Sec-GPC": "1"} if d.gpc else {}
        body: dict[str, Any] = {"source": d.source, "language": d.language}
        with time_machine.travel(d.at, tick=False):
            if d.withdraw:
                answer = client.delete("/consent/state", json=body, headers=headers)
            else:
                body["purposes"] = {p: p in d.grant for p in PURPOSES}
                if d.action:
                    body["action"] = d.action
                answer = client.post("/consent/state", json=body, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        if client.get_cookie("consent") is not None:  # a withdrawal may clear it
            self.ids.setdefault(d.visitor, consent_id_of(self.app, client))

    def consent_id(self, visitor: str) -> str:
        """The visitor's consent id, from their signed cookie as the server reads it."""
        return self.ids[visitor]


PURPOSES = ("preferences", "analytics", "marketing")
LABELS = {
    "necessary": "Necessary",
    "preferences": "Preferences",
    "analytics": "Analytics",
    "marketing": "Marketing",
}
ACTIONS = {
    "accept_all": "Accepted all",
    "reject_all": "Rejected all",
    "save": "Saved a choice",
    "withdraw": "Withdrew",
    None: "None (page code)",
}
SOURCES = {
    "banner": "Banner",
    "settings": "Settings dialog",
    "api": "Page code",
    "gpc": "GPC signal",
}


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), UTC)


THIS = [
    Decision("ann", at(DAY, 9), PURPOSES, "accept_all"),
    Decision("ann", at(DAY, 15), source="settings", withdraw=True),
    Decision("ben", at(DAY, 10), action="reject_all", language="lv", gpc=True),
    Decision("cid", at(DAY, 11), ("analytics",), "save", "settings", "ru"),
    Decision("dan", at(DAY, 12), ("analytics",), source="api"),
    Decision("eve", at(DAY, 13), action="reject_all", source="gpc", gpc=True),
    # Just inside and just outside the days DAY+1 to DAY+2:
    Decision("fay", at(DAY, 23, 59, 59), PURPOSES, "accept_all"),
    Decision("gus", at(DAY + timedelta(days=1), 0, 0, 0), PURPOSES, "accept_all"),
    Decision("hal", at(DAY + timedelta(days=2), 23, 59, 59), action="reject_all"),
    Decision("ivy", at(DAY + timedelta(days=3), 0, 0, 0), ("preferences",), "save", "settings"),
]
THERE = [
    Decision("oli", at(DAY, 9, 30), PURPOSES, "accept_all", language="ru"),
    Decision("pam", at(DAY + timedelta(days=1), 8), action="reject_all"),
]
"""Another site on the same store: never in this site's list."""


def granted(d: Decision) -> str:
    """The granted purposes as the list shows them: the site's order, necessary always."""
    ids = {"necessary"} | (set() if d.withdraw else set(d.grant))
    return ", ".join(LABELS[p] for p in LABELS if p in ids)


def row_of(d: Decision, visitors: Visitors, version: str = "1") -> list[str]:
    """The list's row for a decision: time, consent id, action, source, granted, language,
    policy version, GPC."""
    action = "withdraw" if d.withdraw else d.action
    return [
        d.at.strftime("%Y-%m-%d %H:%M:%S"),
        visitors.consent_id(d.visitor),
        ACTIONS[action],
        SOURCES[d.source],
        granted(d),
        d.language,
        version,
        "Yes" if d.gpc else "No",
    ]


def newest_first(decisions: list[Decision]) -> list[Decision]:
    return sorted(decisions, key=lambda d: d.at, reverse=True)


class _List(HTMLParser):
    """The records table's rows (cell texts, the record page's link) and the page's links
    and messages by id."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self.ids: dict[str, str] = {}
        self.hrefs: dict[str, str] = {}
        self._body = False
        self._cell: list[str] | None = None
        self._hidden = 0
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "tbody":
            self._body = True
        elif tag == "tr" and self._body:
            self.rows.append([])
        elif tag in ("th", "td") and self._body:
            self._cell = []
        elif tag == "a" and self._body and self._cell is not None and not self.rows[-1]:
            self.links.append(unescape(str(attr["href"])))
        if tag == "span" and "visually-hidden" in (attr.get("class") or ""):
            self._hidden += 1
        if attr.get("id"):
            self._open.append(str(attr["id"]))
            self.ids[str(attr["id"])] = ""
            if tag == "a":
                self.hrefs[str(attr["id"])] = unescape(str(attr["href"]))
        else:
            self._open.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._body = False
        elif tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "span" and self._hidden:
            self._hidden -= 1
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._hidden:
            self._cell.append(data)
        for name in self._open:
            if name:
                self.ids[name] += data


VOID = {"input", "meta", "link", "br", "img"}


class Listing:
    """A records page as its user reads it."""

    def __init__(self, status: int, html: str) -> None:
        parser = _List()
        for tag in VOID:  # void elements never close: keep the id stack honest
            html = re.sub(rf"<{tag}\b([^>]*?)/?>", rf"<{tag}\1></{tag}>", html)
        parser.feed(html)
        self.status = status
        self.html = html
        self.rows = parser.rows
        self.links = parser.links
        self.ids = {k: " ".join(v.split()) for k, v in parser.ids.items()}
        self.hrefs = parser.hrefs


def listing(client: Any, query: str = "", lang: str = "en") -> Listing:
    answer = client.get(f"/consent/admin/records?lang={lang}&{query}")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    return Listing(answer.status_code, answer.get_data(as_text=True))


def words(html: str) -> str:
    """A page's visible words, one space between them."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def status_of(html: str) -> str:
    match = re.search(r'id="status" data-status="([a-z_]+)"', html)
    assert match, "the record page shows no verification status"
    return match.group(1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, Visitors, Visitors]:
    """This site (banner title with markup, dashboard on) and another site on one store."""
    folder = tmp_path_factory.mktemp("records")
    here = make_app(folder, CONSENT_TEXTS={"en": {"banner_title": EVIL}}, **ADMIN)
    there = make_app(folder, CONSENT_SITE_ID=OTHER)
    mine, theirs = Visitors(here), Visitors(there)
    for d in THIS:
        mine.send(d)
    for d in THERE:
        theirs.send(d)
    return here, mine, theirs


def test_the_list_is_exactly_the_selected_sites_records_newest_first(
    store: tuple[Flask, Visitors, Visitors],
) -> None:
    app, mine, theirs = store
    client = app.test_client()
    page = listing(client)
    assert page.status == 200
    assert page.rows == [row_of(d, mine) for d in newest_first(THIS)]
    assert "older" not in page.ids and "newest" not in page.ids  # one page, nothing to page
    assert page.ids["reset"] == "Clear"  # the search form's words are the page's own
    sites = re.findall(r'<option value="([^"]+)"(?: selected)?>', page.html)
    assert sites == ["default", OTHER]  # the site picker offers every site of the store
    other = listing(client, f"site={OTHER}")
    assert other.rows == [row_of(d, theirs) for d in newest_first(THERE)]
    # The overview's header leads here, to the records of the site and days it shows.
    days = f"since={DAY}&until={DAY + timedelta(days=1)}"
    overview = client.get(f"/consent/admin/?lang=en&site={OTHER}&{days}").get_data(as_text=True)
    found = re.search(r'href="([^"]*)" id="records-link"', overview)
    assert found, "the overview does not link to the records"
    answer = client.get(unescape(found.group(1)))
    assert answer.status_code == 200
    assert Listing(200, answer.get_data(as_text=True)).rows == other.rows


def test_a_consent_id_finds_exactly_that_visitors_records(
    store: tuple[Flask, Visitors, Visitors],
) -> None:
    app, mine, _ = store
    client = app.test_client()
    ann = mine.consent_id("ann")
    page = listing(client, f"consent_id={ann}")
    assert page.status == 200
    assert page.rows == [row_of(d, mine) for d in newest_first(THIS) if d.visitor == "ann"]
    assert ann in page.ids["records"]  # the caption names whose records these are
    # Pasted in capitals, in braces or with spaces around, it is still that visitor.
    for spelling in (ann.upper(), "{" + ann + "}", f"  {ann} "):
        assert listing(client, f"consent_id={spelling}").rows == page.rows
    # Each row's consent id links to that visitor's records.
    first = listing(client)
    ben_row = next(r for r in first.rows if r[1] == mine.consent_id("ben"))
    assert ben_row[2] == "Rejected all"
    html = client.get("/consent/admin/records?lang=en").get_data(as_text=True)
    assert f"consent_id={mine.consent_id('ben')}" in unescape(html)
    # A well-formed id nobody has: an empty result, said so.
    nobody = listing(client, "consent_id=00000000-0000-4000-8000-000000000000")
    assert nobody.status == 200 and nobody.rows == []
    assert nobody.ids["empty"] == "No records match this search."


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("consent_id=not-a-uuid", "That is not a consent id."),
        ("consent_id=1b4e28ba-2fa1-41d2-883f-0016d3cca42", "That is not a consent id."),
        ("consent_id=%27%3B+drop+table+consent_records%3B--", "That is not a consent id."),
        ("since=2026-13-01", "The start date is not a date"),
        ("until=yesterday", "The end date is not a date"),
        ("before=12abc", "This page link is broken"),
        ("before=99999999999999999999999", "This page link is broken"),
    ],
)
def test_a_malformed_search_is_a_friendly_400(
    store: tuple[Flask, Visitors, Visitors], query: str, message: str
) -> None:
    app, _, _ = store
    page = listing(app.test_client(), query)
    assert page.status == 400
    assert page.ids["errors"].startswith(message)
    assert page.rows == []  # nothing listed that could pass for the answer
    assert "Traceback" not in page.html


def test_a_malformed_consent_id_is_explained_in_each_language(
    store: tuple[Flask, Visitors, Visitors],
) -> None:
    app, _, _ = store
    client = app.test_client()
    lv = listing(client, "consent_id=abc", lang="lv")
    ru = listing(client, "consent_id=abc", lang="ru")
    assert lv.status == ru.status == 400
    assert lv.ids["errors"].startswith("Tas nav piekrišanas ID.")
    assert ru.ids["errors"].startswith("Это не идентификатор согласия.")
    # The field keeps what was typed, marked invalid, so it can be corrected.
    assert re.search(r'id="f-consent-id"[^>]*value="abc"[^>]*aria-invalid="true"', lv.html)


def test_a_date_range_holds_whole_utc_days_both_ends_included(
    store: tuple[Flask, Visitors, Visitors],
) -> None:
    app, mine, _ = store
    client = app.test_client()
    since, until = DAY + timedelta(days=1), DAY + timedelta(days=2)
    inside = [d for d in THIS if since <= d.at.date() <= until]
    assert [d.visitor for d in inside] == ["gus", "hal"]  # 00:00:00 and 23:59:59
    page = listing(client, f"since={since}&until={until}")
    assert page.rows == [row_of(d, mine) for d in newest_first(inside)]
    # The dates the wrong way round mean the same days.
    assert listing(client, f"since={until}&until={since}").rows == page.rows
    # One bound alone: from that day on, or up to it.
    from_day = listing(client, f"since={DAY + timedelta(days=3)}")
    assert [r[1] for r in from_day.rows] == [mine.consent_id("ivy")]
    up_to = listing(client, f"until={DAY}")
    assert len(up_to.rows) == sum(d.at.date() <= DAY for d in THIS) == 7
    # A consent id and days together: that visitor's records of those days.
    ann = mine.consent_id("ann")
    assert listing(client, f"consent_id={ann}&since={since}").rows == []
    assert len(listing(client, f"consent_id={ann}&since={DAY}&until={DAY}").rows) == 2
    # The page's footnote: flask consent export --since FROM --until (the day after TO)
    # gives the same records.
    args = ["consent", "export", "--since", str(since), "--until", str(until + timedelta(days=1))]
    exported = app.test_cli_runner().invoke(args=[*args, "--format", "jsonl"])
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in exported.output.splitlines() if line.startswith("{")]
    assert sorted(r["consent_id"] for r in lines) == sorted(r[1] for r in page.rows)


def test_paging_lists_every_record_once_newest_first(tmp_path: Path) -> None:
    """Two and a half pages, most of them decided within one second (the list's time has
    whole seconds): following "Older records" meets each record exactly once."""
    app = make_app(tmp_path, **ADMIN)
    visitors = Visitors(app)
    total = PAGE_SIZE * 2 + PAGE_SIZE // 2
    moments = [at(DAY, 8)] * (PAGE_SIZE + 10) + [at(DAY, 9, 0, s % 3) for s in range(30)]
    moments += [at(DAY, 10 + s // 60, s % 60) for s in range(total - len(moments))]
    for n, moment in enumerate(moments):
        visitors.send(Decision(f"v{n:03}", moment, ("analytics",), "save", "settings"))
    client = app.test_client()
    pages: list[Listing] = []
    query = ""
    while True:
        page = listing(client, query)
        assert page.status == 200
        pages.append(page)
        if "older" not in page.hrefs:
            break
        query = page.hrefs["older"].split("?", 1)[1]
        assert len(pages) < 10, "the older links never end"
    assert [len(p.rows) for p in pages] == [PAGE_SIZE, PAGE_SIZE, total - 2 * PAGE_SIZE]
    listed = [r[1] for p in pages for r in p.rows]
    assert len(listed) == len(set(listed)) == total
    assert set(listed) == {visitors.consent_id(f"v{n:03}") for n in range(total)}
    times = [r[0] for p in pages for r in p.rows]
    assert times == sorted(times, reverse=True)
    # Within one second, the later decision (the higher record id) comes first.
    same_second = [visitors.consent_id(f"v{n:03}") for n in range(PAGE_SIZE + 10)]
    assert [c for c in listed if c in set(same_second)] == same_second[::-1]
    assert "newest" not in pages[0].hrefs and "newest" in pages[1].hrefs
    # Paging keeps the search: one second's records, page by page.
    first = listing(client, f"until={DAY}&since={DAY}")
    assert first.hrefs["older"].count("since=") == 1


def record_page(client: Any, link: str) -> tuple[int, str]:
    answer = client.get(link)
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.status_code, answer.get_data(as_text=True)


def record_id(link: str) -> int:
    match = re.fullmatch(r"/consent/admin/records/(\d+)\?.*", link)
    assert match, link
    return int(match.group(1))


def link_of(client: Any, consent_id: str, query: str = "") -> str:
    """The record page of a visitor's newest record, as its user gets there: from the list."""
    page = listing(client, f"consent_id={consent_id}&{query}")
    assert page.links, f"no records listed for {consent_id}"
    return page.links[0]


def test_a_record_shows_its_fields_and_the_texts_its_visitor_was_shown(
    store: tuple[Flask, Visitors, Visitors],
) -> None:
    app, mine, _ = store
    client = app.test_client()
    status, html = record_page(client, link_of(client, mine.consent_id("ann")))
    assert status == 200
    text = words(html)
    # The newest of ann's records: her withdrawal in the settings dialog.
    assert "Action Withdrew Source Settings dialog" in text
    assert "Granted Necessary Refused Preferences, Analytics, Marketing" in text
    assert "IP address (truncated) 198.51.100.0" in text and "Browser family Other" in text
    assert "198.51.100.23" not in html  # the address itself is never stored
    # The banner's title as the visitor read it: text, not markup.
    assert "&lt;script&gt;alert(&#39;shown&#39;)&lt;/script&gt; Cookies &amp; you" in html
    assert "<script" not in html
    assert f"banner_title {EVIL}" in text
    assert "These texts hash to the record's texts hash." in text
    # A Latvian visitor's record shows the Latvian texts.
    _, lv = record_page(client, link_of(client, mine.consent_id("ben")))
    assert 'lang="lv"' in lv and "accept_all Piekrist visiem" in words(lv)
    # Never the salt that hashes the personal fields.
    engine = sa.create_engine(app.config["CONSENT_DATABASE_URI"])
    with engine.connect() as conn:
        salts = [s for (s,) in conn.execute(sa.text("select salt from consent_records"))]
    engine.dispose()
    assert salts and all(s and s not in html and s not in lv for s in salts)


def test_the_personal_fields_say_when_they_are_not_stored(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_RECORD_IP=False, **ADMIN)
    visitors = Visitors(app)
    visitors.send(Decision("ann", at(DAY, 9), PURPOSES, "accept_all"))
    client = app.test_client()
    _, html = record_page(client, link_of(client, visitors.consent_id("ann")))
    assert "IP address (truncated) Not stored" in words(html)


def seal(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["consent", "seal", "--grace", "0"])
    assert result.exit_code == 0, result.output
    return result.output


def tamper(app: Flask, sql: str, **params: Any) -> None:
    """What an attacker with database access does: edit a row behind the SDK's back."""
    engine = sa.create_engine(app.config["CONSENT_DATABASE_URI"])
    with engine.begin() as conn:
        assert conn.execute(sa.text(sql), params).rowcount == 1
    engine.dispose()


def test_verification_unsealed_then_sealed_and_intact_then_altered(tmp_path: Path) -> None:
    app = make_app(tmp_path, **ADMIN)
    visitors = Visitors(app)
    for n, name in enumerate(("ann", "ben", "cid")):
        visitors.send(Decision(name, at(DAY, 9 + n), PURPOSES, "accept_all"))
    client = app.test_client()
    links = {v: link_of(client, visitors.consent_id(v)) for v in ("ann", "ben", "cid")}
    _, html = record_page(client, links["ben"])
    assert status_of(html) == "unsealed"
    assert "Not sealed yet" in words(html)

    assert "sealed 3 records in 1 seals" in seal(app)
    for link in links.values():
        _, html = record_page(client, link)
        assert status_of(html) == "intact"
        assert "Sealed and intact: the record matches seal 1, whose signature holds." in words(html)
    assert re.search(r'id="seal-seq">1<', html)

    # Someone rewrites ben's decision in the database: ben's record says so, the others hold.
    ben = record_id(links["ben"])
    tamper(
        app, "update consent_records set granted = refused, refused = granted where id = :i", i=ben
    )
    _, html = record_page(client, links["ben"])
    assert status_of(html) == "altered"
    assert "Altered: the record no longer matches what seal 1 holds for it." in words(html)
    assert "Hash in the seal" in words(html)  # beside the hash it has now
    for other in ("ann", "cid"):
        assert status_of(record_page(client, links[other])[1]) == "intact"
    # And flask consent verify agrees with the page.
    verify = app.test_cli_runner().invoke(args=["consent", "verify"])
    assert verify.exit_code == 1 and f"record {ben}: altered" in verify.output


def test_a_forged_seal_is_not_taken_for_proof(tmp_path: Path) -> None:
    app = make_app(tmp_path, **ADMIN)
    visitors = Visitors(app)
    visitors.send(Decision("ann", at(DAY, 9), PURPOSES, "accept_all"))
    seal(app)
    client = app.test_client()
    link = link_of(client, visitors.consent_id("ann"))
    tamper(app, "update consent_seals set root = :r where seq = 1", r="0" * 64)
    _, html = record_page(client, link)
    assert status_of(html) == "seal_altered"
    assert "The seal does not hold: seal 1 was altered" in words(html)


def test_an_erased_record_says_so_and_still_verifies(tmp_path: Path) -> None:
    app = make_app(tmp_path, **ADMIN)
    visitors = Visitors(app)
    visitors.send(Decision("ann", at(DAY, 9), PURPOSES, "accept_all"))
    visitors.send(Decision("ann", at(DAY, 10), ("analytics",), "save", "settings"))
    seal(app)
    client = app.test_client()
    ann = visitors.consent_id("ann")
    erased = app.test_cli_runner().invoke(args=["consent", "erase", "--consent-id", ann])
    assert erased.exit_code == 0, erased.output
    for link in listing(client, f"consent_id={ann}").links:
        _, html = record_page(client, link)
        text = words(html)
        assert status_of(html) == "intact"
        assert "Personal fields erased on" in text and "the proof does not need them" in text
        assert "the truncated IP address and browser family were deleted" in text
        assert "198.51.100" not in html and "IP address (truncated)" not in text


def test_the_guard_refuses_both_pages(store: tuple[Flask, Visitors, Visitors]) -> None:
    app, mine, _ = store
    link = link_of(app.test_client(), mine.consent_id("ann"))
    folder = Path(app.instance_path).parent
    refused = make_app(folder, CONSENT_ADMIN_ENABLED=True, CONSENT_ADMIN_GUARD=lambda: False)
    client = refused.test_client()
    for url in ("/consent/admin/records", link, "/consent/admin/records?consent_id=x"):
        answer = client.get(url)
        assert answer.status_code == 403
        assert mine.consent_id("ann") not in answer.get_data(as_text=True)


def test_another_sites_record_is_not_found(store: tuple[Flask, Visitors, Visitors]) -> None:
    app, _, theirs = store
    client = app.test_client()
    theirs_link = link_of(client, theirs.consent_id("oli"), f"site={OTHER}")
    status, html = record_page(client, theirs_link)
    assert status == 200 and theirs.consent_id("oli") in html
    number = record_id(theirs_link)
    as_mine = f"/consent/admin/records/{number}?site=default&lang=en"
    without_site = f"/consent/admin/records/{number}?lang=en"  # the app's own site
    for link in (as_mine, without_site):
        status, html = record_page(client, link)
        assert status == 404
        assert "is not one of this site's records." in words(html)
        assert theirs.consent_id("oli") not in html
    assert client.get("/consent/admin/records/987654321").status_code == 404
    assert client.get("/consent/admin/records/99999999999999999999").status_code == 404
    status, html = record_page(client, "/consent/admin/records/987654321?lang=ru")
    assert status == 404 and "не запись этого сайта" in html
