"""Audit export and figures: records streamed in constant memory, and grant rates.

The export reads with a server-side cursor (``stream_results``) in chunks of ``yield_per``
rows, so a million records cost the memory of a chunk, not of the million. On PostgreSQL
that cursor is planned for all of its rows (``cursor_tuple_fraction = 1``, for its
transaction only): an export reads every row it selects, and planned for the first 10 % it
walked the whole table in id order instead of reading one site's days on their index.

Every site's records of a period (``--all-sites --since/--until``) are read site by site, each
site's part on ``ix_consent_records_site_id_created_at`` exactly as that site's own export:
no index leads with ``created_at`` (one would cost every decision, the hot write path, one
more B-tree insert), so a single query over every site scans the whole table. The sites come
from ``record_sites`` (one index probe per site), and all the reads share one snapshot.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .rollup import snapshot
from .store import Ledger, as_record, record_sites
from .tables import records

EXPORT_FIELDS = (
    "id",
    "event_id",
    "consent_id",
    "site_id",
    "created_at",
    "expires_at",
    "retain_until",
    "policy_version",
    "texts_hash",
    "language",
    "source",
    "action",
    "gpc",
    "granted",
    "refused",
    "ip_prefix",
    "browser",
    "erased_at",
)
"""The columns of an export, in order (described in the README)."""

FORMATS = ("csv", "jsonl")


def _query(since: datetime | None, until: datetime | None, site: str | None) -> sa.Select[Any]:
    query = sa.select(records).order_by(records.c.id)
    if since is not None:
        query = query.where(records.c.created_at >= since)
    if until is not None:
        query = query.where(records.c.created_at < until)
    if site is not None:
        query = query.where(records.c.site_id == site)
    return query


def rows(
    ledger: Ledger,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    site: str | None = None,
    yield_per: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Records ``yield_per`` at a time from the database, in id order; but every site's
    records of a period (no ``site``; ``since`` or ``until``) site by site, in the order
    the database sorts site ids, each site's in id order: each site's part is its own export,
    read on its ``(site_id, created_at)`` index, not a scan of the whole table. All of
    it is read in one snapshot (``rollup.snapshot``), as one query was: the store at one moment."""
    by_site = site is None and (since is not None or until is not None)
    with snapshot(ledger) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1")
        streamed = conn.execution_options(stream_results=True, yield_per=yield_per)
        for one in record_sites(conn) if by_site else [site]:
            with streamed.execute(_query(since, until, one)) as result:
                for row in result.mappings():
                    yield as_record(row)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(value)
    if value is None:
        return ""
    return value


def lines(records_: Iterator[dict[str, Any]], fmt: str) -> Iterator[str]:
    """Each record as a CSV line (after a header row) or a JSON line."""
    if fmt == "jsonl":
        for r in records_:
            yield json.dumps({k: r[k] for k in EXPORT_FIELDS}, default=str, ensure_ascii=False)
            yield "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for r in records_:
        writer.writerow([_cell(r[k]) for k in EXPORT_FIELDS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def stats(
    ledger: Ledger,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    site: str | None = None,
) -> dict[str, Any]:
    """Decisions and grant rate per purpose, overall, per day and per policy version (over
    ``rows``: every site's period is read site by site on the index here too)."""
    total = 0
    granted: dict[str, int] = defaultdict(int)
    seen: dict[str, int] = defaultdict(int)
    days: dict[str, dict[str, Any]] = {}
    versions: dict[str, dict[str, Any]] = {}

    def bucket(table: dict[str, dict[str, Any]], key: str) -> dict[str, Any]:
        return table.setdefault(key, {"decisions": 0, "granted": defaultdict(int)})

    for r in rows(ledger, since=since, until=until, site=site):
        total += 1
        day = bucket(days, r["created_at"].date().isoformat())
        version = bucket(versions, r["policy_version"])
        for b in (day, version):
            b["decisions"] += 1
        for p in [*r["granted"], *r["refused"]]:
            seen[p] += 1
        for p in r["granted"]:
            granted[p] += 1
            day["granted"][p] += 1
            version["granted"][p] += 1

    def rates(b: dict[str, Any]) -> dict[str, Any]:
        n = b["decisions"]
        return {
            "decisions": n,
            "grant_rate": {p: round(b["granted"].get(p, 0) / n, 4) for p in sorted(seen)},
        }

    return {
        "decisions": total,
        "grant_rate": {p: round(granted[p] / seen[p], 4) for p in sorted(seen)},
        "per_day": {k: rates(v) for k, v in sorted(days.items())},
        "per_policy_version": {k: rates(v) for k, v in sorted(versions.items())},
    }
