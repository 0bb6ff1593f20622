"""Every number on the dashboard equals what the test computes from the decisions it made.

The decisions go through the HTTP API as the widget sends them (buttons, the settings dialog,
page code, GPC, withdrawals, three languages, two policy versions), on chosen days, for this
site and for another site on the same store; the expected figures come from the steps alone
(tests/admin/decisions.py), then the page's tables, every CSV and ``flask consent stats`` must
say the same.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask

from tests.admin.decisions import (
    FIRST,
    LAST,
    OTHER_SITE,
    OUTSIDE,
    PURPOSES,
    Figures,
    Step,
    expected,
    make,
    percent,
    season,
    share,
)
from tests.admin.page import download, read
from tests.conftest import make_app

ADMIN = {"CONSENT_ADMIN_ENABLED": True, "CONSENT_ADMIN_GUARD": lambda: True}
CHANGE = FIRST + timedelta(days=7)
"""The day the site published policy version 2 (the first week was decided under 1)."""
STEPS = season()
CHOICES = {
    "accept_all": "Accepted all",
    "reject_all": "Rejected all",
    "custom": "Chose purposes",
    "withdrawn": "Withdrew",
}
LAYERS = {
    "banner": "Banner (first layer)",
    "settings": "Settings dialog (second layer)",
    "other": "Page code or GPC",
}
LABELS = {"preferences": "Preferences", "analytics": "Analytics", "marketing": "Marketing"}
PERIOD = f"since={FIRST}&until={LAST}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """This site under two policy versions and another site, all on one store."""
    folder = tmp_path_factory.mktemp("dashboard")
    before = make_app(folder, CONSENT_POLICY_VERSION="1")
    after = make_app(folder, CONSENT_POLICY_VERSION="2", **ADMIN)
    other = make_app(folder, CONSENT_SITE_ID="shop.example")
    make(before, [s for s in STEPS + OUTSIDE if s.day < CHANGE])
    make(after, [s for s in STEPS + OUTSIDE if s.day >= CHANGE])
    make(other, OTHER_SITE)
    return after


def bar_rows(labels: dict[str, str], counts: dict[str, int], whole: int) -> list[list[str]]:
    """A bar chart's table as the page shows it: label, count / whole, percentage."""
    return [
        [labels[k], f"{counts.get(k, 0)} / {whole}", percent(counts.get(k, 0), whole)]
        for k in labels
    ]


def bar_csv(labels: dict[str, str], counts: dict[str, int], whole: int) -> list[list[str]]:
    """The same as its CSV: header, then label, count, whole, share to 4 places."""
    rows = [
        [labels[k], str(counts.get(k, 0)), str(whole), str(share(counts.get(k, 0), whole))]
        for k in labels
    ]
    return [["label", "count", "of", "share"], *rows]


def languages(f: Figures) -> dict[str, str]:
    """The languages in the order the page lists them: most decisions first."""
    ordered = sorted(f.languages.items(), key=lambda kv: (-kv[1], kv[0]))
    return {lang: lang for lang, _ in ordered}


def assert_page_and_csv_show(client: object, query: str, f: Figures) -> None:
    """Each chart of the page (its table) and its CSV carry the figures ``f``."""
    tables, ids = read(client, query)
    assert ids["decisions"] == str(f.decisions)
    n = f.decisions
    cards = [f"{CHOICES[k]} {percent(f.choices[k], n)} {f.choices[k]}" for k in CHOICES]
    assert ids["cards"].splitlines() == [f"Decisions {n}", *cards]
    granted = {p: f.granted[p] for p in PURPOSES}
    gpc = {"with": f.gpc, "without": n - f.gpc}
    gpc_labels = {"with": "With GPC", "without": "Without GPC"}
    charts = {
        "choices": (CHOICES, f.choices),
        "purposes": (LABELS, granted),
        "layers": (LAYERS, f.layers),
        "gpc": (gpc_labels, gpc),
        "languages": (languages(f), f.languages),
    }
    for chart, (labels, counts) in charts.items():
        assert tables[chart] == bar_rows(labels, counts, n), chart
        assert download(client, chart, query) == bar_csv(labels, counts, n), chart
    trend_csv = [["day", "purpose", "granted", "seen", "share"]]
    trend_table = []
    for day in sorted(f.days):
        seen = f.per_day[day]
        got = f.days[day]
        trend_csv += [
            [day.isoformat(), p, str(got[p]), str(seen), str(share(got[p], seen))] for p in PURPOSES
        ]
        cells = [f"{percent(got[p], seen)} ({got[p]} / {seen})" for p in PURPOSES]
        trend_table.append([day.isoformat(), *cells])
    assert download(client, "trend", query) == trend_csv
    assert tables["trend"] == trend_table


def test_every_chart_and_its_csv_equal_the_decisions_made(app: Flask) -> None:
    f = expected(STEPS, FIRST, LAST)
    # The scenario really exercises every group the page splits decisions into.
    assert all(f.choices[k] for k in CHOICES) and all(f.layers[k] for k in LAYERS)
    assert 0 < f.gpc < f.decisions and set(f.languages) == {"lv", "en", "ru"}
    assert_page_and_csv_show(app.test_client(), PERIOD, f)


def test_the_policy_version_chart_splits_before_and_after_the_change(app: Flask) -> None:
    tables, _ = read(app.test_client(), PERIOD)
    before = expected(STEPS, FIRST, CHANGE - timedelta(days=1))
    after = expected(STEPS, CHANGE, LAST)
    counts = {"1": before.choices["accept_all"], "2": after.choices["accept_all"]}
    wholes = {"1": before.decisions, "2": after.decisions}
    assert tables["versions"] == [
        [v, f"{counts[v]} / {wholes[v]}", percent(counts[v], wholes[v])] for v in ("1", "2")
    ]
    rows = download(app.test_client(), "versions", PERIOD)
    assert rows[1:] == [
        [v, str(counts[v]), str(wholes[v]), str(share(counts[v], wholes[v]))] for v in ("1", "2")
    ]


