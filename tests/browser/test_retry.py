"""When the server cannot record a decision, the choice still applies and is delivered later."""

from __future__ import annotations

import json
from typing import Any

from consent_sdk.schemas import reference
from tests.browser.widget import BANNER, PENDING, history, ran, wait_delivered

STATE = "**/consent/state"


def pending(page: Any) -> list[dict[str, Any]]:
    raw = page.evaluate(f"localStorage.getItem('{PENDING}')")
    return list(json.loads(raw)) if raw else []


def test_server_down_choice_applies_and_is_retried_once_recorded(site: Any, page: Any) -> None:
    server = site()
    attempts: list[str] = []

    def down(route: Any) -> None:
        if route.request.method == "POST":
            attempts.append(json.loads(route.request.post_data)["event_id"])
            route.fulfill(status=503, body="down")
        else:
            route.continue_()

    page.route(STATE, down)
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')

    # The choice applies in the page at once, and the visitor is told it is not saved yet.
    page.wait_for_function("() => (window.ran || []).length == 3")
    assert page.locator(BANNER).count() == 0
    fab = page.locator(".csdk-fab")
    fab.get_by_role("status").wait_for()
    page.wait_for_function(
        "() => document.querySelector('.csdk-fab [role=status]').textContent.length > 0"
    )
    assert "not yet saved" in fab.inner_text()
    [queued] = pending(page)
    event_id = queued["b"]["event_id"]

    # The queue survives a reload; the pending choice still applies (no banner, tags run).
    page.reload()
    page.wait_for_function("() => (window.ran || []).length == 3")
    assert page.locator(BANNER).count() == 0
    assert [q["b"]["event_id"] for q in pending(page)] == [event_id]

    page.unroute(STATE)
    wait_delivered(page)
    assert set(attempts) == {event_id} and len(attempts) >= 2  # same id on every attempt
    [record] = history(page)
    assert record["reference"] == reference(event_id)  # the page is never told the event id
    assert record["action"] == "accept_all"
    assert page.locator(".csdk-fab [role=status]").inner_text() == ""


def test_lost_answer_is_retried_and_recorded_once(site: Any, page: Any) -> None:
    # The server records the decision but the answer never arrives: the retry replays the
    # same event_id and the server writes nothing new. Each try tells the server how many
    # failed before it (Consent-Attempt, for the operators' delivery metrics).
    server = site()
    calls: list[str | None] = []

    def lose_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        calls.append(route.request.headers.get("consent-attempt"))
        response = route.fetch()
        if len(calls) == 1:
            route.fulfill(status=502, body="bad gateway")
        else:
            route.fulfill(response=response)

    page.route(STATE, lose_first_answer)
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    wait_delivered(page)
    assert calls == ["0", "1"]
    assert len(history(page)) == 1
    assert ran(page) == []


def test_a_stored_decision_whose_answer_and_cookie_were_lost_is_sent_again_as_new(
    site: Any, page: Any
) -> None:
    # The server stored the visitor's first decision, but neither the answer nor its cookie
    # reached the browser. Without the cookie the retry of that event id looks like someone
    # replaying another visitor's id, so the server refuses it (409, nothing signed); the
    # widget then sends the same decision once more under a new event id, and it holds.
    server = site()
    event_ids: list[str] = []

    def lose_first_answer_and_cookie(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        event_ids.append(json.loads(route.request.post_data)["event_id"])
        response = route.fetch()
        if len(event_ids) == 1:
            page.context.clear_cookies()  # the Set-Cookie is lost with the answer
            route.fulfill(status=502, body="bad gateway")
        else:
            route.fulfill(response=response)

    page.route(STATE, lose_first_answer_and_cookie)
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(page)
    assert len(event_ids) == 3
    assert event_ids[0] == event_ids[1] != event_ids[2]  # the retry, then the new event
    records = history(page)
    assert [r["action"] for r in records] == ["accept_all"]  # the visitor's own, by the cookie
    assert page.evaluate("ConsentSDK.has('analytics')") is True
    page.reload()
    page.locator('[data-consent-ui="fab"]').wait_for()  # the widget has drawn its layer
    assert page.locator(BANNER).count() == 0  # remembered: the cookie came with the answer


def test_client_error_is_not_retried_for_ever(site: Any, page: Any) -> None:
    server = site()
    calls: list[int] = []

    def reject(route: Any) -> None:
        calls.append(1)
        route.fulfill(status=400, content_type="application/json", body='{"error": "x"}')

    page.route(STATE, reject)
    page.goto(server.url + "/")
    page.evaluate("ConsentSDK.rejectAll()")
    wait_delivered(page)
    page.wait_for_timeout(1500)
    assert len(calls) == 1
