"""Strict CSP without a single violation; translations are shown as text, never run."""

from __future__ import annotations

from typing import Any

from tests.browser.widget import (
    AXE,
    BANNER,
    DIALOG,
    NONCE,
    STRICT_CSP,
    history,
    ran,
    wait_delivered,
)

COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
    window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_strict_csp_page_works_with_zero_violations(site: Any, page: Any) -> None:
    server = site("csp.html", csp=STRICT_CSP, CONSENT_GOOGLE_CONSENT_MODE=True)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.add_init_script(COLLECT_VIOLATIONS)
    styles: list[str] = []
    page.on("request", lambda r: styles.append(r.url) if r.resource_type == "stylesheet" else None)
    response = page.goto(server.url + "/")
    assert response.headers["content-security-policy"] == "default-src 'self'"

    banner = page.locator(BANNER)
    banner.wait_for()
    # The stylesheet applied (no inline style was needed for it), and without a request: the
    # widget carries it in its script as a constructed stylesheet.
    assert banner.evaluate("el => getComputedStyle(el).position") == "fixed"
    page.click(f'{BANNER} [data-consent-action="customize"]')
    page.check(f"{DIALOG} #csdk-p-analytics")
    page.click(f'{DIALOG} [data-consent-action="save"]')
    wait_delivered(page)
    page.wait_for_function("() => (window.ran || []).length == 1")
    page.click('[data-consent-ui="placeholder"] [data-consent-action="enable"]')
    wait_delivered(page)
    page.wait_for_function("() => (window.ran || []).length == 2")
    assert ran(page) == ["analytics", "marketing"]
    page.click('.csdk-fab [data-consent-action="settings"]')
    page.keyboard.press("Escape")
    page.reload()
    page.wait_for_function("() => (window.ran || []).length == 2")

    assert page.evaluate("window.cspViolations") == []
    assert not [m for m in console if "Content Security Policy" in m], console
    assert len(history(page)) == 2
    assert styles == []


NO_CONSTRUCTED_STYLESHEETS = """
Object.defineProperty(Document.prototype, 'adoptedStyleSheets', {get: () => undefined});
new MutationObserver((_, observer) => {
    const banner = document.querySelector('[data-consent-ui="banner"]');
    if (banner) {
        window.bannerFirstSeen = getComputedStyle(banner).position;
        observer.disconnect();
    }
}).observe(document, {childList: true, subtree: true});
"""


def test_a_browser_without_constructed_stylesheets_gets_the_stylesheet_file(
    site: Any, page: Any
) -> None:
    # Safari before 16.4 has no document.adoptedStyleSheets: the widget links consent.css
    # (the banner's rules and the dialog's) and draws nothing before it has loaded, still
    # with no violation of a strict CSP.
    server = site("csp.html", csp=STRICT_CSP)
    page.add_init_script(COLLECT_VIOLATIONS + NO_CONSTRUCTED_STYLESHEETS)
    styles: list[str] = []
    page.on("request", lambda r: styles.append(r.url) if r.resource_type == "stylesheet" else None)
    page.goto(server.url + "/")
    banner = page.locator(BANNER)
    banner.wait_for()
    # Styled from the moment it was inserted (recorded then, not polled after).
    assert page.evaluate("window.bannerFirstSeen") == "fixed"
    page.click(f'{BANNER} [data-consent-action="customize"]')
    dialog = page.locator(DIALOG)
    dialog.wait_for()
    # The dialog's own rules came with the same file (a dialog is bordered by the browser).
    assert dialog.evaluate("el => getComputedStyle(el).borderTopWidth") == "0px"
    assert [u.split("?")[0].rsplit("/", 1)[1] for u in styles] == ["consent.css"]
    assert page.evaluate("window.cspViolations") == []


def test_axe_core_on_the_strict_csp_page(site: Any, new_page: Any) -> None:
    # axe itself is an injected script: only this context bypasses the CSP, to run it.
    server = site("csp.html", csp=STRICT_CSP)
    page = new_page(bypass_csp=True)
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    page.wait_for_timeout(300)
    page.add_script_tag(path=str(AXE))
    assert page.evaluate("async () => (await axe.run()).violations.map(v => v.id)") == []


def test_nonce_csp_runs_gated_inline_scripts_with_their_nonce(site: Any, page: Any) -> None:
    csp = f"default-src 'self'; script-src 'self' 'nonce-{NONCE}'"
    server = site("nonce.html", csp=csp)
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(server.url + "/")
    # The widget's own tags carry the nonce.
    assert page.locator('script[src*="consent.js"]').evaluate("s => s.nonce") == NONCE
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(page)
    page.wait_for_function("() => (window.ran || []).length == 3")
    # Document order across external and inline; the script without a nonce stays blocked.
    assert ran(page) == ["analytics", "inline", "marketing"]
    violations = page.evaluate("window.cspViolations")
    assert violations == ["script-src-elem inline"]


XSS = '<img src=x onerror="window.pwned = 1">'


def test_translations_are_shown_as_text_not_html(site: Any, page: Any) -> None:
    texts = {
        "banner_title": XSS,
        "banner_text": "<b>bold?</b> <script>window.pwned = 2</script>",
        "customize": '<a href="javascript:window.pwned=3">Choose</a>',
        "placeholder_text": XSS + " {purpose}",
    }
    purposes = [
        {
            "id": "necessary",
            "basis": "exempt",
            "labels": {"lv": "Nepieciešamās", "en": "Necessary"},
            "descriptions": {"lv": "x", "en": "x"},
            "cookies": ["session"],
        },
        {
            "id": "marketing",
            "basis": "consent",
            "labels": {"lv": "M", "en": '<svg onload="window.pwned=4">'},
            "descriptions": {"lv": "x", "en": "<iframe src=/embed></iframe>"},
            "cookies": ["_fbp"],
        },
    ]
    server = site("csp.html", CONSENT_TEXTS={"en": texts}, CONSENT_PURPOSES=purposes)
    page.on("dialog", lambda d: d.dismiss())
    page.goto(server.url + "/")
    banner = page.locator(BANNER)
    assert banner.locator("h2").inner_text() == XSS
    assert texts["banner_text"] in banner.inner_text()
    page.click(f'{BANNER} [data-consent-action="customize"]')
    dialog = page.locator(DIALOG)
    assert '<svg onload="window.pwned=4">' in dialog.inner_text()
    assert "<iframe src=/embed></iframe>" in dialog.inner_text()
    page.keyboard.press("Escape")
    placeholder = page.locator('[data-consent-ui="placeholder"]')
    assert XSS + ' <svg onload="window.pwned=4">' in placeholder.inner_text()

    # Nothing was parsed as markup, nothing ran.
    markup = ":is([data-consent-ui], .csdk) :is(img, b, script, a[href^=javascript], svg, iframe)"
    assert page.locator(markup).count() == 0
    assert page.evaluate("window.pwned") is None
