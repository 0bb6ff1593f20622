"""Banner impressions in Chromium (issue 18): a page view that shows the banner is counted once
on the server, by a request that carries no cookie; a decided visitor's page views are not."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Flask

from consent_sdk.impressions import shown
from tests.browser.widget import BANNER, DIALOG, wait_delivered

PATH = "/consent/impressions"
SETTINGS = '.csdk-fab [data-consent-action="settings"]'


def counted(app: Flask) -> dict[tuple[str, str], int]:
    """(language, policy version) → page views the server counted, all days."""
    with app.app_context():
        ledger = app.extensions["consent"].ledger
        got = shown(ledger, site="default", since=date(2000, 1, 1), until=date(9999, 1, 1))
    return {(lang, version): n for (_, lang, version), n in got.rows.items()}


def watch(page: Any) -> list[Any]:
    """The impression requests the page makes, as Playwright sees them on the wire."""
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith(PATH) else None)
    return sent


def settle(page: Any) -> None:
    """Long enough for a fire-and-forget request after the banner to have gone and come back."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def test_a_new_visitors_page_view_is_counted_once_without_a_cookie(
    site: Any, new_page: Any
) -> None:
    server = site("plain.html")
    page = new_page()
    # A cookie of the site's own, which a request with the page's credentials would carry.
    page.context.add_cookies([{"name": "session", "value": "s1", "url": server.url}])
    sent = watch(page)
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    settle(page)

    assert len(sent) == 1
    request = sent[0]
    headers = request.all_headers()
    assert request.method == "POST"
    assert "cookie" not in headers, headers
    assert headers["content-type"].startswith("text/plain")  # no CORS preflight
    assert json.loads(request.post_data) == {"language": "en", "policy_version": "1"}
    response = request.response()
    assert response.status == 204
    assert "set-cookie" not in response.all_headers()
    assert counted(server.app) == {("en", "1"): 1}
    # Counting stored nothing in the browser either.
    assert [c["name"] for c in page.context.cookies()] == ["session"]
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_two_page_views_with_the_banner_are_two(site: Any, page: Any) -> None:
    server = site("plain.html")
    sent = watch(page)
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    settle(page)
    # Opening the second layer from the banner is the same page view.
    page.click(f'{BANNER} [data-consent-action="customize"]')
    page.locator(DIALOG).wait_for()
    page.keyboard.press("Escape")
    page.reload()
    page.locator(BANNER).wait_for()
    settle(page)

    assert len(sent) == 2
    assert counted(server.app) == {("en", "1"): 2}


def test_a_returning_visitor_is_not_counted(site: Any, page: Any) -> None:
    server = site("plain.html")
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(page)
    settle(page)
    assert counted(server.app) == {("en", "1"): 1}  # the first view, with the banner

    sent = watch(page)
    page.reload()
    page.locator(SETTINGS).wait_for()
    page.click(SETTINGS)  # the settings dialog is no banner
    page.locator(DIALOG).wait_for()
    settle(page)
    # A withdrawal brings the banner back in this page view, which was counted as decided.
    page.evaluate("ConsentSDK.withdraw()")
    page.locator(BANNER).wait_for()
    settle(page)

    assert sent == []
    assert counted(server.app) == {("en", "1"): 1}


def test_a_visitor_asked_again_after_a_policy_change_is_counted_sending_no_cookie(
    site: Any, page: Any
) -> None:
    before = site("plain.html")
    page.goto(before.url + "/")
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    wait_delivered(page)
    assert {"consent", "consent_choice"} <= {c["name"] for c in page.context.cookies()}

    # The same store and cookies (127.0.0.1, another port), a new policy version.
    after = site("plain.html", CONSENT_POLICY_VERSION="2")
    sent = watch(page)
    page.goto(after.url + "/")
    page.locator(BANNER).wait_for()
    settle(page)

    assert len(sent) == 1
    assert "cookie" not in sent[0].all_headers()
    assert json.loads(sent[0].post_data)["policy_version"] == "2"
    assert counted(after.app) == {("en", "1"): 1, ("en", "2"): 1}
