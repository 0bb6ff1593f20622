"""The signed consent cookie: tampering, expiry, policy versions, key rotation, attributes."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from itsdangerous import URLSafeSerializer

from consent_sdk.testing import consent_cookie
from tests.conftest import PURPOSES, consent_id_of, make_app

GRANT_ANALYTICS = {"purposes": {"analytics": True}}


def _decide(client: Any, body: dict[str, Any] = GRANT_ANALYTICS) -> str:
    response = client.post("/consent/state", json=body)
    assert response.status_code == 200
    return str(client.get_cookie("consent").value)


def _state(client: Any) -> dict[str, Any]:
    response = client.get("/consent/state")
    assert response.status_code == 200
    return dict(response.json)


def _flip(token: str, index: int) -> str:
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


def _resigned(payload: Any, key: str = "test-secret", salt: str = "consent_sdk.cookie") -> str:
    import hashlib

    serializer = URLSafeSerializer(key, salt=salt, signer_kwargs={"digest_method": hashlib.sha256})
    return str(serializer.dumps(payload))


TAMPERED = {
    "payload-byte-flipped": lambda t: _flip(t, 3),
    "signature-byte-flipped": lambda t: _flip(t, len(t) - 3),
    "truncated": lambda t: t[: len(t) // 2],
    "signature-removed": lambda t: t.rsplit(".", 1)[0],
    "garbage": lambda t: "not-a-cookie",
    "empty": lambda t: "",
    "huge": lambda t: t + "A" * 3000,
    "other-key": lambda t: _resigned(
        {"c": "x", "g": ["analytics"], "d": [], "v": "1", "t": 1}, key="other"
    ),
    "other-salt": lambda t: _resigned(
        {"c": "x", "g": ["analytics"], "d": [], "v": "1", "t": 1}, salt="s"
    ),
    "right-key-wrong-shape": lambda t: _resigned({"c": 1, "g": "analytics", "d": [], "v": "1"}),
    "right-key-not-a-dict": lambda t: _resigned(["analytics"]),
    "unsigned-json": lambda t: base64.urlsafe_b64encode(b'{"c":"x","g":["analytics"]}').decode(),
}


@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_tampered_cookie_counts_as_no_decision_never_a_500(client: Any, tamper: Any) -> None:
    token = _decide(client)
    client.set_cookie("consent", tamper(token))
    state = _state(client)
    assert state["decided"] is False
    assert state["purposes"]["analytics"] is False
    assert client.get("/consent/history").json["records"] == []
    # A new decision still works and starts a new consent id.
    assert client.post("/consent/state", json=GRANT_ANALYTICS).status_code == 200


def test_rule_11_cookie_expires_after_max_age(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_MAX_AGE=timedelta(days=180))
    client = app.test_client()
    with time_machine.travel("2026-01-01 12:00:00+00:00", tick=False) as traveller:
        _decide(client)
        state = _state(client)
        assert state["decided"] is True
        assert state["expires_at"] == "2026-06-30T12:00:00+00:00"
        traveller.shift(timedelta(days=179, hours=23))
        assert _state(client)["decided"] is True
        traveller.shift(timedelta(hours=2))
        assert _state(client)["decided"] is False


def test_rule_11_new_policy_version_asks_again_but_keeps_the_consent_id(tmp_path: Path) -> None:
    old = make_app(tmp_path, CONSENT_POLICY_VERSION="2026-01")
    client = old.test_client()
    token = _decide(client)
    consent_id = consent_id_of(old, token)

    new = make_app(tmp_path, CONSENT_POLICY_VERSION="2026-11")
    new_client = new.test_client()
    new_client.set_cookie("consent", token)
    state = _state(new_client)
    assert state["decided"] is False and state["policy_version"] == "2026-11"
    assert new_client.post("/consent/state", json=GRANT_ANALYTICS).status_code == 200
    assert consent_id_of(new, new_client) == consent_id


def test_rule_11_a_purpose_added_since_the_decision_asks_again(tmp_path: Path) -> None:
    from consent_sdk.purposes import DEFAULT_PURPOSES

    client = make_app(tmp_path).test_client()
    token = _decide(client)
    video = {**DEFAULT_PURPOSES[3], "id": "video", "cookies": ["_yt*"]}
    more = make_app(tmp_path, CONSENT_PURPOSES=[*PURPOSES, video]).test_client()
    more.set_cookie("consent", token)
    assert _state(more)["decided"] is False
    state = more.post("/consent/state", json={"purposes": {"video": True}}).json
    assert state["decided"] is True and state["purposes"]["video"] is True


def test_key_rotation_old_cookies_stay_valid_new_ones_use_the_new_key(tmp_path: Path) -> None:
    app = make_app(tmp_path, SECRET_KEY="old-key")
    client = app.test_client()
    old_token = _decide(client)

    app.config.update(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    assert _state(client)["decided"] is True
    new_token = _decide(client, {"purposes": {"marketing": True}})
    assert new_token != old_token

    # Once the old key is retired, its cookies no longer count, even if verified before.
    app.config.update(SECRET_KEY_FALLBACKS=[])
    client.set_cookie("consent", old_token)
    assert _state(client)["decided"] is False
    client.set_cookie("consent", new_token)
    assert _state(client)["purposes"]["marketing"] is True


def test_cookie_is_httponly_lax_root_path_and_small(client: Any) -> None:
    response = client.post(
        "/consent/state", json={"purposes": {"analytics": True, "marketing": True}}
    )
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Secure" not in header  # plain HTTP in this test
    # A year from the decision, less the seconds the request took on a busy machine.
    max_age = int(header.split("Max-Age=", 1)[1].split(";", 1)[0])
    assert 31536000 - 60 <= max_age <= 31536000
    value = header.split(";", 1)[0].split("=", 1)[1]
    assert len(value) < 250, len(value)  # README documents the measured size


def test_cookie_is_secure_on_https_and_can_cover_a_parent_domain(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_COOKIE_DOMAIN=".stepahead.lv")
    client = app.test_client()
    response = client.post(
        "/consent/state",
        json=GRANT_ANALYTICS,
        base_url="https://www.stepahead.lv",
    )
    header = response.headers["Set-Cookie"]
    assert "Secure" in header and "Domain=stepahead.lv" in header


def test_cookie_given_in_the_future_does_not_count(app: Flask) -> None:
    client = app.test_client()
    import time

    token = consent_cookie(app, "analytics", given_at=time.time() + 86400)
    client.set_cookie("consent", token)
    assert _state(client)["decided"] is False
