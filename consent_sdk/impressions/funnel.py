"""Shown → decided: what the page views that showed the banner led to.

An impression is a page view of a visitor who had not answered the current question. The
decisions that answer it are the ones such a visitor made: by the records, a decision whose
consent id has no earlier record on the site, or whose previous record was of another policy
version, a withdrawal, or expired by then (the server's own "undecided" in ``decide``: no
authentic cookie, another question, out of its lifetime). A decided visitor who changes their
mind in the settings made no impression, so their decision answers none. GPC records (made by
the server, with no page) answer none either. What is left is "led to nothing": page views
that ended without an answer (the visitor left, or browsed on with the banner open).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..ledger.store import Ledger
from ..ledger.tables import records
from .store import Shown, shown

OUTCOMES = ("accept_all", "reject_all", "custom")
"""What an answer was: one button, the other, or a choice of purposes (``save``, or a
decision without an action, from the site's own code)."""

Key = tuple[date, str, str]


@dataclass
class Funnel:
    """A site's period: impressions, the answers to them, and the rest (never below 0)."""

    shown: Shown
    answered: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    rows: dict[Key, dict[str, int]] = field(default_factory=dict)
    """(day, language, policy version) → outcome → answers, as ``shown.rows`` is keyed."""

    @property
    def nothing(self) -> int:
        """Impressions not answered. Each page view has at most one answer, so this is
        ``shown - answered``; 0 if impressions were lost (blocked, refused, a script that
        never ran) and answers outnumber them."""
        return max(0, self.shown.total - sum(self.answered.values()))


def answers_banner(r: Any) -> sa.ColumnElement[bool]:
    """Whether the record ``r`` (``records`` or an alias of it, in a query) answered a banner
    impression: a decision (no withdrawal, not by GPC) whose consent id's previous record on
    the site is absent, of another policy version, a withdrawal, or expired by then.

    One index probe per record (``consent_id``): fine for a recount or a batch of new records
    (a rollup's ``answered`` column), too slow for 90 days of millions of records read at once.
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


def _answers(dialect: str, site: str, since: date, until: date) -> sa.Select[Any]:
    r = records.alias("r")
    if dialect == "postgresql":
        day = sa.func.date(sa.func.timezone("UTC", r.c.created_at))
    else:
        day = sa.func.date(r.c.created_at)
    outcome = sa.case(
        (r.c.action == "accept_all", "accept_all"),
        (r.c.action == "reject_all", "reject_all"),
        else_="custom",
    ).label("outcome")
    return (
        sa.select(day.label("day"), r.c.language, r.c.policy_version, outcome, sa.func.count())
        .where(
            r.c.site_id == site,
            r.c.created_at >= _midnight(since),
            r.c.created_at < _midnight(until),
            answers_banner(r),
        )
        .group_by(day, r.c.language, r.c.policy_version, outcome)
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def funnel(source: Ledger | Engine, *, site: str, since: date, until: date) -> Funnel:
    """``site``'s impressions from ``since`` (included) to ``until`` (excluded), UTC days, and
    what they led to, recounted from the records: two queries, the impressions' (an index
    range) and the answers' (``answers_banner`` on every record of the period: the reference a
    rollup is checked against, not what a dashboard should read at millions of records)."""
    result = Funnel(shown=shown(source, site=site, since=since, until=until))

    def read(engine: Engine) -> list[Any]:
        with engine.connect() as conn:
            query = _answers(engine.dialect.name, site, since, until)
            return list(conn.execute(query).all())

    rows = source._retrying(read) if isinstance(source, Ledger) else read(source)
    for day, language, version, outcome, n in rows:
        key = (date.fromisoformat(str(day)), language, version)
        cell = result.rows.setdefault(key, dict.fromkeys(OUTCOMES, 0))
        cell[outcome] += int(n)
        result.answered[outcome] += int(n)
    return result
