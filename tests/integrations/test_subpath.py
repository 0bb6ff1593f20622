"""Apps mounted under a path (``DispatcherMiddleware``, or ``SCRIPT_NAME`` from the server).

Under ``/site`` the policy link, the API and the cookie follow the app's root. Two consent_sdk
apps on one host (``/a`` and ``/b``, same secret key) each keep their own visitor's choice:
the cookie's ``Path`` is the app's root unless ``CONSENT_COOKIE_PATH`` says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, render_template_string
from playwright.sync_api import expect
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from consent_sdk import ConsentManager
from tests.browser.widget import BANNER, PENDING, ran
from tests.integrations.helpers import banner_config, choose, decision, host_app, set_cookies

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ request.script_root }}</title>
{{ consent_banner() }}
<script type="text/plain" data-consent="analytics" src="{{ url_for('analytics_js') }}"></script>
</head>
<body><main><h1>App at {{ request.script_root }}</h1></main></body>
</html>"""


def site_app(tmp_path: Path, name: str, **config: Any) -> Flask:
    app = host_app(tmp_path / name, name, **config)
    ConsentManager(app)

    @app.get("/")
    def home() -> str:
        return render_template_string(PAGE)

    return app


def mount(apps: dict[str, Flask]) -> Flask:
    """The host's front app with each of ``apps`` mounted at its prefix."""
    front = Flask("front")
    front.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        front.wsgi_app, dict(apps)
    )
    return front


def test_rule_07_policy_link_and_api_follow_the_mount_point(tmp_path: Path) -> None:
    client = mount({"/site": site_app(tmp_path, "site")}).test_client()
    config = banner_config(client, "/site/")
    assert config["policy_url"] == "/site/privacy"
    assert config["script"].startswith("/site/consent/consent.js?")
    assert client.get("/site/consent/config").json["policy_url"] == "/site/privacy"


def test_consent_cookie_path_is_the_mount_point(tmp_path: Path) -> None:
    client = mount({"/site": site_app(tmp_path, "site")}).test_client()
    answer = client.post("/site/consent/state", json=decision())
    assert answer.status_code == 200
    cookies = set_cookies(answer)
    assert "consent" in cookies
    for header in cookies.values():
        assert "; Path=/site" in header, header
    assert client.get("/site/consent/state").json["decided"] is True


def test_consent_cookie_path_setting_overrides_the_mount_point(tmp_path: Path) -> None:
    app = site_app(tmp_path, "site", CONSENT_COOKIE_PATH="/")
    answer = mount({"/site": app}).test_client().post("/site/consent/state", json=decision())
    for header in set_cookies(answer).values():
        assert "; Path=/;" in header + ";", header


def two_apps(tmp_path: Path, live_server: Any) -> str:
    server = live_server(mount({"/a": site_app(tmp_path, "a"), "/b": site_app(tmp_path, "b")}))
    return str(server.url)


def actions(page: Any, prefix: str) -> list[str]:
    """The actions of the visitor's records in the app at ``prefix`` (its own history)."""
    body = page.evaluate(f"fetch('{prefix}/consent/history').then(r => r.json())")
    return [r["action"] for r in body["records"]]


def test_rule_06_12_two_apps_on_one_host_keep_their_own_choice(
    tmp_path: Path, live_server: Any, page: Any
) -> None:
    url = two_apps(tmp_path, live_server)
    page.goto(url + "/a/")
    choose(page, "accept-all")
    page.wait_for_function("() => (window.ran || []).includes('analytics')")

    page.goto(url + "/b/")
    page.locator(BANNER).wait_for()  # /a's choice is not /b's
    choose(page, "reject-all")

    page.goto(url + "/a/")
    page.wait_for_function("() => (window.ran || []).includes('analytics')")
    assert page.evaluate("ConsentSDK.has('analytics')") is True
    assert page.locator(BANNER).count() == 0
    page.goto(url + "/b/")
    page.wait_for_load_state("load")
    assert page.evaluate("ConsentSDK.has('analytics')") is False
    assert ran(page) == []
    assert page.locator(BANNER).count() == 0
    paths = sorted(c["path"] for c in page.context.cookies() if c["name"] == "consent")
    assert paths == ["/a", "/b"]
    assert (actions(page, "/a"), actions(page, "/b")) == (["accept_all"], ["reject_all"])


def test_a_decision_still_queued_for_one_app_is_not_sent_to_the_other(
    tmp_path: Path, live_server: Any, page: Any
) -> None:
    url = two_apps(tmp_path, live_server)
    page.route("**/a/consent/state", lambda route: route.abort())  # /a is unreachable
    page.goto(url + "/a/")
    # The widget sends a decision once the tags it started have loaded (up to a second
    # later): wait for that delivery to have failed, not only for the queue to hold it.
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/a/consent/state")):
        page.click(f'{BANNER} [data-consent-action="accept-all"]')
    page.wait_for_function(f"() => localStorage.getItem('{PENDING}')")
    page.unroute("**/a/consent/state")

    page.goto(url + "/b/")
    page.wait_for_load_state("networkidle")  # /b's widget has sent whatever it would send
    assert actions(page, "/b") == []  # the visitor decided nothing on /b
    expect(page.locator(BANNER)).to_be_visible()
    page.goto(url + "/a/")
    page.wait_for_function(f"() => !localStorage.getItem('{PENDING}')")
    assert actions(page, "/a") == ["accept_all"]  # /a gets its decision once it is back
