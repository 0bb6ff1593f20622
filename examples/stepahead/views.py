"""The site's pages, the language choice, and the endpoints the gated tags talk to."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from consent_sdk import ConsentManager, current_consent, has_consent, requires_consent

from .i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, text
from .models import ContactMessage, db, increment
from .policy import load_policy
from .security import csrf_token, csrf_valid

bp = Blueprint("site", __name__)

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# Pages the tracker may count; anything else is refused, so the counts stay meaningful.
TRACKED_PATHS = frozenset({"/", "/services", "/contact", "/privacy"})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {"name": 200, "email": 254, "message": 5000}
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


# --- language -----------------------------------------------------------------------------


def select_language() -> str:
    """``?lang=`` first (every link of the site and the banner's policy link carry it), then the
    ``lang`` cookie (only honoured with preferences consent), then Latvian. Never the browser's
    Accept-Language: StepAhead speaks Latvian first."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGUAGES and has_consent("preferences"):
        return remembered
    return DEFAULT_LANGUAGE


def _remember_language(response: Response) -> Response:
    """Keep the language in a cookie only while the visitor allows preferences."""
    if request.blueprint != bp.name:
        return response
    lang = getattr(g, "lang", None)
    stored = request.cookies.get(LANG_COOKIE)
    if has_consent("preferences"):
        if lang and request.args.get("lang") == lang and stored != lang:
            response.set_cookie(
                LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax", path="/"
            )
    elif stored is not None:
        response.delete_cookie(LANG_COOKIE, path="/")
    return response


def init_language(app: Flask, consent: ConsentManager) -> None:
    """Pick the language once per request and feed it to the banner."""

    @app.before_request
    def _pick() -> None:
        g.lang = select_language()

    @consent.language_selector
    def _selector() -> str:
        return getattr(g, "lang", None) or select_language()

    app.after_request(_remember_language)
    app.extensions["stepahead"] = {"consent": consent}

    @app.template_filter("when")
    def _when(value: datetime | str | None) -> str:
        """A time as the visitor reads it: ``2026-11-26 10:00 UTC``."""
        if value is None:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        lang: str = getattr(g, "lang", DEFAULT_LANGUAGE)

        def t(key: str) -> str:
            return text(lang, key)

        def lurl(endpoint: str, **values: Any) -> str:
            """url_for that keeps the page language (it is in the URL until remembered)."""
            return url_for(endpoint, lang=lang, **values)

        def lang_url(code: str) -> str:
            values: dict[str, Any] = {**(request.view_args or {}), **request.args, "lang": code}
            return url_for(request.endpoint or "site.home", **values)

        return {
            "lang": lang,
            "languages": LANGUAGES,
            "language_names": LANGUAGE_NAMES,
            "t": t,
            "lurl": lurl,
            "lang_url": lang_url,
            "debug": request.args.get("debug") == "1",
        }


# --- pages --------------------------------------------------------------------------------


@bp.get("/")
def home() -> str:
    return render_template("home.html", page="home")


@bp.get("/services")
def services() -> str:
    return render_template("services.html", page="services")


def _validate(form: dict[str, str], lang: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field, limit in LIMITS.items():
        value = form[field]
        if not value:
            errors[field] = text(lang, "err_required")
        elif len(value) > limit:
            errors[field] = text(lang, "err_too_long").format(max=limit)
    if "email" not in errors and not EMAIL.match(form["email"]):
        errors["email"] = text(lang, "err_email")
    return errors


@bp.route("/contact", methods=["GET", "POST"])
def contact() -> Any:
    form = {field: "" for field in LIMITS}
    errors: dict[str, str] = {}
    form_error = None
    if request.method == "POST":
        form = {field: request.form.get(field, "").strip() for field in LIMITS}
        if not csrf_valid(request.form.get("csrf")):
            form_error = text(g.lang, "err_csrf")
        else:
            errors = _validate(form, g.lang)
        if not errors and form_error is None:
            db.session.add(ContactMessage(language=g.lang, **form))
            db.session.commit()
            flash(text(g.lang, "contact_thanks"))
            return redirect(url_for("site.contact", lang=g.lang, sent=1), code=303)
        form_error = form_error or text(g.lang, "contact_errors")
    status = 400 if form_error else 200
    return (
        render_template(
            "contact.html",
            page="contact",
            form=form,
            errors=errors,
            form_error=form_error,
            csrf=csrf_token(),
        ),
        status,
    )


@bp.get("/privacy")
def privacy() -> str:
    consent: ConsentManager = current_app.extensions["stepahead"]["consent"]
    history: list[dict[str, Any]] = []
    if current_consent.consent_id:
        history = consent.history(current_consent.consent_id)
    return render_template(
        "privacy.html",
        page="privacy",
        policy=load_policy(g.lang),
        history=history,
    )


# --- what the gated tags talk to ----------------------------------------------------------


@bp.post("/analytics/collect")
@requires_consent("analytics")
def collect() -> Response:
    """The page-view tracker's endpoint; refused (403) without analytics consent."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("path") not in TRACKED_PATHS:
        return _bad_request("path", "Unknown page.")
    path: str = body["path"]
    count = increment("pageview", path)
    if body.get("new_visitor") is True:
        increment("visitor", "*")
    return jsonify(path=path, count=count)


@bp.get("/pixel")
@requires_consent("marketing")
def pixel() -> Response:
    """The advertising "pixel": a 1x1 GIF that counts conversions; marketing consent only."""
    path = request.args.get("p", "")
    if path in TRACKED_PATHS:
        increment("pixel", path)
    response = Response(PIXEL_GIF, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/embed/video")
def embed_video() -> str:
    """A stand-in for a YouTube embed. Like the real one it does not check consent itself:
    the page loads it (data-consent="marketing") only once the visitor allows marketing."""
    increment("embed", "/embed/video")
    return render_template("embed_video.html")


def _bad_request(field: str, message: str) -> Response:
    response = jsonify(error="invalid_request", message=message, fields={field: [message]})
    response.status_code = 400
    return response


@bp.app_errorhandler(404)
def not_found(_error: Exception) -> tuple[str, int]:
    g.lang = getattr(g, "lang", DEFAULT_LANGUAGE)
    return render_template("not_found.html", page=""), 404
