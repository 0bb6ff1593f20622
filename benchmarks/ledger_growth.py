"""What the ledger costs as it grows: bytes per record on disk and the SDK's read queries at
10,000,000 records on PostgreSQL, each with the plan PostgreSQL chose and the indexes it used.

Run:   .venv/bin/python benchmarks/ledger_growth.py             # 10M records, ~17-20 min, 6 GB
       .venv/bin/python benchmarks/ledger_growth.py --quick     # 200k records, a smoke run
       .venv/bin/python benchmarks/ledger_growth.py --records 3000000 --samples 100 --budget 30

Records: the shape of ``benchmarks/ledger_export.py``'s generator (its ``_rows``: uuid ids, a
visitor deciding about 1.5 times, the banner's choices and weights, three languages, three
texts, two policy versions), spread over three sites (a visitor stays on one; 50/30/20 %) and
``--days`` days (default 120, ending 2026-11-30) so that the dashboard's 90 days are a real
90 days. They go in with ``COPY`` (psycopg's ``cursor.copy``) into a fresh schema made by
``ledger_export.store`` (``metadata.create_all``: the tables and indexes of ``tables.py``),
the secondary indexes dropped first and rebuilt after, then ``VACUUM (ANALYZE)``. Indexes built
in one go are denser than those grown by inserts (random uuids leave B-tree pages ~70 % full
instead of 90 %), so a store grown by real traffic is somewhat bigger than measured here.

Timings are the SDK's own functions on a ``Ledger`` over ``create_own_engine`` (its pool and
settings), each called ``--samples`` times or for ``--budget`` seconds, whichever ends first:

- receipt: ``receipts.build`` for a random visitor (records by consent id, each one's seal,
  the texts; what ``/consent/receipt`` does; nothing is sealed here, so the seal lookup is an
  index probe of an empty table);
- history: ``Ledger.history`` of a random visitor (``GET /consent/history``, ``flask consent
  history``, access and erasure requests);
- export day: ``export.rows`` of one random day of the biggest site, consumed fully (what
  ``flask consent export --site S --since D --until D+1`` streams); and the same day of every
  site (``site=None``: ``--all-sites``), which ``export.rows`` reads site by site on the
  ``(site_id, created_at)`` index; and, as ``EXPORT_BEFORE``, that day as the single query
  over every site the export sent before (no index leads with ``created_at``);
- rollup: ``ledger.rollup.run`` over every generated record but the last hour's (what the
  first ``flask consent seal`` after the upgrade to 0005 does), timed once; the last hour is
  left as the tail the dashboard counts live, as between two cron runs of ``seal``;
- dashboard: ``admin.aggregates.overview`` of the last 90 days of the biggest site with the
  purposes of the app below, as ``admin/views.py`` calls it (the rollup's rows plus the
  tail), ``aggregates.recount`` (the same figures by GROUP BY over the records: what the page
  did before the rollup) and ``aggregates.sites`` (the site picker of the same page); then
  the rollup of the tail hour, timed once (what each ``seal`` from cron adds);
- purge: ``retention.due`` (the count every purge starts with) and ``retention.purge`` runs
  that each find about one chunk (500) due, last, as they delete;
- and a what-if that is not the SDK's behaviour (``WHAT_IF``): the plain recount with
  ``jit = off``. (The export's ``cursor_tuple_fraction = 1`` was a what-if here; the SDK's
  export now sets it itself.)

For each query the SQL the SDK sent (caught on the engine) is run once more under
``EXPLAIN (ANALYZE, BUFFERS)``: its top plan nodes and the indexes used are printed. A
streamed export runs as a server-side cursor, which PostgreSQL plans for its first rows
(``cursor_tuple_fraction``): its ``DECLARE`` plan is printed too when it differs.

PostgreSQL only: a schema of its own on ``--pg`` (default as ledger_export), dropped at the end,
also on Ctrl-C, SIGTERM or an error. (SQLite is left out: 10M rows through executemany takes
longer than the whole PostgreSQL run and answers a question nobody running 10M records on
SQLite asks.)
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import signal
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ledger_export  # benchmarks/ledger_export.py: the generator and the store helper
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ledger_export import MAX_AGE, PG, RETENTION, TEXTS, store

from consent_sdk.admin import aggregates
from consent_sdk.impressions.funnel import funnel
from consent_sdk.impressions.funnel import recount as funnel_recount
from consent_sdk.ledger import create_own_engine, export, receipts, retention, rollup
from consent_sdk.ledger.keys import Keys
from consent_sdk.ledger.store import Ledger, as_record
from consent_sdk.ledger.tables import RECORD_FIELDS, records, texts

SITES = ("shop", "news", "blog")
SITE_WEIGHTS = (50, 30, 20)
END = datetime(2026, 12, 1, tzinfo=UTC)
"""The first instant after the generated records (the last day is 2026-11-30)."""
PURPOSES = ("necessary", "preferences", "analytics", "marketing")
"""The purposes of ``ledger_export.create_app``, in its order (what the dashboard asks for)."""
COLUMNS = tuple(c for c in RECORD_FIELDS if c not in ("personal_digest", "erased_at"))
"""What a new record holds (digest and erasure time are written by an erasure only)."""
WHAT_IF = {"dashboard recount, 90 days": "SET jit = off"}
"""Not what the SDK does: the same calls again on connections with one setting changed, to
size a change before making it: the plain recount without JIT compilation."""
TAIL = timedelta(hours=1)
"""The newest records left out of the first rollup: the dashboard's live tail."""
EXPORT_BEFORE = "export one day, every site, one query (before)"
"""Not what the SDK does any more: an all-sites day as one ``ORDER BY id`` query, streamed as
``export.rows`` streams (``cursor_tuple_fraction = 1``), to compare with the site-by-site read."""
INDEX_USE = re.compile(r"(?:Index Only Scan using|Index Scan using|Bitmap Index Scan on) (\w+)")


