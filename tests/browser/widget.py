"""Helpers for the widget's browser tests: the test site, and probes of what the page did."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template
from jinja2 import FileSystemLoader

from consent_sdk import requires_consent
from tests.conftest import make_app

PAGES = Path(__file__).resolve().parent / "pages"
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"

# Gated "tags": each records that it ran, sets the cookie its purpose declares, and pushes a
# dataLayer event (the Consent Mode order test reads them).
ASSETS = {
    "analytics.js": (
        "window.ran = (window.ran || []).concat('analytics');"
        "document.cookie = '_sa_id=a1; path=/';"
        "document.cookie = '_ga_TEST=g1; path=/';"
        "(window.dataLayer = window.dataLayer || []).push({event: 'analytics_tag'});"
    ),
    "marketing.js": (
        "window.ran = (window.ran || []).concat('marketing');"
        "document.cookie = '_sa_mkt=m1; path=/';"
        "(window.dataLayer = window.dataLayer || []).push({event: 'marketing_tag'});"
    ),
    # A first-party tag that reports to an endpoint the server gates with @requires_consent.
    "collect.js": (
        "fetch('/collect', {method: 'POST'}).then(r => { window.collected = r.status })"
    ),
    # An ordinary, ungated tag placed right after consent_banner() in <head>.
    "page-tag.js": "(window.dataLayer = window.dataLayer || []).push({event: 'page_tag'});",
}

BANNER = '[data-consent-ui="banner"]'
DIALOG = '[data-consent-ui="dialog"]'
PENDING = "consent_sdk.pending"


STRICT_CSP = "default-src 'self'"
NONCE = "dGVzdC1ub25jZQ"


def build_app(
    tmp_path: Path,
    page: str = "gated.html",
    *,
    csp: str | None = None,
    lang: str = "en",
    **config: Any,
) -> Flask:
    """A host app with one test page at ``/``, gated assets, an embed and a privacy page.

    ``csp`` is sent as the Content-Security-Policy header of every response; a page whose CSP
    names ``NONCE`` gets it in ``consent_banner(nonce=...)`` and its inline scripts.
    """
    config.setdefault("CONSENT_POLICY_URL", "/privacy")
    app = make_app(tmp_path, **config)
    app.jinja_loader = FileSystemLoader(PAGES)

    @app.get("/")
    def index() -> str:
        nonce = NONCE if csp and NONCE in csp else None
        return render_template(page, lang=lang, nonce=nonce)

    @app.get("/assets/<name>")
    def asset(name: str) -> Response:
        return Response(ASSETS[name], mimetype="text/javascript")

    if "analytics" in app.extensions["consent"].config.by_id:

        @app.post("/collect")
        @requires_consent("analytics")
        def collect() -> str:
            return "counted"

    @app.get("/embed")
    def embed() -> str:
        return "<!doctype html><title>Embed</title><p>embedded content</p>"

    @app.get("/privacy")
    def privacy() -> str:
        return "<!doctype html><title>Privacy</title><h1>Privacy policy</h1>"

    if csp:

        @app.after_request
        def content_security_policy(response: Response) -> Response:
            response.headers["Content-Security-Policy"] = csp
            return response

    return app


def history(page: Any) -> list[dict[str, Any]]:
    """The visitor's records as the server stored them (GET /consent/history, own cookie)."""
    body: dict[str, Any] = page.evaluate("fetch('/consent/history').then(r => r.json())")
    return list(body["records"])


def ran(page: Any) -> list[str]:
    """Which gated scripts executed, in order."""
    return list(page.evaluate("window.ran || []"))


def cookie_names(page: Any) -> set[str]:
    """Cookies the page's scripts can see."""
    raw: str = page.evaluate("document.cookie")
    return {c.split("=", 1)[0].strip() for c in raw.split(";") if c.strip()}


def open_dialog(page: Any, control: str) -> None:
    """Click ``control`` (a "Choose" or settings button) and wait for the settings dialog: the
    first opening on a page loads the dialog's own file (docs/design.md)."""
    page.click(control)
    page.locator(f"{DIALOG}[open]").wait_for()


def fail_first(page: Any, pattern: str) -> list[str]:
    """Make the first request for ``pattern`` fail as a network error and let later ones
    through; returns the URLs failed (one, once it has happened)."""
    failed: list[str] = []

    def first_fails(route: Any) -> None:
        if not failed:
            failed.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route(pattern, first_fails)
    return failed


def wait_delivered(page: Any, timeout: float = 10_000) -> None:
    """Wait until the widget's retry queue is empty (the server acknowledged everything)."""
    page.wait_for_function(f"() => !localStorage.getItem('{PENDING}')", timeout=timeout)


def data_layer(page: Any) -> list[Any]:
    """window.dataLayer with gtag's Arguments objects turned into lists."""
    return list(
        page.evaluate(
            """() => (window.dataLayer || []).map(e =>
                Object.prototype.toString.call(e) === '[object Arguments]' ? Array.from(e) : e)"""
        )
    )


def rgb(value: str) -> tuple[float, ...]:
    """'rgb(29, 78, 216)' -> (29, 78, 216)."""
    return tuple(float(x) for x in re.findall(r"[\d.]+", value)[:3])


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two computed CSS colours."""

    def luminance(color: tuple[float, ...]) -> float:
        parts = [c / 255 for c in color]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((luminance(rgb(fg)), luminance(rgb(bg))), reverse=True)
    return (a + 0.05) / (b + 0.05)
