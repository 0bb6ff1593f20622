"""The records pages in Chromium under the dashboard's strict CSP: the list, a refused search
and one record, in English and Latvian, with no CSP violation, nothing off-site and no axe-core
finding; the texts a visitor was shown stay text even when they are markup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.admin.decisions import FIRST, LAST, OTHER_SITE, make, season
from tests.conftest import ARTIFACTS, make_app
from tests.e2e.test_stepahead_site import axe_violations

COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
EVIL = '<img src=x onerror="window.ran=1"><script>window.ran=1</script> Cookies'
HEADINGS = {"en": "Consent records", "lv": "Piekrišanu ieraksti"}
ERRORS = {"en": "That is not a consent id.", "lv": "Tas nav piekrišanas ID."}


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """A fortnight of decisions (half of them sealed) and another site's, on one store."""
    folder = tmp_path_factory.mktemp("admin-records-browser")
    admin = {"CONSENT_ADMIN_ENABLED": True, "CONSENT_ADMIN_GUARD": lambda: True}
    texts = {"en": {"banner_title": EVIL}, "lv": {"banner_title": EVIL}}
    app = make_app(folder, CONSENT_TEXTS=texts, **admin)
    steps = season()
    make(app, steps[: len(steps) // 2])
    result = app.test_cli_runner().invoke(args=["consent", "seal", "--grace", "0"])
    assert result.exit_code == 0, result.output
    make(app, steps[len(steps) // 2 :])
    make(make_app(folder, CONSENT_SITE_ID="shop.example"), OTHER_SITE)
    return app


def watch(page: Any, server: Any) -> Callable[[], None]:
    """Collect CSP violations and requests; the returned check asserts there were none and
    that every request stayed on the server."""
    console: list[str] = []
    requested: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("request", lambda r: requested.append(r.url))
    page.add_init_script(COLLECT_VIOLATIONS)

    def check() -> None:
        assert page.evaluate("window.cspViolations") == []
        assert not [m for m in console if "Content Security Policy" in m], console
        assert requested and all(url.startswith(server.url + "/") for url in requested)

    return check


@pytest.mark.parametrize("lang", ["en", "lv"])
def test_the_records_pages_render_under_the_csp_with_no_axe_violation(
    dashboard: Flask, live_server: Callable[[Flask], Any], new_page: Any, lang: str
) -> None:
    server = live_server(dashboard)
    page = new_page(viewport={"width": 1280, "height": 900})
    clean = watch(page, server)

    answer = page.goto(f"{server.url}/consent/admin/records?since={FIRST}&until={LAST}&lang={lang}")
    assert answer.status == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert page.locator("h1").inner_text() == HEADINGS[lang]
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator(".card").first.evaluate("e => getComputedStyle(e).borderRadius") == "10px"
    assert page.locator("#records tbody tr").count() == 50
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-records-{lang}.png"), full_page=True)

    # The next page, through the link a user follows.
    page.locator("#older").click()
    page.wait_for_load_state()
    assert page.locator("#records tbody tr").count() > 0
    assert page.locator("#newest").is_visible()

    # A consent id typed wrong: said on the page, the field marked, still accessible.
    page.locator("#f-consent-id").fill("not-a-consent-id")
    with page.expect_navigation() as navigation:
        page.locator("form.filters button[type=submit]").click()
    assert navigation.value.status == 400
    assert page.locator("#errors").inner_text().startswith(ERRORS[lang])
    assert page.locator("#f-consent-id").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []

    # One record (a sealed one, from the first half): its proof and the texts shown.
    page.goto(f"{server.url}/consent/admin/records?until={FIRST}&lang={lang}")
    page.locator("#records tbody tr th a").last.click()
    page.wait_for_load_state()
    assert page.locator("#status").get_attribute("data-status") == "intact"
    assert page.locator("#shown-texts tbody tr").count() > 10
    title = page.locator("#shown-texts tbody tr", has_text="banner_title").locator("td")
    assert title.inner_text() == EVIL  # the markup as text: nothing of it ran
    assert page.evaluate("window.ran") is None
    assert page.locator("#shown img, #shown script").count() == 0
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / f"admin-record-{lang}.png"), full_page=True)
    clean()
