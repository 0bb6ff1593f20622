"""What `flask consent export` costs: wall time and peak memory for 100,000 and 1,000,000 records.

Run:   .venv/bin/python benchmarks/ledger_export.py            # 100k then 1M, SQLite and PostgreSQL
       .venv/bin/python benchmarks/ledger_export.py --quick    # 10k then 50k, a smoke run
       .venv/bin/python benchmarks/ledger_export.py --db sqlite --big 300000

Records are generated straight into the store (SQLite: executemany in transactions of 50,000
rows; PostgreSQL: one ``INSERT ... SELECT`` over ``generate_series``): uuid event and consent
ids (a visitor decides about 1.5 times), granted/refused JSON lists of four purposes, three
languages, sources and actions as the API takes them, ``created_at`` rising with the id over
30 days. First ``--small`` records, then the store is filled up to ``--big`` and exported again,
so both sizes run the same query on the same table.

Each export is ``flask consent export --format csv|jsonl -o FILE`` in a subprocess (an app
built by ``create_app`` below, on the same store), its wall time and its peak RSS and CPU time
(``/usr/bin/time -v``). Constant memory means the 1M peak is about the 100k
peak; a peak that grows ~10x with the records means something holds the whole result.

PostgreSQL: a schema of its own in ``--pg`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
dropped at the end; SQLite: a file in a temporary directory (WAL, synchronous=FULL as the SDK
sets it; the generator's own connection uses synchronous=OFF).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from consent_sdk.ledger import create_own_engine  # noqa: E402
from consent_sdk.ledger.tables import metadata, records  # noqa: E402

PG = os.environ.get(
    "CONSENT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
START = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=30)
PURPOSES = ["analytics", "marketing", "necessary", "preferences"]
CHOICES = [  # (granted, refused, action), as often as a banner sees them
    (["analytics", "marketing", "necessary", "preferences"], [], "accept_all"),
    (["necessary"], ["analytics", "marketing", "preferences"], "reject_all"),
    (["analytics", "necessary"], ["marketing", "preferences"], "save"),
    (["necessary", "preferences"], ["analytics", "marketing"], "save"),
    (["necessary"], ["analytics", "marketing", "preferences"], "withdraw"),
]
WEIGHTS = [50, 30, 8, 7, 5]
TEXTS = [secrets.token_hex(32) for _ in range(3)]
LANGUAGES = ["lv", "en", "ru"]
BROWSERS = ["Chrome", "Safari", "Firefox", "Edge", "Other"]
MAX_AGE = timedelta(days=180)
RETENTION = timedelta(days=3 * 365)


# --- stores ------------------------------------------------------------------------------


@contextmanager
def store(kind: str, workdir: Path, pg: str = PG) -> Iterator[str]:
    """A fresh, empty store (tables created); yields its URL, removes it afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'ledger-{uuid.uuid4().hex[:6]}.db'}"
        engine = create_own_engine(url)  # WAL, synchronous=FULL: what the SDK sets
        metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    schema = f"consent_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg}?options=-csearch_path%3D{schema}"
    try:
        engine = sa.create_engine(url)
        metadata.create_all(engine)
        engine.dispose()
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one())
    engine.dispose()
    return n


# --- generating records ----------------------------------------------------------------


def _rows(first: int, n: int, total: int, site: str) -> Iterator[dict[str, Any]]:
    rnd = random.Random(first)
    consent_id = str(uuid.uuid4())
    for i in range(first, first + n):
        if rnd.random() < 0.67:  # a new visitor; otherwise the previous one decides again
            consent_id = str(uuid.uuid4())
        granted, refused, action = rnd.choices(CHOICES, WEIGHTS)[0]
        created = START + SPAN * (i / total)
        created = created.replace(microsecond=0)
        yield {
            "event_id": str(uuid.uuid4()),
            "consent_id": consent_id,
            "site_id": site,
            "granted": granted,
            "refused": refused,
            "policy_version": "2026-10" if i < total // 3 else "2026-11",
            "texts_hash": rnd.choice(TEXTS),
            "language": rnd.choice(LANGUAGES),
            "source": "banner" if action != "save" else "settings",
            "action": action,
            "gpc": rnd.random() < 0.04,
            "created_at": created,
            "expires_at": created + MAX_AGE,
            "retain_until": created + MAX_AGE + RETENTION,
            "ip_prefix": f"192.0.{rnd.randrange(256)}.0",
            "browser": rnd.choice(BROWSERS),
            "salt": secrets.token_hex(16),
        }


