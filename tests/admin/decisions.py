"""Decisions made through the HTTP API on chosen days, and the figures they must give.

``Step`` is one visitor's request as the widget sends it; ``make`` sends the steps (each on
its own day, with time-machine) and ``expected`` computes the dashboard's figures from the
steps alone, never from the store: what the test knows it did.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import time_machine
from flask import Flask

PURPOSES = ("preferences", "analytics", "marketing")
"""The purposes that need consent (``necessary`` is granted by every decision)."""


@dataclass(frozen=True)
class Step:
    """One request of one visitor: a decision (``POST``) or a withdrawal (``DELETE``)."""

    visitor: str
    day: date
    grant: tuple[str, ...] = ()
    action: str | None = None
    source: str = "banner"
    language: str = "en"
    gpc_header: bool = False
    gpc_body: bool = False
    withdraw: bool = False
    hour: int = 12

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"source": self.source, "language": self.language}
        if self.gpc_body:
            body["gpc"] = True
        if self.withdraw:
            return body
        body["purposes"] = {p: p in self.grant for p in PURPOSES}
        if self.action is not None:
            body["action"] = self.action
        return body

    @property
    def choice(self) -> str:
        if self.withdraw:
            return "withdrawn"
        if self.action in ("accept_all", "reject_all"):
            return self.action
        return "custom"

    @property
    def layer(self) -> str:
        return self.source if self.source in ("banner", "settings") else "other"

    @property
    def granted(self) -> frozenset[str]:
        return frozenset() if self.withdraw else frozenset(self.grant)


FIRST = date(2026, 11, 2)
DAYS = 14
LAST = FIRST + timedelta(days=DAYS - 1)


def season(first: date = FIRST, days: int = DAYS) -> list[Step]:
    """A fortnight of a site's decisions, 4 to 8 a day, of every kind the dashboard counts:
    both buttons, custom choices in the dialog, page code, a GPC browser, withdrawals."""
    steps = []
    for d in range(days):
        day = first + timedelta(days=d)
        for n in range(4 + (d * 7) % 5):
            visitor, k = f"v{d}-{n}", (d * 31 + n * 17) % 20
            common: dict[str, Any] = {
                "visitor": visitor,
                "day": day,
                "hour": 8 + n,
                "language": ("lv", "lv", "en", "ru")[(d + n) % 4],
                "gpc_header": n % 6 == 5,
            }
            if k < 9:
                steps.append(Step(grant=PURPOSES, action="accept_all", **common))
                if (d + n) % 7 == 0:  # changed their mind in the settings dialog
                    steps.append(Step(source="settings", withdraw=True, **common))
            elif k < 14:
                steps.append(Step(action="reject_all", **common))
            elif k < 18:
                grant = ("preferences", "analytics") if k % 2 else ("analytics",)
                steps.append(Step(grant=grant, action="save", source="settings", **common))
            elif k < 19:
                steps.append(Step(grant=("analytics",), source="api", **common))
            else:  # the widget answering a GPC signal on its own
                common["gpc_header"] = False
                steps.append(Step(action="reject_all", source="gpc", gpc_body=True, **common))
    return steps


OUTSIDE = [
    Step("early", FIRST - timedelta(days=9), grant=PURPOSES, action="accept_all"),
    Step("late", LAST + timedelta(days=1), hour=0, action="reject_all", language="ru"),
]
"""Decisions just outside the fortnight: the period's bounds must leave them out."""

OTHER_SITE = [
    Step("o1", FIRST, grant=PURPOSES, action="accept_all", language="ru"),
    Step("o2", FIRST + timedelta(days=1), grant=PURPOSES, action="accept_all", language="ru"),
    Step("o3", FIRST + timedelta(days=2), action="reject_all", source="settings", gpc_header=True),
]
"""Another site (``CONSENT_SITE_ID``) on the same store: none of these are the first site's."""


def make(app: Flask, steps: list[Step]) -> None:
    """Send every step through the API, each visitor with a client (cookie jar) of its own."""
    clients: dict[str, Any] = {}
    for step in steps:
        client = clients.setdefault(step.visitor, app.test_client())
        headers = {"Sec-GPC": "1"} if step.gpc_header else {}
        moment = datetime.combine(step.day, time(step.hour), UTC)
        with time_machine.travel(moment, tick=False):
            if step.withdraw:
                answer = client.delete("/consent/state", json=step.body(), headers=headers)
            else:
                answer = client.post("/consent/state", json=step.body(), headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)


@dataclass
class Figures:
    """What the dashboard must show for some steps: counts, and shares of what."""

    decisions: int = 0
    choices: Counter[str] = field(default_factory=Counter)
    layers: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    gpc: int = 0
    granted: Counter[str] = field(default_factory=Counter)
    days: dict[date, Counter[str]] = field(default_factory=dict)
    per_day: Counter[date] = field(default_factory=Counter)


def expected(steps: list[Step], since: date, until: date) -> Figures:
    """The figures of the steps made from ``since`` to ``until`` (inclusive)."""
    f = Figures()
    for s in steps:
        if not since <= s.day <= until:
            continue
        f.decisions += 1
        f.choices[s.choice] += 1
        f.layers[s.layer] += 1
        f.languages[s.language] += 1
        f.gpc += s.gpc_header or s.gpc_body
        f.per_day[s.day] += 1
        day = f.days.setdefault(s.day, Counter())
        for p in s.granted:
            f.granted[p] += 1
            day[p] += 1
    return f


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def percent(part: int, whole: int) -> str:
    return f"{(part / whole if whole else 0) * 100:.1f} %"
