"""The widget on a page that is not built with Flask, its decisions recorded by the service.

Two origins on loopback: the consent service on ``127.0.0.1:P1`` and a static site on
``localhost:P2`` (a host that only serves files, under its own strict CSP), which embeds the
widget with one script tag; other hosts, so their cookies are apart too (cookies ignore the
port). ``http://127.0.0.1:P2`` is the same static site on an origin the service does not list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from tests.browser.widget import ASSETS, BANNER, DIALOG, PENDING, ran, wait_delivered
from tests.conftest import LiveServer
from tests.embed.conftest import records, service_app

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>Landing</title>
<script src="{service}/consent/embed.js" data-site="{site}" defer></script>
<script type="text/plain" data-consent="analytics" src="/assets/analytics.js"></script>
<script type="text/plain" data-consent="marketing" src="/assets/marketing.js"></script>
</head>
<body>
<h1>Landing</h1>
<p>Static content.</p>
<a href="#" data-consent-action="settings">Cookies</a>
</body>
</html>
"""

CSP = (
    "default-src 'none'; script-src 'self' {service}; style-src {service}; "
    "connect-src {service}; img-src 'self'; base-uri 'none'; form-action 'none'"
)
"""The static site's own policy: its scripts, and the service's; nothing inline, no eval."""

WATCH = """
window.violations = [];
document.addEventListener('securitypolicyviolation', e =>
  window.violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""

FORCE_POST = """url => fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({purposes: {analytics: true}})}).then(() => 'sent', () => 'blocked')"""
"""A page script posting a decision itself, as the widget would."""


@dataclass
class TwoOrigins:
    """The service and the static site that embeds it, and what the static site's browser saw
    of the service: every fetched answer's ``Access-Control-Allow-Origin`` (the dialog is a
    classic script, which needs none), every console error."""

    service: LiveServer
    static: LiveServer
    pages: dict[str, tuple[str, str]]
    allow_origin: list[tuple[str, str | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def app(self) -> Flask:
        return self.service.app

    @property
    def listed(self) -> str:
        """The static site's origin, as the service lists it."""
        return self.static.url.replace("127.0.0.1", "localhost")

    @property
    def unlisted(self) -> str:
        return self.static.url

    def open(self, page: Any, path: str = "/", origin: str | None = None) -> Any:
        page.add_init_script(WATCH)

        def console(message: Any) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        def response(answer: Any) -> None:
            api = self.service.url + "/consent/sites/"
            if answer.url.startswith(api) and answer.request.resource_type == "fetch":
                allowed = answer.headers.get("access-control-allow-origin")
                self.allow_origin.append((answer.url, allowed))

        page.on("console", console)
        page.on("response", response)
        page.goto((origin or self.listed) + path)
        return page


def static_site(pages: dict[str, tuple[str, str]], service: list[str]) -> Flask:
    """A host that serves files: each page with its CSP, the gated tags. No consent_sdk."""
    app = Flask("static_site")

    @app.get("/", defaults={"name": "index"})
    @app.get("/<name>")
    def page(name: str) -> Response:
        if name not in pages:
            return Response("not found", status=404)
        site, lang = pages[name]
        body = PAGE.format(service=service[0], site=site, lang=lang)
        response = Response(body, mimetype="text/html")
        response.headers["Content-Security-Policy"] = CSP.format(service=service[0])
        return response

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    @app.get("/assets/<name>")
    def asset(name: str) -> Response:
        return Response(ASSETS[name], mimetype="text/javascript")

    return app


@pytest.fixture
def origins(tmp_path: Path, live_server: Callable[[Flask], LiveServer]) -> Iterator[TwoOrigins]:
    pages = {"index": ("landing", "lv"), "en": ("landing", "en"), "blog": ("blog", "en")}
    service_url: list[str] = []
    static = live_server(static_site(pages, service_url))
    listed = static.url.replace("127.0.0.1", "localhost")
    sites = {
        "landing": {
            "origins": [listed],
            "policy_url": listed + "/privacy?lang={lang}",
            "languages": ["lv", "en"],
            "default_language": "lv",
            "texts": {"en": {"banner_title": "Cookies on the landing page"}},
        },
        "blog": {"origins": ["https://blog.example.test"], "policy_url": "/privacy"},
    }
    service = live_server(service_app(tmp_path, sites))
    service_url.append(service.url)
    yield TwoOrigins(service, static, pages)


def texts(origins: TwoOrigins, lang: str) -> dict[str, str]:
    site = origins.app.extensions["consent_embed"].sites["landing"]
    return dict(site.config.texts[lang])


def assert_clean(origins: TwoOrigins, page: Any) -> None:
    """No CSP violation on the static page, no console error, and every answer of the service
    it read named exactly the static site's origin."""
    assert page.evaluate("window.violations") == []
    assert origins.errors == []
    assert origins.allow_origin, "the page read nothing from the service"
    assert {allowed for _url, allowed in origins.allow_origin} == {origins.listed}


