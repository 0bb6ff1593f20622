"""The delivery of decisions is a file of its own (consent-send.js, docs/design.md, issue 14):
a page view that has nothing to send never downloads it; a decision loads it once; a failed
load keeps the decision, says so, and delivers it once the file can be had; a decision left
pending by an earlier page loads it on the next; a strict CSP lets it in by the nonce."""

from __future__ import annotations

from typing import Any

from tests.browser.widget import BANNER, NONCE, PENDING, fail_first, history, wait_delivered

ACCEPT = f'{BANNER} [data-consent-action="accept-all"]'
REJECT = f'{BANNER} [data-consent-action="reject-all"]'
SETTINGS = '.csdk-fab [data-consent-action="settings"]'
STATUS = ".csdk-fab [role=status]"


def send_requests(page: Any) -> list[str]:
    """Every request the page makes for the delivery's file (what follows /consent/)."""
    seen: list[str] = []
    page.on(
        "request",
        lambda r: seen.append(r.url.split("/consent/")[1]) if "consent-send" in r.url else None,
    )
    return seen


def test_a_returning_visitors_page_view_never_loads_the_delivery(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.click(ACCEPT)
    wait_delivered(page)
    seen = send_requests(page)
    page.goto(server.url + "/?next")
    page.locator(SETTINGS).wait_for()
    page.wait_for_load_state("networkidle")
    page.reload()
    page.locator(SETTINGS).wait_for()
    page.wait_for_load_state("networkidle")
    assert seen == []
    assert page.evaluate("ConsentSDK.has('analytics')") is True


def test_a_decision_loads_the_delivery_once_and_every_decision_is_stored(
    site: Any, page: Any
) -> None:
    server = site()
    seen = send_requests(page)
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    page.wait_for_load_state("networkidle")
    assert seen == []  # a first visit that has not chosen yet
    page.click(REJECT)
    wait_delivered(page)
    page.evaluate("ConsentSDK.save({analytics: true})")
    wait_delivered(page)
    assert [u.split("?")[0] for u in seen] == ["consent-send.js"]
    assert "v=" in seen[0]
    assert [r["action"] for r in history(page)] == ["reject_all", "save"]


def test_a_delivery_file_that_failed_to_load_keeps_the_decision_and_delivers_it_later(
    site: Any, page: Any
) -> None:
    server = site()
    failed = fail_first(page, "**/consent/consent-send.js*")
    page.goto(server.url + "/")
    page.click(ACCEPT)
    # The choice applies at once and is kept; the page says it is saved on this device only.
    page.locator(STATUS).wait_for()
    page.wait_for_function(f"() => document.querySelector('{STATUS}').textContent != ''")
    assert failed
    assert page.evaluate(f"localStorage.getItem('{PENDING}')") is not None
    assert page.evaluate("ConsentSDK.has('marketing')") is True
    # Tried again a few seconds later: delivered once, and the status clears.
    wait_delivered(page, timeout=15_000)
    assert [r["action"] for r in history(page)] == ["accept_all"]
    page.wait_for_function(f"() => document.querySelector('{STATUS}').textContent == ''")


def test_a_decision_left_pending_is_delivered_by_the_next_page(site: Any, page: Any) -> None:
    server = site()
    page.route("**/consent/state", lambda route: route.abort())
    page.goto(server.url + "/")
    page.click(ACCEPT)
    page.wait_for_function(f"() => localStorage.getItem('{PENDING}') !== null")
    page.unroute("**/consent/state")
    seen = send_requests(page)
    page.goto(server.url + "/?next")
    wait_delivered(page)
    assert [u.split("?")[0] for u in seen] == ["consent-send.js"]
    assert [r["action"] for r in history(page)] == ["accept_all"]


def test_nonce_only_csp_loads_the_delivery_with_the_widgets_nonce(site: Any, page: Any) -> None:
    csp = (
        f"default-src 'none'; script-src 'nonce-{NONCE}'; style-src 'nonce-{NONCE}'; "
        "connect-src 'self'"
    )
    server = site("nonce.html", csp=csp)
    page.add_init_script(
        "window.cspViolations = []; document.addEventListener('securitypolicyviolation',"
        " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(server.url + "/")
    page.click(REJECT)
    wait_delivered(page)
    assert page.locator("script[src*=consent-send]").evaluate("s => s.nonce") == NONCE
    assert history(page)[0]["action"] == "reject_all"
    assert [v for v in page.evaluate("window.cspViolations") if "consent" in v] == []
