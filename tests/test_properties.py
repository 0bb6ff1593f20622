"""Property-based tests (hypothesis): the cookie codec and the request schemas hold for any input.

The cookie: any text or bytes as a token never raises and never verifies; a genuine token
round-trips; re-signing with another key or salt, truncating and flipping bits never verify
to anything but the very payload that was signed. The schemas: any JSON body either loads to
valid data or raises ``ValidationError``; through the test client any body to
``POST /consent/state`` is answered 200, 400, 403 or 409, never 5xx.

``CONSENT_HYPOTHESIS_PROFILE=ci`` (the default) keeps the module to a few seconds;
``CONSENT_HYPOTHESIS_PROFILE=long`` runs 50 times as many examples (docs/RELIABILITY.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder, run_wsgi_app

from consent_sdk import requires_consent
from consent_sdk.cookie import CookieCodec, CookieData
from consent_sdk.schemas import ACTIONS, SOURCES, DecisionSchema, WithdrawSchema
from consent_sdk.testing import consent_cookie
from tests.conftest import make_app

# No deadline (a shared 2-core machine: no timing in the verdict), no example database
# (nothing written into the working tree).
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=150, deadline=None, database=None, suppress_health_check=_SLOW
)
settings.register_profile(
    "long", max_examples=7500, deadline=None, database=None, suppress_health_check=_SLOW
)
PROFILE = settings.get_profile(os.environ.get("CONSENT_HYPOTHESIS_PROFILE", "ci"))
# The same for tests that take a module-scoped app fixture (shared by every example on purpose).
WITH_APP = settings(PROFILE, suppress_health_check=[*_SLOW, HealthCheck.function_scoped_fixture])

KEY, SALT = "test-secret", "consent_sdk.cookie"
PURPOSE_IDS = ("necessary", "preferences", "analytics", "marketing")
LANGUAGES = ("en", "lv", "ru")


def _serializer(key: str | bytes = KEY, salt: str = SALT) -> URLSafeSerializer:
    return URLSafeSerializer(key, salt=salt, signer_kwargs={"digest_method": hashlib.sha256})


def _payload(data: CookieData) -> dict[str, Any]:
    return {
        "c": data.consent_id,
        "g": sorted(data.granted),
        "d": sorted(data.refused),
        "v": data.policy_version,
        "t": data.given_at,
    }


CODEC = CookieCodec([KEY], SALT)

purpose_sets = st.frozensets(st.sampled_from(PURPOSE_IDS) | st.text(max_size=12), max_size=6)
cookie_data = st.builds(
    CookieData,
    consent_id=st.uuids().map(str) | st.text(max_size=40),
    granted=purpose_sets,
    refused=purpose_sets,
    policy_version=st.text(max_size=16),
    given_at=st.integers(min_value=-(2**53), max_value=2**53),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _same_grant(token: str, original: CookieData) -> bool:
    """The token does not verify, or it verifies to exactly what was signed.

    itsdangerous decodes signatures with Python's lenient base64 (``+``/``/`` accepted for
    ``-``/``_``, the last character's two spare bits, a trailing ``=``): such a variant of a
    genuine token verifies, but to the very same payload, so it grants nothing new.
    """
    loaded = CODEC.loads(token)
    return loaded is None or loaded == original


# --- the cookie codec -----------------------------------------------------------------------


@PROFILE
@given(st.text(max_size=2000))
def test_any_text_as_a_token_never_raises_and_never_verifies(token: str) -> None:
    assert CODEC.loads(token) is None


@PROFILE
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_token_never_raise_and_never_verify(raw: bytes) -> None:
    # A WSGI server hands header bytes to the app as latin-1 text.
    assert CODEC.loads(raw.decode("latin-1")) is None


@PROFILE
@given(cookie_data)
def test_a_genuine_token_round_trips(data: CookieData) -> None:
    assert CODEC.loads(CODEC.dumps(data)) == data


@PROFILE
@given(
    cookie_data,
    st.text(min_size=1, max_size=40).filter(lambda k: k != KEY),
    st.text(max_size=40),
)
def test_a_token_signed_with_another_key_or_salt_never_verifies(
    data: CookieData, other_key: str, other_salt: str
) -> None:
    payload = _payload(data)
    assert CODEC.loads(str(_serializer(other_key, SALT).dumps(payload))) is None
    if other_salt != SALT:
        assert CODEC.loads(str(_serializer(KEY, other_salt).dumps(payload))) is None


@PROFILE
@given(cookie_data, st.data())
def test_a_truncated_token_never_verifies(data: CookieData, draw: st.DataObject) -> None:
    token = CODEC.dumps(data)
    cut = draw.draw(st.integers(min_value=0, max_value=len(token) - 1))
    assert CODEC.loads(token[:cut]) is None


@PROFILE
@given(cookie_data, st.data())
def test_bit_flips_never_verify_to_another_payload(data: CookieData, draw: st.DataObject) -> None:
    raw = bytearray(CODEC.dumps(data).encode("latin-1"))
    flips = draw.draw(
        st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 7)), min_size=1, max_size=4)
    )
    for index, bit in flips:
        raw[index] ^= 1 << bit
    assert _same_grant(raw.decode("latin-1"), data)


@PROFILE
@given(cookie_data, st.frozensets(st.sampled_from(PURPOSE_IDS), min_size=1))
def test_a_genuine_payload_with_altered_grants_never_verifies(
    data: CookieData, extra: frozenset[str]
) -> None:
    signature = CODEC.dumps(data).rsplit(".", 1)[1]
    altered = _payload(data) | {"g": sorted(data.granted | extra)}
    forged = str(_serializer(b"a guessed key").dumps(altered))
    # The altered payload under the genuine signature, and signed with a guessed key.
    under_genuine = forged.rsplit(".", 1)[0] + "." + signature
    if extra <= data.granted:  # nothing altered after all
        assert CODEC.loads(under_genuine) == data
    else:
        assert CODEC.loads(under_genuine) is None
    assert CODEC.loads(forged) is None


@PROFILE
@given(json_values)
def test_any_payload_signed_with_the_right_key_loads_to_well_typed_data_or_none(
    payload: Any,
) -> None:
    loaded = CODEC.loads(str(_serializer().dumps(payload)))
    if loaded is not None:
        assert isinstance(loaded.consent_id, str) and isinstance(loaded.policy_version, str)
        assert all(isinstance(p, str) for p in loaded.granted | loaded.refused)
        assert type(loaded.given_at) is int


# --- the gate, through the app --------------------------------------------------------------


@pytest.fixture(scope="module")
def gated_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = make_app(tmp_path_factory.mktemp("properties"))

    @app.get("/gated")
    @requires_consent("analytics")
    def gated() -> str:
        return "granted"

    return app


def _gated_status(app: Flask, cookie_header: str) -> int:
    """The gated view's status for a raw ``Cookie`` header, as a WSGI server would pass it."""
    environ = EnvironBuilder(path="/gated").get_environ()
    environ["HTTP_COOKIE"] = cookie_header
    app_iter, status, _headers = run_wsgi_app(app, environ, buffered=True)
    if hasattr(app_iter, "close"):
        app_iter.close()
    return int(status.split()[0])


