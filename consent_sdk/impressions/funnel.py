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

from sqlalchemy.engine import Engine

from ..ledger import rollup
from ..ledger.store import Ledger
from .store import Shown, shown

OUTCOMES = rollup.OUTCOMES

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


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def funnel(ledger: Ledger, *, site: str, since: date, until: date) -> Funnel:
    """``site``'s impressions from ``since`` (included) to ``until`` (excluded), UTC days, and
    what they led to: the answers rolled up by ``flask consent seal``/``rollup`` up to the
    site's watermark plus the records after it (``rollup.answers_in``), so it stays fast at
    millions of records and exact at every moment."""
    result = Funnel(shown=shown(ledger, site=site, since=since, until=until))

    def read(_: Engine) -> list[Any]:
        with rollup.snapshot(ledger) as conn:
            return rollup.answers_in(conn, site, since, until)

    return _filled(result, ledger._retrying(read))


def recount(source: Ledger | Engine, *, site: str, since: date, until: date) -> Funnel:
    """The same figures recounted from every record of the period (``answers_banner`` on
    each): the reference ``funnel`` is checked against, too slow for a dashboard at millions
    of records."""
    result = Funnel(shown=shown(source, site=site, since=since, until=until))

    def read(engine: Engine) -> list[Any]:
        dialect_query = rollup.answered(
            engine.dialect.name,
            lambda r: r.c.site_id == site,
            lambda r: r.c.created_at >= _midnight(since),
            lambda r: r.c.created_at < _midnight(until),
        )
        with engine.connect() as conn:
            return [
                (date.fromisoformat(str(d)), lang, version, outcome, int(n))
                for d, lang, version, outcome, n in conn.execute(dialect_query).all()
            ]

    rows = source._retrying(read) if isinstance(source, Ledger) else read(source)
    return _filled(result, rows)


def _filled(result: Funnel, rows: list[Any]) -> Funnel:
    for day, language, version, outcome, n in rows:
        key = (day, language, version)
        cell = result.rows.setdefault(key, dict.fromkeys(OUTCOMES, 0))
        cell[outcome] += int(n)
        result.answered[outcome] += int(n)
    return result
