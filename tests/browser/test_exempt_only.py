"""A site whose only purposes are exempt has nothing to ask: no banner, no settings button,
nothing recorded; its settings link opens a dialog that only informs."""

from __future__ import annotations

from typing import Any

from tests.browser.test_design import axe
from tests.browser.widget import BANNER, DIALOG, data_layer, history

NECESSARY_ONLY = ["necessary"]  # shorthand for the built-in necessary purpose


def test_exempt_only_site_shows_no_banner_and_records_nothing(site: Any, page: Any) -> None:
    server = site(
        "plain.html",
        CONSENT_PURPOSES=NECESSARY_ONLY,
        CONSENT_GOOGLE_CONSENT_MODE={"security_storage": "necessary"},
    )
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method != "GET" else None)
    page.goto(server.url + "/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)

    assert page.locator(BANNER).count() == 0
    assert page.locator(".csdk-fab").count() == 0
    assert page.evaluate("ConsentSDK.has('necessary')") is True
    # Nothing to decide, so the API records nothing either.
    page.evaluate("ConsentSDK.acceptAll(); ConsentSDK.rejectAll(); ConsentSDK.withdraw()")
    page.wait_for_timeout(300)
    assert posts == []
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    # The Consent Mode default, and nothing else from the widget (no update, no event).
    layer = [e for e in data_layer(page) if e != {"event": "page_tag"}]
    assert [e[:2] for e in layer] == [["consent", "default"]]
    assert page.locator(BANNER).count() == 0
    assert history(page) == []


def test_exempt_only_settings_link_opens_an_information_dialog(site: Any, page: Any) -> None:
    server = site("plain.html", CONSENT_PURPOSES=NECESSARY_ONLY)
    page.goto(server.url + "/")
    page.click('main [data-consent-action="settings"]')
    dialog = page.locator(DIALOG)
    dialog.wait_for()

    text = dialog.inner_text()
    assert "Necessary" in text and "session, consent" in text
    actions = dialog.locator("[data-consent-action]").evaluate_all(
        "els => els.map(e => e.getAttribute('data-consent-action'))"
    )
    assert actions == ["close"]
    assert axe(page) == []
    page.click(f'{DIALOG} [data-consent-action="close"]')
    assert dialog.count() == 0
    assert page.locator(BANNER).count() == 0
    assert page.locator(".csdk-fab").count() == 0
