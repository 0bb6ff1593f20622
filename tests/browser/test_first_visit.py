"""Before any decision: nothing runs, nothing is stored, the page stays usable."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.widget import BANNER, DIALOG, cookie_names, history, ran

GATED_URLS = ("/assets/analytics.js", "/assets/marketing.js", "/embed")


def test_rule_01_nothing_gated_runs_or_is_stored_before_a_choice(site: Any, page: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    server = site()
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    page.wait_for_load_state("networkidle")

    assert ran(page) == []
    assert not [u for u in requests if u.endswith(GATED_URLS)], requests
    assert page.context.cookies() == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    # The iframe is parked without a src, and a placeholder says what it is.
    frame = page.locator("iframe[data-consent]")
    assert frame.get_attribute("src") is None
    placeholder = page.locator('[data-consent-ui="placeholder"]')
    assert "Marketing" in placeholder.inner_text()
    assert history(page) == []


def test_rule_05_page_is_usable_while_the_banner_is_open(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    page.click("#page-box")  # a real click: fails if the banner intercepts it
    assert page.is_checked("#page-box")
    assert page.get_by_role("heading", name="Consent test page").is_visible()
    # No overlay covers the page: the element at the page control's spot is the control.
    assert (
        page.evaluate(
            """() => { const r = document.getElementById('page-box').getBoundingClientRect();
                   return document.elementFromPoint(r.x + 2, r.y + 2).id }"""
        )
        == "page-box"
    )


def test_rule_04_escape_and_closing_the_dialog_are_not_consent(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="customize"]')
    page.locator(DIALOG).wait_for()
    page.keyboard.press("Escape")
    assert page.locator(DIALOG).count() == 0
    # Back at the undecided banner; the close button does the same.
    expect(page.locator(BANNER)).to_be_visible()
    page.click(f'{BANNER} [data-consent-action="customize"]')
    page.click(f'{DIALOG} [data-consent-action="close"]')
    expect(page.locator(BANNER)).to_be_visible()
    page.mouse.wheel(0, 500)
    page.click("#page-box")
    page.reload()

    expect(page.locator(BANNER)).to_be_visible()
    assert ran(page) == []
    assert page.context.cookies() == []
    assert page.evaluate("ConsentSDK.get().decided") is False
    assert history(page) == []


def test_rule_07_first_layer_names_controller_withdrawal_and_policy(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    banner = page.locator(BANNER)
    text = banner.inner_text()
    assert "Controller: Example Ltd, privacy@example.test" in text
    assert "withdraw your consent at any time" in text
    link = banner.get_by_role("link", name="Privacy policy")
    assert link.get_attribute("href") == "/privacy"
    # Each purpose, its cookies and its legal basis are one click away.
    page.click(f'{BANNER} [data-consent-action="customize"]')
    dialog = page.locator(DIALOG).inner_text()
    for words in ("Analytics", "_sa_id", "Marketing", "_fbp", "Legal basis: Your consent"):
        assert words in dialog


def test_rule_16_latvian_by_default_when_the_site_says_so(site: Any, new_page: Any) -> None:
    # StepAhead's setting. A German page and browser: no offered language, so the site's
    # default, lv, marked as such.
    server = site(lang="de", CONSENT_DEFAULT_LANGUAGE="lv")
    page = new_page(locale="de-DE")
    page.goto(server.url + "/")
    banner = page.locator(BANNER)
    assert banner.get_by_role("heading").inner_text() == "Sīkfaili šajā vietnē"
    reject = banner.locator('[data-consent-action="reject-all"]')
    assert reject.inner_text() == "Atteikties no visiem"
    assert banner.get_attribute("lang") == "lv"  # WCAG 3.1.2, the page itself says de


def test_rule_16_page_language_fetches_its_texts(site: Any, page: Any) -> None:
    # The block is embedded in the default language (English), the page says <html lang="ru">.
    server = site(lang="ru")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server.url + "/")
    heading = page.locator(f"{BANNER} h2")
    assert heading.inner_text() == "Файлы cookie на этом сайте"
    assert any(u.endswith("/consent/config?lang=ru") for u in requests)
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    page.wait_for_function("() => !localStorage.getItem('consent_sdk.pending')")
    assert history(page)[0]["language"] == "ru"


def test_rule_01_gated_cookies_left_from_before_are_deleted(site: Any, page: Any) -> None:
    server = site()
    page.context.add_cookies(
        [
            {"name": "_ga_OLD", "value": "1", "url": server.url},
            {"name": "_fbp", "value": "1", "url": server.url},
            {"name": "own_cookie", "value": "1", "url": server.url},
        ]
    )
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    assert cookie_names(page) == {"own_cookie"}


LAYOUT_SHIFTS = """() => new Promise(done => {
    setTimeout(() => done([]), 300);
    new PerformanceObserver(list => done(list.getEntries().map(e => e.value)))
        .observe({type: 'layout-shift', buffered: true});
})"""


def test_banner_and_settings_button_shift_no_page_content(site: Any, page: Any) -> None:
    server = site("plain.html")
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    page.locator('.csdk-fab [data-consent-action="settings"]').wait_for()
    assert page.evaluate(LAYOUT_SHIFTS) == []
