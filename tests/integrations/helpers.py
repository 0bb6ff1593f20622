"""A small host app, and what a visitor does with the banner, shared by the integration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response

from tests.browser.widget import BANNER, wait_delivered
from tests.conftest import SITE, banner_config, default_store

__all__ = ["banner_config"]  # re-exported for the integration tests

ANALYTICS_TAG = "window.ran = (window.ran || []).concat('analytics');"
"""The site's analytics "tag": records that it ran (``tests.browser.widget.ran`` reads it)."""

GATED_TAG = (
    '<script type="text/plain" data-consent="analytics" src="/assets/analytics.js"></script>'
)


def host_app(tmp_path: Path, name: str = "host", **config: Any) -> Flask:
    """A host app configured for consent_sdk (consent store ``default_store(tmp_path)``), not
    yet set up with any extension: each test installs them in the order it is about."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    app = Flask(name, instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="integration-secret",
        CONSENT_DATABASE_URI=default_store(tmp_path),
        **SITE,
    )
    app.config.update(config)

    @app.get("/assets/analytics.js")
    def analytics_js() -> Response:
        return Response(ANALYTICS_TAG, mimetype="text/javascript")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    return app


def set_cookies(response: Any) -> dict[str, str]:
    """``{cookie name: its whole Set-Cookie header}`` of a response."""
    headers = response.headers.getlist("Set-Cookie")
    return {h.split("=", 1)[0]: h for h in headers}


def choose(page: Any, action: str) -> None:
    """Click a first-layer button (``accept-all``, ``reject-all``) and wait until the server
    has acknowledged the decision."""
    page.click(f'{BANNER} [data-consent-action="{action}"]')
    wait_delivered(page)


def decision(analytics: bool = True) -> dict[str, Any]:
    """A POST /consent/state body, as a site's own script would send it."""
    return {"purposes": {"analytics": analytics}, "source": "api"}
