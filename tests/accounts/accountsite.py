"""A shop with customer accounts (real Flask-Login), its gated views, and helpers that drive
it as a customer's browsers do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template_string, request
from flask.testing import FlaskClient
from flask_login import LoginManager, UserMixin, login_user, logout_user

from consent_sdk import has_consent, requires_consent
from tests.conftest import make_app

ANNA = "anna.customer-4711@example.test"
BORIS = "boris.customer-0815@example.test"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Shop</title>{{ consent_banner() }}</head>
<body><main>
<p id="marketing">{{ "marketing on" if has_consent("marketing") else "marketing off" }}</p>
<form method="post" action="/login/anna"><button id="sign-in-anna">Anna</button></form>
<form method="post" action="/login/boris"><button id="sign-in-boris">Boris</button></form>
<form method="post" action="/logout"><button id="sign-out">Sign out</button></form>
<a href="#" data-consent-action="settings">Cookie settings</a>
</main></body>
</html>"""


class User(UserMixin):  # type: ignore[misc]
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def shop(tmp_path: Path, **config: Any) -> Flask:
    """The shop: ``POST /login/<anna|boris>`` signs in (Flask-Login), ``POST /logout`` out;
    ``/marketing`` and ``/analytics`` are gated views, ``/`` a page with the banner."""
    app = make_app(tmp_path, **config)
    login = LoginManager(app)
    users = {"anna": ANNA, "boris": BORIS}

    @login.user_loader  # type: ignore[untyped-decorator]
    def load_user(user_id: str) -> User | None:
        return User(user_id) if user_id in users.values() else None

    @app.post("/login/<name>")
    def log_in(name: str) -> str:
        login_user(User(users[name]), remember=request.args.get("remember") == "1")
        return "signed in"

    @app.post("/logout")
    def log_out() -> str:
        logout_user()
        return "signed out"

    @app.get("/marketing")
    @requires_consent("marketing")
    def marketing() -> str:
        return "marketing"

    @app.get("/analytics")
    @requires_consent("analytics")
    def analytics() -> str:
        return "analytics"

    @app.get("/")
    def page() -> str:
        return render_template_string(PAGE)

    @app.get("/who")
    def who() -> dict[str, str | None]:
        from flask_login import current_user

        return {"user": current_user.get_id() if current_user.is_authenticated else None}

    @app.get("/flags")
    def flags() -> dict[str, bool]:
        return {p: has_consent(p) for p in ("analytics", "marketing")}

    return app


def decide(client: FlaskClient, **choices: bool) -> None:
    response = client.post("/consent/state", json={"purposes": choices, "source": "banner"})
    assert response.status_code == 200, response.json


def sign_in(client: FlaskClient, name: str = "anna") -> Any:
    response = client.post(f"/login/{name}")
    assert response.status_code == 200
    return response


def state(client: FlaskClient) -> dict[str, Any]:
    body = client.get("/consent/state").json
    assert isinstance(body, dict)
    return body


def rows(app: Flask, sql: str) -> list[tuple[Any, ...]]:
    with app.app_context():
        engine = app.extensions["consent"].ledger.engine
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]


def sources(app: Flask, consent_id: str) -> list[str]:
    return [
        r[0]
        for r in rows(
            app, f"select source from consent_records where consent_id = '{consent_id}' order by id"
        )
    ]