# --- generating records ------------------------------------------------------------------


def rows(n: int, days: int, seed: int = 17) -> Iterator[tuple[Any, ...]]:
    """``n`` records in id order, ``created_at`` rising evenly over ``days`` days to ``END``."""
    rnd = random.Random(seed)
    start = END - timedelta(days=days)
    step = timedelta(days=days) / n
    site, visitor = SITES[0], None
    for i, row in enumerate(ledger_export._rows(0, n, n, SITES[0])):
        if row["consent_id"] != visitor:  # a new visitor: of one of the sites
            visitor = row["consent_id"]
            site = rnd.choices(SITES, SITE_WEIGHTS)[0]
        created = (start + step * i).replace(microsecond=0)
        row.update(
            site_id=site,
            created_at=created,
            expires_at=created + MAX_AGE,
            retain_until=created + MAX_AGE + RETENTION,
            granted=json.dumps(row["granted"]),
            refused=json.dumps(row["refused"]),
        )
        yield tuple(row[c] for c in COLUMNS)


def fill(url: str, n: int, days: int) -> dict[str, float]:
    """COPY ``n`` records into the empty store at ``url`` with its secondary indexes dropped,
    rebuild them exactly as they were, VACUUM (ANALYZE); seconds of each step."""
    engine = sa.create_engine(url)
    took: dict[str, float] = {}
    try:
        raw = engine.raw_connection()
        try:
            conn: Any = raw.driver_connection
            conn.autocommit = True
            conn.execute("SET synchronous_commit = off")
            conn.execute("SET maintenance_work_mem = '512MB'")
            uniques = conn.execute(
                "SELECT conname FROM pg_constraint "
                "WHERE conrelid = 'consent_records'::regclass AND contype = 'u'"
            ).fetchall()
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = 'consent_records' AND indexname <> 'consent_records_pkey'"
            ).fetchall()
            for (name,) in uniques:
                conn.execute(f'ALTER TABLE consent_records DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                conn.execute(f'DROP INDEX IF EXISTS "{name}"')
            start = time.perf_counter()
            with (
                conn.transaction(),
                conn.cursor() as cur,
                cur.copy(f"COPY consent_records ({', '.join(COLUMNS)}) FROM STDIN") as copy,
            ):
                for i, row in enumerate(rows(n, days), 1):
                    copy.write_row(row)
                    if i % 1_000_000 == 0:
                        rate = i / (time.perf_counter() - start)
                        print(f"  copied {i:,} records ({rate:,.0f}/s)", flush=True)
            took["copy"] = time.perf_counter() - start
            start = time.perf_counter()
            for _, definition in indexes:
                conn.execute(definition)
            for (name,) in uniques:
                constraint = f'ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"'
                conn.execute(f"ALTER TABLE consent_records {constraint}")
            took["indexes"] = time.perf_counter() - start
            start = time.perf_counter()
            conn.execute("VACUUM (ANALYZE) consent_records")
            took["vacuum"] = time.perf_counter() - start
        finally:
            raw.close()
        with engine.begin() as c:  # the texts behind the hashes, as the SDK stores them
            c.execute(
                texts.insert(),
                [
                    {"texts_hash": h, "language": "en", "content": {"texts": {"title": h[:8]}}}
                    | {"created_at": END - timedelta(days=days)}
                    for h in TEXTS
                ],
            )
    finally:
        engine.dispose()
    return took


# --- what it takes on disk ---------------------------------------------------------------


def sizes(url: str) -> tuple[int, list[tuple[str, int]]]:
    """The records' count and (relation, bytes): table with TOAST, each index, total."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            n = int(conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one())
            out = [
                (
                    "table (heap + TOAST + maps)",
                    int(conn.scalar(sa.text("SELECT pg_table_size('consent_records')")) or 0),
                ),
            ]
            for name, size in conn.execute(
                sa.text(
                    "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                    "FROM pg_index WHERE indrelid = 'consent_records'::regclass ORDER BY 2 DESC"
                )
            ):
                out.append((f"index {name}", int(size)))
            total = conn.scalar(sa.text("SELECT pg_total_relation_size('consent_records')"))
            out.append(("total (pg_total_relation_size)", int(total or 0)))
    finally:
        engine.dispose()
    return n, out


# --- the SDK's queries, timed and explained ------------------------------------------------


class Plans:
    """An engine whose connections report, through ``auto_explain`` at NOTICE level, the plan
    of every statement they run with ``ANALYZE`` and ``BUFFERS``: the plans of exactly what the
    SDK sent, as it sent it (a streamed export as its server-side cursor, whose plan aims at
    its first rows, not as the plain ``SELECT`` an ``EXPLAIN`` by hand would plan)."""

    def __init__(self, url: str, *settings: str) -> None:
        self.engine = create_own_engine(url)
        self.seen: list[str] = []
        self.settings = settings
        sa.event.listen(self.engine, "connect", self._connected)

    def _connected(self, dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.add_notice_handler(self._notice)
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_analyze = on",
            "SET auto_explain.log_buffers = on",
            "SET auto_explain.log_level = notice",
            *self.settings,
        ):
            dbapi_conn.execute(setting)
        dbapi_conn.commit()

    def _notice(self, diagnostic: Any) -> None:
        text = diagnostic.message_primary or ""
        if "plan:" in text and "consent_records" in self._split(text)[0]:
            self.seen.append(text)

    @staticmethod
    def _split(text: str) -> tuple[str, list[str]]:
        """(the statement, the plan lines) of one auto_explain notice."""
        lines = text.split("\n")[1:]
        top = next((i for i, ln in enumerate(lines) if "(cost=" in ln), len(lines))
        query = " ".join(" ".join(lines[:top]).removeprefix("Query Text:").split())
        return query, lines[top:]

    def of(self, call: Callable[[Ledger], Any]) -> list[str]:
        """The printable plans of the record queries ``call`` makes on a ledger of this engine."""
        self.seen = []
        call(Ledger(lambda: self.engine, create_tables=False))
        out = []
        for text in self.seen:
            query, lines = self._split(text)
            plan = [ln for ln in lines if not ln.strip().startswith(("Buffers", "Planning:"))]
            used = sorted(set(INDEX_USE.findall(text))) or ["none"]
            took = text.split("  ")[0]
            out.append(f"    {query[:300]}{' ...' if len(query) > 300 else ''}")
            out.append(f"    indexes: {', '.join(used)}; {took}")
            out += ["      " + ln for ln in plan[:14]]
            jit = [ln.strip() for ln in plan if ln.strip().startswith("Timing: Generation")]
            out += [f"      JIT {jit[0]}"] if jit else []
        return out


def timed(call: Callable[[Ledger], Any], on: Ledger, samples: int, budget: float) -> list[float]:
    """Milliseconds of ``samples`` calls, or of as many as ``budget`` seconds allow (>= 3)."""
    out: list[float] = []
    stop = time.perf_counter() + budget
    while len(out) < samples and (len(out) < 3 or time.perf_counter() < stop):
        start = time.perf_counter()
        call(on)
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(
    url: str, n: int, days: int, samples: int, budget: float, rollup_batch: int
) -> list[dict[str, Any]]:
    engine = create_own_engine(url)
    ledger = Ledger(lambda: engine, create_tables=False)
    plans = Plans(url)
    changed = {name: Changed(url, setting) for name, setting in WHAT_IF.items()}
    now = datetime.now(UTC)
    keys = Keys(Ed25519PrivateKey.generate())
    rnd = random.Random(5)
    try:
        with engine.connect() as conn:
            count = int(conn.execute(sa.select(sa.func.max(records.c.id))).scalar_one())
            big = conn.execute(
                sa.select(records.c.site_id, sa.func.count())
                .where(records.c.id <= 200_000)
                .group_by(records.c.site_id)
                .order_by(sa.func.count().desc())
                .limit(1)
            ).scalar_one()
            visitors = [
                str(v)
                for v in conn.execute(
                    sa.select(records.c.consent_id).where(
                        records.c.id.in_([rnd.randint(1, count) for _ in range(samples + 10)])
                    )
                ).scalars()
            ]
        last_day = (END - timedelta(days=1)).date()
        period = aggregates.Period.last_days(90, last_day)
        days_ = [last_day - timedelta(days=d) for d in range(days)]
        visitor = itertools.cycle(visitors).__next__

        def one_day(site: str | None) -> Callable[[Ledger], int]:
            def call(on: Ledger) -> int:
                day = rnd.choice(days_)
                since = datetime.combine(day, datetime.min.time(), UTC)
                found = export.rows(on, since=since, until=since + timedelta(days=1), site=site)
                return sum(1 for _ in found)

            return call

        def one_day_one_query(on: Ledger) -> int:
            since = datetime.combine(rnd.choice(days_), datetime.min.time(), UTC)
            query = sa.select(records).order_by(records.c.id)
            query = query.where(records.c.created_at >= since)
            query = query.where(records.c.created_at < since + timedelta(days=1))
            with on.engine.connect() as conn:
                conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1")
                streamed = conn.execution_options(stream_results=True, yield_per=1000)
                return sum(1 for r in streamed.execute(query).mappings() if as_record(r))

        purge_at = [END - timedelta(days=days) + MAX_AGE + RETENTION]
        per_chunk = timedelta(days=days) * retention.DEFAULT_CHUNK / n

        def purge_chunk(on: Ledger) -> None:
            purge_at[0] += per_chunk
            retention.purge(on, keys, now=purge_at[0])

        def receipt(on: Ledger) -> Any:
            return receipts.build(
                on, keys, visitor(), controller="Bench Ltd", policy_url="/privacy"
            )

        def dashboard(on: Ledger) -> Any:
            return aggregates.overview(on, site=big, period=period, purposes=PURPOSES)

        def recount(on: Ledger) -> Any:
            return aggregates.recount(on, site=big, period=period, purposes=PURPOSES)

        def shown_decided(on: Ledger) -> Any:
            """The dashboard's shown -> decided: impressions plus the rolled-up answers."""
            return funnel(on, site=big, since=period.since, until=period.until + timedelta(1))

        print("\n## rollup of every record but the last hour (rollup.run)", flush=True)
        start = time.perf_counter()
        done = rollup.run(ledger, batch=rollup_batch, grace=0, now=(END - TAIL).timestamp())
        initial = time.perf_counter() - start
        rolled = sum(r.records for r in done)
        with engine.connect() as conn:
            kept = int(conn.scalar(sa.select(sa.func.count()).select_from(rollup.counts)) or 0)
            mb = int(conn.scalar(sa.text("SELECT pg_total_relation_size('consent_daily_counts')")))
            conn.exec_driver_sql("ANALYZE consent_daily_counts")
            conn.commit()
        print(
            f"    {rolled:,} records in {initial:,.1f} s ({rolled / initial:,.0f}/s), "
            f"{len(done)} batches; {kept:,} count rows, {mb / 1e6:,.1f} MB",
            flush=True,
        )
        shown, counted = dashboard(ledger), recount(ledger)
        assert vars(shown) == vars(counted), "the rollup's overview differs from the recount"
        print("    overview from the rollup + tail == recount: every field", flush=True)
        if n <= 2_000_000:  # the recount probes every record's previous one: minutes at 10M
            answers = funnel_recount(
                ledger, site=big, since=period.since, until=period.until + timedelta(1)
            )
            assert shown_decided(ledger) == answers, "the rolled-up answers differ from a recount"
            print("    shown -> decided from the rollup + tail == recount", flush=True)

        queries: list[tuple[str, str, Callable[[Ledger], Any]]] = [
            ("receipt (receipts.build)", "1 visitor", receipt),
            ("history (Ledger.history)", "1 visitor", lambda on: on.history(visitor())),
            ("export one day, one site", f"site {big}", one_day(big)),
            ("export one day, every site", "--all-sites", one_day(None)),
            (EXPORT_BEFORE, "--all-sites", one_day_one_query),
            ("dashboard overview, 90 days (rollup + tail)", f"site {big}", dashboard),
            ("dashboard recount, 90 days", f"site {big}", recount),
            ("dashboard shown -> decided, 90 days (rollup + tail)", f"site {big}", shown_decided),
            ("dashboard site picker (sites)", "", aggregates.sites),
            *(
                (f"{name}, what-if: {WHAT_IF[name][4:]}", what, call)
                for name, what, call in [("dashboard recount, 90 days", f"site {big}", recount)]
            ),
            ("purge count (retention.due)", "nothing due", lambda on: retention.due(on, now)),
            ("purge one chunk (retention.purge)", "~500 due", purge_chunk),
        ]
        results = []
        for name, what, call in queries:
            print(f"\n## {name} ({what})", flush=True)
            what_if = changed.get(name.split(", what-if")[0]) if "what-if" in name else None
            on, explained = (what_if.ledger, what_if.plans) if what_if else (ledger, plans)
            for ln in explained.of(call):
                print(ln)
            call(on)  # warm this process and the pool, as a running app is
            many = samples if "purge one" not in name else min(samples, 20)
            ms = timed(call, on, many, budget)
            r = {"query": name, "what": what, "n": len(ms), "p50": pct(ms, 0.5)}
            r.update(p99=pct(ms, 0.99), mean=statistics.fmean(ms))
            if "export" in name:
                r["rows"] = call(on)
            print(
                f"    {len(ms)} samples: p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms", flush=True
            )
            results.append(r)
        start = time.perf_counter()
        tail = sum(r.records for r in rollup.run(ledger, batch=rollup_batch, grace=0))
        took = (time.perf_counter() - start) * 1000
        results.append({"query": "rollup of the tail (seal's hook)", "what": f"{tail:,} records"})
        results[-1].update(n=1, p50=took, p99=took, mean=took)
        results.append({"query": "initial rollup (rollup.run)", "what": f"{rolled:,} records"})
        results[-1].update(n=1, p50=initial * 1000, p99=initial * 1000, mean=initial * 1000)
        results[-1]["rows"] = kept
        return results
    finally:
        engine.dispose()
        plans.engine.dispose()
        for c in changed.values():
            c.dispose()


class Changed:
    """A ledger (and its ``Plans``) on connections that run ``setting`` when they open."""

    def __init__(self, url: str, setting: str) -> None:
        self.engine = create_own_engine(url)
        self.setting = setting
        sa.event.listen(self.engine, "connect", self._connected)
        self.ledger = Ledger(lambda: self.engine, create_tables=False)
        self.plans = Plans(url, setting)

    def _connected(self, dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(self.setting)
        dbapi_conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()
        self.plans.engine.dispose()


def _stop(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt  # so the schema is dropped on SIGTERM as on Ctrl-C


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="200,000 records, 50 samples")
    parser.add_argument("--days", type=int, default=120, help="days the records span (>= 90)")
    parser.add_argument("--samples", type=int, default=200, help="calls of each query")
    parser.add_argument("--budget", type=float, default=60, help="at most seconds per query")
    parser.add_argument(
        "--rollup-batch", type=int, default=50_000, help="records per rollup transaction"
    )
    parser.add_argument("--pg", default=PG, help="PostgreSQL server (a schema is made in it)")
    args = parser.parse_args()
    if args.quick:
        args.records, args.samples, args.budget = 200_000, 50, 10
    signal.signal(signal.SIGTERM, _stop)
    started = time.perf_counter()
    with store("postgres", Path("."), args.pg) as url:
        print(f"generating {args.records:,} records over {args.days} days ...", flush=True)
        took = fill(url, args.records, args.days)
        print(
            f"COPY {took['copy']:.0f} s ({args.records / took['copy']:,.0f} records/s), "
            f"indexes {took['indexes']:.0f} s, VACUUM ANALYZE {took['vacuum']:.0f} s",
            flush=True,
        )
        n, on_disk = sizes(url)
        results = run(url, args.records, args.days, args.samples, args.budget, args.rollup_batch)
    print(f"\n# ledger growth: {n:,} records, PostgreSQL (schema dropped)\n")
    print("| relation | MB | bytes per record |")
    print("|---|---:|---:|")
    for name, size in on_disk:
        print(f"| {name} | {size / 1e6:,.0f} | {size / n:,.1f} |")
    print("\n| query | of | samples | p50 ms | p99 ms | mean ms | rows |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['query']} | {r['what']} | {r['n']} | {r['p50']:,.2f} | {r['p99']:,.2f} | "
            f"{r['mean']:,.2f} | {r.get('rows', '')} |"
        )
    print(f"\nwhole run {time.perf_counter() - started:,.0f} s")


if __name__ == "__main__":
    main()
