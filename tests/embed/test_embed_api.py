"""The service's API for client sites, driven as their pages' browsers (and others) drive it.

Every refusal is checked where a user would notice it: the status and error a page gets, the
CORS headers its browser reads, and the store, which must hold nothing from a refused request.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_sdk.embed import read_record
from consent_sdk.impressions import store
from consent_sdk.testing import consent_cookie
from tests.embed.conftest import BLOG, LANDING, STRANGER, records

GRANT = {"analytics": True, "marketing": True, "preferences": True}


def post(
    client: FlaskClient, site: str, origin: str | None, record: str | None = None, **body: Any
) -> Any:
    headers = {"Origin": origin} if origin else {}
    if record:
        headers["Consent-Record"] = record
    body.setdefault("purposes", GRANT)
    body.setdefault("event_id", str(uuid.uuid4()))
    return client.post(f"/consent/sites/{site}/state", json=body, headers=headers)


def cookie_of(answer: Any) -> dict[str, str]:
    """The record cookie the widget is told to keep: its value and attributes."""
    parts = answer.get_json()["record"].split("; ")
    name, value = parts[0].split("=", 1)
    attributes = dict([*p.split("=", 1), ""][:2] for p in parts[1:])
    return {"name": name, "value": value, **attributes}


def token_of(answer: Any) -> str:
    """The signed token in the record, as the widget sends it back (``Consent-Record``)."""
    token: str = json.loads(unquote(cookie_of(answer)["value"]))["r"]
    return token


# --- CORS: exactly the page's origin, never '*', never credentials ------------------------


def test_config_names_exactly_the_listed_origin_and_no_credentials(client: FlaskClient) -> None:
    r = client.get("/consent/sites/landing/config?lang=en", headers={"Origin": LANDING})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == LANDING
    assert "Origin" in r.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert "Set-Cookie" not in r.headers


def test_config_is_the_sites_own_in_the_pages_language(client: FlaskClient) -> None:
    cfg = client.get("/consent/sites/landing/config?lang=en-GB", headers={"Origin": LANDING})
    body = cfg.get_json()
    assert body["lang"] == "en"
    assert body["languages"] == ["lv", "en"]
    assert body["texts"]["banner_title"] == "Cookies on the landing page"
    assert body["policy_version"] == "2026-12"
    assert body["policy_url"] == "https://landing.example.test/privacy?lang=en"
    assert body["choice_cookie"] == "consent_record"
    # The widget carries its stylesheet: the config names no file for it.
    assert "css" not in body
    # What only the dialog shows (a required purpose's cookies, the receipt) is in its file.
    necessary = next(p for p in body["purposes"] if p["id"] == "necessary")
    assert "cookies" not in necessary
    assert "receipt_url" not in body
    # A language the site does not offer: its default.
    lv = client.get("/consent/sites/landing/config?lang=ru", headers={"Origin": LANDING})
    assert lv.get_json()["lang"] == "lv"


@pytest.mark.parametrize(
    "origin", [STRANGER, BLOG, "null", LANDING + ".evil.test", "https://127.0.0.1:8001"]
)
def test_a_page_on_another_origin_gets_no_config(client: FlaskClient, origin: str) -> None:
    r = client.get("/consent/sites/landing/config", headers={"Origin": origin})
    assert r.status_code == 403
    assert r.get_json()["error"] == "forbidden_origin"
    assert "texts" not in r.get_json()
    assert "Access-Control-Allow-Origin" not in r.headers


def test_a_server_without_origin_reads_the_config_without_cors(client: FlaskClient) -> None:
    r = client.get("/consent/sites/landing/config")
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers


def test_preflight_of_a_listed_origin_allows_what_the_widget_sends(client: FlaskClient) -> None:
    r = client.options(
        "/consent/sites/landing/state",
        headers={
            "Origin": LANDING,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,consent-record",
        },
    )
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == LANDING
    assert r.headers["Access-Control-Allow-Methods"] == "GET, POST, DELETE"
    assert r.headers["Access-Control-Allow-Headers"] == (
        "Content-Type, Consent-Attempt, Consent-Record"
    )
    assert "Access-Control-Allow-Credentials" not in r.headers


@pytest.mark.parametrize(("site", "origin"), [("landing", STRANGER), ("blog", LANDING)])
def test_preflight_of_any_other_origin_is_refused(
    client: FlaskClient, site: str, origin: str
) -> None:
    r = client.options(
        f"/consent/sites/{site}/state",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 403
    assert not [h for h, _ in r.headers if h.startswith("Access-Control-")]


def test_errors_to_a_listed_origin_are_readable_by_its_page(client: FlaskClient) -> None:
    r = post(client, "landing", LANDING, purposes={"nope": True})
    assert r.status_code == 400
    assert r.get_json()["fields"] == {"purposes.nope": ["Unknown purpose."]}
    assert r.headers["Access-Control-Allow-Origin"] == LANDING


# --- writes: the site's id, from the site's origins only -----------------------------------


def test_a_decision_is_recorded_under_the_sites_id_version_and_texts(
    app: Flask, client: FlaskClient
) -> None:
    r = post(client, "landing", LANDING, language="en", source="banner", action="accept_all")
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == LANDING
    assert "Set-Cookie" not in r.headers
    assert r.get_json()["purposes"] == {
        "necessary": True,
        "preferences": True,
        "analytics": True,
        "marketing": True,
    }
    [row] = records(app)
    assert row["site_id"] == "landing"
    assert row["policy_version"] == "2026-12"
    assert row["language"] == "en"
    site = app.extensions["consent_embed"].sites["landing"]
    assert row["texts_hash"] == site.config.texts_hash("en")
    assert row["texts_hash"] != app.extensions["consent"].config.texts_hash("en")


def test_the_blog_records_its_own_purposes_under_its_id(app: Flask, client: FlaskClient) -> None:
    r = post(client, "blog", BLOG, purposes={"analytics": True})
    assert r.status_code == 200
    [row] = records(app)
    assert (row["site_id"], row["granted"]) == ("blog", ["analytics", "necessary"])
    assert post(client, "blog", BLOG, purposes={"marketing": True}).status_code == 400


@pytest.mark.parametrize("origin", [STRANGER, None, "null", "https://127.0.0.1:8001"])
def test_a_write_from_another_origin_is_refused_and_nothing_written(
    app: Flask, client: FlaskClient, origin: str | None
) -> None:
    r = post(client, "landing", origin)
    assert r.status_code == 403
    assert r.get_json()["error"] == "forbidden_origin"
    assert "Access-Control-Allow-Origin" not in r.headers
    headers = {"Origin": origin} if origin else {}
    assert client.delete("/consent/sites/landing/state", headers=headers).status_code == 403
    assert records(app) == []


def test_a_listed_origin_cannot_record_under_another_sites_id(
    app: Flask, client: FlaskClient
) -> None:
    r = post(client, "blog", LANDING, purposes={"analytics": True})
    assert r.status_code == 403
    assert "'blog'" in r.get_json()["message"]
    assert post(client, "landing", BLOG).status_code == 403
    assert records(app) == []


def test_an_unknown_site_is_a_404_and_nothing_written(app: Flask, client: FlaskClient) -> None:
    r = post(client, "shop", LANDING)
    assert r.status_code == 404
    assert r.get_json()["error"] == "unknown_site"
    assert "Access-Control-Allow-Origin" not in r.headers
    assert records(app) == []


def test_an_event_id_recorded_for_one_site_is_refused_on_another(
    app: Flask, client: FlaskClient
) -> None:
    event_id = str(uuid.uuid4())
    assert post(client, "landing", LANDING, event_id=event_id).status_code == 200
    replay = post(client, "blog", BLOG, event_id=event_id, purposes={"analytics": True})
    assert replay.status_code == 409
    assert "record" not in replay.get_json()
    assert [r["site_id"] for r in records(app)] == ["landing"]


def test_the_services_own_cookie_is_neither_read_nor_set(app: Flask, client: FlaskClient) -> None:
    """A credentialed request (the service's own cookie sent along) is no record."""
    client.set_cookie("consent", consent_cookie(app, "analytics"))
    own = records(app)
    r = post(client, "landing", LANDING, purposes={})
    assert "Set-Cookie" not in r.headers
    assert "Access-Control-Allow-Credentials" not in r.headers
    service_id = read_record(
        client.get_cookie("consent").value,
        site_id="service",
        secret_key="test-secret",
        salt="consent_sdk.cookie",
    )
    assert service_id is not None
    [row] = records(app)[len(own) :]
    assert row["consent_id"] != service_id.consent_id


# --- the first-party record ---------------------------------------------------------------


def test_the_record_is_a_first_party_cookie_for_the_whole_site(client: FlaskClient) -> None:
    cookie = cookie_of(post(client, "landing", LANDING))
    assert cookie["name"] == "consent_record"
    assert (cookie["Path"], cookie["SameSite"]) == ("/", "Lax")
    assert 364 * 86400 < int(cookie["Max-Age"]) <= 365 * 86400
    assert "Secure" not in cookie
    readable = json.loads(unquote(cookie["value"]))
    assert readable["v"] == "2026-12"
    assert readable["g"] == ["analytics", "marketing", "necessary", "preferences"]
    assert readable["d"] == []
    secure = cookie_of(post(client, "landing", "https://landing.example.test"))
    assert "Secure" in secure


def test_the_record_keeps_the_visitors_consent_id(app: Flask, client: FlaskClient) -> None:
    first = post(client, "landing", LANDING)
    second = post(client, "landing", LANDING, token_of(first), purposes={})
    assert second.status_code == 200
    first_row, second_row = records(app)
    assert second_row["consent_id"] == first_row["consent_id"]
    assert second_row["refused"] == ["analytics", "marketing", "preferences"]


def test_the_service_verifies_a_record_sent_back(client: FlaskClient) -> None:
    token = token_of(post(client, "landing", LANDING, purposes={"analytics": True}))
    r = client.get(
        "/consent/sites/landing/state", headers={"Origin": LANDING, "Consent-Record": token}
    )
    assert r.headers["Access-Control-Allow-Origin"] == LANDING
    assert r.headers["Cache-Control"] == "no-store"
    state = r.get_json()
    assert state["decided"] is True
    assert state["purposes"]["analytics"] is True
    assert state["purposes"]["marketing"] is False


def tampered(token: str) -> list[str]:
    payload, signature = token.rsplit(".", 1)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    other = "eyJjIjoieCJ9"  # {"c":"x"}
    return [f"{payload}.{flipped}", f"{other}.{signature}", token[:-3], "garbage", "x" * 2000]


def test_a_tampered_record_counts_for_nothing(app: Flask, client: FlaskClient) -> None:
    token = token_of(post(client, "landing", LANDING))
    for bad in tampered(token):
        r = client.get(
            "/consent/sites/landing/state", headers={"Origin": LANDING, "Consent-Record": bad}
        )
        assert r.status_code == 200
        assert r.get_json()["decided"] is False, bad
    # A decision sent with a tampered record is the visitor's first: a new consent id.
    assert post(client, "landing", LANDING, tampered(token)[0]).status_code == 200
    first, second = records(app)
    assert first["consent_id"] != second["consent_id"]
    # A withdrawal with one is not recorded.
    headers = {"Origin": LANDING, "Consent-Record": tampered(token)[0]}
    assert client.delete("/consent/sites/landing/state", headers=headers).status_code == 200
    assert len(records(app)) == 2


def test_a_record_of_another_site_is_no_record_here(app: Flask, client: FlaskClient) -> None:
    blog = token_of(post(client, "blog", BLOG, purposes={"analytics": True}))
    r = client.get(
        "/consent/sites/landing/state", headers={"Origin": LANDING, "Consent-Record": blog}
    )
    assert r.get_json()["decided"] is False
    assert post(client, "landing", LANDING, blog).status_code == 200
    blog_row, landing_row = records(app)
    assert landing_row["consent_id"] != blog_row["consent_id"]


def test_a_consent_cookie_is_no_record(app: Flask, client: FlaskClient) -> None:
    """The service's consent cookies are signed with the same key, under another salt."""
    cookie = consent_cookie(app, "analytics", "marketing", "preferences")
    r = client.get(
        "/consent/sites/landing/state", headers={"Origin": LANDING, "Consent-Record": cookie}
    )
    assert r.get_json()["decided"] is False


def test_a_record_of_an_older_policy_version_asks_again(tmp_path: Any) -> None:
    from tests.embed.conftest import SITES, service_app

    before = service_app(tmp_path / "a", CONSENT_DATABASE_URI=f"sqlite:///{tmp_path}/s.db")
    token = token_of(post(before.test_client(), "landing", LANDING))
    sites = {**SITES, "landing": {**SITES["landing"], "policy_version": "2027-01"}}
    after = service_app(tmp_path / "b", sites, CONSENT_DATABASE_URI=f"sqlite:///{tmp_path}/s.db")
    r = after.test_client().get(
        "/consent/sites/landing/state", headers={"Origin": LANDING, "Consent-Record": token}
    )
    assert r.get_json() == {**r.get_json(), "decided": False, "policy_version": "2027-01"}


def test_withdrawing_records_under_the_records_consent_id(app: Flask, client: FlaskClient) -> None:
    token = token_of(post(client, "landing", LANDING))
    r = client.delete(
        "/consent/sites/landing/state",
        json={"source": "settings"},
        headers={"Origin": LANDING, "Consent-Record": token},
    )
    assert r.status_code == 200
    assert r.get_json()["decided"] is False
    cookie = cookie_of(r)
    assert (cookie["value"], cookie["Max-Age"]) == ("", "0")
    given, withdrawn = records(app)
    assert withdrawn["action"] == "withdraw"
    assert withdrawn["consent_id"] == given["consent_id"]
    assert withdrawn["site_id"] == "landing"
    # Without a record there is nothing to withdraw, and nothing is written.
    assert (
        client.delete("/consent/sites/landing/state", headers={"Origin": LANDING}).status_code
        == 200
    )
    assert len(records(app)) == 2


def test_a_flask_site_of_the_family_verifies_the_record_cookie(client: FlaskClient) -> None:
    value = cookie_of(post(client, "landing", LANDING, purposes={"analytics": True}))["value"]
    data = read_record(value, site_id="landing", secret_key="test-secret")
    assert data is not None
    assert data.granted == {"analytics", "necessary"}
    assert data.policy_version == "2026-12"
    # After a key rotation the old key still verifies; another key, another site do not.
    assert read_record(value, site_id="landing", secret_key="new", fallbacks=["test-secret"])
    assert read_record(value, site_id="landing", secret_key="other-secret") is None
    assert read_record(value, site_id="blog", secret_key="test-secret") is None
    forged = value.replace("%22d%22%3A%5B", "%22d%22%3A%5B%22analytics%22%2C")
    assert read_record(forged, site_id="landing", secret_key="test-secret") == data


# --- impressions -------------------------------------------------------------------------


def test_banner_views_are_counted_per_site(app: Flask, client: FlaskClient) -> None:
    body = json.dumps({"language": "lv", "policy_version": "2026-12"})
    r = client.post(
        "/consent/sites/landing/impressions",
        data=body,
        content_type="text/plain",
        headers={"Origin": LANDING},
    )
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == LANDING
    refused = client.post(
        "/consent/sites/landing/impressions",
        data=body,
        content_type="text/plain",
        headers={"Origin": STRANGER},
    )
    assert refused.status_code == 403
    today = dt.datetime.now(dt.UTC).date()
    ledger = app.extensions["consent"].ledger
    landing = store.shown(ledger, site="landing", since=today, until=today + dt.timedelta(1))
    service = store.shown(ledger, site="service", since=today, until=today + dt.timedelta(1))
    assert (landing.total, landing.by_language, service.total) == (1, {"lv": 1}, 0)


# --- the scripts ---------------------------------------------------------------------------


def test_the_dialog_is_the_sites_own_in_the_pages_language(app: Flask, client: FlaskClient) -> None:
    cfg = client.get("/consent/sites/landing/config?lang=en", headers={"Origin": LANDING})
    url = cfg.get_json()["dialog"]
    assert url.startswith("http://localhost/consent/sites/landing/consent-dialog.js?lang=en&v=")
    r = client.get(url.removeprefix("http://localhost"))
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    body = r.get_data(as_text=True)
    site = app.extensions["consent_embed"].sites["landing"]
    assert json.dumps(site.config.texts["en"]["dialog_title"], ensure_ascii=False) in body
    assert ".csdk-dialog" in body  # its stylesheet, inside
    assert '"receipt_url":null' in body
    # The necessary purpose lists the service's record cookie on the site (the dialog shows it).
    assert '"necessary":{"basis":"exempt","cookies":["consent_record"]' in body
    assert "Access-Control-Allow-Origin" not in r.headers  # a classic script needs none


def test_the_hosts_csrf_protection_leaves_the_sites_api_alone(tmp_path: Any) -> None:
    """Flask-WTF refuses a POST without its form token; the widget on another site has none."""
    from flask_wtf import CSRFProtect

    from tests.embed.conftest import service_app

    app = service_app(tmp_path)
    app.add_url_rule("/form", "form", lambda: "posted", methods=["POST"])
    CSRFProtect(app)
    client = app.test_client()
    assert client.post("/form").status_code == 400  # the host's own views: protected
    assert post(client, "landing", LANDING).status_code == 200
    assert [r["site_id"] for r in records(app)] == ["landing"]


def test_a_record_is_no_consent_cookie_on_the_service(app: Flask, client: FlaskClient) -> None:
    """The reverse of ``test_a_consent_cookie_is_no_record``: the same key, another salt."""
    token = token_of(post(client, "landing", LANDING))
    client.set_cookie("consent", token)
    assert client.get("/consent/state").get_json()["decided"] is False


def test_the_decision_rate_limit_counts_the_sites_writes(tmp_path: Any) -> None:
    """Beyond CONSENT_RATE_LIMIT a 429 the page can read (and the widget retries later)."""
    from tests.embed.conftest import service_app

    app = service_app(tmp_path, CONSENT_RATE_LIMIT="2/minute")
    client = app.test_client()
    assert [post(client, "landing", LANDING).status_code for _ in range(2)] == [200, 200]
    limited = post(client, "landing", LANDING)
    assert limited.status_code == 429
    assert limited.headers["Access-Control-Allow-Origin"] == LANDING
    assert "Retry-After" in limited.headers
    assert len(records(app)) == 2