def generate(url: str, n: int, *, total: int | None = None, site: str = "bench") -> float:
    """Append ``n`` records to the store at ``url``; ``total`` is the size the store is
    generated up to (it spreads ``created_at`` over the 30 days). Returns the seconds taken."""
    start = time.perf_counter()
    first = count(url)
    total = total or first + n
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)

        @sa.event.listens_for(engine, "connect")
        def _fast(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA synchronous=OFF")

        chunk = 50_000
        for at in range(first, first + n, chunk):
            size = min(chunk, first + n - at)
            with engine.begin() as conn:
                conn.execute(records.insert(), list(_rows(at, size, total, site)))
        engine.dispose()
        return time.perf_counter() - start
    choices = " ".join(
        f"WHEN {i} THEN '{json.dumps(g)}'::json" for i, (g, _r, _a) in enumerate(CHOICES)
    )
    refusals = " ".join(
        f"WHEN {i} THEN '{json.dumps(r)}'::json" for i, (_g, r, _a) in enumerate(CHOICES)
    )
    actions = " ".join(f"WHEN {i} THEN '{a}'" for i, (_g, _r, a) in enumerate(CHOICES))
    pick = (  # the same weights as _rows: 50, 30, 8, 7, 5
        "CASE WHEN r < 0.50 THEN 0 WHEN r < 0.80 THEN 1 WHEN r < 0.88 THEN 2 "
        "WHEN r < 0.95 THEN 3 ELSE 4 END"
    )
    texts = "ARRAY[" + ",".join(f"'{t}'" for t in TEXTS) + "]"
    sql = f"""
        INSERT INTO consent_records (event_id, consent_id, site_id, granted, refused,
            policy_version, texts_hash, language, source, action, gpc, created_at, expires_at,
            retain_until, ip_prefix, browser, salt)
        SELECT gen_random_uuid()::text,
            md5(:run || (g * 2 / 3)::text)::uuid::text,
            :site, CASE c {choices} END, CASE c {refusals} END,
            CASE WHEN g < :total / 3 THEN '2026-10' ELSE '2026-11' END,
            ({texts})[1 + (g % 3)], (ARRAY['lv','en','ru'])[1 + (g * 7 % 3)],
            CASE WHEN c IN (2, 3) THEN 'settings' ELSE 'banner' END, CASE c {actions} END,
            random() < 0.04, t, t + interval '180 days', t + interval '1275 days',
            '192.0.' || (g % 256) || '.0',
            (ARRAY['Chrome','Safari','Firefox','Edge','Other'])[1 + (g % 5)],
            md5(random()::text)
        FROM (
            SELECT g, {pick} AS c,
                date_trunc('second', :start + (:span * g / :total) * interval '1 second') AS t
            FROM (
                SELECT g, random() AS r
                FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
            ) AS s
        ) AS x
    """
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(sql),
            {
                "site": site,
                "total": total,
                "start": START,
                "span": SPAN.total_seconds(),
                "run": secrets.token_hex(8),
                "first": first,
                "last": first + n - 1,
            },
        )
        conn.execute(sa.text("ANALYZE consent_records"))
    engine.dispose()
    return time.perf_counter() - start


# --- the export, as a host runs it ---------------------------------------------------------


def create_app() -> Any:
    """The app ``flask --app benchmarks/ledger_export.py:create_app`` runs: the SDK on the
    store in ``CONSENT_BENCH_URI`` (no request is ever served)."""
    from flask import Flask

    from consent_sdk import ConsentManager

    app = Flask(__name__, instance_path=os.environ["CONSENT_BENCH_INSTANCE"])
    app.config.update(
        SECRET_KEY="bench",
        CONSENT_DATABASE_URI=os.environ["CONSENT_BENCH_URI"],
        CONSENT_RATE_LIMIT=None,
        CONSENT_CONTROLLER={"name": "Bench Ltd", "contact": "bench@example.test"},
        CONSENT_POLICY_URL="/privacy",
        CONSENT_PURPOSES=[
            "necessary",
            {"id": "preferences", "cookies": ["lang"]},
            {"id": "analytics", "cookies": ["_ga", "_ga_*"]},
            {"id": "marketing", "cookies": ["_fbp"]},
        ],
    )
    ConsentManager(app)
    return app


