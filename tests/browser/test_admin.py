"""The dashboard in Chromium under its own strict CSP: no violation, nothing off-site, no axe
finding, in lv, en and ru; the screenshot the README shows is taken here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask

from tests.admin.decisions import FIRST, LAST, OTHER_SITE, make, season
from tests.conftest import ARTIFACTS, make_app
from tests.e2e.test_stepahead_site import axe_violations

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "admin-dashboard.png"
COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
HEADINGS = {
    "lv": "Piekrišanu pārskats",
    "en": "Consent dashboard",
    "ru": "Панель согласий",
}


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """A fortnight of decisions under two policy versions, and another site's, on one store."""
    folder = tmp_path_factory.mktemp("admin-browser")
    admin = {"CONSENT_ADMIN_ENABLED": True, "CONSENT_ADMIN_GUARD": lambda: True}
    before = make_app(folder, CONSENT_POLICY_VERSION="2026-10")
    after = make_app(folder, CONSENT_POLICY_VERSION="2026-11", **admin)
    steps = season()
    make(before, [s for s in steps if s.day < FIRST.replace(day=9)])
    make(after, [s for s in steps if s.day >= FIRST.replace(day=9)])
    make(make_app(folder, CONSENT_SITE_ID="shop.example"), OTHER_SITE)
    # Banner views for "Shown -> decided": about five for every three decisions, each day.
    for step in steps:
        app = before if step.day < FIRST.replace(day=9) else after
        body = {"language": step.language, "policy_version": app.config["CONSENT_POLICY_VERSION"]}
        with time_machine.travel(datetime.combine(step.day, time(12), UTC), tick=False):
            for _ in range(2 if step.hour % 3 else 1):
                assert app.test_client().post("/consent/impressions", json=body).status_code == 204
    return after


@pytest.mark.parametrize("lang", ["lv", "en", "ru"])
def test_the_dashboard_renders_under_its_csp_with_no_axe_violation(
    dashboard: Flask, live_server: Callable[[Flask], Any], new_page: Any, lang: str
) -> None:
    server = live_server(dashboard)
    page = new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    requested: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("request", lambda r: requested.append(r.url))
    page.add_init_script(COLLECT_VIOLATIONS)
    answer = page.goto(f"{server.url}/consent/admin/?since={FIRST}&until={LAST}&lang={lang}")
    assert answer.status == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert page.locator("h1").inner_text() == HEADINGS[lang]
    assert page.locator("html").get_attribute("lang") == lang
    # The stylesheet applied (the cards have their border), every chart drawn.
    assert page.locator(".card").first.evaluate("e => getComputedStyle(e).borderRadius") == "10px"
    assert page.locator("section.chart svg").count() == 8  # seven charts and shown → decided
    assert page.locator("#chart-trend polyline").count() == 3
    assert axe_violations(page) == []
    for summary in page.locator("summary").all():
        summary.click()  # the data tables too
    assert page.locator("#chart-trend tbody tr").count() == (LAST - FIRST).days + 1
    assert axe_violations(page) == []
    assert page.evaluate("window.cspViolations") == []
    assert not [m for m in console if "Content Security Policy" in m], console
    assert requested and all(url.startswith(server.url + "/") for url in requested), requested
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-dashboard-{lang}.png"), full_page=True)


def test_the_readme_screenshot(
    dashboard: Flask, live_server: Callable[[Flask], Any], new_page: Any
) -> None:
    """docs/screenshots/admin-dashboard.png: the English page at 1280 px, tables folded."""
    server = live_server(dashboard)
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/consent/admin/?since={FIRST}&until={LAST}&lang=en")
    page.locator("#chart-versions").wait_for()
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    size = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollHeight]")
    assert size[0] == 1280 and 1000 < size[1] < 2400  # nothing spills sideways
