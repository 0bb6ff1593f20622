"""Consent that follows a signed-in customer (issue 20): two test clients are two browsers
(a phone and a laptop) of one customer, signed in with the real Flask-Login."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_sdk import ConfigurationError, ConsentManager
from consent_sdk.accounts.refs import derive_key, user_ref
from tests.accounts.accountsite import ANNA, decide, rows, shop, sign_in, sources, state
from tests.conftest import consent_id_of, make_app


def choice(client: FlaskClient) -> dict[str, Any]:
    """The readable choice cookie, as the widget decodes it."""
    value: dict[str, Any] = json.loads(unquote(client.get_cookie("consent_choice").value))
    return value


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return shop(tmp_path)


@pytest.fixture
def phone(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def laptop(app: Flask) -> FlaskClient:
    return app.test_client()


def test_signing_in_on_a_new_browser_applies_the_accounts_decision_there(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)

    response = sign_in(laptop)

    # The cookies come with the sign-in: the widget on the next page has a decision, no banner.
    set_cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "consent=" in set_cookies and "consent_choice=" in set_cookies
    granted = ["analytics", "marketing", "necessary"]
    assert choice(laptop) == {"v": "1", "g": granted, "d": ["preferences"]}
    assert state(laptop)["decided"] is True
    assert state(laptop)["purposes"] == state(phone)["purposes"]
    assert laptop.get("/marketing").status_code == 200
    assert laptop.get("/flags").json == {"analytics": True, "marketing": True}
    # The laptop has a consent id of its own, with one record, written from the account.
    assert consent_id_of(app, laptop) != consent_id_of(app, phone)
    assert sources(app, consent_id_of(app, laptop)) == ["account"]
    history = laptop.get("/consent/history").json["records"]
    assert [(r["source"], r["granted"]) for r in history] == [
        ("account", ["analytics", "marketing", "necessary"])
    ]


def test_the_copy_keeps_the_lifetime_of_the_decision_it_copies(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True)
    time.sleep(1.1)
    sign_in(laptop)
    assert state(laptop)["given_at"] == state(phone)["given_at"]
    assert state(laptop)["expires_at"] == state(phone)["expires_at"]
    [copy] = laptop.get("/consent/history").json["records"]
    [original] = phone.get("/consent/history").json["records"]
    assert copy["expires_at"] == original["expires_at"]
    assert copy["created_at"] > original["created_at"]  # recorded when it was applied


def test_withdrawing_marketing_on_one_device_refuses_it_on_the_other_at_its_next_request(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    sign_in(laptop)
    assert phone.get("/marketing").status_code == 200

    decide(laptop, analytics=True, marketing=False)

    refused = phone.get("/marketing")
    assert refused.status_code == 403
    assert refused.json["purposes"] == ["marketing"]
    assert phone.get("/analytics").status_code == 200
    # The phone's cookies now say so too: its widget stops marketing tags on the next page.
    assert "marketing" in choice(phone)["d"]
    assert sources(app, consent_id_of(app, phone)) == ["banner", "account"]


def test_a_withdrawal_on_one_device_withdraws_the_other_and_a_new_choice_follows_again(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    sign_in(laptop)
    phone_id = consent_id_of(app, phone)

    assert laptop.delete("/consent/state").status_code == 200

    assert phone.get("/marketing").status_code == 403
    assert state(phone)["decided"] is False  # the banner shows again, as on the laptop
    assert phone.get_cookie("consent") is None
    assert rows(
        app, f"select source, action from consent_records where consent_id = '{phone_id}'"
    ) == [("banner", None), ("account", "withdraw")]

    decide(laptop, analytics=True, marketing=True)  # a new choice, a new consent id
    assert phone.get("/marketing").status_code == 200
    assert state(phone)["decided"] is True


def test_a_newer_choice_in_the_browser_wins_at_sign_in_and_becomes_the_accounts(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    time.sleep(1.1)
    decide(laptop, analytics=False, marketing=False)  # anonymous, later

    sign_in(laptop)

    assert state(laptop)["purposes"]["marketing"] is False
    assert sources(app, consent_id_of(app, laptop)) == ["banner"]  # nothing copied over it
    assert phone.get("/marketing").status_code == 403  # the phone follows the laptop
    assert state(phone)["purposes"]["analytics"] is False


def test_signing_out_keeps_the_browsers_choice_and_its_later_choices_are_its_own(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    sign_in(laptop)

    assert laptop.post("/logout").status_code == 200
    assert laptop.get("/marketing").status_code == 200  # the laptop keeps its choice
    decide(laptop, marketing=False)  # signed out: not the account's

    assert phone.get("/marketing").status_code == 200
    decide(phone, analytics=True, marketing=True, preferences=True)
    assert state(laptop)["purposes"]["preferences"] is False  # no longer follows


def test_one_customers_decisions_never_reach_another_customer_or_an_anonymous_visitor(
    app: Flask, phone: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    boris, anonymous = app.test_client(), app.test_client()
    sign_in(boris, "boris")

    for visitor in (boris, anonymous):
        assert visitor.get("/marketing").status_code == 403
        assert state(visitor)["decided"] is False
        assert visitor.get("/consent/history").json["records"] == []
        assert visitor.get_cookie("consent") is None
    decide(boris, analytics=False)
    assert phone.get("/marketing").status_code == 200
    assert [r["source"] for r in phone.get("/consent/history").json["records"]] == ["banner"]


def test_the_raw_user_id_is_stored_nowhere(
    app: Flask, phone: FlaskClient, laptop: FlaskClient, tmp_path: Path
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    sign_in(laptop)
    decide(laptop, marketing=False)
    assert phone.get("/marketing").status_code == 403

    uri = app.config["CONSENT_DATABASE_URI"]
    if uri.startswith("sqlite"):
        files = list(tmp_path.rglob("*.db*"))
        assert files and all(ANNA.encode() not in f.read_bytes() for f in files)
        assert all(b"anna" not in f.read_bytes() for f in files)
    tables = ["consent_records", "consent_user_links", "consent_texts"]
    dump = repr([rows(app, f"select * from {t}") for t in tables])
    assert ANNA not in dump and "anna" not in dump
    [(ref,)] = rows(app, "select distinct user_ref from consent_user_links")
    assert ref == user_ref(derive_key("test-secret"), "default", ANNA)


def test_without_flask_login_the_site_links_and_unlinks_itself(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    consent: ConsentManager = app.extensions["consent"].manager

    @app.post("/signin")
    def signin() -> str:
        consent.link_user(42)
        return "ok"

    @app.post("/signout")
    def signout() -> str:
        consent.unlink_user()
        return "ok"

    @app.get("/flags")
    def flags() -> dict[str, Any]:
        from consent_sdk import current_consent

        return dict(current_consent.purposes)

    phone, laptop = app.test_client(), app.test_client()
    phone.post("/signin")
    decide(phone, analytics=True)
    laptop.post("/signin")
    assert laptop.get("/flags").json["analytics"] is True
    laptop.post("/signout")
    decide(phone, analytics=False)
    assert laptop.get("/flags").json["analytics"] is True  # signed out: its own choice


def test_links_are_per_site_and_their_references_unrelated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    from tests.stores import STORE, postgres_schema

    if STORE == "postgres":
        with postgres_schema() as pg_url:
            _two_sites(tmp_path, pg_url)
    else:
        _two_sites(tmp_path, url)


def _two_sites(tmp_path: Path, url: str) -> None:
    shop_app = shop(tmp_path / "shop", CONSENT_SITE_ID="shop", CONSENT_DATABASE_URI=url)
    blog_app = shop(tmp_path / "blog", CONSENT_SITE_ID="blog", CONSENT_DATABASE_URI=url)
    on_shop, on_blog = shop_app.test_client(), blog_app.test_client()
    sign_in(on_shop)
    decide(on_shop, analytics=True, marketing=True)
    sign_in(on_blog)
    assert on_blog.get("/marketing").status_code == 403
    assert state(on_blog)["decided"] is False
    decide(on_blog, marketing=False)
    assert on_shop.get("/marketing").status_code == 200
    refs = rows(shop_app, "select site_id, user_ref from consent_user_links order by site_id")
    assert [r[0] for r in refs] == ["blog", "shop"] and refs[0][1] != refs[1][1]
    for app in (shop_app, blog_app):
        with app.app_context():
            app.extensions["consent"].ledger.engine.dispose()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("CONSENT_USER_KEY", "short"),
        ("CONSENT_USER_KEY", 12345678901234567890),
        ("CONSENT_USER_RECHECK", -1),
        ("CONSENT_USER_RECHECK", "5"),
        ("CONSENT_USER_RECHECK", True),
    ],
)
def test_a_wrong_account_setting_fails_at_start_up_naming_it(
    tmp_path: Path, key: str, value: Any
) -> None:
    with pytest.raises(ConfigurationError, match=key):
        make_app(tmp_path, **{key: value})


def test_a_user_key_of_its_own_gives_other_references_than_the_derived_one(
    tmp_path: Path,
) -> None:
    own = "k" * 32
    app = shop(tmp_path, CONSENT_USER_KEY=own)
    phone = app.test_client()
    sign_in(phone)
    decide(phone, analytics=True)
    [(ref,)] = rows(app, "select user_ref from consent_user_links")
    assert ref == user_ref(own.encode(), "default", ANNA)
    assert ref != user_ref(derive_key("test-secret"), "default", ANNA)
    # The derived key is not SECRET_KEY itself, nor anything signed with it for the cookie.
    assert derive_key("test-secret") != b"test-secret"


def test_a_customer_remembered_by_flask_login_is_linked_when_the_session_is_gone(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    assert laptop.post("/login/anna?remember=1").status_code == 200
    laptop.delete_cookie("session")  # the browser was closed: the session cookie is gone
    decide(phone, analytics=True, marketing=False)

    assert laptop.get("/marketing").status_code == 200  # not signed in (yet): its own cookie
    # Flask-Login restores the customer from "remember me" when the site asks who it is (a
    # template does: Flask-Login's context processor), and that links the browser again.
    assert laptop.get("/").status_code == 200
    assert laptop.get("/who").json == {"user": ANNA}
    assert laptop.get("/marketing").status_code == 403
    assert sources(app, consent_id_of(app, laptop)) == ["account", "account"]


def test_purging_records_past_their_retention_deletes_their_links(tmp_path: Path) -> None:
    import time_machine

    from consent_sdk.accounts import prune

    with time_machine.travel(1_700_000_000, tick=False):
        app = shop(tmp_path)
        phone = app.test_client()
        sign_in(phone)
        decide(phone, analytics=True)
    assert rows(app, "select count(*) from consent_user_links") == [(1,)]
    with time_machine.travel(1_700_000_000 + 7 * 365 * 24 * 3600, tick=False):
        result = app.test_cli_runner().invoke(args=["consent", "purge"])
    assert result.exit_code == 0 and "deleted 1 records" in result.output, result.output
    assert rows(app, "select count(*) from consent_user_links") == [(0,)]
    with app.app_context():
        assert prune(app.extensions["consent"].ledger) == 0


def _decided_elsewhere(app: Flask, **choices: bool) -> dict[str, str]:
    """A decision whose answer reaches the browser only after its sign-in: the widget sends a
    choice up to a second after the click, so it can be in flight while the customer signs in.
    Returns the cookies its answer sets."""
    early = app.test_client()
    decide(early, **choices)
    return {n: early.get_cookie(n).value for n in ("consent", "consent_choice")}


def test_a_choice_in_flight_while_signing_in_becomes_the_accounts(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    cookies = _decided_elsewhere(app, analytics=True, marketing=True)
    sign_in(phone)  # the sign-in carries no consent cookie yet: nothing to settle
    for name, value in cookies.items():
        phone.set_cookie(name, value)  # then the decision's answer arrives

    assert phone.get("/marketing").status_code == 200  # its next request adopts it

    sign_in(laptop)
    assert laptop.get("/marketing").status_code == 200
    assert sources(app, consent_id_of(app, laptop)) == ["account"]


def test_a_newer_choice_in_flight_wins_over_the_accounts_older_one(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    time.sleep(1.1)
    cookies = _decided_elsewhere(app, analytics=False, marketing=False)
    sign_in(laptop)  # applies the account's (older) choice to the laptop
    for name, value in cookies.items():
        laptop.set_cookie(name, value)  # the laptop's own, newer choice arrives last

    assert laptop.get("/marketing").status_code == 403
    assert phone.get("/marketing").status_code == 403  # the account follows the laptop


def test_an_old_choice_of_a_signed_in_browser_is_not_adopted_after_erasure(
    app: Flask, phone: FlaskClient, laptop: FlaskClient
) -> None:
    """Only a choice made around the sign-in is adopted: erasing the account's links while a
    browser is still signed in does not bring them back."""
    import time_machine

    with time_machine.travel(time.time() - 120, tick=True):
        sign_in(phone)
        decide(phone, analytics=True, marketing=True)
    assert app.test_cli_runner().invoke(args=["consent", "erase", "--user", ANNA]).exit_code == 0

    assert phone.get("/marketing").status_code == 200  # its own choice, kept
    assert rows(app, "select count(*) from consent_user_links") == [(0,)]
    sign_in(laptop)
    assert laptop.get("/marketing").status_code == 403