def test_another_sites_decisions_are_counted_only_when_it_is_chosen(app: Flask) -> None:
    client = app.test_client()
    page = client.get(f"/consent/admin/?{PERIOD}").get_data(as_text=True)
    assert '<option value="shop.example">' in page and '<option value="default" selected>' in page
    other = expected(OTHER_SITE, FIRST, LAST)
    assert_page_and_csv_show(client, f"{PERIOD}&site=shop.example", other)


def test_since_and_until_bound_the_period(app: Flask) -> None:
    client = app.test_client()
    early, late = OUTSIDE
    wider = f"since={early.day}&until={late.day}"
    assert_page_and_csv_show(client, wider, expected(STEPS + OUTSIDE, early.day, late.day))
    one_day = FIRST + timedelta(days=3)
    only = f"since={one_day}&until={one_day}"
    assert_page_and_csv_show(client, only, expected(STEPS, one_day, one_day))
    # Without dates: the last 30 days up to today (UTC), here 2026-10-25 to 2026-11-23.
    with time_machine.travel(datetime(2026, 11, 23, 18, tzinfo=UTC), tick=False):
        _, ids = read(client)
    since = date(2026, 11, 23) - timedelta(days=29)
    assert early.day < since
    assert ids["decisions"] == str(expected(STEPS + OUTSIDE, since, date(2026, 11, 23)).decisions)


@pytest.mark.parametrize(
    "query, since, until",
    [
        ("since=0001-01-01&until=9999-12-31", "9989-", "9999-12-30"),
        ("until=0001-01-01", "1999-12-03", "2000-01-01"),
        ("since=2026-11-15&until=2026-11-02", "2026-11-02", "2026-11-15"),
        ("since=yesterday&until=2026-11-15", "2026-10-17", "2026-11-15"),
    ],
    ids=["far-apart", "before-any-decision", "swapped", "malformed"],
)
def test_an_odd_period_is_brought_into_range_not_an_error(
    app: Flask, query: str, since: str, until: str
) -> None:
    answer = app.test_client().get(f"/consent/admin/?lang=en&{query}")
    assert answer.status_code == 200
    assert re.search(rf'name="since" type="date" value="{since}', answer.text)
    assert f'name="until" type="date" value="{until}"' in answer.text


def test_the_numbers_equal_flask_consent_stats(app: Flask) -> None:
    client = app.test_client()
    until = LAST + timedelta(days=1)  # `stats --until` is exclusive, the dashboard's inclusive
    result = app.test_cli_runner().invoke(
        args=["consent", "stats", "--site", "default", "--since", str(FIRST), "--until", str(until)]
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    _, ids = read(client, PERIOD)
    assert stats["decisions"] == int(ids["decisions"])
    purposes = {row[0]: row for row in download(client, "purposes", PERIOD)[1:]}
    for p, label in LABELS.items():
        assert stats["grant_rate"][p] == float(purposes[label][3])
    trend = download(client, "trend", PERIOD)[1:]
    for day, p, _granted, seen, rate in trend:
        assert stats["per_day"][day]["decisions"] == int(seen)
        assert stats["per_day"][day]["grant_rate"][p] == float(rate)
    assert len(stats["per_day"]) == len({row[0] for row in trend})
    versions = {row[0]: int(row[2]) for row in download(client, "versions", PERIOD)[1:]}
    assert versions == {v: b["decisions"] for v, b in stats["per_policy_version"].items()}


EMPTY = {
    "en": "No decisions were recorded for this site in this period yet.",
    "lv": "Šai vietnei šajā periodā vēl nav reģistrētu lēmumu.",
    "ru": "Для этого сайта за этот период решений ещё нет.",
}


@pytest.mark.parametrize("lang", EMPTY)
def test_an_empty_store_shows_a_friendly_empty_state(tmp_path: Path, lang: str) -> None:
    client = make_app(tmp_path, **ADMIN).test_client()
    html = client.get(f"/consent/admin/?lang={lang}").get_data(as_text=True)
    assert EMPTY[lang] in html and f'<html lang="{lang}">' in html
    assert '<strong id="decisions">0</strong>' in html and "<svg" not in html
    assert download(client, "choices")[1] == ["Accepted all", "0", "0", "0.0"]


def test_a_decision_of_a_purpose_not_asked_before_is_not_counted_as_seen(tmp_path: Path) -> None:
    """A purpose the site adds later was never refused by the earlier decisions: its rate is
    of the decisions that asked about it, not of all of them."""
    before = make_app(
        tmp_path, CONSENT_PURPOSES=["necessary", {"id": "analytics", "cookies": ["_ga"]}]
    )
    after = make_app(tmp_path, **ADMIN)
    with time_machine.travel(datetime(2026, 11, 2, 12, tzinfo=UTC), tick=False):
        body = {"purposes": {"analytics": True}, "action": "accept_all", "source": "banner"}
        assert before.test_client().post("/consent/state", json=body).status_code == 200
    make(after, [Step("b", FIRST, grant=("marketing",), action="save", source="settings")])
    tables, _ = read(after.test_client(), f"since={FIRST}&until={FIRST}")
    assert tables["purposes"] == [
        ["Preferences", "0 / 1", "0.0 %"],
        ["Analytics", "1 / 2", "50.0 %"],
        ["Marketing", "1 / 1", "100.0 %"],
    ]
