"""The dashboard's rollup: daily counts of each site's records, kept off the hot path.

Every figure of the dashboard's overview is a sum over records grouped by (UTC day, policy
version, language, source, action, GPC, granted purposes, refused purposes), so counting the
records per such key once, per day, answers 90 days from a few thousand rows instead of
millions (issue 18: 9-14 s at 10M records with a plain GROUP BY).

- ``run`` (``flask consent seal`` calls it, or ``flask consent rollup`` from cron) adds each
  site's records after its watermark (``consent_rollup_marks.last_id``, like a seal's
  ``last_id``) in batches, each one transaction with the watermark moved in it, so a run
  killed halfway, a second run or two runs at once count every record exactly once. Records
  newer than ``grace`` seconds wait, as in ``chain.seal``: a decision still committing on
  another instance may hold a lower id, and the watermark must never pass it.
- ``keyed`` is the read: the counts of a period up to the watermark plus a live GROUP BY of
  the records after it, in one snapshot, so the dashboard is exact at every moment.
- ``forget`` is called by retention's purge in its delete's transaction: the purged records
  already counted are taken off again. Erasure rewrites personal fields only, none counted.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .store import Ledger, record_sites
from .tables import metadata, records

DEFAULT_BATCH = 10_000
DEFAULT_GRACE = 60
"""The same as ``chain.DEFAULT_GRACE``: a record waits as long for its count as for its seal."""

KEY = (
    "site_id",
    "day",
    "policy_version",
    "language",
    "source",
    "action",
    "gpc",
    "granted",
    "refused",
)
"""What a count is kept per: every figure of the overview derives from these, none is a visitor."""

counts = sa.Table(
    "consent_daily_counts",
    metadata,
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    # "" for a record without an action (a key column cannot be NULL).
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("gpc", sa.Boolean, nullable=False),
    # The purpose ids as canonical JSON (sorted, no spaces): one spelling per set.
    sa.Column("granted", sa.Text, nullable=False),
    sa.Column("refused", sa.Text, nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    # The upsert's conflict target, and a site's period read in key order (site, day, ...).
    sa.PrimaryKeyConstraint(*KEY, name="pk_consent_daily_counts"),
)
"""How many of a site's records, rolled up to ``consent_rollup_marks.last_id``, share a key."""

marks = sa.Table(
    "consent_rollup_marks",
    metadata,
    sa.Column("site_id", sa.String(64), primary_key=True),
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
)
"""Each site's watermark: its records with ids up to ``last_id`` are in the counts."""

answers = sa.Table(
    "consent_daily_answers",
    metadata,
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint(
        "site_id", "day", "language", "policy_version", "outcome", name="pk_consent_daily_answers"
    ),
)
"""How many of a site's records, rolled up to its watermark, answered a banner (the
dashboard's *shown → decided*), per day, language, policy version and outcome. Statistics
like the banner impressions they are set against: kept as they were counted, a purge of the
records years later takes nothing off (the impressions of those days stay too)."""

OUTCOMES = ("accept_all", "reject_all", "custom")
"""What an answer to a banner was: one button, the other, or a choice of purposes."""


def answers_banner(r: Any) -> sa.ColumnElement[bool]:
    """Whether the record ``r`` (``records`` or an alias of it, in a query) answered a banner
    impression: a decision (no withdrawal, not by GPC) whose consent id's previous record on
    the site is absent, of another policy version, a withdrawal, or expired by then (the
    server's own "undecided" when it was made).

    One index probe per record (``consent_id``): fine for a batch of new records or the tail
    after the watermark, too slow for 90 days of millions of records read at once.
    """
    p = records.alias("p")
    prev = records.alias("prev")
    previous_id = (
        sa.select(sa.func.max(p.c.id))
        .where(p.c.consent_id == r.c.consent_id, p.c.site_id == r.c.site_id, p.c.id < r.c.id)
        .correlate(r)  # to the record, two levels up (auto-correlation looks one level up)
        .scalar_subquery()
    )
    previous = sa.select(prev.c.id).where(
        prev.c.id == previous_id,
        prev.c.policy_version == r.c.policy_version,
        sa.or_(prev.c.action.is_(None), prev.c.action != "withdraw"),
        prev.c.expires_at > r.c.created_at,
    )
    return sa.and_(
        sa.or_(r.c.action.is_(None), r.c.action != "withdraw"),
        r.c.source != "gpc",
        ~previous.exists(),
    )


