"""Shared fixtures: a Flask app with the extension, its client, and a real browser.

Test modules extend ``app`` by redefining the fixture (``def app(app): ...``) or by building
their own with ``make_app``. ``CONSENT_TEST_STORE=postgres`` puts every app that ``make_app``
builds without a store of its own on PostgreSQL instead of an SQLite file: a fresh schema per
folder per test (``default_store``), dropped after the test.

Browser tests get Debian's Chromium through Playwright and a live server on 127.0.0.1:
Playwright drives /usr/bin/chromium (CONSENT_TEST_CHROMIUM) with the flags in CHROMIUM_ARGS,
which keep it off the network; Playwright's own download is not used.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, make_server

from consent_sdk import ConsentManager
from consent_sdk.scan.browser import CHROMIUM_ARGS
from tests.stores import POSTGRES, STORE, default_store, drop_stores, made, postgres_schema

__all__ = ["POSTGRES", "STORE", "default_store", "postgres_schema"]  # for the test modules

CHROMIUM = os.environ.get("CONSENT_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


CONTROLLER = {"name": "Example Ltd", "contact": "privacy@example.test"}
PURPOSES: list[Any] = [
    "necessary",
    {"id": "preferences", "cookies": ["lang"]},
    {"id": "analytics", "cookies": ["_sa_id", "_ga", "_ga_*", "_gid"]},
    {"id": "marketing", "cookies": ["_sa_mkt", "_fbp", "_gcl_*"]},
]
"""The built-in purposes, each with the cookies the test tags set (a site declares its own)."""
SITE = {
    "CONSENT_CONTROLLER": CONTROLLER,
    "CONSENT_POLICY_URL": "/privacy",
    "CONSENT_PURPOSES": PURPOSES,
}
"""What every site sets: who asks, where the policy is, what it asks for."""


def make_app(tmp_path: Path, **config: Any) -> Flask:
    """A minimal host app with the extension on the default store of ``tmp_path``
    (``default_store``: an SQLite file there, or with ``CONSENT_TEST_STORE=postgres`` a
    PostgreSQL schema of its own).

    No rate limit unless asked for (``CONSENT_RATE_LIMIT=...``): these tests are many visitors
    from one address (127.0.0.1); tests/test_hardening.py tests the limit itself.
    """
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="test-secret",
        CONSENT_RATE_LIMIT=None,
        **SITE,
    )
    app.config.update(config)
    if "CONSENT_DATABASE_URI" not in config:
        app.config["CONSENT_DATABASE_URI"] = default_store(tmp_path)
    ConsentManager(app)
    return app


def banner_config(client: Any, path: str) -> dict[str, Any]:
    """The config the widget on the page at ``path`` starts with, as a visitor's browser gets
    it: the script ``consent_banner()`` links, with its language's config bundled in. Adds
    ``script`` (the script's URL) and ``lang_fixed`` (the server chose the language, so the
    widget keeps it whatever ``<html lang>`` says)."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<script src="([^"]*/consent\.js\?[^"]*)"([^>]*)>', html)
    assert match, "the page has no consent_banner() script"
    src = match.group(1).replace("&amp;", "&")
    body = client.get(src).get_data(as_text=True)
    config: dict[str, Any] = json.loads(body.rsplit("})(", 1)[1].removesuffix(");"))
    return {
        **config,
        "script": src,
        "lang_fixed": 'data-consent-lang="fixed"' in match.group(2),
    }


def decide_concurrently(apps: list[Flask], visitors: int, decisions: int) -> list[str]:
    """``visitors`` threads, spread over ``apps``, each posting ``decisions`` decisions at once;
    returns the event ids the server acknowledged with 200."""

    def visitor(n: int) -> list[str]:
        client = apps[n % len(apps)].test_client()
        # Each visitor is a client of its own (CONSENT_RATE_LIMIT counts per client address).
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        acknowledged = []
        for i in range(decisions):
            event_id = str(uuid.uuid4())
            body = {"purposes": {"analytics": i % 2 == 0}, "event_id": event_id}
            assert client.post("/consent/state", json=body).status_code == 200
            acknowledged.append(event_id)
        return acknowledged

    with ThreadPoolExecutor(max_workers=visitors) as pool:
        return [e for events in pool.map(visitor, range(visitors)) for e in events]


def stored_event_ids(uri: str) -> list[str]:
    """Every event id in the store at ``uri``, read on a connection of its own."""
    engine = sa.create_engine(uri)
    with engine.connect() as conn:
        stored = [r[0] for r in conn.execute(sa.text("select event_id from consent_records"))]
    engine.dispose()
    return stored


def consent_id_of(app: Flask, visitor: Any) -> str:
    """The consent id in a visitor's signed cookie, read as the server reads it: the API's
    answers no longer carry it (page scripts must not learn it). ``visitor`` is a Flask test
    client or the cookie's value (from a browser: ``context.cookies()`` includes HttpOnly)."""
    value = visitor if isinstance(visitor, str) else visitor.get_cookie("consent").value
    with app.app_context():
        data = app.extensions["consent"].codec().loads(value)
    assert data is not None, "no authentic consent cookie"
    return str(data.consent_id)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A real store of each kind: an SQLite file, and a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(autouse=True, scope="session")
def _pg_stores_of_the_session() -> Iterator[None]:
    """Schemas made for wider-scoped fixtures (``tmp_path_factory``) go at the end."""
    yield
    drop_stores(keep=set())


@pytest.fixture(autouse=True)
def _pg_stores_of_the_test() -> Iterator[None]:
    """The schemas ``default_store`` made during a test are dropped after it."""
    before = made()
    yield
    drop_stores(keep=before)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


# --- browser ---------------------------------------------------------------------------


# Module scope, not session: while Playwright's sync API is running it keeps an event loop
# registered in the main thread, and asgiref (async views) refuses to run there.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies, no storage); a screenshot is kept on failure."""
    ctx = browser.new_context()
    yield ctx
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, page in enumerate(ctx.pages):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"), full_page=True)
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


class LiveServer:
    """A Flask app served by werkzeug on 127.0.0.1 in a thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        server = make_server("127.0.0.1", 0, app, threaded=True)
        assert isinstance(server, ThreadedWSGIServer)
        self._server = server
        # werkzeug makes its request threads daemons, which socketserver does not wait for:
        # a request the browser sent as the test ended (the widget's impression count) would
        # still be writing after the test, on a store the next fixture drops. Not daemons,
        # server_close() (at the end of serve_forever) waits for every one.
        self._server.daemon_threads = False
        self.url = f"http://127.0.0.1:{self._server.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), f"{self.url}: a request was still running after 10 s"


@pytest.fixture
def live_server() -> Iterator[Callable[[Flask], LiveServer]]:
    """Call with an app to serve it; every server is stopped after the test."""
    servers: list[LiveServer] = []

    def start(app: Flask) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
