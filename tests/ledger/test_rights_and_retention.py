"""Erasure, retention and export on a real store: the ledger verifies after each."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from consent_sdk.ledger import export, retention
from consent_sdk.ledger.store import Ledger, create_own_engine
from consent_sdk.ledger.tables import metadata
from tests.conftest import postgres_schema
from tests.ledger.conftest import Site

YEAR = 365 * 24 * 3600


def test_rule_10_erasure_drops_the_personal_fields_and_the_ledger_still_verifies(
    site: Site,
) -> None:
    client, consent_id = site.decide({"analytics": True})
    site.decide({"marketing": True}, client)
    _, other = site.decide({"analytics": False})
    assert site.cli("seal", "--grace", "0").exit_code == 0
    before = site.sql(
        "select ip_prefix, browser from consent_records where consent_id = :c", c=consent_id
    )
    assert before and all(ip for ip, _ in before)

    result = site.cli("erase", "--consent-id", consent_id)
    assert result.exit_code == 0, result.output
    assert "erased the personal fields of 2 records" in result.output
    rows = site.sql(
        "select ip_prefix, browser, salt, erased_at from consent_records where consent_id = :c",
        c=consent_id,
    )
    assert all(r[0] is None and r[1] is None and r[2] is None and r[3] for r in rows)
    # The other visitor's record is untouched.
    assert site.sql("select ip_prefix from consent_records where consent_id = :c", c=other)[0][0]
    assert site.cli("verify").exit_code == 0
    # Erasing again changes nothing; the export shows the decisions without personal fields.
    assert "of 0 records" in site.cli("erase", "--consent-id", consent_id).output
    exported = json.loads(site.cli("export", "--consent-id", consent_id).output)
    assert [r["granted"] for r in exported["records"]] == [
        ["analytics", "necessary"],
        ["marketing", "necessary"],
    ]
    assert all(r["ip_prefix"] is None for r in exported["records"])
    assert all(exported["texts"][r["texts_hash"]] for r in exported["records"])


def test_rule_15_purge_deletes_what_is_past_retention_and_twice_equals_once(
    site: Site, tmp_path: Path
) -> None:
    with time_machine.travel(1_700_000_000, tick=False):
        for _ in range(5):
            site.decide({"analytics": True})
    recent = Site(tmp_path / "recent", site.url)
    recent.decide({"analytics": True})
    assert site.cli("seal", "--grace", "0").exit_code == 0

    later = 1_700_000_000 + 6 * YEAR + 1  # one year of consent + five of retention
    with time_machine.travel(later, tick=False):
        dry = site.cli("purge", "--dry-run")
        assert "would delete 5 records" in dry.output
        assert len(site.ids()) == 6
        first = site.cli("purge", "--chunk", "2")
        assert "deleted 5 records" in first.output, first.output
        after_once = site.sql("select * from consent_records order by id")
        second = site.cli("purge")
        assert "deleted 0 records" in second.output
        assert site.sql("select * from consent_records order by id") == after_once
    assert len(after_once) == 1
    verified = site.cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "5 purged by retention" in verified.output
    recent.close()


def test_rule_15_a_forged_tombstone_does_not_hide_a_deletion(site: Site) -> None:
    for _ in range(3):
        site.decide({"analytics": True})
    assert site.cli("seal", "--grace", "0").exit_code == 0
    victim = site.ids()[1]
    site.sql("delete from consent_records where id = :i", i=victim)
    site.sql(
        "insert into consent_purges (record_ids, reason, purged_at, kid, signature)"
        " values (:ids, 'retention', '2030-01-01 00:00:00', 'k', 'c2ln')",
        ids=json.dumps([victim]),
    )
    result = site.cli("verify")
    assert result.exit_code == 1
    assert f"record {victim}: deleted" in result.output
    assert "bad signature" in result.output


def test_rule_15_concurrent_purges_delete_each_record_once(site: Site) -> None:
    with time_machine.travel(1_700_000_000, tick=False):
        for _ in range(40):
            site.decide({"analytics": True})
    assert site.cli("seal", "--grace", "0").exit_code == 0
    ext = site.app.extensions["consent"]

    def run(_: int) -> int:
        # Each run on its own connections, as cron jobs on two hosts would be.
        return retention.purge(ext.ledger, ext.keys, chunk=3).deleted

    with (
        time_machine.travel(1_700_000_000 + 7 * YEAR, tick=False),
        ThreadPoolExecutor(max_workers=3) as pool,
    ):
        deleted = list(pool.map(run, range(3)))
    assert sum(deleted) == 40, deleted
    tombstoned = [
        i
        for (ids,) in site.sql("select record_ids from consent_purges")
        for i in (json.loads(ids) if isinstance(ids, str) else ids)
    ]
    assert sorted(tombstoned) == sorted(set(tombstoned)) and len(tombstoned) == 40
    assert site.cli("verify").exit_code == 0


def test_rule_15_a_purge_killed_halfway_leaves_a_verifiable_store_and_a_rerun_finishes(
    site: Site, tmp_path: Path
) -> None:
    short = {"CONSENT_MAX_AGE": 1, "CONSENT_RECORD_RETENTION": 1}
    brief = Site(tmp_path, site.url, **short)
    for _ in range(60):
        brief.decide({"analytics": True})
    assert brief.cli("seal", "--grace", "0").exit_code == 0
    time.sleep(2.5)  # past max age + retention, in real time: the purge runs in another process
    module = tmp_path / "purge_app.py"
    module.write_text(
        textwrap.dedent(
            f"""
            from tests.conftest import make_app
            from pathlib import Path
            app = make_app(Path({str(tmp_path)!r}), CONSENT_DATABASE_URI={site.url!r},
                           CONSENT_MAX_AGE=1, CONSENT_RECORD_RETENTION=1, CONSENT_RATE_LIMIT=None)
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": f"{Path.cwd()}:{tmp_path}"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "purge_app",
            "consent",
            "purge",
            "--chunk",
            "5",
            "--pause",
            "0.2",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(brief.ids()) == 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = len(brief.ids())
    assert 0 < left < 60, "the purge was not stopped halfway"
    assert left % 5 == 0, "a chunk was half done"
    assert brief.cli("verify").exit_code == 0
    rerun = brief.cli("purge")
    assert f"deleted {left} records" in rerun.output
    verified = brief.cli("verify")
    assert verified.exit_code == 0 and "60 purged by retention" in verified.output
    brief.close()


