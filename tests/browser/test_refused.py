"""The widget never fails silently: a decision the server refuses for good (a 4xx other than
408/429) is reported in the console and as a consent:error event, and what it granted is not
reported as in effect."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from tests.browser.widget import BANNER, PENDING, data_layer, history, ran, wait_delivered

STATE = "**/consent/state"
FORBIDDEN = {"error": "forbidden_origin", "message": "Requests from this origin are refused."}
INVALID = {
    "error": "invalid_request",
    "message": "The request is invalid.",
    "fields": {"purposes.marketing": ["Unknown purpose."]},
}
# What the page hears: consent:error and consent:change events, and console errors.
LISTEN = """
window.errors = [];
window.changes = [];
document.addEventListener('consent:error', e => errors.push(e.detail));
document.addEventListener('consent:change', e => changes.push(e.detail));
"""


def refuse_posts(page: Any, status: int, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Answer every POST /consent/state with ``status`` and ``body``; returns the bodies sent."""
    sent: list[dict[str, Any]] = []

    def handler(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(json.loads(route.request.post_data))
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route(STATE, handler)
    return sent


def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_refused_accept_all_is_reported_and_not_in_effect(site: Any, page: Any) -> None:
    server = site(CONSENT_GOOGLE_CONSENT_MODE=True)
    console = console_errors(page)
    page.add_init_script(LISTEN)
    sent = refuse_posts(page, 403, FORBIDDEN)
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    page.wait_for_function("() => errors.length > 0")

    [detail] = page.evaluate("errors")
    assert detail["status"] == 403
    assert detail["error"] == FORBIDDEN
    assert detail["method"] == "POST"
    assert detail["decision"] == sent[0]
    assert detail["decision"]["action"] == "accept_all"
    assert [m for m in console if "consent:error 403" in m and "forbidden_origin" in m]

    # Taken back: no longer reported, the iframe parked again, the page told; the visitor is
    # asked again. (The click applied at once, so the page's tags started; a running script
    # cannot be stopped, but nothing is stored, so nothing runs on the next page.)
    assert page.evaluate("ConsentSDK.has('analytics')") is False
    assert page.evaluate("ConsentSDK.get().decided") is False
    expect(page.locator(BANNER)).to_be_visible()
    assert page.locator(".csdk-fab").count() == 0
    assert page.locator("iframe[data-consent]").get_attribute("src") == "about:blank"
    changes = page.evaluate("changes")
    assert changes[-1]["decided"] is False and changes[-1]["purposes"]["analytics"] is False
    # Consent Mode heard the click at once; it is told that nothing is granted after all.
    updates = [e for e in data_layer(page) if isinstance(e, list) and e[1] == "update"]
    assert updates[-1][2]["analytics_storage"] == "denied"
    assert updates[-1][2]["ad_storage"] == "denied"
    # Dropped, not retried: nothing pending, nothing recorded.
    assert page.evaluate(f"localStorage.getItem('{PENDING}')") is None
    page.wait_for_timeout(1500)
    assert len(sent) == 1
    page.unroute(STATE)
    assert history(page) == []
    page.reload()
    page.locator(BANNER).wait_for()
    page.wait_for_timeout(300)
    assert ran(page) == []


def test_refused_grant_keeps_earlier_grants_that_it_did_not_refuse(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.evaluate("ConsentSDK.save({analytics: true, preferences: true})")
    wait_delivered(page)
    page.wait_for_function("() => (window.ran || []).length == 2")

    # A narrower-and-wider save: grants marketing, refuses preferences; the server says no.
    page.evaluate(LISTEN)
    refuse_posts(page, 400, INVALID)
    page.evaluate("ConsentSDK.save({analytics: true, marketing: true})")
    page.wait_for_function("() => errors.length > 0")

    assert page.evaluate("errors[0].error") == INVALID
    assert page.evaluate("ConsentSDK.get()")["purposes"] == {
        "necessary": True,
        "preferences": False,  # refused by the refused decision: stays refused
        "analytics": True,  # granted before and in the refused decision
        "marketing": False,  # granted only by the refused decision: not in effect
    }
    assert page.evaluate("ConsentSDK.get().decided") is True
    assert page.locator(BANNER).count() == 0
    expect(page.locator('.csdk-fab [data-consent-action="settings"]')).to_be_visible()
    # Marketing started with the click; it is parked again and the page is told.
    assert page.locator("iframe[data-consent]").get_attribute("src") == "about:blank"
    last = page.evaluate("changes")[-1]
    assert last["purposes"]["preferences"] is False and last["purposes"]["marketing"] is False
    page.unroute(STATE)
    page.reload()
    page.wait_for_function("() => (window.ran || []).length == 2")
    assert ran(page) == ["analytics", "inline"]  # the stored choice, without marketing


def test_grant_applied_offline_then_refused_is_taken_back(site: Any, page: Any) -> None:
    # The first attempt fails (503): the grant applies in the page. The retry is refused (403):
    # it is taken back, and the visitor, undecided before, is asked again.
    server = site()
    page.add_init_script(LISTEN)
    calls: list[int] = []

    def down_then_forbidden(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        calls.append(1)
        if len(calls) == 1:
            route.fulfill(status=503, body="down")
        else:
            route.fulfill(status=403, content_type="application/json", body=json.dumps(FORBIDDEN))

    page.route(STATE, down_then_forbidden)
    page.goto(server.url + "/")
    page.evaluate("ConsentSDK.save({marketing: true})")
    page.wait_for_function("() => document.querySelector('iframe[data-consent]').src != ''")
    assert page.evaluate("ConsentSDK.has('marketing')") is True
    page.wait_for_function("() => errors.length > 0", timeout=10_000)

    assert page.evaluate("ConsentSDK.has('marketing')") is False
    assert page.locator("iframe[data-consent]").get_attribute("src") == "about:blank"
    expect(page.locator('[data-consent-ui="placeholder"]')).to_be_visible()
    expect(page.locator(BANNER)).to_be_visible()
    assert [c["purposes"]["marketing"] for c in page.evaluate("changes")] == [True, False]
    assert page.locator(".csdk-fab").count() == 0


def test_unavailable_server_is_retried_and_is_not_an_error(site: Any, page: Any) -> None:
    server = site()
    page.add_init_script(LISTEN)
    calls: list[int] = []

    def unavailable_twice(route: Any) -> None:
        if route.request.method == "POST":
            calls.append(1)
            if len(calls) <= 2:
                route.fulfill(status=503, content_type="application/json", body='{"error": "x"}')
                return
        route.continue_()

    page.route(STATE, unavailable_twice)
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(page)
    assert len(calls) == 3
    assert page.evaluate("errors") == []
    assert page.evaluate("ConsentSDK.has('analytics')") is True
    [record] = history(page)
    assert record["action"] == "accept_all"


def test_pending_grant_refused_after_a_reload_falls_back_to_the_server_state(
    site: Any, page: Any
) -> None:
    server = site()
    page.add_init_script(LISTEN)
    unavailable = refuse_posts(page, 503, {"error": "unavailable"})
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    page.wait_for_function("() => (window.ran || []).length == 3")  # applied, undelivered
    # Its first attempt answered 503: the next comes after a second's backoff, so the refusal
    # below reaches the reloaded page, not this one as it unloads.
    for _ in range(250):
        if unavailable:
            break
        page.wait_for_timeout(20)
    assert unavailable, "the decision was not sent"

    page.unroute(STATE)
    refuse_posts(page, 403, FORBIDDEN)
    page.reload()
    page.wait_for_function("() => errors.length > 0")
    assert page.evaluate("errors[0].decision.action") == "accept_all"
    assert page.evaluate("ConsentSDK.get().decided") is False
    assert page.evaluate("ConsentSDK.has('marketing')") is False
    expect(page.locator(BANNER)).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('{PENDING}')") is None
