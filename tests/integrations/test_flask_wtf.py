"""A site protected by Flask-WTF's ``CSRFProtect``, set up before or after consent_sdk.

The widget's decisions carry no form token, yet they must be recorded; the site's own forms
must stay protected, and the consent API still refuses other sites by their ``Origin``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_wtf.csrf import CSRFProtect, generate_csrf

from consent_sdk import ConsentManager
from tests.browser.widget import history, ran
from tests.integrations.helpers import GATED_TAG, choose, decision, host_app

PAGE = (
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><title>Contact</title>
{{ consent_banner() }}
"""
    + GATED_TAG
    + """
</head>
<body><main>
<h1>Contact us</h1>
<form method="post" action="/contact">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <textarea name="message"></textarea><button>Send</button>
</form>
</main></body>
</html>"""
)


def create_app(tmp_path: Path, order: str) -> Flask:
    """``csrf_first``: ``CSRFProtect(app)`` then ``ConsentManager(app)``; ``consent_first``:
    a factory that calls ``csrf.init_app(app)`` after ``consent.init_app(app)``."""
    app = host_app(tmp_path)
    if order == "csrf_first":
        CSRFProtect(app)
        ConsentManager(app)
    else:
        consent, csrf = ConsentManager(), CSRFProtect()
        consent.init_app(app)
        csrf.init_app(app)

    @app.get("/")
    def contact_form() -> str:
        return render_template_string(PAGE)

    @app.post("/contact")
    def contact() -> str:
        return "thank you"

    @app.get("/token")
    def token() -> str:
        return str(generate_csrf())

    return app


ORDERS = pytest.mark.parametrize("order", ["csrf_first", "consent_first"])


@ORDERS
def test_rule_06_10_accept_all_is_recorded_and_runs_the_gated_tag_under_csrf_protect(
    tmp_path: Path, live_server: Any, page: Any, order: str
) -> None:
    server = live_server(create_app(tmp_path, order))
    page.goto(server.url + "/")
    choose(page, "accept-all")

    page.wait_for_function("() => (window.ran || []).includes('analytics')")
    assert ran(page) == ["analytics"]
    [record] = history(page)
    assert record["action"] == "accept_all"
    assert "analytics" in record["granted"]
    # The site's own form is still protected: a POST without the token is refused.
    status = page.evaluate(
        "fetch('/contact', {method: 'POST', body: new URLSearchParams({message: 'hi'})})"
        ".then(r => r.status)"
    )
    assert status == 400


@ORDERS
def test_site_forms_still_need_the_csrf_token(tmp_path: Path, order: str) -> None:
    client = create_app(tmp_path, order).test_client()
    refused = client.post("/contact", data={"message": "hi"})
    assert refused.status_code == 400
    assert b"CSRF" in refused.data
    token = client.get("/token").get_data(as_text=True)
    assert client.post("/contact", data={"message": "hi", "csrf_token": token}).status_code == 200


@ORDERS
def test_decision_from_the_sites_own_origin_needs_no_csrf_token(tmp_path: Path, order: str) -> None:
    client = create_app(tmp_path, order).test_client()
    answer = client.post("/consent/state", json=decision(), headers={"Origin": "http://localhost"})
    assert answer.status_code == 200, answer.json
    assert answer.json["purposes"]["analytics"] is True
    assert client.get_cookie("consent") is not None
    [record] = client.get("/consent/history").json["records"]
    assert record["granted"] == ["analytics", "necessary"]


@ORDERS
def test_decision_from_another_site_is_still_forbidden(tmp_path: Path, order: str) -> None:
    client = create_app(tmp_path, order).test_client()
    answer = client.post(
        "/consent/state", json=decision(), headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 403
    assert answer.json["error"] == "forbidden_origin"
    assert client.get_cookie("consent") is None
    assert client.get("/consent/history").json["records"] == []
