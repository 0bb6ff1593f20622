"""The dashboard's figures for one site and period.

Works on a ``Ledger`` without a request, so a CLI or a job can reuse it. ``overview`` (what
the page shows) folds the daily counts of ``ledger.rollup`` plus the records not rolled up
yet: a few thousand rows for 90 days, whatever the store's size. ``recount`` computes the
same figures straight from the records (three GROUP BY queries: by day, language, policy
version): the proof that the rollup is right, and what a test compares it with. There a
purpose is matched in the JSON ``granted``/``refused`` lists as the text ``"id"``: purpose
ids are plain identifiers, and the same expression works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from ..ledger import rollup
from ..ledger.store import Ledger, record_sites
from ..ledger.tables import records

CHOICES = ("accept_all", "reject_all", "custom", "withdrawn")
"""How a decision was made: one button, the other, a choice of purposes, or a withdrawal."""
LAYERS = ("banner", "settings", "other")
"""Where it was made: the first layer (banner), the second (settings dialog), or code/GPC."""


EARLIEST, LATEST = date(2000, 1, 1), date(9999, 12, 30)
"""Dates outside are brought inside: no decision is older, and the day after must exist."""


def share(part: int, whole: int) -> float:
    """``part / whole``, 0 for an empty whole (an empty store is not a division by zero)."""
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class Period:
    """Whole UTC days, ``since`` to ``until`` inclusive."""

    since: date
    until: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Period:
        end = today or datetime.now(UTC).date()
        return cls(end - timedelta(days=days - 1), end)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until + timedelta(days=1), time(), UTC)

    def days(self) -> list[date]:
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]


@dataclass(frozen=True)
class Rate:
    """A purpose's answers: how often it was asked about (``seen``) and granted."""

    granted: int = 0
    seen: int = 0

    @property
    def share(self) -> float:
        return share(self.granted, self.seen)


@dataclass
class Overview:
    """Everything the overview page shows, as counts (shares are derived, never stored)."""

    site: str
    period: Period
    purposes: tuple[str, ...]
    decisions: int = 0
    choices: dict[str, int] = field(default_factory=dict)
    layers: dict[str, int] = field(default_factory=dict)
    gpc: int = 0
    rates: dict[str, Rate] = field(default_factory=dict)
    trend: dict[date, dict[str, Rate]] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    versions: dict[str, Rate] = field(default_factory=dict)
    """Per policy version, oldest first: how many decisions accepted all (``granted``) of how
    many were made (``seen``), which shows what a new version did to the answers."""

    @property
    def empty(self) -> bool:
        return self.decisions == 0


def _contains(column: sa.Column[Any], purpose: str) -> sa.ColumnElement[bool]:
    # LIKE's own wildcards escaped: a purpose "ad_storage" must not match "adXstorage".
    quoted = purpose.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.cast(column, sa.Text).like(f'%"{quoted}"%', escape="\\")


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _day(dialect: str) -> sa.ColumnElement[Any]:
    if dialect == "postgresql":
        return sa.func.date(sa.func.timezone("UTC", records.c.created_at))
    return sa.func.date(records.c.created_at)


def _where(query: sa.Select[Any], site: str, period: Period) -> sa.Select[Any]:
    return query.where(
        records.c.site_id == site,
        records.c.created_at >= period.start,
        records.c.created_at < period.end,
    )


def _choice_conditions() -> dict[str, sa.ColumnElement[bool]]:
    action = records.c.action
    return {
        "accept_all": action == "accept_all",
        "reject_all": action == "reject_all",
        "custom": sa.or_(action == "save", action.is_(None)),
        "withdrawn": action == "withdraw",
    }


def _layer_conditions() -> dict[str, sa.ColumnElement[bool]]:
    source = records.c.source
    return {
        "banner": source == "banner",
        "settings": source == "settings",
        "other": source.not_in(("banner", "settings")),
    }


def overview(ledger: Ledger, *, site: str, period: Period, purposes: Sequence[str]) -> Overview:
    """The figures of ``site``'s decisions made in ``period``, for the given purposes, from
    the rollup and the records after its watermark (equal to ``recount``, in less time)."""
    result = Overview(site=site, period=period, purposes=tuple(purposes))
    result.choices = dict.fromkeys(CHOICES, 0)
    result.layers = dict.fromkeys(LAYERS, 0)
    totals = {p: [0, 0] for p in result.purposes}
    languages: dict[str, int] = {}
    versions: dict[str, list[Any]] = {}  # version -> [accepted, decisions, first day]
    with rollup.snapshot(ledger) as conn:
        keyed = rollup.keyed(conn, site, period.start, period.end)
        for key, n in keyed:
            result.decisions += n
            result.gpc += n if key.gpc else 0
            choice = _choice(key.action)
            if choice:
                result.choices[choice] += n
            result.layers[key.source if key.source in ("banner", "settings") else "other"] += n
            daily = result.trend.setdefault(key.day, {p: Rate() for p in result.purposes})
            for p in result.purposes:
                granted, seen = p in key.granted, p in key.granted or p in key.refused
                if seen:
                    was = daily[p]
                    daily[p] = Rate(was.granted + n * granted, was.seen + n)
                    totals[p][0] += n * granted
                    totals[p][1] += n
            languages[key.language] = languages.get(key.language, 0) + n
            version = versions.setdefault(key.policy_version, [0, 0, key.day])
            version[0] += n if key.action == "accept_all" else 0
            version[1] += n
            version[2] = min(version[2], key.day)
        order = _first_seen(conn, site, period, {v: f[2] for v, f in versions.items()})
    result.versions = {v: Rate(versions[v][0], versions[v][1]) for v in order}
    result.rates = {p: Rate(g, s) for p, (g, s) in totals.items()}
    result.languages = dict(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0])))
    return result


