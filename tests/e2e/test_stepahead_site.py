"""The rest of the example site in a browser: contact form, CSP on every page, debug panel."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from examples.stepahead.models import ContactMessage, db
from tests.e2e.helpers import BANNER, ESSENTIAL_COOKIES, Site, Visitor

Visitors = Callable[..., Visitor]
PAGES = ["/", "/services", "/contact", "/privacy", "/?lang=en", "/privacy?lang=ru", "/?debug=1"]


def test_rule_05_contact_form_validates_stores_and_explains_processing(
    site: Site, visitors: Visitors
) -> None:
    for n in range(2):
        visitor = visitors()
        page = visitor.page
        visitor.open("/contact")
        # Usable while the banner is open (no cookie wall), with the processing notice.
        page.locator(BANNER).wait_for()
        notice = page.locator("#contact-notice")
        assert "SIA StepAhead" in notice.inner_text() and "info@stepahead.lv" in notice.inner_text()
        assert notice.locator("a").get_attribute("href") == "/privacy?lang=lv"

        page.fill("#contact-name", "Anna Bērziņa")
        page.fill("#contact-email", "not-an-address")
        page.click("form.contact-form button[type=submit]")
        page.wait_for_load_state("load")
        assert page.locator("#form-error").is_visible()
        assert page.locator("#contact-email").get_attribute("aria-invalid") == "true"
        assert page.locator("#contact-message-error").is_visible()
        assert page.locator("#contact-name").input_value() == "Anna Bērziņa"

        page.fill("#contact-email", "anna@example.lv")
        page.fill("#contact-message", f"Labdien! Jautājums nr. {n + 1}.")
        page.click("form.contact-form button[type=submit]")
        page.wait_for_load_state("load")
        assert page.locator(".flash").is_visible()
        assert visitor.cookie_names() <= ESSENTIAL_COOKIES  # the form needs no consent cookie

        with site.app.app_context():
            messages = db.session.execute(select(ContactMessage)).scalars().all()
            assert len(messages) == n + 1
            last = messages[-1]
            assert (last.name, last.email, last.language) == (
                "Anna Bērziņa",
                "anna@example.lv",
                "lv",
            )


def test_strict_csp_on_every_page_and_no_inline_code(site: Site, visitors: Visitors) -> None:
    visitor = visitors()
    for path in PAGES:
        response = visitor.open(path)
        csp = response.headers["content-security-policy"]
        for directive in (
            "default-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'self'",
            "base-uri 'self'",
        ):
            assert directive in csp, (path, directive)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        # The HTML as served: no inline script (the config block is JSON data), no style
        # element or attribute, no event-handler attribute.
        html = response.text()
        tags = re.findall(r"<script\b[^>]*>", html)
        inline = [t for t in tags if "src=" not in t and 'type="application/json"' not in t]
        assert inline == [], path
        assert re.search(r"<style\b|\sstyle=", html) is None, path
        assert re.search(r"<[^>]+\son[a-z]+=", html) is None, path
    # Everything gated runs under the same CSP without a single violation.
    visitor.open("/")
    visitor.decide("accept-all")
    visitor.wait_tags("tracker", "pixel")
    visitor.page.frame_locator("iframe#video-embed").locator("#play").click()
    visitor.open("/embed/video")
    assert visitor.csp_violations() == []


def test_rule_20_debug_panel_shows_consent_gtag_ran_and_blocked(
    site: Site, visitors: Visitors
) -> None:
    for _ in range(2):
        visitor = visitors()
        page = visitor.page
        visitor.open("/?debug=1")
        page.wait_for_function(
            """() => document.querySelectorAll('#debug-blocked li').length === 3
                && document.querySelector('#debug-gtag').innerText.includes('G-STEPAHEAD')"""
        )
        blocked = page.locator("#debug-blocked").inner_text()
        assert "tracker" in blocked and "pixel" in blocked and "video-embed" in blocked
        assert page.locator("#debug-gtag li").first.inner_text().startswith("(queued) consent")
        assert "denied" in page.locator("#debug-gcm").inner_text()

        visitor.decide("accept-all")
        visitor.wait_tags("tracker", "pixel")
        page.wait_for_function(
            """() => document.querySelector('#debug-blocked').innerText.trim() === '—'
                && ['tracker [analytics] 200', 'pixel [marketing] loaded',
                    'video-embed [marketing] loaded'].every(
                        line => document.querySelector('#debug-ran').innerText.includes(line))"""
        )
        assert "granted" in page.locator("#debug-gcm").inner_text()
        assert "consent_update" in page.locator("#debug-gtag").inner_text()
        page.wait_for_function(
            "at => document.querySelector('#debug-state').innerText.includes(at)",
            arg=visitor.state()["given_at"],
        )
        assert visitor.consent_id() not in page.locator("#debug-panel").inner_text()


AXE = Path(__file__).resolve().parents[2] / "widget" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (run through the DevTools protocol, so
    the site's CSP stays on)."""
    if not page.evaluate("!!window.axe"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        """async () => { const r = await axe.run();
            return {passes: r.passes.length, violations: r.violations.map(
                v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))} }"""
    )
    assert result["passes"] > 10  # axe really looked at the page
    violations: list[dict[str, Any]] = result["violations"]
    return violations


@pytest.mark.parametrize("width", [1280, 360])
def test_rule_17_axe_core_finds_no_violation_on_the_site(
    width: int, site: Site, visitors: Visitors
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core missing: run `npm ci` in widget/")
    visitor = visitors(viewport={"width": width, "height": 740})
    page = visitor.page
    for path in ("/", "/services", "/contact", "/privacy?lang=ru", "/?debug=1&lang=en"):
        visitor.open(path)
        page.locator(BANNER).wait_for()
        page.wait_for_timeout(300)  # the banner's entry animation
        assert axe_violations(page) == [], path
    visitor.open("/contact")
    page.click("form.contact-form button[type=submit]")
    page.wait_for_load_state("load")
    page.locator(BANNER).wait_for()
    page.wait_for_timeout(300)
    assert axe_violations(page) == [], "contact form with errors"
    visitor.decide("accept-all")
    visitor.open("/privacy")
    visitor.wait_tags("tracker", "pixel")
    assert axe_violations(page) == [], "privacy page after a decision"


def test_rule_06_video_placeholder_button_grants_marketing_only(
    site: Site, visitors: Visitors
) -> None:
    for _ in range(2):
        visitor = visitors()
        page = visitor.page
        visitor.open("/")
        placeholder = page.locator('[data-consent-ui="placeholder"]')
        placeholder.wait_for()
        placeholder.locator('[data-consent-action="enable"]').click()
        visitor.wait_recorded()
        page.frame_locator("iframe#video-embed").locator("#play").wait_for()
        visitor.wait_tags("pixel")
        assert "tracker" not in visitor.ran()
        record = site.history(visitor.consent_id())[-1]
        assert sorted(record["granted"]) == ["marketing", "necessary"]
        assert sorted(record["refused"]) == ["analytics", "preferences"]
