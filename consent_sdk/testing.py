"""Helpers for a site's own tests: clients that carry a valid consent cookie."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask.testing import FlaskClient

from .cookie import CookieData

if TYPE_CHECKING:
    from .scan import ScanResult


def consent_cookie(
    app: Flask,
    *granted: str,
    consent_id: str | None = None,
    policy_version: str | None = None,
    given_at: float | None = None,
) -> str:
    """A signed consent cookie value granting ``granted`` (and the exempt purposes)."""
    ext = app.extensions["consent"]
    cfg = ext.config
    unknown = sorted(set(granted) - set(cfg.by_id))
    if unknown:
        raise ValueError(f"Unknown purposes {unknown}; configured: {list(cfg.by_id)}.")
    allowed = {p.id for p in cfg.purposes if p.required or p.id in granted}
    data = CookieData(
        consent_id=consent_id or str(uuid.uuid4()),
        granted=frozenset(allowed),
        refused=frozenset(set(cfg.by_id) - allowed),
        policy_version=policy_version or cfg.policy_version,
        given_at=int(time.time() if given_at is None else given_at),
    )
    token: str = ext.codec().dumps(data)
    return token


def set_consent(client: FlaskClient, *granted: str, **kwargs: Any) -> str:
    """Give ``client`` a consent cookie granting ``granted``; returns the cookie value."""
    app = client.application
    token = consent_cookie(app, *granted, **kwargs)
    client.set_cookie(app.extensions["consent"].config.cookie_name, token)
    return token


def consent_client(app: Flask, *granted: str, **kwargs: Any) -> FlaskClient:
    """A test client that has already consented to ``granted``.

    ``consent_client(app, "analytics").post("/track")`` reaches a view decorated with
    ``@requires_consent("analytics")``.
    """
    client = app.test_client()
    set_consent(client, *granted, **kwargs)
    return client


def scan(
    live_server_url: str,
    *paths: str,
    app: Flask | None = None,
    crawl: bool = False,
    max_pages: int = 10,
    browser: str | None = None,
    screenshots: bool = False,
) -> ScanResult:
    """Scan the site at ``live_server_url`` as ``flask consent scan`` does; the findings.

    ``assert not scan(live_server.url).violations`` in a site's tests. ``paths`` ("/contact")
    are scanned too (relative to the URL); the purposes are ``app``'s, else the current app's.
    Needs Playwright and a Chromium (``browser``, else ``CONSENT_SCAN_BROWSER``, else PATH).
    """
    from urllib.parse import urljoin

    from .scan import Declarations, run

    if app is None:
        try:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
        except RuntimeError:
            raise RuntimeError(
                "scan() reads the site's CONSENT_PURPOSES: pass app=your_app, or call it "
                "inside app.app_context()"
            ) from None
    config = app.extensions["consent"].config
    urls: Sequence[str] = [live_server_url, *(urljoin(live_server_url, p) for p in paths)]
    return run(
        urls,
        Declarations.from_config(config),
        crawl=crawl,
        max_pages=max_pages,
        browser=browser,
        configured_browser=config.scan_browser,
        screenshots=screenshots,
    )
