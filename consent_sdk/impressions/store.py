"""Counting impressions (one atomic upsert) and reading a site's period back (one query).

Both work on a ``Ledger`` without a request: the view counts, the dashboard and a CLI read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..ledger.store import Ledger
from .tables import KEY, impressions

_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET shown = shown + excluded.shown``: one
    statement, atomic under concurrent writers on SQLite and PostgreSQL. Built once."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(impressions).values({c: sa.bindparam(c) for c in (*KEY, "shown")})
        stmt = _UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=list(KEY), set_={"shown": impressions.c.shown + base.excluded.shown}
        )
    return stmt


def _key(params: dict[str, Any]) -> sa.ColumnElement[bool]:
    return sa.and_(*(impressions.c[k] == params[k] for k in KEY))


def _write(engine: Engine, params: dict[str, Any]) -> None:
    dialect = engine.dialect.name
    if dialect == "postgresql":
        # Autocommit: the statement is its own transaction, one round trip.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(_upsert(dialect), params)
        return
    with engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(_upsert(dialect), params)
            return
        # Other databases: add to the row, or make it; a row made meanwhile is added to.
        add = (
            impressions.update()
            .where(_key(params))
            .values(shown=impressions.c.shown + params["shown"])
        )
        if conn.execute(add).rowcount:
            return
        try:
            with conn.begin_nested():
                conn.execute(impressions.insert().values(**params))
        except sa.exc.IntegrityError:
            conn.execute(add)


def count(
    ledger: Ledger,
    *,
    site: str,
    language: str,
    policy_version: str,
    n: int = 1,
    day: date | None = None,
) -> None:
    """Add ``n`` banner impressions to ``site``'s count of ``day`` (default: today in UTC on
    the server's clock, never the visitor's), ``language`` and ``policy_version``.

    A connection found dead is retried once (``Ledger._retrying``): at worst, a commit whose
    answer was lost is counted twice, which an aggregate of page views can bear.
    """
    params = {
        "site_id": site,
        "day": day or datetime.now(UTC).date(),
        "language": language,
        "policy_version": policy_version,
        "shown": n,
    }
    ledger._retrying(lambda engine: _write(engine, params))


@dataclass
class Shown:
    """A site's impressions over ``[since, until)``: the total, and split three ways."""

    site: str
    since: date
    until: date
    total: int = 0
    rows: dict[tuple[date, str, str], int] = field(default_factory=dict)
    """(day, language, policy version) → impressions, as stored; days without any are absent."""
    by_day: dict[date, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    by_policy_version: dict[str, int] = field(default_factory=dict)


def shown(source: Ledger | Engine, *, site: str, since: date, until: date) -> Shown:
    """``site``'s impressions from ``since`` (included) to ``until`` (excluded), UTC days.

    One query, a range scan of the primary key (site, day, …): a site's 90 days are at most
    one row per day, language and policy version, whatever the traffic.
    """
    query = (
        sa.select(
            impressions.c.day,
            impressions.c.language,
            impressions.c.policy_version,
            impressions.c.shown,
        )
        .where(impressions.c.site_id == site, impressions.c.day >= since, impressions.c.day < until)
        .order_by(impressions.c.day, impressions.c.language, impressions.c.policy_version)
    )
    if isinstance(source, Ledger):
        rows = source._retrying(lambda engine: _rows(engine, query))
    else:
        rows = _rows(source, query)
    result = Shown(site=site, since=since, until=until)
    for day, language, version, n in rows:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        n = int(n)
        result.rows[(day, language, version)] = n
        result.total += n
        result.by_day[day] = result.by_day.get(day, 0) + n
        result.by_language[language] = result.by_language.get(language, 0) + n
        result.by_policy_version[version] = result.by_policy_version.get(version, 0) + n
    return result


def _rows(engine: Engine, query: sa.Select[Any]) -> list[Any]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        return list(conn.execute(query).all())