def _choice(action: str | None) -> str:
    """A record's choice by its action, as ``_choice_conditions`` says ("" for none of them)."""
    if action in ("accept_all", "reject_all"):
        return action
    if action == "withdraw":
        return "withdrawn"
    return "custom" if action in ("save", None) else ""


def _first_seen(
    conn: sa.Connection, site: str, period: Period, first_days: dict[str, date]
) -> list[str]:
    """The versions in the order of their first decision in the period, as ``recount``
    orders them: by first day, and only where two share a first day, by the exact first
    time (one day of the site's records, read on the (site_id, created_at) index)."""
    ties = Counter(first_days.values())
    exact: dict[str, datetime] = {}
    for version, day in first_days.items():
        if ties[day] < 2:
            continue
        start = max(period.start, datetime.combine(day, time(), UTC))
        end = min(period.end, datetime.combine(day + timedelta(days=1), time(), UTC))
        first = conn.execute(
            sa.select(sa.func.min(records.c.created_at)).where(
                records.c.site_id == site,
                records.c.policy_version == version,
                records.c.created_at >= start,
                records.c.created_at < end,
            )
        ).scalar_one()
        exact[version] = first if first.tzinfo else first.replace(tzinfo=UTC)
    never = datetime.min.replace(tzinfo=UTC)
    return sorted(first_days, key=lambda v: (first_days[v], exact.get(v, never), v))


def recount(ledger: Ledger, *, site: str, period: Period, purposes: Sequence[str]) -> Overview:
    """The same figures as ``overview``, counted from the records alone (no rollup)."""
    result = Overview(site=site, period=period, purposes=tuple(purposes))
    engine = ledger.engine
    day = _day(engine.dialect.name).label("day")
    columns: list[sa.ColumnElement[Any]] = [day, sa.func.count().label("n")]
    columns.append(_count(records.c.gpc.is_(True)).label("gpc"))
    columns += [_count(c).label(f"c_{k}") for k, c in _choice_conditions().items()]
    columns += [_count(c).label(f"l_{k}") for k, c in _layer_conditions().items()]
    for i, p in enumerate(result.purposes):
        columns.append(_count(_contains(records.c.granted, p)).label(f"g{i}"))
        seen = sa.or_(_contains(records.c.granted, p), _contains(records.c.refused, p))
        columns.append(_count(seen).label(f"s{i}"))
    by_day = _where(sa.select(*columns), site, period).group_by(day).order_by(day)
    by_language = _where(
        sa.select(records.c.language, sa.func.count().label("n")), site, period
    ).group_by(records.c.language)
    accepted = _count(_choice_conditions()["accept_all"]).label("accepted")
    first = sa.func.min(records.c.created_at).label("first")
    by_version = (
        _where(
            sa.select(records.c.policy_version, sa.func.count().label("n"), accepted, first),
            site,
            period,
        )
        .group_by(records.c.policy_version)
        .order_by(first, records.c.policy_version)
    )
    result.choices = dict.fromkeys(CHOICES, 0)
    result.layers = dict.fromkeys(LAYERS, 0)
    totals = {p: [0, 0] for p in result.purposes}
    with engine.connect() as conn:
        for row in conn.execute(by_day).mappings():
            result.decisions += row["n"]
            result.gpc += row["gpc"]
            for k in CHOICES:
                result.choices[k] += row[f"c_{k}"]
            for k in LAYERS:
                result.layers[k] += row[f"l_{k}"]
            daily: dict[str, Rate] = {}
            for i, p in enumerate(result.purposes):
                daily[p] = Rate(row[f"g{i}"], row[f"s{i}"])
                totals[p][0] += row[f"g{i}"]
                totals[p][1] += row[f"s{i}"]
            result.trend[date.fromisoformat(str(row["day"]))] = daily
        for row in conn.execute(by_language).mappings():
            result.languages[row["language"]] = row["n"]
        for row in conn.execute(by_version).mappings():
            result.versions[row["policy_version"]] = Rate(row["accepted"], row["n"])
    result.rates = {p: Rate(g, s) for p, (g, s) in totals.items()}
    result.languages = dict(sorted(result.languages.items(), key=lambda kv: (-kv[1], kv[0])))
    return result


def sites(ledger: Ledger) -> list[str]:
    """The site ids present in the store, for the site picker (on every page: one index
    probe per site, ``record_sites``)."""
    with ledger.engine.connect() as conn:
        return record_sites(conn)