cookie_names = st.sampled_from(["consent", "consent_choice", "session", "Consent", " consent"])


@WITH_APP
@given(
    st.binary(max_size=600).map(lambda b: b.decode("latin-1")),
    st.lists(st.tuples(cookie_names, st.binary(max_size=80)), max_size=4),
)
def test_any_cookie_header_without_a_genuine_token_is_refused_never_a_5xx(
    gated_app: Flask, header: str, others: list[tuple[str, bytes]]
) -> None:
    parts = [header, *(f"{name}={value.decode('latin-1')}" for name, value in others)]
    assert _gated_status(gated_app, "; ".join(parts)) == 403


@WITH_APP
@given(
    st.lists(st.tuples(cookie_names, st.binary(max_size=80)), max_size=4),
    st.lists(st.tuples(cookie_names, st.binary(max_size=80)), max_size=4),
    st.booleans(),
)
def test_odd_cookies_beside_a_genuine_token_keep_exactly_its_grant(
    gated_app: Flask,
    before: list[tuple[str, bytes]],
    after: list[tuple[str, bytes]],
    grants_analytics: bool,
) -> None:
    token = consent_cookie(gated_app, *(["analytics"] if grants_analytics else []))

    def pairs(items: list[tuple[str, bytes]]) -> list[str]:
        # Other cookies, not a second "consent" one (which of two wins is the browser's order).
        return [f"{n}={v.decode('latin-1')}" for n, v in items if n.strip() != "consent"]

    header = "; ".join([*pairs(before), f"consent={token}", *pairs(after)])
    status = _gated_status(gated_app, header)
    # Odd bytes beside it may make the header unparseable (then nothing is granted), but they
    # never grant what the genuine token does not, and never crash the gate.
    assert status in ((200, 403) if grants_analytics else (403,))
    if grants_analytics and all(
        v.isascii() and not any(c in v for c in b'";,\\ \x7f') and all(c >= 0x21 for c in v)
        for _n, v in [*before, *after]
    ):
        assert status == 200


