"""What a decision costs in one process, in CPU: the SDK's POST against a bare POST, and the
ledger's insert against the same insert through a bare psycopg connection.

Run: ``.venv/bin/python benchmarks/decision_cpu.py [--n 1000]`` (PostgreSQL of the tests,
``CONSENT_TEST_POSTGRES_URL``; a schema of its own, dropped afterwards).

CPU (``time.process_time``), not wall time, so that the figure does not depend on the disk's
fsync or on what else runs on the machine; interleaved twice, the second pass counts.
1. ``POST /consent/state`` and ``POST /bare`` of ``benchmarks/write_path.create_app`` through
   Flask's test client (its overhead is in both), on SQLite and on PostgreSQL.
2. ``Ledger.record`` against ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` on a psycopg
   connection in autocommit: what SQLAlchemy Core and the pool add to the write.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get(
    "CONSENT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def cpu_ms(work: Callable[[], Any], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        work()
    return (time.process_time() - start) / n * 1000


def http(uri: str, n: int) -> tuple[float, float]:
    """(bare, SDK) CPU ms per request through the test client."""
    folder = tempfile.mkdtemp(prefix="decision-cpu-")
    os.environ["WRITE_PATH_INSTANCE"] = folder
    os.environ["WRITE_PATH_DATABASE_URI"] = uri or f"sqlite:///{folder}/consent.db"
    from benchmarks.write_path import create_app

    app = create_app()
    client = app.test_client()

    def post(path: str) -> Callable[[], None]:
        def one() -> None:
            client._cookies.clear()  # every decision a new visitor's, as in write_path.py
            body = {"purposes": {"analytics": True}, "event_id": str(uuid.uuid4())}
            answer = client.post(path, json=body, headers={"Origin": "http://localhost"})
            assert answer.status_code == 200, answer.data

        return one

    bare, sdk = post("/bare"), post("/consent/state")
    result = (0.0, 0.0)
    for _ in range(2):
        result = (cpu_ms(bare, n), cpu_ms(sdk, n))
    app.extensions["consent"].ledger.engine.dispose()
    return result


def row() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "event_id": str(uuid.uuid4()),
        "consent_id": str(uuid.uuid4()),
        "site_id": "default",
        "granted": ["analytics", "necessary"],
        "refused": ["marketing"],
        "policy_version": "1",
        "texts_hash": "a" * 64,
        "language": "en",
        "source": "banner",
        "action": "save",
        "gpc": False,
        "created_at": now,
        "expires_at": now + timedelta(days=365),
        "retain_until": now + timedelta(days=5 * 365),
        "ip_prefix": "192.0.2.0",
        "browser": "Chrome",
    }


def insert(url: str, n: int) -> tuple[float, float]:
    """(Ledger.record, bare psycopg) CPU ms per insert."""
    import psycopg
    from psycopg.types.json import Json

    from consent_sdk.ledger.store import Ledger, create_own_engine

    engine = create_own_engine(url)
    ledger = Ledger(lambda: engine)
    ledger.record(row(), {"texts": 1})
    raw = psycopg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(False))
    raw.autocommit = True
    columns = [*row(), "salt"]
    sql = (
        f"insert into consent_records ({', '.join(columns)}) "
        f"values ({', '.join('%s' for _ in columns)}) "
        "on conflict (event_id) do nothing returning id"
    )

    def bare() -> None:
        r = {**row(), "salt": secrets.token_hex(16)}
        r["granted"], r["refused"] = Json(r["granted"]), Json(r["refused"])
        raw.execute(sql, [r[c] for c in columns]).fetchone()

    result = (0.0, 0.0)
    for _ in range(2):
        result = (cpu_ms(lambda: ledger.record(row(), {"texts": 1}), n), cpu_ms(bare, n))
    raw.close()
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    n = parser.parse_args().n
    schema = f"decision_cpu_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'create schema "{schema}"')
    url = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        print(f"CPU ms per request/insert, n={n}, second of two passes")
        for name, uri in (("sqlite", ""), ("postgres", url)):
            bare, sdk = http(uri, n)
            gap = sdk - bare
            print(f"  POST on {name:8s}: bare {bare:.3f}  SDK {sdk:.3f}  (SDK - bare {gap:.3f})")
        record, raw = insert(url, n)
        print(f"  insert on postgres: Ledger.record {record:.3f}  bare psycopg {raw:.3f}")
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'drop schema "{schema}" cascade')
        admin.dispose()


if __name__ == "__main__":
    main()
