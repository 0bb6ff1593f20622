"""The records list and one record (issue 18): a site's decisions, newest first, found by
consent id or by day, one page per query however large the store.

Paging is by keyset, never ``OFFSET``: the next page starts below the last record shown
(``?before=ID``), so page 1,000 costs what page 1 does. Newest first means by ``created_at``
(whole seconds, so many records share one) and then by id: the order the
``(site_id, created_at)`` index reads backwards. Ordering by id alone would send a date
range to the ``(site_id, id)`` index, where a period a year back is found only after reading
every newer record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from ..ledger.store import Ledger
from ..ledger.tables import records
from .aggregates import EARLIEST, LATEST

PAGE_SIZE = 50
LIST_COLUMNS = (
    "id",
    "created_at",
    "consent_id",
    "action",
    "source",
    "granted",
    "language",
    "policy_version",
    "gpc",
    "erased_at",
)
"""What the list shows of each record (the detail page reads the whole row)."""


@dataclass(frozen=True)
class Search:
    """Which records to list: one site's, of one consent id and/or some whole UTC days."""

    site: str
    consent_id: str | None = None
    since: date | None = None
    until: date | None = None
    before: int | None = None
    """The id of the last record of the page before: this page lists the records after it."""


@dataclass(frozen=True)
class Found:
    """One page of records; ``older``: the ``before`` of the next page, None on the last."""

    records: list[dict[str, Any]]
    older: int | None


def consent_id(value: str) -> str:
    """A consent id as stored (a lowercase UUID with hyphens), from any spelling of one;
    ``ValueError`` for anything else, which the page explains instead of searching."""
    return str(uuid.UUID(value.strip()))


def parse(args: Mapping[str, str], site: str) -> tuple[Search, list[str]]:
    """The search in a request's query (``consent_id``, ``since``, ``until``, ``before``)
    and the keys of the texts saying what was malformed (left out of the search)."""
    errors: list[str] = []
    wanted: str | None = None
    if args.get("consent_id", "").strip():
        try:
            wanted = consent_id(args["consent_id"])
        except ValueError:
            errors.append("bad_consent_id")
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        days[name] = None
        if args.get(name):
            try:
                days[name] = min(max(date.fromisoformat(args[name]), EARLIEST), LATEST)
            except ValueError:
                errors.append(f"bad_{name}")
    since, until = days["since"], days["until"]
    if since is not None and until is not None and since > until:
        since, until = until, since
    before: int | None = None
    if args.get("before"):
        text = args["before"]
        if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
            before = int(text)
        else:
            errors.append("bad_before")
    return Search(site, wanted, since, until, before), errors


def _utc(row: Mapping[Any, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("created_at", "expires_at", "retain_until", "erased_at"):
        value = out.get(key)
        if isinstance(value, datetime) and value.tzinfo is None:
            out[key] = value.replace(tzinfo=UTC)
    return out


def search(ledger: Ledger, query: Search, *, limit: int = PAGE_SIZE) -> Found:
    """One page of ``query``'s records, newest first: one statement, one index range.

    The page after ``before`` holds the records older than it in the list's order: an earlier
    second, or the same second and a lower id (a scalar subquery finds its second).
    """
    r = records.c
    where: list[sa.ColumnElement[bool]] = [r.site_id == query.site]
    if query.consent_id is not None:
        where.append(r.consent_id == query.consent_id)
    if query.since is not None:
        where.append(r.created_at >= datetime.combine(query.since, time(), UTC))
    if query.until is not None:
        end = datetime.combine(query.until + timedelta(days=1), time(), UTC)
        where.append(r.created_at < end)
    if query.before is not None:
        last = sa.select(r.created_at).where(r.id == query.before).scalar_subquery()
        # The plain bound lets the index range stop there; the pair settles the ties.
        where.append(r.created_at <= last)
        where.append(sa.or_(r.created_at < last, r.id < query.before))
    stmt = (
        sa.select(*(r[c] for c in LIST_COLUMNS))
        .where(*where)
        .order_by(r.created_at.desc(), r.id.desc())
        .limit(limit + 1)
    )
    with ledger.engine.connect() as conn:
        found = [_utc(row) for row in conn.execute(stmt).mappings()]
    more = len(found) > limit
    found = found[:limit]
    return Found(found, int(found[-1]["id"]) if more else None)


def stored_row(ledger: Ledger, record_id: int, site: str) -> Mapping[Any, Any] | None:
    """The stored row of ``site``'s record ``record_id`` (None when it is another site's or
    none): salt included, for the proof only; ``ledger.store.as_record`` drops it for the
    page."""
    if not 0 < record_id < 2**63:
        return None
    stmt = sa.select(records).where(records.c.id == record_id, records.c.site_id == site)
    with ledger.engine.connect() as conn:
        return conn.execute(stmt).mappings().first()
