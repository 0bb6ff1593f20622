"""A site with Flask-Login's "remember me": its ``remember_token`` is a strictly necessary
cookie, listed under the ``necessary`` purpose.

Rejecting every optional purpose deletes the refused purposes' cookies, never the necessary
ones: the visitor stays signed in, also after the browser has dropped the session cookie.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template_string
from flask_login import LoginManager, UserMixin, login_user
from werkzeug.wrappers import Response

from consent_sdk import ConsentManager
from examples.stepahead import create_app as create_stepahead
from tests.browser.widget import BANNER, cookie_names, history
from tests.conftest import PURPOSES
from tests.integrations.helpers import choose, decision, host_app, set_cookies

NECESSARY = {"id": "necessary", "cookies": ["session", "consent", "remember_token"]}

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Account</title>{{ consent_banner() }}</head>
<body><main>
{% if current_user.is_authenticated %}
  <p id="who">Signed in as {{ current_user.id }}</p>
{% else %}
  <form method="post" action="/login"><button id="sign-in">Sign in (remember me)</button></form>
{% endif %}
</main></body>
</html>"""


class User(UserMixin):  # type: ignore[misc]
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def create_app(tmp_path: Path) -> Flask:
    app = host_app(
        tmp_path,
        CONSENT_PURPOSES=[NECESSARY, *PURPOSES[1:]],
        # Readable by scripts, so the widget *could* delete it: it must choose not to.
        REMEMBER_COOKIE_HTTPONLY=False,
    )
    login = LoginManager(app)
    ConsentManager(app)

    def load_user(user_id: str) -> User | None:
        return User(user_id) if user_id == "anna" else None

    login.user_loader(load_user)

    @app.get("/")
    def account() -> str:
        return render_template_string(PAGE)

    @app.post("/login")
    def log_in() -> Response:
        login_user(User("anna"), remember=True)
        return redirect("/")

    return app


def necessary_cookies(config: Any) -> list[str]:
    [necessary] = [p for p in config["purposes"] if p["id"] == "necessary"]
    assert necessary["required"] is True
    return list(necessary["cookies"])


def undeclared(config: Any, names: set[str]) -> set[str]:
    """The cookies among ``names`` that no purpose of ``config`` declares."""
    patterns = [c for p in config["purposes"] for c in p["cookies"]]
    return {n for n in names if not any(fnmatchcase(n, pat) for pat in patterns)}


def test_rule_07_13_remember_token_is_listed_as_necessary(tmp_path: Path) -> None:
    client = create_app(tmp_path).test_client()
    assert "remember_token" in necessary_cookies(client.get("/consent/config").json)
    client.post("/login")
    assert client.get_cookie("remember_token") is not None


def test_rule_07_13_example_site_lists_remember_token_as_necessary(tmp_path: Path) -> None:
    app = create_stepahead({"INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"})
    config = app.test_client().get("/consent/config").json
    assert "remember_token" in necessary_cookies(config)


def test_rule_07_every_cookie_set_by_signing_in_and_deciding_is_declared(tmp_path: Path) -> None:
    client = create_app(tmp_path).test_client()
    names = set(set_cookies(client.post("/login")))
    names |= set(set_cookies(client.post("/consent/state", json=decision(False))))
    assert {"session", "remember_token", "consent"} <= names
    assert undeclared(client.get("/consent/config").json, names) == set()


def test_rule_07_example_site_declares_every_cookie_a_decision_sets(tmp_path: Path) -> None:
    app = create_stepahead({"INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x"})
    client = app.test_client()
    names = set(set_cookies(client.post("/consent/state", json=decision())))
    assert "consent" in names
    assert undeclared(client.get("/consent/config").json, names) == set()


def test_rule_09_reject_all_keeps_the_remember_token_and_the_visitor_signed_in(
    tmp_path: Path, live_server: Any, page: Any
) -> None:
    server = live_server(create_app(tmp_path))
    page.goto(server.url + "/")
    page.click("#sign-in")  # the banner does not block the page (rule 5)
    assert page.inner_text("#who") == "Signed in as anna"
    # An analytics cookie from earlier (a refused purpose's): the widget deletes that one.
    page.evaluate("document.cookie = '_ga=GA1.1.1; path=/'")

    choose(page, "reject-all")

    assert history(page)[0]["action"] == "reject_all"
    assert "_ga" not in cookie_names(page)
    assert "remember_token" in cookie_names(page)
    # The browser is restarted: the session cookie is gone, the remember token signs in again.
    page.context.clear_cookies(name="session")
    page.reload()
    assert page.inner_text("#who") == "Signed in as anna"
    page.locator('[data-consent-ui="fab"]').wait_for()  # the widget has drawn its layer
    assert page.locator(BANNER).count() == 0
