"""The example site's customer sign-in (issue 20): a local test account from a ``flask``
command, two browsers of that customer, and customers kept apart from admins."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from examples.stepahead.models import Customer, db
from tests.e2e.helpers import site_with_user

EMAIL = "klients@stepahead.lv"
PASSWORD = "correct horse battery"


@pytest.fixture
def site(tmp_path: Path) -> Flask:
    return site_with_user(tmp_path / "instance", "customer", EMAIL, PASSWORD)


def sign_in(client: Any, email: str = EMAIL, password: str = PASSWORD) -> Any:
    page = client.get("/account/login?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    return client.post(
        "/account/login?lang=en",
        data={"csrf": token.group(1), "email": email, "password": password},
    )


def test_a_customers_choice_on_one_browser_applies_on_the_other_and_so_does_a_change(
    site: Flask,
) -> None:
    phone, laptop = site.test_client(), site.test_client()
    assert sign_in(phone).status_code == 302
    decided = phone.post("/consent/state", json={"purposes": {"marketing": True}})
    assert decided.status_code == 200
    assert laptop.get("/pixel").status_code == 403  # not signed in yet

    signed_in = sign_in(laptop)

    assert signed_in.status_code == 302 and signed_in.location.startswith("/account/")
    assert laptop.get_cookie("consent_choice") is not None  # no banner on the next page
    assert laptop.get("/pixel").status_code == 200
    home = laptop.get(signed_in.location).get_data(as_text=True)
    assert EMAIL in home and "every browser you are signed in on" in home

    laptop.post("/consent/state", json={"purposes": {"marketing": False}})
    assert phone.get("/pixel").status_code == 403

    token = re.search(r'name="csrf" value="([^"]+)"', home)
    assert token
    out = laptop.post("/account/logout?lang=en", data={"csrf": token.group(1)})
    assert out.status_code == 302 and "out=1" in out.location
    assert laptop.get("/account/?lang=en").status_code == 302  # signed out
    laptop.post("/consent/state", json={"purposes": {"marketing": True}})
    assert phone.get("/pixel").status_code == 403  # signed out: the laptop's own choice


def test_a_wrong_password_signs_nobody_in_and_customers_are_not_admins(site: Flask) -> None:
    client = site.test_client()
    assert sign_in(client, password="wrong password!").status_code == 401
    assert sign_in(client, email="nobody@stepahead.lv").status_code == 401
    assert sign_in(client).status_code == 302
    assert client.get("/consent/admin/").status_code == 302  # the dashboard asks an admin
    assert "/admin/login" in client.get("/consent/admin/").location
    with site.app_context():
        (customer,) = db.session.execute(db.select(Customer)).scalars()
        assert customer.password_hash != PASSWORD and customer.password_hash.startswith(
            ("scrypt:", "pbkdf2:")
        )


def test_create_customer_refuses_a_short_password_and_a_non_address(site: Flask) -> None:
    runner = site.test_cli_runner()
    short = runner.invoke(args=["create-customer", "b@stepahead.lv"], input="short\nshort\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    bad = runner.invoke(
        args=["create-customer", "not-an-address"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert bad.exit_code != 0 and "not an e-mail address" in bad.output