def answered(dialect: str, *where: Any) -> sa.Select[Any]:
    """The answers to banners among the records matching ``where`` (on ``r``, an alias of
    the records: pass a function of it), counted per day, language, version and outcome."""
    r = records.alias("r")
    if dialect == "postgresql":
        day = sa.func.date(sa.func.timezone("UTC", r.c.created_at))
    else:
        day = sa.func.date(r.c.created_at)
    outcome = sa.case(
        (r.c.action == "accept_all", "accept_all"),
        (r.c.action == "reject_all", "reject_all"),
        else_="custom",
    )
    return (
        sa.select(
            day.label("day"),
            r.c.language,
            r.c.policy_version,
            outcome.label("outcome"),
            sa.func.count().label("n"),
        )
        .where(*(w(r) for w in where), answers_banner(r))
        .group_by(day, r.c.language, r.c.policy_version, outcome)
    )


COUNTED = ("id", "site_id", "created_at", *KEY[2:])
"""The record columns a count needs (``day`` comes from ``created_at``)."""


@dataclass(frozen=True)
class Key:
    """One count's key within a site (``action`` None as in the records)."""

    day: date
    policy_version: str
    language: str
    source: str
    action: str | None
    gpc: bool
    granted: frozenset[str]
    refused: frozenset[str]


@dataclass
class RollupResult:
    site_id: str
    records: int
    last_id: int


def canonical(purposes: Any) -> str:
    """A purpose list (JSON text or decoded) as one spelling: sorted, compact JSON."""
    if isinstance(purposes, str):
        purposes = json.loads(purposes)
    return json.dumps(sorted(purposes), separators=(",", ":"))


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: the ledger writes UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _utc_day(created: datetime) -> date:
    return _aware(created).astimezone(UTC).date()


def day_of(dialect: str) -> sa.ColumnElement[Any]:
    """A record's UTC day in SQL, as the dashboard has always grouped it."""
    if dialect == "postgresql":
        return sa.func.date(sa.func.timezone("UTC", records.c.created_at))
    return sa.func.date(records.c.created_at)


def _key_values(row: Mapping[Any, Any]) -> tuple[Any, ...]:
    """A record's count key (without the site) as the table stores it."""
    return (
        _utc_day(row["created_at"]),
        row["policy_version"],
        row["language"],
        row["source"],
        row["action"] or "",
        bool(row["gpc"]),
        canonical(row["granted"]),
        canonical(row["refused"]),
    )