def test_export_streams_csv_with_a_header_and_jsonl_filtered_by_date_and_site(
    site: Site,
) -> None:
    with time_machine.travel("2026-03-01 12:00:00+00:00", tick=False):
        site.decide({"analytics": True})
    with time_machine.travel("2026-03-02 12:00:00+00:00", tick=False):
        site.decide({"marketing": True})
    out = site.cli("export", "--since", "2026-03-02", "--format", "csv").output
    table = list(csv.DictReader(io.StringIO(out)))
    assert len(table) == 1 and table[0]["granted"] == "marketing necessary"
    assert table[0]["created_at"].startswith("2026-03-02T12:00:00")
    lines = site.cli("export", "--until", "2026-03-02", "--format", "jsonl").output.splitlines()
    assert [json.loads(x)["granted"] for x in lines] == [["analytics", "necessary"]]
    assert site.cli("export", "--site", "elsewhere").output.count("\n") == 1  # the header only
    stats = json.loads(site.cli("stats").output)
    assert stats["decisions"] == 2
    assert stats["grant_rate"]["analytics"] == 0.5
    assert stats["per_day"]["2026-03-01"]["grant_rate"]["analytics"] == 1.0


def test_wrong_arguments_give_one_clear_line_and_a_non_zero_exit(site: Site) -> None:
    for args, message in [
        (["export", "--format", "xml"], "'xml' is not one of 'csv', 'jsonl'"),
        (["export", "--since", "yesterday"], "'yesterday' does not match the formats"),
        (["export", "--since", "2026-02-01", "--until", "2026-01-01"], "must be before"),
        (["erase"], "Missing option '--consent-id'"),
        (["erase", "--consent-id", "nobody"], "no records for consent id 'nobody'"),
        (["verify-receipt", "/nonexistent.json"], "No such file or directory"),
        (["purge", "--chunk", "0"], "0 is not in the range x>=1"),
    ]:
        result = site.cli(*args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


SITES = ("blog", "default", "news")
"""The sites of ``_every_site_over_three_days``, in order."""


def _every_site_over_three_days(site: Site, tmp_path: Path) -> list[Site]:
    """Three sites on ``site``'s store ("default" is ``site``), two decisions each on each
    of 2026-03-01, -02 and -03, interleaved so that id order mixes the sites; on the 2nd the
    first is at 00:00:00 (in an export from the 2nd) and one at 2026-03-03 00:00:00 (not)."""
    others = [Site(tmp_path / name, site.url, CONSENT_SITE_ID=name) for name in ("news", "blog")]
    sites = [site, *others]
    for day in ("01", "02", "03"):
        for hour in ("00:00:00", "13:30:00"):
            with time_machine.travel(f"2026-03-{day} {hour}+00:00", tick=False):
                for s in sites:
                    s.decide({"analytics": day != "02"})
    return others


def test_an_all_sites_export_of_a_period_is_every_site_in_turn_each_in_id_order(
    site: Site, tmp_path: Path
) -> None:
    """``--all-sites --since --until`` reads site by site on the (site_id, created_at) index:
    exactly the records of those days of every site, the sites in order, each in id order
    (each site's part is that site's own export); without dates, id order as before."""
    others = _every_site_over_three_days(site, tmp_path)
    try:
        made = site.sql("select id, site_id, created_at from consent_records")
        assert len(made) == 18
        day = [(i, s) for i, s, at in made if str(at).startswith("2026-03-02")]
        assert len(day) == 6 and {s for _, s in day} == {"default", "news", "blog"}
        period = ("--since", "2026-03-02", "--until", "2026-03-03")
        lines = site.cli("export", "--all-sites", *period, "--format", "jsonl").output
        found = [json.loads(line) for line in lines.splitlines()]
        assert [(r["id"], r["site_id"]) for r in found] == sorted(day, key=lambda r: (r[1], r[0]))
        assert all(r["created_at"].startswith("2026-03-02") for r in found)
        by_site = [site.cli("export", "--site", s, *period, "--format", "jsonl") for s in SITES]
        assert all(r.exit_code == 0 for r in by_site)
        assert lines == "".join(r.output for r in by_site)
        # One side of the period only: the same order, the same bounds.
        since = site.cli("export", "--all-sites", "--since", "2026-03-02", "--format", "jsonl")
        later = [(i, s) for i, s, at in made if str(at) >= "2026-03-02"]
        found = [json.loads(line) for line in since.output.splitlines()]
        assert [(r["id"], r["site_id"]) for r in found] == sorted(later, key=lambda r: (r[1], r[0]))
        until = site.cli("export", "--all-sites", "--until", "2026-03-02", "--format", "csv")
        assert len(until.output.splitlines()) == 1 + 6
        # No dates: the whole store in id order, as it always was.
        every = site.cli("export", "--all-sites", "--format", "jsonl").output.splitlines()
        assert [json.loads(line)["id"] for line in every] == sorted(i for i, _, _ in made)
        # stats reads the same rows: the day's 6 decisions, none granted analytics.
        stats = json.loads(site.cli("stats", "--all-sites", *period).output)
        assert stats["decisions"] == 6 and stats["grant_rate"]["analytics"] == 0.0
        assert list(stats["per_day"]) == ["2026-03-02"]
    finally:
        for s in others:
            s.close()


FILL = """
INSERT INTO consent_records (event_id, consent_id, site_id, granted, refused, policy_version,
    texts_hash, language, source, action, gpc, created_at, expires_at, retain_until)
SELECT md5(i::text), md5((i / 2)::text), (ARRAY['blog', 'news', 'shop'])[1 + mod(i / 2, 3)],
    '["necessary"]', '["analytics"]', '2', md5('texts'), 'en', 'banner', 'reject', false,
    at, at + interval '1 year', at + interval '6 years'
FROM generate_series(1, 60000) AS i,
    LATERAL (SELECT timestamptz '2026-01-01' + i * interval '144 seconds' AS at) AS t
"""
"""60,000 records of three sites over 100 days (600 a day, 200 of each site): enough pages
that reading one day of every site is a choice between an index and a Seq Scan (the single
query the export sent before, no site and the day, is planned as a Seq Scan and a Sort here)."""


def _nodes(plan: dict[str, object]) -> list[dict[str, object]]:
    below = plan.get("Plans", [])
    assert isinstance(below, list)
    return [plan, *(n for p in below for n in _nodes(p))]


@pytest.mark.postgres
def test_an_all_sites_day_export_reads_the_site_period_index_on_postgres() -> None:
    """EXPLAIN of every statement an all-sites day export sends, on an ANALYZEd table of
    60,000 records (no planner setting changed): the sites' probes and each site's day are
    index reads, none is a Seq Scan of consent_records; each day is read on
    ix_consent_records_site_id_created_at."""
    with postgres_schema() as url:
        engine = create_own_engine(url)
        sent: list[tuple[str, Any]] = []
        try:
            metadata.create_all(engine)
            with engine.begin() as conn:
                conn.exec_driver_sql(FILL)
                conn.exec_driver_sql("ANALYZE consent_records")

            @sa.event.listens_for(engine, "before_cursor_execute")
            def _seen(_c: object, _cur: object, statement: str, params: Any, *_: object) -> None:
                if "FROM consent_records" in statement:
                    sent.append((statement, params))

            since = datetime(2026, 2, 10, tzinfo=UTC)
            until = since + timedelta(days=1)
            ledger = Ledger(lambda: engine, create_tables=False)
            found = list(export.rows(ledger, since=since, until=until))
            sa.event.remove(engine, "before_cursor_execute", _seen)
            assert len(found) == 600
            assert [r["site_id"] for r in found] == sorted(r["site_id"] for r in found)
            days = [s for s in sent if "created_at >=" in s[0]]
            assert len(days) == 3 and len(sent) == 3 + 4  # a probe per site, and one more
            with engine.connect() as conn:
                conn.exec_driver_sql("SET cursor_tuple_fraction = 1")
                for statement, params in sent:
                    explain = f"EXPLAIN (FORMAT JSON) {statement}"
                    plan = conn.exec_driver_sql(explain, params).scalar_one()[0]["Plan"]
                    nodes = _nodes(plan)
                    scans = [(n["Node Type"], n.get("Index Name")) for n in nodes]
                    assert not any(n["Node Type"] == "Seq Scan" for n in nodes), scans
                    if "created_at >=" in statement:
                        index = {n.get("Index Name") for n in nodes}
                        assert "ix_consent_records_site_id_created_at" in index, scans
        finally:
            engine.dispose()
