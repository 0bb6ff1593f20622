"""The settings dialog is a file of its own: a first visit that ends on the banner never
downloads it; the first opening does, once, and it shows everything the dialog showed when it
was part of the widget (rules 3, 6, 7), under a strict CSP too (docs/design.md, issue 14)."""

from __future__ import annotations

from typing import Any

from tests.browser.widget import (
    BANNER,
    DIALOG,
    NONCE,
    fail_first,
    history,
    open_dialog,
    wait_delivered,
)

CHOOSE = f'{BANNER} [data-consent-action="customize"]'
SETTINGS = '.csdk-fab [data-consent-action="settings"]'
VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
    window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def widget_requests(page: Any) -> list[str]:
    """Every request the page makes for one of the widget's files, in order (path only)."""
    seen: list[str] = []

    def note(request: Any) -> None:
        if "/consent/consent" in request.url:
            seen.append(request.url.split("/consent/")[1])

    page.on("request", note)
    return seen


def test_a_first_visit_that_ends_on_the_banner_never_loads_the_dialog(site: Any, page: Any) -> None:
    server = site()
    seen = widget_requests(page)
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(page)
    page.goto(server.url + "/?next")
    page.locator(SETTINGS).wait_for()
    page.wait_for_load_state("networkidle")
    assert seen, "the widget's own files were not seen"
    assert [u for u in seen if "dialog" in u] == []
    assert history(page)[0]["action"] == "accept_all"


def test_rule_07_the_first_opening_loads_the_dialog_once_with_every_purpose_explained(
    site: Any, page: Any
) -> None:
    server = site()
    seen = widget_requests(page)
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    assert [u for u in seen if "dialog" in u] == []
    config = page.evaluate("fetch('/consent/config?lang=en').then(r => r.json())")

    open_dialog(page, CHOOSE)
    dialog = page.locator(DIALOG)
    text = dialog.inner_text()
    # What the dialog's own file carries: descriptions, legal bases, cookies, its texts.
    for purpose in config["purposes"]:
        assert purpose["label"] in text
        assert purpose["description"] in text
        for name in purpose["cookies"]:
            assert name in text
    assert config["texts"]["dialog_title"] in text
    assert config["texts"]["basis_label"] in text
    # Styled by the dialog's stylesheet (a native dialog has a border of its own).
    assert dialog.evaluate("el => getComputedStyle(el).borderTopWidth") == "0px"
    # Granular (rule 6), from the dialog: one purpose granted, the others refused.
    page.check(f"{DIALOG} #csdk-p-analytics")
    page.click(f'{DIALOG} [data-consent-action="save"]')
    wait_delivered(page)
    record = history(page)[0]
    assert record["source"] == "settings"
    assert "analytics" in record["granted"] and "marketing" in record["refused"]

    # Reopened on the same page and on the next: the file comes from the browser's cache.
    open_dialog(page, SETTINGS)
    assert page.is_checked(f"{DIALOG} #csdk-p-analytics")
    page.keyboard.press("Escape")
    dialog_files = [u for u in seen if "dialog" in u]
    assert [u.split("?")[0] for u in dialog_files] == ["consent-dialog.js"]
    assert "lang=en" in dialog_files[0] and "v=" in dialog_files[0]
    page.goto(server.url + "/?next")
    open_dialog(page, SETTINGS)
    assert page.is_checked(f"{DIALOG} #csdk-p-analytics")


def test_the_dialog_speaks_the_language_the_page_switched_to(site: Any, page: Any) -> None:
    server = site("plain.html", lang="lv")
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    lv = page.evaluate("fetch('/consent/config?lang=lv').then(r => r.json())")
    assert page.locator(BANNER).get_attribute("lang") == "lv"
    open_dialog(page, CHOOSE)
    text = page.locator(DIALOG).inner_text()
    assert lv["texts"]["dialog_title"] in text
    assert lv["purposes"][-1]["description"] in text
    assert page.locator(DIALOG).get_attribute("lang") == "lv"


def test_a_dialog_file_that_failed_to_load_is_fetched_again_on_the_next_click(
    site: Any, page: Any
) -> None:
    server = site()
    failed = fail_first(page, "**/consent/consent-dialog.js*")
    page.goto(server.url + "/")
    page.click(CHOOSE)
    page.wait_for_function("() => document.querySelectorAll('script[src*=dialog]').length == 1")
    page.wait_for_timeout(200)
    assert failed and page.locator(DIALOG).count() == 0
    # The banner still offers both answers meanwhile, and the next click opens the dialog.
    assert page.locator(f'{BANNER} [data-consent-action="reject-all"]').is_visible()
    open_dialog(page, CHOOSE)
    page.click(f'{DIALOG} [data-consent-action="reject-all"]')
    wait_delivered(page)
    assert history(page)[0]["action"] == "reject_all"


def test_nonce_only_csp_loads_the_dialog_with_the_widgets_nonce(site: Any, page: Any) -> None:
    csp = (
        f"default-src 'none'; script-src 'nonce-{NONCE}'; style-src 'nonce-{NONCE}'; "
        "connect-src 'self'"
    )
    server = site("nonce.html", csp=csp)
    page.add_init_script(VIOLATIONS)
    page.goto(server.url + "/")
    open_dialog(page, CHOOSE)
    assert page.locator(DIALOG).evaluate("el => getComputedStyle(el).borderTopWidth") == "0px"
    assert page.locator("script[src*=consent-dialog]").evaluate("s => s.nonce") == NONCE
    page.click(f'{DIALOG} [data-consent-action="reject-all"]')
    wait_delivered(page)
    # Only the page's deliberately un-nonced inline script and images are refused.
    assert [v for v in page.evaluate("window.cspViolations") if "consent" in v] == []