def _insert(dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the rollup supports PostgreSQL and SQLite, not {dialect}")


def _add(conn: sa.Connection, site: str, found: Counter[tuple[Any, ...]]) -> None:
    """Add ``found`` (key → records) to the site's counts: one upsert per key."""
    if not found:
        return
    insert = _insert(conn.dialect.name)(counts)
    upsert = insert.on_conflict_do_update(
        index_elements=list(KEY), set_={"count": counts.c.count + insert.excluded["count"]}
    )
    conn.execute(
        upsert,
        [{**dict(zip(KEY, (site, *k), strict=True)), "count": n} for k, n in found.items()],
    )


def _lock_mark(conn: sa.Connection, site: str) -> int:
    """The site's watermark, locked until the transaction ends (made at 0 the first time).

    The first statement is a write so that SQLite takes its write lock before anything is
    read; on PostgreSQL it is the row lock a concurrent run or purge waits on.
    """
    now = datetime.now(UTC)
    insert = _insert(conn.dialect.name)(marks).values(site_id=site, last_id=0, rolled_at=now)
    conn.execute(insert.on_conflict_do_nothing(index_elements=["site_id"]))
    query = sa.select(marks.c.last_id).where(marks.c.site_id == site)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return int(conn.execute(query).scalar_one())


def _grouped(dialect: str, *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The records matching ``where`` counted per key by the database (the purpose lists as
    their JSON text, made canonical by the caller: a list may be stored in any order)."""
    day = day_of(dialect).label("day")
    columns = [
        records.c.policy_version,
        records.c.language,
        records.c.source,
        records.c.action,
        records.c.gpc,
        sa.cast(records.c.granted, sa.Text).label("granted"),
        sa.cast(records.c.refused, sa.Text).label("refused"),
    ]
    return (
        sa.select(day, *columns, sa.func.count().label("n")).where(*where).group_by(day, *columns)
    )


def _roll_one(ledger: Ledger, site: str, batch: int, horizon: datetime) -> RollupResult | None:
    """Count the site's next batch and move its watermark, in one transaction."""
    with ledger.engine.begin() as conn:
        after = _lock_mark(conn, site)
        last = after
        for record_id, created in conn.execute(
            sa.select(records.c.id, records.c.created_at)
            .where(records.c.site_id == site, records.c.id > after)
            .order_by(records.c.id)
            .limit(batch)
        ):
            if _aware(created) > horizon:
                break  # newer ones wait: an older decision may still be committing
            last = int(record_id)
        if last == after:
            return None
        found: Counter[tuple[Any, ...]] = Counter()
        batch_rows = _grouped(
            conn.dialect.name,
            records.c.site_id == site,
            records.c.id > after,
            records.c.id <= last,
        )
        for row in conn.execute(batch_rows).mappings():
            found[_stored_key(row)] += int(row["n"])
        _add(conn, site, found)
        _add_answers(conn, site, after, last)
        conn.execute(
            marks.update()
            .where(marks.c.site_id == site)
            .values(last_id=last, rolled_at=datetime.now(UTC))
        )
    return RollupResult(site, sum(found.values()), last)


def _add_answers(conn: sa.Connection, site: str, after: int, last: int) -> None:
    """Add the answers to banners among the site's records in ``(after, last]``."""
    query = answered(
        conn.dialect.name,
        lambda r: r.c.site_id == site,
        lambda r: r.c.id > after,
        lambda r: r.c.id <= last,
    )
    rows = [
        {
            "site_id": site,
            "day": date.fromisoformat(str(row["day"])),
            "language": row["language"],
            "policy_version": row["policy_version"],
            "outcome": row["outcome"],
            "count": int(row["n"]),
        }
        for row in conn.execute(query).mappings()
    ]
    if not rows:
        return
    insert = _insert(conn.dialect.name)(answers)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["site_id", "day", "language", "policy_version", "outcome"],
            set_={"count": answers.c.count + insert.excluded["count"]},
        ),
        rows,
    )


def answers_in(
    conn: sa.Connection, site: str, since: date, until: date
) -> list[tuple[date, str, str, str, int]]:
    """The site's answers to banners made on UTC days ``[since, until)``, per (day, language,
    policy version, outcome): the rolled-up counts up to the watermark and the records after
    it, read in one snapshot (``snapshot``) as ``keyed`` reads the counts."""
    mark = conn.execute(
        sa.select(marks.c.last_id).where(marks.c.site_id == site)
    ).scalar_one_or_none()
    after = int(mark or 0)
    total: Counter[tuple[date, str, str, str]] = Counter()
    if after:
        query = sa.select(answers).where(
            answers.c.site_id == site, answers.c.day >= since, answers.c.day < until
        )
        for row in conn.execute(query).mappings():
            day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(row["day"])
            total[(day, row["language"], row["policy_version"], row["outcome"])] += row["count"]
    start = datetime.combine(since, datetime.min.time(), UTC)
    end = datetime.combine(until, datetime.min.time(), UTC)
    tail = answered(
        conn.dialect.name,
        lambda r: r.c.site_id == site,
        lambda r: r.c.id > after,
        lambda r: r.c.created_at >= start,
        lambda r: r.c.created_at < end,
    )
    for row in conn.execute(tail).mappings():
        day = date.fromisoformat(str(row["day"]))
        total[(day, row["language"], row["policy_version"], row["outcome"])] += int(row["n"])
    return [(*k, n) for k, n in sorted(total.items())]


def _stored_key(row: Mapping[Any, Any]) -> tuple[Any, ...]:
    """A grouped row's key (without the site) as the table stores it."""
    return (
        date.fromisoformat(str(row["day"])),
        row["policy_version"],
        row["language"],
        row["source"],
        row["action"] or "",
        bool(row["gpc"]),
        canonical(row["granted"]),
        canonical(row["refused"]),
    )


def sites(ledger: Ledger) -> list[str]:
    """Every site with records (``record_sites``)."""
    with ledger.engine.connect() as conn:
        return record_sites(conn)


