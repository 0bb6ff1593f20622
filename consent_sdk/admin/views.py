"""The dashboard's blueprint: the guard, the overview page, each chart's CSV, the records
list and one record's page.

A blueprint of its own (``consent_admin``), so the public API's origin checks, rate limit and
JSON error handlers never see these requests, and the guard never sees the public API's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from ..impressions.funnel import funnel
from ..ledger.store import as_record
from ..pages import render
from ..state import _ext
from . import charts, proof, records
from .aggregates import EARLIEST, LATEST, Period, overview, sites
from .texts import LANGUAGES, TEXTS, words

DEFAULT_DAYS = 30
MAX_DAYS = 3660
"""The longest period a page shows (ten years): its days are drawn one by one."""
GUARD_KEY = "consent_sdk.admin_guard"
FUNNEL = "shown"
"""The shown → decided chart (impressions, not decisions: not one of ``charts.CHARTS``)."""

blueprint = Blueprint("consent_admin", __name__, static_folder="static")


@blueprint.before_request
def _guard() -> Response | None:
    """Ask the host's guard; its own exceptions (a login redirect, an abort) pass through."""
    if request.endpoint == "consent_admin.static":
        return None
    if current_app.extensions[GUARD_KEY]() is not True:
        lang = _lang()
        html = render("admin/forbidden.html", lang=lang, t=words(lang), stylesheet=_css())
        return Response(html, status=403, mimetype="text/html")
    return None


@blueprint.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _lang() -> str:
    """``?lang=``, else the site's default language, else English: one the page speaks."""
    for lang in (request.args.get("lang"), _ext().config.default_language):
        if lang in TEXTS:
            return lang
    return "en"


def _picker(site: str) -> list[str]:
    """The site picker's sites: the store's, and the one asked for even without records."""
    known = sites(_ext().ledger)
    return known if site in known else sorted([*known, site])


def _css() -> str:
    return url_for("consent_admin.static", filename="admin.css")


def _day(name: str) -> date | None:
    try:
        return min(max(date.fromisoformat(request.args.get(name, "")), EARLIEST), LATEST)
    except ValueError:
        return None


def _period() -> Period:
    """``?since=&until=`` (whole UTC days), the last 30 days where missing or malformed; at
    most ``MAX_DAYS`` ending on ``until``."""
    default = Period.last_days(DEFAULT_DAYS)
    since, until = _day("since"), _day("until")
    if until is None:
        until = default.until if since is None else max(since, default.until)
    if since is None:
        since = Period.last_days(DEFAULT_DAYS, until).since
    if since > until:
        since, until = until, since
    return Period(max(since, until - timedelta(days=MAX_DAYS - 1)), until)


@blueprint.get("/")
def overview_page() -> Response:
    """The overview (``?format=csv&chart=…``: one chart's data as CSV)."""
    ext = _ext()
    cfg = ext.config
    lang = _lang()
    t = words(lang)
    site = request.args.get("site") or cfg.site_id
    period = _period()
    # Strictly necessary purposes are granted by every decision: a 100 % that says nothing.
    purposes = [p.id for p in cfg.purposes if not p.required]
    data = overview(ext.ledger, site=site, period=period, purposes=purposes)
    shown = funnel(ext.ledger, site=site, since=period.since, until=period.until + timedelta(1))
    label_lang = cfg.language(lang)
    labels = {p.id: p.label(label_lang) for p in cfg.purposes}
    if request.args.get("format") == "csv":
        if request.args.get("chart") == FUNNEL:
            return _csv_file(charts.funnel_csv(shown, t), FUNNEL, data)
        return _csv(data, request.args.get("chart", ""), t, labels)
    known = _picker(site)
    query: dict[str, Any] = {
        "site": site,
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "lang": lang,
    }
    html = render(
        "admin/overview.html",
        lang=lang,
        t=t,
        stylesheet=_css(),
        languages=LANGUAGES,
        o=data,
        sites=known,
        query=query,
        bars={
            **{c: charts.bars(data, c, t, labels) for c in charts.CHARTS if c != "trend"},
            FUNNEL: charts.funnel_bars(shown, t),
        },
        shown=shown,
        lines=charts.trend_lines(data, labels),
        share_ticks=charts.share_ticks(),
        day_ticks=charts.day_ticks(period.days()),
        labels=labels,
        days=sorted(data.trend),
        csv={
            c: url_for(".overview_page", format="csv", chart=c, **query)
            for c in (*charts.CHARTS, FUNNEL)
        },
        g=charts,
    )
    return Response(html, mimetype="text/html")