def export(url: str, fmt: str, out: Path, instance: Path) -> dict[str, Any]:
    """One ``flask consent export`` in a child process: seconds, peak RSS (MiB), bytes."""
    flask = Path(sys.executable).with_name("flask")
    command = [
        str(flask),
        "--app",
        f"{Path(__file__).resolve()}:create_app",
        "consent",
        "export",
        "--format",
        fmt,
        "-o",
        str(out),
    ]
    env = {**os.environ, "CONSENT_BENCH_URI": url, "CONSENT_BENCH_INSTANCE": str(instance)}
    start = time.perf_counter()
    usage = timed(command, env)
    seconds = time.perf_counter() - start
    size = out.stat().st_size
    out.unlink()
    return {**usage, "seconds": seconds, "bytes": size}


def timed(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run ``command`` under ``/usr/bin/time -v``: its peak RSS (MiB) and CPU seconds.

    Not ``os.wait4`` of our own child: Linux keeps the RSS high-water mark of the process that
    forked across ``exec``, so a child of this (large) benchmark process reports at least this
    process's peak. ``time`` is small, and it is its child that is measured.
    """
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[3:]} failed ({done.returncode}): {done.stderr[-2000:]}")
    fields = dict(line.strip().rsplit(": ", 1) for line in done.stderr.splitlines() if ": " in line)
    return {
        "rss_mib": int(fields["Maximum resident set size (kbytes)"]) / 1024,
        "cpu": float(fields["User time (seconds)"]) + float(fields["System time (seconds)"]),
    }


def baseline_rss(instance: Path, url: str) -> float:
    """Peak RSS of the same command that exports nothing (the interpreter, Flask, the SDK)."""
    flask = Path(sys.executable).with_name("flask")
    env = {**os.environ, "CONSENT_BENCH_URI": url, "CONSENT_BENCH_INSTANCE": str(instance)}
    app = f"{Path(__file__).resolve()}:create_app"
    return timed([str(flask), "--app", app, "consent", "--help"], env)["rss_mib"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 50k records")
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg", default=PG, help="PostgreSQL server (a schema is made in it)")
    parser.add_argument("--repeat", type=int, default=1, help="exports of each size and format")
    args = parser.parse_args()
    if args.quick:
        args.small, args.big = 10_000, 50_000
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    workdir = Path(tempfile.mkdtemp(prefix="consent-bench-export-"))
    instance = workdir / "instance"
    results: list[dict[str, Any]] = []
    try:
        for kind in kinds:
            with store(kind, workdir, args.pg) as url:
                base = baseline_rss(instance, url)
                print(f"{kind}: the command without an export peaks at {base:.1f} MiB RSS")
                have = 0
                for size in (args.small, args.big):
                    took = generate(url, size - have, total=args.big)
                    added, have = size - have, count(url)
                    print(f"{kind}: generated {added:,} records ({have:,} in all) in {took:.1f} s")
                    for _ in range(args.repeat):
                        for fmt in ("csv", "jsonl"):
                            r = export(url, fmt, workdir / f"out.{fmt}", instance)
                            r.update(db=kind, records=have, format=fmt, base=base)
                            results.append(r)
                            print(
                                f"  {fmt:<5} {have:>9,} {r['seconds']:7.1f} s "
                                f"{r['rss_mib']:7.1f} MiB",
                                flush=True,
                            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        "| db | format | records | wall s | records/s | CPU s | peak RSS MiB | "
        "RSS above idle MiB | output MB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['db']} | {r['format']} | {r['records']:,} | {r['seconds']:.1f} | "
            f"{r['records'] / r['seconds']:,.0f} | {r['cpu']:.1f} | {r['rss_mib']:.1f} | "
            f"{r['rss_mib'] - r['base']:.1f} | {r['bytes'] / 1e6:.0f} |"
        )
    print()
    print("| db | format | peak RSS big / small | records big / small |")
    print("|---|---|---:|---:|")
    for kind in kinds:
        for fmt in ("csv", "jsonl"):
            runs = [r for r in results if r["db"] == kind and r["format"] == fmt]
            small = min(
                r["rss_mib"] for r in runs if r["records"] == min(x["records"] for x in runs)
            )
            big = max(r["rss_mib"] for r in runs if r["records"] == max(x["records"] for x in runs))
            ratio = max(x["records"] for x in runs) / min(x["records"] for x in runs)
            print(f"| {kind} | {fmt} | {big / small:.2f} | {ratio:.0f} |")


if __name__ == "__main__":
    main()
