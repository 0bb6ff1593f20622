"""The example site's dashboard is for its admins: sign-in with a user made by a command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from examples.stepahead.models import AdminUser, db
from tests.e2e.helpers import site_with_user

EMAIL = "owner@stepahead.lv"
PASSWORD = "correct horse battery"


@pytest.fixture
def site(tmp_path: Path) -> Flask:
    """The example site with one admin, made as its README says (the password prompted)."""
    return site_with_user(tmp_path / "instance", "admin", EMAIL, PASSWORD)


def sign_in(client: Any, email: str = EMAIL, password: str = PASSWORD, **form: str) -> Any:
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    data = {"csrf": token.group(1), "email": email, "password": password, **form}
    return client.post("/admin/login", data=data)


def test_a_visitor_is_sent_to_sign_in_and_back_to_the_dashboard(site: Flask) -> None:
    client = site.test_client()
    for path in ("/consent/admin/", "/consent/admin/?format=csv&chart=choices"):
        refused = client.get(path)
        assert refused.status_code == 302 and "/admin/login?next=" in refused.location
        assert "Piekrišanu pārskats" not in refused.get_data(as_text=True)
    asked = client.get("/consent/admin/?lang=en").location
    form = client.get(asked)
    assert form.status_code == 200 and 'autocomplete="current-password"' in form.text
    target = re.search(r'name="next" value="([^"]+)"', form.text)
    assert target and target.group(1).startswith("/consent/admin/")
    signed_in = sign_in(client, next=target.group(1).replace("&amp;", "&"))
    assert signed_in.status_code == 302 and signed_in.location.startswith("/consent/admin/")
    dashboard = client.get(signed_in.location)
    assert dashboard.status_code == 200 and "<h1>Consent dashboard</h1>" in dashboard.text
    assert client.get("/consent/admin/").status_code == 200  # lv by default
    assert "Piekrišanu pārskats" in client.get("/consent/admin/").text


def test_the_password_is_kept_only_as_a_hash(site: Flask) -> None:
    with site.app_context():
        (user,) = db.session.execute(db.select(AdminUser)).scalars()
    assert user.email == EMAIL and PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize(
    "email, password, csrf",
    [
        (EMAIL, "wrong password!", True),
        ("nobody@stepahead.lv", PASSWORD, True),
        (EMAIL, PASSWORD, False),
    ],
    ids=["wrong-password", "unknown-email", "no-csrf-token"],
)
def test_a_wrong_sign_in_gets_no_dashboard(
    site: Flask, email: str, password: str, csrf: bool
) -> None:
    client = site.test_client()
    if csrf:
        answer = sign_in(client, email, password)
    else:
        answer = client.post("/admin/login", data={"email": email, "password": password})
    assert answer.status_code in (400, 401) and 'role="alert"' in answer.text
    assert client.get("/consent/admin/").status_code == 302


def test_sign_in_never_sends_the_admin_to_another_site(site: Flask) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = sign_in(site.test_client(), next=target)
        assert answer.status_code == 302 and answer.location == "/consent/admin/?lang=lv"


def test_sign_out_and_a_new_password_end_the_session(site: Flask) -> None:
    client = site.test_client()
    sign_in(client)
    home = client.get("/admin/")
    assert home.status_code == 200 and EMAIL in home.text
    token = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert token
    assert client.post("/admin/logout", data={"csrf": token.group(1)}).status_code == 302
    assert client.get("/consent/admin/").status_code == 302

    sign_in(client)
    assert client.get("/consent/admin/").status_code == 200
    new = "another long password"
    changed = site.test_cli_runner().invoke(args=["create-admin", EMAIL], input=f"{new}\n{new}\n")
    assert changed.exit_code == 0 and "updated the password" in changed.output
    assert client.get("/consent/admin/").status_code == 302
    assert sign_in(client, password=new).status_code == 302
    assert client.get("/consent/admin/").status_code == 200


def test_create_admin_refuses_a_short_password(site: Flask) -> None:
    short = site.test_cli_runner().invoke(
        args=["create-admin", "b@stepahead.lv"], input="short\nshort\n"
    )
    assert short.exit_code != 0 and "at least 10 characters" in short.output
