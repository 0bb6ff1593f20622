"""The HTTP API: config, state, decisions, withdrawal, history, bad input, origins."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import consent_id_of, decide_concurrently, make_app, stored_event_ids


@pytest.fixture
def app(tmp_path: Path, store_url: str) -> Iterator[Flask]:
    """The API's tests run on SQLite and on PostgreSQL: a store-specific bug (PostgreSQL took
    every new decision for a repeat) hid for as long as they ran on SQLite only."""
    app = make_app(tmp_path, CONSENT_DATABASE_URI=store_url)
    yield app
    with app.app_context():
        app.extensions["consent"].ledger.engine.dispose()


def _count(app: Flask) -> int:
    store = app.extensions["consent"].ledger
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("select count(*) from consent_records")).scalar_one())


def test_config_speaks_the_asked_language_and_falls_back_to_the_default(client: Any) -> None:
    en = client.get("/consent/config?lang=en").json
    assert en["lang"] == "en" and en["texts"]["reject_all"] == "Reject all"
    assert [p["id"] for p in en["purposes"]] == [
        "necessary",
        "preferences",
        "analytics",
        "marketing",
    ]
    assert en["purposes"][0]["required"] is True and en["purposes"][0]["basis"] == "exempt"
    assert "_ga_*" in en["purposes"][2]["cookies"]
    assert client.get("/consent/config?lang=ru-RU").json["texts"]["accept_all"] == "Принять все"
    fallback = client.get("/consent/config?lang=de").json
    assert fallback["lang"] == "en" and fallback["texts"]["accept_all"] == "Accept all"


@pytest.mark.parametrize(
    "setting",
    ["/{lang}/privacy", {"lv": "/lv/privacy", "en": "/en/privacy", "ru": "/ru/privacy"}],
    ids=["placeholder", "mapping"],
)
def test_rule_07_policy_link_follows_the_language(tmp_path: Path, setting: Any) -> None:
    client = make_app(tmp_path, CONSENT_POLICY_URL=setting).test_client()
    for lang in ("lv", "en", "ru"):
        assert client.get(f"/consent/config?lang={lang}").json["policy_url"] == f"/{lang}/privacy"


def test_policy_url_mapping_needs_the_default_language(tmp_path: Path) -> None:
    from consent_sdk import ConfigurationError

    with pytest.raises(ConfigurationError, match="CONSENT_POLICY_URL"):
        make_app(tmp_path, CONSENT_POLICY_URL={"lv": "/lv/privacy"})


def test_rule_16_texts_hash_differs_per_language(client: Any) -> None:
    hashes = {
        client.get(f"/consent/config?lang={lang}").json["texts_hash"] for lang in ["lv", "en", "ru"]
    }
    assert len(hashes) == 3


def test_state_before_any_decision_grants_only_necessary(client: Any) -> None:
    state = client.get("/consent/state").json
    assert state == {
        "decided": False,
        "purposes": {
            "necessary": True,
            "preferences": False,
            "analytics": False,
            "marketing": False,
        },
        "policy_version": "1",
        "given_at": None,
        "expires_at": None,
    }


def test_rule_06_each_purpose_is_granted_or_refused_on_its_own(app: Flask, client: Any) -> None:
    body = {
        "purposes": {"analytics": True, "marketing": False},
        "source": "settings",
        "action": "save",
    }
    state = client.post("/consent/state", json=body).json
    assert state["decided"] is True
    assert state["purposes"] == {
        "necessary": True,
        "preferences": False,
        "analytics": True,
        "marketing": False,
    }
    assert client.get("/consent/state").json == state
    with app.app_context():
        (record,) = app.extensions["consent"].manager.history(consent_id_of(app, client))
    assert record["granted"] == ["analytics", "necessary"]
    assert record["refused"] == ["marketing", "preferences"]
    assert record["source"] == "settings" and record["action"] == "save"


def test_necessary_is_granted_whatever_is_sent(client: Any) -> None:
    state = client.post("/consent/state", json={"purposes": {"necessary": False}}).json
    assert state["purposes"]["necessary"] is True
    assert state["purposes"]["marketing"] is False


def test_rule_10_record_holds_what_proves_the_decision(app: Flask, client: Any) -> None:
    event_id = str(uuid.uuid4())
    body = {
        "purposes": {"marketing": True},
        "event_id": event_id,
        "source": "banner",
        "action": "accept_all",
        "language": "en",
        "gpc": False,
    }
    state = client.post("/consent/state", json=body, headers={"Sec-GPC": "1"}).json
    with app.app_context():
        (record,) = app.extensions["consent"].manager.history(consent_id_of(app, client))
        texts = app.extensions["consent"].ledger.texts(record["texts_hash"])
    assert record["event_id"] == event_id
    assert record["texts_hash"] == client.get("/consent/config?lang=en").json["texts_hash"]
    assert texts is not None and texts["texts"]["accept_all"] == "Accept all"
    assert record["language"] == "en" and record["gpc"] is True
    assert record["policy_version"] == "1" and record["site_id"] == "default"
    assert record["created_at"].isoformat() == state["given_at"]
    assert record["expires_at"].isoformat() == state["expires_at"]
    assert record["retain_until"] > record["expires_at"]


def test_rule_14_record_keeps_no_full_ip_and_no_raw_user_agent(app: Flask, client: Any) -> None:
    ua = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
    client.post(
        "/consent/state",
        json={"purposes": {}},
        headers={"User-Agent": ua},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    with app.app_context():
        (record,) = app.extensions["consent"].manager.history(consent_id_of(app, client))
    assert record["ip_prefix"] == "203.0.113.0"
    assert record["browser"] == "Firefox"
    assert "203.0.113.77" not in str(record) and "Gecko" not in str(record)


def test_ip_can_be_left_out_entirely(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_RECORD_IP=False)
    client = app.test_client()
    client.post("/consent/state", json={"purposes": {}})
    with app.app_context():
        (record,) = app.extensions["consent"].manager.history(consent_id_of(app, client))
    assert record["ip_prefix"] is None


def test_repeated_event_id_is_recorded_once(app: Flask, client: Any) -> None:
    body = {"purposes": {"analytics": True}, "event_id": str(uuid.uuid4())}
    first = client.post("/consent/state", json=body).json
    again = client.post("/consent/state", json=body).json
    assert again == first
    assert _count(app) == 1


@pytest.mark.parametrize("attacker_has_a_cookie", [False, True])
def test_a_replayed_event_id_from_another_browser_is_a_conflict_and_signs_nothing(
    app: Flask, client: Any, attacker_has_a_cookie: bool
) -> None:
    event_id = str(uuid.uuid4())
    client.post("/consent/state", json={"purposes": {"analytics": True}, "event_id": event_id})
    victim = {"consent_id": consent_id_of(app, client)}
    attacker = app.test_client()
    if attacker_has_a_cookie:
        attacker.post("/consent/state", json={"purposes": {}})
    stolen = attacker.post(
        "/consent/state", json={"purposes": {"analytics": False}, "event_id": event_id}
    )
    assert stolen.status_code == 409 and stolen.json["error"] == "event_id_conflict"
    assert victim["consent_id"] not in stolen.text
    assert "Set-Cookie" not in stolen.headers
    # The attacker got nothing of the victim's: not their consent, not their history.
    assert attacker.get("/consent/state").json["purposes"]["analytics"] is False
    assert victim["consent_id"] not in attacker.get("/consent/history").text
    assert _count(app) == (2 if attacker_has_a_cookie else 1)


def test_consent_id_stays_the_same_across_decisions(client: Any) -> None:
    client.post("/consent/state", json={"purposes": {"analytics": True}})
    first = consent_id_of(client.application, client)
    second = client.post("/consent/state", json={"purposes": {}}).json
    assert consent_id_of(client.application, client) == first
    assert second["purposes"]["analytics"] is False


def test_rule_09_withdrawal_records_refusal_and_clears_the_cookie(app: Flask, client: Any) -> None:
    client.post("/consent/state", json={"purposes": {"analytics": True, "marketing": True}})
    consent_id = consent_id_of(app, client)
    response = client.delete("/consent/state")
    assert response.status_code == 200
    assert response.json["decided"] is False
    assert "consent=;" in response.headers["Set-Cookie"]
    assert client.get_cookie("consent") is None
    with app.app_context():
        records = app.extensions["consent"].manager.history(consent_id)
    assert [r["action"] for r in records] == [None, "withdraw"]
    assert records[-1]["granted"] == ["necessary"]
    assert records[-1]["refused"] == ["analytics", "marketing", "preferences"]


def test_withdrawal_without_a_decision_records_nothing(app: Flask, client: Any) -> None:
    assert client.delete("/consent/state").status_code == 200
    assert _count(app) == 0


def test_rule_18_history_shows_only_the_visitors_own_records(app: Flask) -> None:
    alice, bob = app.test_client(), app.test_client()
    alice.post("/consent/state", json={"purposes": {"analytics": True}})
    alice_id = consent_id_of(app, alice)
    alice.post("/consent/state", json={"purposes": {}})
    bob.post("/consent/state", json={"purposes": {"marketing": True}})
    history = alice.get("/consent/history").json
    assert [r["granted"] for r in history["records"]] == [["analytics", "necessary"], ["necessary"]]
    with app.app_context():
        own = app.extensions["consent"].manager.history(alice_id)
    assert [r["created_at"].isoformat() for r in own] == [
        r["created_at"] for r in history["records"]
    ]
    assert app.test_client().get("/consent/history").json == {"records": [], "older": None}
    # Asking for someone else's id is not a thing the API offers.
    assert app.test_client().get(f"/consent/history?consent_id={alice_id}").json["records"] == []


BAD_BODIES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown-purpose": ({"json": {"purposes": {"tracking": True}}}, "purposes.tracking"),
    "purpose-not-boolean": ({"json": {"purposes": {"analytics": "yes"}}}, "purposes.analytics"),
    "purpose-number": ({"json": {"purposes": {"analytics": 1}}}, "purposes.analytics"),
    "purposes-missing": ({"json": {"source": "banner"}}, "purposes"),
    "purposes-not-object": ({"json": {"purposes": ["analytics"]}}, "purposes"),
    "bad-event-id": ({"json": {"purposes": {}, "event_id": "123"}}, "event_id"),
    "bad-source": ({"json": {"purposes": {}, "source": "robot"}}, "source"),
    "bad-action": ({"json": {"purposes": {}, "action": "maybe"}}, "action"),
    "bad-language": ({"json": {"purposes": {}, "language": "de"}}, "language"),
    "gpc-not-boolean": ({"json": {"purposes": {}, "gpc": "1"}}, "gpc"),
    "unknown-field": ({"json": {"purposes": {}, "ip": "1.2.3.4"}}, "ip"),
    "not-an-object": ({"json": ["analytics"]}, "body"),
    "empty-body": ({"data": b"", "content_type": "application/json"}, "body"),
    "invalid-json": ({"data": b"{purposes:", "content_type": "application/json"}, "body"),
    "not-utf8": ({"data": b"\xff\xfe{", "content_type": "application/json"}, "body"),
    "wrong-content-type": ({"data": b'{"purposes": {}}', "content_type": "text/plain"}, "body"),
    "form-encoded": ({"data": {"purposes": "x"}}, "body"),
    "oversized": (
        {"json": {"purposes": {}, "language": "x" * 5000}},
        "body",
    ),
}


@pytest.mark.parametrize("kwargs, field", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    app: Flask, client: Any, kwargs: dict[str, Any], field: str
) -> None:
    response = client.post("/consent/state", **kwargs)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert field in response.json["fields"], response.json
    assert client.get_cookie("consent") is None
    assert _count(app) == 0


ORIGINS = {
    "foreign-origin": ({"Origin": "https://evil.example"}, 403),
    "null-origin": ({"Origin": "null"}, 403),
    "foreign-referer": ({"Referer": "https://evil.example/page"}, 403),
    "garbage-referer": ({"Referer": "not a url"}, 403),
    "same-origin": ({"Origin": "http://localhost"}, 200),
    "same-origin-referer": ({"Referer": "http://localhost/some/page"}, 200),
    "trusted-origin": ({"Origin": "https://shop.stepahead.lv"}, 200),
    "no-browser-headers": ({}, 200),
}


@pytest.mark.parametrize("headers, status", ORIGINS.values(), ids=ORIGINS.keys())
def test_state_changes_from_other_origins_are_refused(
    tmp_path: Path, headers: dict[str, str], status: int
) -> None:
    app = make_app(tmp_path, CONSENT_TRUSTED_ORIGINS=["https://shop.stepahead.lv"])
    client = app.test_client()
    post = client.post("/consent/state", json={"purposes": {"analytics": True}}, headers=headers)
    assert post.status_code == status
    if status == 403:
        assert post.json["error"] == "forbidden_origin"
        assert _count(app) == 0 and client.get_cookie("consent") is None
    # Withdrawal is state-changing too.
    client.post("/consent/state", json={"purposes": {"analytics": True}})
    before = _count(app)
    delete = client.delete("/consent/state", headers=headers)
    assert delete.status_code == status
    assert _count(app) == before + (1 if status == 200 else 0)


def test_withdrawal_body_is_validated(app: Flask, client: Any) -> None:
    client.post("/consent/state", json={"purposes": {"analytics": True}})
    response = client.delete("/consent/state", json={"source": "nowhere"})
    assert response.status_code == 400 and "source" in response.json["fields"]
    assert _count(app) == 1


def test_openapi_document_is_generated_from_the_schemas(client: Any) -> None:
    spec = client.get("/consent/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/consent/config",
        "/consent/state",
        "/consent/history",
        "/consent/impressions",
        "/consent/receipt.json",
        "/consent/jwks.json",
    }
    assert set(spec["paths"]["/consent/state"]) == {"get", "post", "delete"}
    decision = spec["components"]["schemas"]["Decision"]
    assert decision["required"] == ["purposes"]
    assert decision["properties"]["source"]["enum"] == ["banner", "settings", "api", "gpc"]
    assert "decided" in spec["components"]["schemas"]["State"]["properties"]


def test_url_prefix_is_configurable(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_URL_PREFIX="/privacy/consent/")
    client = app.test_client()
    assert client.get("/privacy/consent/state").status_code == 200
    assert client.get("/consent/state").status_code == 404


def test_widget_files_are_served_with_long_caching_only_for_the_current_version(
    app: Flask, client: Any
) -> None:
    versions = app.extensions["consent"].widget.versions
    versioned = client.get(f"/consent/consent.js?v={versions['consent.js']}")
    assert versioned.status_code == 200
    assert versioned.mimetype == "text/javascript"
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = client.get("/consent/consent.css")
    assert plain.mimetype == "text/css" and plain.headers["Cache-Control"] == "no-cache"
    again = client.get("/consent/consent.css", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304
    stale = client.get("/consent/consent.js?v=0ld")
    assert stale.headers["Cache-Control"] == "no-cache"
    # The script with a language's config bundled in: its own version, cached the same way.
    bundled = client.get("/consent/consent.js?lang=lv")
    assert bundled.headers["Cache-Control"] == "no-cache"
    assert bundled.text.startswith("(function(__CONSENT_CONFIG__){") and "Piekrist" in bundled.text
    again = client.get(f"/consent/consent.js?lang=lv&v={bundled.headers['ETag'].strip(chr(34))}")
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_dialog_file_carries_what_only_the_dialog_shows_and_the_bundle_leaves_it_out(
    app: Flask, client: Any
) -> None:
    """Every text and purpose field of GET /config is in exactly one of the two files a visitor
    may load (the widget's bundle, the dialog's), in the same language."""
    full = client.get("/consent/config?lang=lv").json
    bundle = client.get("/consent/consent.js?lang=lv").text
    bundled = json.loads(bundle[bundle.rindex("})(") + 3 : -2])
    dialog_url = bundled["dialog"]
    assert dialog_url == full["dialog"] and "lang=lv" in dialog_url and "v=" in dialog_url
    dialog = client.get(dialog_url)
    assert dialog.status_code == 200 and dialog.mimetype == "text/javascript"
    assert dialog.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert dialog.text.startswith("(function(__CONSENT_DIALOG__){")
    shown = json.loads(dialog.text[dialog.text.rindex("})(") + 3 : -2])

    assert set(bundled["texts"]) | set(shown["texts"]) == set(full["texts"])
    assert not set(bundled["texts"]) & set(shown["texts"])
    assert {"dialog_title", "save", "basis_label", "close"} <= set(shown["texts"])
    assert {"banner_title", "accept_all", "reject_all", "customize"} <= set(bundled["texts"])
    for purpose in full["purposes"]:
        [small] = [p for p in bundled["purposes"] if p["id"] == purpose["id"]]
        assert small["label"] == purpose["label"]
        assert "description" not in small and "basis" not in small
        only_shown = {"description": purpose["description"], "basis": purpose["basis"]}
        # A required purpose's cookies are only listed (the widget deletes a refused one's).
        if purpose["required"]:
            assert "cookies" not in small
            only_shown["cookies"] = purpose["cookies"]
        else:
            assert small["cookies"] == purpose["cookies"]
        assert shown["purposes"][purpose["id"]] == only_shown
    assert any(p["required"] for p in full["purposes"])
    assert "receipt_url" not in bundled and shown["receipt_url"] == full["receipt_url"]
    # Each file carries its own rules: the dialog's are in the dialog's file, not in the
    # widget's. The stylesheet file (receipt page, browsers without constructed stylesheets)
    # has both.
    assert "css" not in shown and ".csdk-dialog{" in dialog.text
    assert ".csdk-dialog{" not in bundle and ".csdk-banner{" in bundle
    css = client.get("/consent/consent.css").text
    assert ".csdk-dialog{" in css and ".csdk-banner{" in css


def test_concurrent_decisions_on_one_sqlite_file_are_all_kept(tmp_path: Path) -> None:
    """Two app instances (two engines) and eight threads writing at once: every decision
    answered 200 is in the store, each once."""
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    apps = [make_app(tmp_path / name, CONSENT_DATABASE_URI=uri) for name in ("one", "two")]
    acknowledged = decide_concurrently(apps, visitors=8, decisions=15)
    stored = stored_event_ids(uri)
    assert sorted(stored) == sorted(acknowledged) and len(stored) == 120


def test_json_nested_too_deeply_is_a_400_not_a_500(client: Any) -> None:
    body = '{"purposes": ' + "[" * 1500 + "]" * 1500 + "}"  # 3 KB: within the size limit
    response = client.post("/consent/state", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert response.json["fields"] == {"body": ["Too deep."]}
    assert client.get("/consent/history").json["records"] == []
