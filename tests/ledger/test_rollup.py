"""The dashboard's rollup equals a recount of the records, at every moment (issue 18).

Decisions go through the HTTP API on chosen days (tests/admin/decisions.py: both buttons,
the settings dialog, page code, GPC, withdrawals, three languages), under two policy
versions and for two sites on one store; then erasures (``flask consent erase``) and purges
(``flask consent purge`` once retention has ended). After each step the overview the
dashboard shows (``aggregates.overview``: rollup + the records after its watermark) must
equal ``aggregates.recount`` (a plain GROUP BY over the records), field by field and in the
same order, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from consent_sdk.admin import aggregates
from consent_sdk.admin.aggregates import Overview, Period
from consent_sdk.ledger import export, retention, rollup
from consent_sdk.ledger.store import Ledger
from consent_sdk.ledger.tables import records
from tests.admin.decisions import FIRST, OTHER_SITE, PURPOSES, Step, make, season
from tests.conftest import make_app

OTHER = "shop.example"
DAYS = 6
CHANGE = FIRST + timedelta(days=3)
"""Policy version 2 from this day on (the first three days were decided under 1)."""
STEPS = season(days=DAYS)
WHOLE = Period(FIRST - timedelta(days=1), FIRST + timedelta(days=DAYS))
PERIODS = [
    WHOLE,
    Period(FIRST + timedelta(days=1), FIRST + timedelta(days=3)),
    Period(CHANGE, CHANGE),
]


class Store:
    """Two sites on one store, decisions made through the API, commands through the CLI."""

    def __init__(self, tmp_path: Path, url: str) -> None:
        self.url = url
        common: dict[str, Any] = {"CONSENT_DATABASE_URI": url}
        self.v1 = make_app(tmp_path / "v1", CONSENT_POLICY_VERSION="1", **common)
        self.v2 = make_app(tmp_path / "v2", CONSENT_POLICY_VERSION="2", **common)
        self.other = make_app(tmp_path / "other", CONSENT_SITE_ID=OTHER, **common)
        self.engine = sa.create_engine(url)

    def decide(self, steps: list[Step]) -> None:
        make(self.v1, [s for s in steps if s.day < CHANGE])
        make(self.v2, [s for s in steps if s.day >= CHANGE])

    @property
    def ledger(self) -> Ledger:
        ledger: Ledger = self.v2.extensions["consent"].ledger
        return ledger

    def cli(self, app: Flask, *args: str) -> str:
        result = app.test_cli_runner().invoke(args=["consent", *args])
        assert result.exit_code == 0, result.output
        return result.output

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.engine.begin() as conn:
            return list(conn.execute(sa.text(statement), params).all())

    def counted(self) -> int:
        """How many records the rollup table holds counts of (all sites)."""
        return int(self.sql("select coalesce(sum(count), 0) from consent_daily_counts")[0][0])

    def counts(self) -> list[Any]:
        return self.sql("select * from consent_daily_counts order by 1, 2, 3, 4, 5, 6, 7, 8, 9")

    def records(self) -> int:
        return int(self.sql("select count(*) from consent_records")[0][0])

    def close(self) -> None:
        self.engine.dispose()
        for app in (self.v1, self.v2, self.other):
            with app.app_context():
                app.extensions["consent"].ledger.engine.dispose()


@pytest.fixture
def store(tmp_path: Path, store_url: str) -> Any:
    s = Store(tmp_path, store_url)
    yield s
    s.close()


def figures(overview: Overview) -> dict[str, Any]:
    """Every field of an overview, with the order the page lists them in."""
    return {
        **vars(overview),
        "order": (list(overview.trend), list(overview.languages), list(overview.versions)),
    }


def assert_rollup_equals_recount(store: Store) -> None:
    for site in ("default", OTHER):
        for period in PERIODS:
            shown = aggregates.overview(store.ledger, site=site, period=period, purposes=PURPOSES)
            counted = aggregates.recount(store.ledger, site=site, period=period, purposes=PURPOSES)
            assert figures(shown) == figures(counted), (site, period)


def test_the_rollup_equals_a_recount_after_decisions_withdrawals_erasures_and_purges(
    store: Store,
) -> None:
    early = [s for s in STEPS if s.day < FIRST + timedelta(days=4)]
    store.decide(early)
    make(store.other, OTHER_SITE)
    assert any(s.withdraw for s in early) and any(s.gpc_body or s.gpc_header for s in early)
    assert_rollup_equals_recount(store)  # nothing rolled up yet: all of it is the tail

    assert "rolled up" in store.cli(store.v2, "rollup", "--all-sites")
    assert store.counted() == store.records() > 0
    assert_rollup_equals_recount(store)

    # New decisions after the rollup: counted live, before any rollup sees them.
    store.decide([s for s in STEPS if s.day >= FIRST + timedelta(days=4)])
    assert store.counted() < store.records()
    whole = aggregates.overview(store.ledger, site="default", period=WHOLE, purposes=PURPOSES)
    assert whole.decisions == len(STEPS)
    assert_rollup_equals_recount(store)

    # Seal rolls up what it seals; erasure changes nothing counted.
    output = store.cli(store.v2, "seal", "--all-sites")
    assert f"rolled up {len(STEPS) - len(early)} records" in output
    before = store.counts()
    visitor = store.sql("select consent_id from consent_records order by id")[0][0]
    assert "erased the personal fields" in store.cli(store.v1, "erase", "--consent-id", visitor)
    assert store.counts() == before
    assert_rollup_equals_recount(store)

    # Purge the first day's records of both sites, once their retention has ended.
    with store.engine.connect() as conn:
        first_day_end = conn.execute(
            sa.select(sa.func.max(records.c.retain_until)).where(
                records.c.created_at < datetime.combine(FIRST + timedelta(days=1), time(), UTC)
            )
        ).scalar_one()
    moment = first_day_end.replace(tzinfo=UTC) + timedelta(seconds=1)
    records_before = store.records()
    with time_machine.travel(moment, tick=False):
        purged = store.cli(store.v1, "purge", "--chunk", "3")
        purged_other = store.cli(store.other, "purge")
    gone = records_before - store.records()
    assert gone > 0 and f"deleted {gone - int(purged_other.split()[1])} records" in purged
    assert store.counted() == store.records()
    after = aggregates.overview(store.ledger, site="default", period=WHOLE, purposes=PURPOSES)
    assert FIRST not in after.trend
    assert after.decisions == len([s for s in STEPS if s.day > FIRST])
    assert_rollup_equals_recount(store)

    # Running it again (twice) changes nothing: every record is counted once.
    counts = store.counts()
    store.cli(store.v2, "rollup", "--all-sites")
    store.cli(store.other, "rollup")
    assert store.counts() == counts
    assert_rollup_equals_recount(store)


def test_a_purge_of_records_not_rolled_up_yet_takes_nothing_off_the_counts(store: Store) -> None:
    store.decide([s for s in STEPS if s.day < FIRST + timedelta(days=2)])
    rollup.run(store.ledger, sites_=["default"], batch=5)
    rolled = store.counts()
    # Only part of the site rolled up: the rest is purged while still in the tail.
    (last,) = store.sql("select last_id from consent_rollup_marks")[0]
    store.decide([s for s in STEPS if FIRST + timedelta(days=2) <= s.day < CHANGE])
    with time_machine.travel(datetime(2040, 1, 1, tzinfo=UTC), tick=False):
        store.cli(store.v1, "purge")
    assert store.records() == 0 and store.counted() == 0
    assert rolled and last > 0
    empty = aggregates.overview(store.ledger, site="default", period=WHOLE, purposes=PURPOSES)
    assert empty.empty and empty.trend == {} and empty.versions == {}
    assert_rollup_equals_recount(store)


def test_two_rollups_at_once_count_each_record_once(store: Store) -> None:
    store.decide(STEPS)
    make(store.other, OTHER_SITE)
    ledgers = [app.extensions["consent"].ledger for app in (store.v1, store.v2, store.other)]
    start = threading.Barrier(len(ledgers))
    errors: list[BaseException] = []

    def run(ledger: Ledger) -> None:
        try:
            start.wait()
            rollup.run(ledger, batch=4)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(ledger,)) for ledger in ledgers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.counted() == store.records() == len(STEPS) + len(OTHER_SITE)
    marks = dict(store.sql("select site_id, last_id from consent_rollup_marks"))
    assert marks == dict(store.sql("select site_id, max(id) from consent_records group by 1"))
    assert_rollup_equals_recount(store)


def test_records_younger_than_the_grace_wait_for_the_next_rollup(store: Store) -> None:
    today = datetime.now(UTC).date()
    store.decide([Step("old", FIRST, action="reject_all")])
    make(store.v2, [Step("new", today, hour=datetime.now(UTC).hour, action="accept_all")])
    rollup.run(store.ledger, grace=3600 * 24)
    assert store.counted() == 1  # the decision of this hour waits (a lower id may still commit)
    period = Period(FIRST, today)
    shown = aggregates.overview(store.ledger, site="default", period=period, purposes=PURPOSES)
    assert shown.decisions == 2 and shown.choices["accept_all"] == 1
    rollup.run(store.ledger, grace=0)
    assert store.counted() == 2


def test_the_dashboard_page_shows_the_rollup_and_the_tail(tmp_path: Path, store_url: str) -> None:
    admin = {"CONSENT_ADMIN_ENABLED": True, "CONSENT_ADMIN_GUARD": lambda: True}
    app = make_app(tmp_path, CONSENT_DATABASE_URI=store_url, **admin)
    make(app, [Step(f"a{n}", FIRST, grant=PURPOSES, action="accept_all") for n in range(3)])
    runner = app.test_cli_runner()
    assert "rolled up 3 records" in runner.invoke(args=["consent", "rollup"]).output
    make(app, [Step("r", FIRST + timedelta(days=1), action="reject_all")])
    page = app.test_client().get(
        f"/consent/admin/?since={FIRST}&until={FIRST + timedelta(days=1)}&format=csv&chart=choices"
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    assert ",3,4," in text and ",1,4," in text, text
    with app.app_context():
        app.extensions["consent"].ledger.engine.dispose()


@pytest.mark.postgres
def test_an_export_on_postgresql_plans_its_cursor_for_every_row_and_leaves_the_pool_alone(
    tmp_path: Path,
) -> None:
    from tests.conftest import postgres_schema

    with postgres_schema() as url:
        app = make_app(tmp_path, CONSENT_DATABASE_URI=url)
        make(app, [Step(f"v{n}", FIRST + timedelta(days=n % 3)) for n in range(9)])
        ledger: Ledger = app.extensions["consent"].ledger
        settings: list[str] = []

        @sa.event.listens_for(ledger.engine, "before_cursor_execute")
        def _seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if "consent_records" in statement and not settings:
                settings.append(
                    conn.exec_driver_sql("SELECT current_setting('cursor_tuple_fraction')").scalar()
                )

        day = datetime.combine(FIRST + timedelta(days=1), time(), UTC)
        found = list(export.rows(ledger, since=day, until=day + timedelta(days=1), site="default"))
        sa.event.remove(ledger.engine, "before_cursor_execute", _seen)
        assert [r["created_at"].date() for r in found] == [date(2026, 11, 3)] * 3
        assert settings == ["1"]
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "0.1"
        ledger.engine.dispose()


def test_a_purge_beside_a_rollup_leaves_counts_equal_to_the_records_left(store: Store) -> None:
    store.decide(STEPS)
    make(store.other, OTHER_SITE)
    with store.engine.connect() as conn:
        due_at = conn.execute(
            sa.select(sa.func.max(records.c.retain_until)).where(
                records.c.created_at < datetime.combine(FIRST + timedelta(days=3), time(), UTC)
            )
        ).scalar_one()
    ext = store.v1.extensions["consent"]
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def work(job: Any) -> None:
        try:
            start.wait()
            job()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    jobs = [
        lambda: rollup.run(store.ledger, batch=3),
        lambda: rollup.run(store.other.extensions["consent"].ledger, batch=5),
        lambda: retention.purge(
            ext.ledger, ext.keys, now=due_at.replace(tzinfo=UTC) + timedelta(seconds=1), chunk=2
        ),
    ]
    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    left = store.records()
    assert 0 < left < len(STEPS) + len(OTHER_SITE)
    rollup.run(store.ledger)
    assert store.counted() == left
    assert_rollup_equals_recount(store)