def _csv(data: Any, chart: str, t: dict[str, str], labels: dict[str, str]) -> Response:
    if chart not in charts.CHARTS:
        return Response(
            f"Unknown chart {chart!r}: use one of {', '.join(charts.CHARTS)}.\n",
            status=404,
            mimetype="text/plain",
        )
    return _csv_file(charts.csv_rows(data, chart, t, labels), chart, data)


def _csv_file(rows: list[list[Any]], chart: str, data: Any) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    site = "".join(c if c.isalnum() or c in "._-" else "_" for c in data.site)
    name = f"consent-{chart}-{site}-{data.period.since}-{data.period.until}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _site() -> str:
    """``?site=`` (the picker), else this app's ``CONSENT_SITE_ID``."""
    return request.args.get("site") or _ext().config.site_id


def _named(lang: str) -> Callable[[Iterable[str]], str]:
    """Purpose ids as their labels in the dashboard's language (the site's own, when it
    speaks it), in the site's order of purposes; an id it no longer declares as itself."""
    cfg = _ext().config
    label_lang = cfg.language(lang)
    order = {p.id: (n, p.label(label_lang)) for n, p in enumerate(cfg.purposes)}

    def named(given: Iterable[str]) -> str:
        ids = list(given)
        known = sorted((order[i] for i in ids if i in order), key=lambda o: o[0])
        names = [label for _, label in known] + sorted(i for i in ids if i not in order)
        return ", ".join(names) or "—"

    return named


@blueprint.get("/records")
def records_page() -> Response:
    """The site's records, newest first, by consent id and/or days; ``?before=ID`` pages.

    A malformed field is said on the page (400), with nothing listed: a list of every record
    under "that is not a consent id" would pass for the answer. Never a 500.
    """
    lang = _lang()
    search, errors = records.parse(request.args, _site())
    found = records.Found([], None) if errors else records.search(_ext().ledger, search)
    query = {
        "site": search.site,
        "consent_id": search.consent_id or request.args.get("consent_id", "").strip(),
        "since": search.since.isoformat() if search.since else "",
        "until": search.until.isoformat() if search.until else "",
        "lang": lang,
    }
    link: dict[str, Any] = {k: v for k, v in query.items() if v}
    html = render(
        "admin/records.html",
        lang=lang,
        t=words(lang),
        stylesheet=_css(),
        languages=LANGUAGES,
        sites=_picker(search.site),
        query=query,
        search=search,
        found=found,
        errors=errors,
        named=_named(lang),
        older=url_for(".records_page", **link, before=found.older) if found.older else None,
        newest=url_for(".records_page", **link) if search.before is not None else None,
    )
    return Response(html, status=400 if errors else 200, mimetype="text/html")


@blueprint.get("/records/<int:record_id>")
def record_page(record_id: int) -> Response:
    """One record: its fields, the texts its visitor was shown, and whether its proof holds.
    Another site's record (or none) is 404: the page answers for the selected site only."""
    ext = _ext()
    lang = _lang()
    site = _site()
    t = words(lang)
    back = {"site": site, "lang": lang}
    row = records.stored_row(ext.ledger, record_id, site)
    context: dict[str, Any] = {
        "lang": lang,
        "t": t,
        "stylesheet": _css(),
        "record_id": record_id,
        "back": back,
    }
    if row is None:
        return Response(render("admin/record.html", **context), status=404, mimetype="text/html")
    record = as_record(row)
    shown = ext.ledger.texts(record["texts_hash"])
    html = render(
        "admin/record.html",
        **context,
        r=record,
        shown=shown,
        texts_match=proof.texts_match(shown, record["texts_hash"]),
        proof=proof.check(ext.ledger, ext.keys.public, row),
        named=_named(lang),
    )
    return Response(html, mimetype="text/html")
