"""A site behind a reverse proxy (nginx terminating HTTPS for www.example.com).

Wrapped in ``ProxyFix``, the app sees the visitor's scheme, host and address: the widget's
decision from ``https://www.example.com`` is accepted, the cookie is ``Secure`` and the record
keeps the visitor's network, not the proxy's. Without ``ProxyFix`` the decision is refused and
the message says what the server expected, what it got, and how to fix it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from consent_sdk import ConsentManager
from tests.conftest import consent_id_of
from tests.integrations.helpers import decision, host_app, set_cookies

PUBLIC = "https://www.example.com"
# What the app receives from the proxy on 127.0.0.1:8000 for a visitor at 203.0.113.77.
FROM_PROXY = {
    "Origin": PUBLIC,
    "X-Forwarded-For": "203.0.113.77",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "www.example.com",
}
BACKEND = "http://127.0.0.1:8000"


def create_app(tmp_path: Path, *, proxy_fix: bool) -> tuple[Flask, ConsentManager]:
    app = host_app(tmp_path)
    if proxy_fix:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=1, x_proto=1, x_host=1
        )
    return app, ConsentManager(app)


def test_rule_14_behind_proxy_fix_the_decision_is_accepted_with_a_secure_cookie(
    tmp_path: Path,
) -> None:
    app, consent = create_app(tmp_path, proxy_fix=True)
    answer = app.test_client().post(
        "/consent/state", json=decision(), headers=FROM_PROXY, base_url=BACKEND
    )
    assert answer.status_code == 200, answer.json
    cookies = set_cookies(answer)
    assert "consent" in cookies
    for header in cookies.values():
        assert "; Secure" in header, header
    with app.app_context():
        [record] = consent.history(consent_id_of(app, cookies["consent"].split(";")[0][8:]))
    assert record["ip_prefix"] == "203.0.113.0"


def test_without_proxy_fix_the_refusal_names_both_origins_and_the_fix(tmp_path: Path) -> None:
    app, _ = create_app(tmp_path, proxy_fix=False)
    answer = app.test_client().post(
        "/consent/state", json=decision(), headers=FROM_PROXY, base_url=BACKEND
    )
    assert answer.status_code == 403
    body = answer.json
    assert body["error"] == "forbidden_origin"
    assert (body["origin"], body["expected"]) == (PUBLIC, BACKEND)
    for part in (PUBLIC, BACKEND, "ProxyFix", "x_proto", "x_host"):
        assert part in body["message"], part
    assert "Set-Cookie" not in answer.headers