def test_banner_in_the_pages_language_and_accept_all_recorded_centrally(
    origins: TwoOrigins, page: Any
) -> None:
    origins.open(page)
    banner = page.locator(BANNER)
    banner.wait_for()
    assert texts(origins, "lv")["banner_title"] in banner.inner_text()
    assert ran(page) == []  # rule 1: nothing gated before a decision
    assert records(origins.app) == []

    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    page.wait_for_function("() => (window.ran || []).length == 2")
    wait_delivered(page)
    assert ran(page) == ["analytics", "marketing"]
    # Once: choosing again runs nothing a second time.
    page.evaluate("ConsentSDK.acceptAll()")
    wait_delivered(page)
    assert ran(page) == ["analytics", "marketing"]
    row = records(origins.app)[0]
    assert (row["site_id"], row["action"], row["language"]) == ("landing", "accept_all", "lv")
    assert row["granted"] == ["analytics", "marketing", "necessary", "preferences"]
    site = origins.app.extensions["consent_embed"].sites["landing"]
    assert row["texts_hash"] == site.config.texts_hash("lv")
    # The record is a cookie of the static site; the service's origin has none.
    context = page.context
    assert "consent_record" in {c["name"] for c in context.cookies(origins.listed)}
    # Styled by the service's stylesheet, which the page's CSP lets in.
    assert page.locator(".csdk-fab").evaluate("e => getComputedStyle(e).position") == "fixed"
    assert context.cookies(origins.service.url) == []
    assert_clean(origins, page)

    # The choice survives a reload: no banner, the tags run once on the new page, nothing is
    # recorded again.
    page.reload()
    page.wait_for_function("() => (window.ran || []).length == 2")
    page.locator('[data-consent-ui="fab"]').wait_for()
    assert page.locator(BANNER).count() == 0
    page.wait_for_timeout(300)
    assert ran(page) == ["analytics", "marketing"]
    assert len(records(origins.app)) == 2  # the click and ConsentSDK.acceptAll(), no more
    assert page.evaluate("window.violations") == []


def test_reject_all_is_recorded_runs_nothing_and_is_remembered(
    origins: TwoOrigins, page: Any
) -> None:
    origins.open(page, "/en")
    banner = page.locator(BANNER)
    banner.wait_for()
    assert "Cookies on the landing page" in banner.inner_text()
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    wait_delivered(page)
    [row] = records(origins.app)
    assert (row["site_id"], row["action"], row["language"]) == ("landing", "reject_all", "en")
    assert row["granted"] == ["necessary"]
    page.reload()
    page.locator('[data-consent-ui="fab"]').wait_for()
    assert page.locator(BANNER).count() == 0
    assert ran(page) == []
    assert_clean(origins, page)


def test_changing_the_choice_keeps_the_consent_id_and_withdrawal_asks_again(
    origins: TwoOrigins, page: Any
) -> None:
    origins.open(page)
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    wait_delivered(page)
    page.click('[data-consent-action="settings"] >> nth=0')
    dialog = page.locator(DIALOG)
    dialog.wait_for()
    page.check("#csdk-p-analytics")
    page.click(f'{DIALOG} [data-consent-action="save"]')
    wait_delivered(page)
    assert ran(page) == ["analytics"]
    page.evaluate("ConsentSDK.withdraw()")
    wait_delivered(page)
    page.locator(BANNER).wait_for()
    rejected, saved, withdrawn = records(origins.app)
    assert rejected["consent_id"] == saved["consent_id"] == withdrawn["consent_id"]
    assert (saved["action"], saved["granted"]) == ("save", ["analytics", "necessary"])
    assert withdrawn["action"] == "withdraw"
    assert "consent_record" not in {c["name"] for c in page.context.cookies()}
    assert_clean(origins, page)


def test_an_unlisted_origin_gets_no_banner_and_writes_nothing(
    origins: TwoOrigins, page: Any
) -> None:
    origins.open(page, origin=origins.unlisted)
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    assert page.locator(BANNER).count() == 0
    assert ran(page) == []
    assert page.evaluate("typeof window.ConsentSDK") == "undefined"
    # The page's own script cannot record either: the preflight is refused.
    sent = page.evaluate(
        FORCE_POST,
        origins.service.url + "/consent/sites/landing/state",
    )
    assert sent == "blocked"
    assert records(origins.app) == []
    assert page.evaluate("window.violations") == []
    assert page.evaluate(f"localStorage.getItem('{PENDING}')") is None


def test_a_listed_origin_cannot_use_another_sites_id(origins: TwoOrigins, page: Any) -> None:
    origins.open(page, "/blog")
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    assert page.locator(BANNER).count() == 0
    assert ran(page) == []
    sent = page.evaluate(
        FORCE_POST,
        origins.service.url + "/consent/sites/blog/state",
    )
    assert sent == "blocked"
    assert records(origins.app) == []
    assert page.evaluate("window.violations") == []