# --- the request schemas --------------------------------------------------------------------

decision_like = st.fixed_dictionaries(
    {},
    optional={
        "purposes": st.dictionaries(st.sampled_from(PURPOSE_IDS) | st.text(max_size=8), json_values)
        | st.dictionaries(st.sampled_from(PURPOSE_IDS), st.booleans())
        | json_values,
        "event_id": st.uuids().map(str) | json_values,
        "source": st.sampled_from(SOURCES) | json_values,
        "action": st.sampled_from(ACTIONS) | json_values,
        "language": st.sampled_from(["en", "lv-LV", "ru_RU", "de"]) | json_values,
        "gpc": st.booleans() | json_values,
        "extra": json_values,
    },
)
bodies = decision_like | json_values


def _check_visitor_fields(data: dict[str, Any]) -> None:
    assert data["event_id"] is None or isinstance(data["event_id"], uuid.UUID)
    assert type(data["gpc"]) is bool
    language = data["language"]
    assert language is None or language.lower().replace("_", "-").split("-")[0] in LANGUAGES
    assert data["source"] in SOURCES


@PROFILE
@given(bodies)
def test_any_json_loads_to_a_valid_decision_or_raises_validation_error(body: Any) -> None:
    try:
        data = DecisionSchema(PURPOSE_IDS, LANGUAGES).load(body)
    except ValidationError:
        return
    assert set(data) <= {"purposes", "event_id", "source", "action", "language", "gpc"}
    assert set(data["purposes"]) <= set(PURPOSE_IDS)
    assert all(type(v) is bool for v in data["purposes"].values())
    assert data["action"] is None or data["action"] in ACTIONS
    _check_visitor_fields(data)


@PROFILE
@given(bodies)
def test_any_json_loads_to_a_valid_withdrawal_or_raises_validation_error(body: Any) -> None:
    try:
        data = WithdrawSchema(PURPOSE_IDS, LANGUAGES).load(body)
    except ValidationError:
        return
    assert set(data) <= {"event_id", "source", "language", "gpc"}
    _check_visitor_fields(data)


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    # No rate limit: every example must reach the validation, not a 429 after the 30th.
    app = make_app(tmp_path_factory.mktemp("api"), CONSENT_RATE_LIMIT=None)
    return app


raw_bodies = (
    bodies.map(lambda b: json.dumps(b).encode())
    | st.binary(max_size=300)
    | st.text(max_size=300).map(str.encode)
    | st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n)
)


@WITH_APP
@given(
    raw_bodies,
    st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", None]),
    st.sampled_from([None, "http://localhost", "https://evil.example", "null", "\x80"]),
    st.booleans(),
)
def test_any_body_to_post_state_is_200_400_403_or_409_never_5xx(
    api_app: Flask, body: bytes, content_type: str | None, origin: str | None, with_cookie: bool
) -> None:
    client = api_app.test_client()
    if with_cookie:
        client.set_cookie("consent", consent_cookie(api_app, "analytics"))
    headers = {"Origin": origin} if origin is not None else {}
    response = client.post("/consent/state", data=body, content_type=content_type, headers=headers)
    assert response.status_code in (200, 400, 403, 409), (response.status_code, response.data)
    assert response.is_json
    if response.status_code == 200:
        # Only a body the schema accepts is recorded.
        DecisionSchema(PURPOSE_IDS, LANGUAGES).load(json.loads(body))


@WITH_APP
@given(raw_bodies, st.sampled_from(["application/json", "text/plain", None]), st.booleans())
def test_any_body_to_delete_state_is_200_400_or_403_never_5xx(
    api_app: Flask, body: bytes, content_type: str | None, with_cookie: bool
) -> None:
    client = api_app.test_client()
    if with_cookie:
        client.set_cookie("consent", consent_cookie(api_app, "analytics"))
    response = client.delete("/consent/state", data=body, content_type=content_type)
    assert response.status_code in (200, 400, 403, 409), (response.status_code, response.data)
    assert response.is_json