def run(
    ledger: Ledger,
    *,
    sites_: Iterable[str] | None = None,
    batch: int = DEFAULT_BATCH,
    grace: float = DEFAULT_GRACE,
    now: float | None = None,
) -> list[RollupResult]:
    """Roll up the records of ``sites_`` (default: every site) older than ``grace`` seconds.

    Idempotent and safe beside another run: each batch reads after the watermark it holds
    locked, so a record is counted once whoever gets there first.
    """
    horizon = datetime.fromtimestamp((time.time() if now is None else now) - grace, UTC)
    done: list[RollupResult] = []
    for site in sites(ledger) if sites_ is None else sorted(set(sites_)):
        while True:
            result = _roll_one(ledger, site, batch, horizon)
            if result is None:
                break
            done.append(result)
    return done


def forget(conn: sa.Connection, gone: Iterable[Mapping[Any, Any]]) -> int:
    """Take purged records off the counts, in the purge's own transaction; returns how many.

    ``gone`` are the deleted rows (``COUNTED`` columns). Only those at or below their site's
    watermark were counted; the watermarks are locked first (in site order, so two purges
    never deadlock), so a rollup running meanwhile either counted them before (and they are
    taken off here) or reads after this commits (and never sees them).
    """
    by_site: dict[str, list[Mapping[Any, Any]]] = {}
    for row in gone:
        by_site.setdefault(str(row["site_id"]), []).append(row)
    taken = 0
    for site in sorted(by_site):
        # Made (at 0) if missing and locked either way: a first rollup starting meanwhile
        # must wait for this purge, or it would count the rows deleted here.
        mark = _lock_mark(conn, site)
        found = Counter(_key_values(r) for r in by_site[site] if int(r["id"]) <= mark)
        if not found:
            continue
        params = [
            {**{f"k_{k}": v for k, v in zip(KEY, (site, *key), strict=True)}, "n": n}
            for key, n in found.items()
        ]
        match = sa.and_(*(counts.c[k] == sa.bindparam(f"k_{k}") for k in KEY))
        conn.execute(
            counts.update().where(match).values(count=counts.c.count - sa.bindparam("n")), params
        )
        conn.execute(counts.delete().where(match, counts.c.count <= 0), params)
        taken += sum(found.values())
    return taken


@contextmanager
def snapshot(ledger: Ledger) -> Iterator[sa.Connection]:
    """A connection whose reads all see one moment: the watermark, the counts and the tail
    must agree, or a rollup committing between two reads would count its batch twice."""
    with ledger.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
            return
        conn.exec_driver_sql("BEGIN")  # SQLite (WAL): one read snapshot from the first read
        try:
            yield conn
        finally:
            conn.rollback()


def keyed(
    conn: sa.Connection, site: str, since: datetime, until: datetime
) -> list[tuple[Key, int]]:
    """The site's records made in ``[since, until)`` (whole UTC days), counted per key:
    the rollup up to the watermark, then a GROUP BY over the records after it."""
    mark = conn.execute(
        sa.select(marks.c.last_id).where(marks.c.site_id == site)
    ).scalar_one_or_none()
    after = int(mark or 0)
    total: Counter[Key] = Counter()
    parsed: dict[str, frozenset[str]] = {}

    def purposes(text: str) -> frozenset[str]:
        # A set: the same whatever order the list was stored in (no canonical form needed).
        if text not in parsed:
            parsed[text] = frozenset(json.loads(text))
        return parsed[text]

    def add(values: Mapping[Any, Any], day: date, n: int) -> None:
        key = Key(
            day,
            values["policy_version"],
            values["language"],
            values["source"],
            values["action"] or None,
            bool(values["gpc"]),
            purposes(values["granted"]),
            purposes(values["refused"]),
        )
        total[key] += int(n)

    if after:
        query = sa.select(counts).where(
            counts.c.site_id == site,
            counts.c.day >= _utc_day(since),
            counts.c.day < _utc_day(until),
            counts.c.count > 0,
        )
        for row in conn.execute(query).mappings():
            add(row, row["day"], row["count"])
    tail = _grouped(
        conn.dialect.name,
        records.c.site_id == site,
        records.c.id > after,
        records.c.created_at >= since,
        records.c.created_at < until,
    )
    for row in conn.execute(tail).mappings():
        add(row, date.fromisoformat(str(row["day"])), row["n"])
    return sorted(total.items(), key=lambda kv: kv[0].day)
