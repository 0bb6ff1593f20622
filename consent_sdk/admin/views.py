"""The dashboard's blueprint: the guard, the overview page and each chart's CSV.

A blueprint of its own (``consent_admin``), so the public API's origin checks, rate limit and
JSON error handlers never see these requests, and the guard never sees the public API's.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from ..state import _ext
from . import charts
from .aggregates import Period, overview, sites
from .texts import TEXTS, words

DEFAULT_DAYS = 30
GUARD_KEY = "consent_sdk.admin_guard"

blueprint = Blueprint(
    "consent_admin", __name__, template_folder="templates", static_folder="static"
)


@blueprint.before_request
def _guard() -> Response | None:
    """Ask the host's guard; its own exceptions (a login redirect, an abort) pass through."""
    if request.endpoint == "consent_admin.static":
        return None
    if current_app.extensions[GUARD_KEY]() is not True:
        lang = _lang()
        html = render_template("admin/forbidden.html", lang=lang, t=words(lang), css=_css())
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
    asked = request.args.get("lang")
    return asked if asked in TEXTS else _ext().config.default_language


def _css() -> str:
    return url_for("consent_admin.static", filename="admin.css")


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _period() -> Period:
    """``?since=&until=`` (whole UTC days), the last 30 days where missing or malformed."""
    default = Period.last_days(DEFAULT_DAYS)
    since, until = _day("since"), _day("until")
    if until is None:
        until = default.until if since is None else max(since, default.until)
    if since is None:
        since = Period.last_days(DEFAULT_DAYS, until).since
    if since > until:
        since, until = until, since
    return Period(since, until)


@blueprint.get("/")
def overview_page() -> Response:
    """The overview (``?format=csv&chart=…``: one chart's data as CSV)."""
    ext = _ext()
    cfg = ext.config
    lang = _lang()
    t = words(lang)
    site = request.args.get("site") or cfg.site_id
    period = _period()
    purposes = [p.id for p in cfg.purposes]
    data = overview(ext.ledger, site=site, period=period, purposes=purposes)
    label_lang = cfg.language(lang)
    labels = {p.id: p.label(label_lang) for p in cfg.purposes}
    if request.args.get("format") == "csv":
        return _csv(data, request.args.get("chart", ""), t, labels)
    known = sites(ext.ledger)
    if site not in known:
        known = sorted([*known, site])
    query: dict[str, Any] = {
        "site": site,
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "lang": lang,
    }
    html = render_template(
        "admin/overview.html",
        lang=lang,
        t=t,
        css=_css(),
        o=data,
        sites=known,
        query=query,
        bars={c: charts.bars(data, c, t, labels) for c in charts.CHARTS if c != "trend"},
        lines=charts.trend_lines(data, labels),
        labels=labels,
        days=sorted(data.trend),
        csv={c: url_for(".overview_page", format="csv", chart=c, **query) for c in charts.CHARTS},
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
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(charts.csv_rows(data, chart, t, labels))
    response = Response(buffer.getvalue(), mimetype="text/csv")
    name = f"consent-{chart}-{data.site}-{data.period.since}-{data.period.until}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
