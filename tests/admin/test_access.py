"""The dashboard (issue 18, first part): never open to the world; numbers equal the decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import abort, redirect

from consent_sdk.exceptions import ConfigurationError
from tests.conftest import make_app


def test_enabled_without_a_guard_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CONSENT_ADMIN_GUARD"):
        make_app(tmp_path, CONSENT_ADMIN_ENABLED=True)


def test_off_by_default(tmp_path: Path) -> None:
    assert make_app(tmp_path).test_client().get("/consent/admin/").status_code == 404


def test_a_refused_user_gets_403_and_a_raising_guard_its_redirect(tmp_path: Path) -> None:
    refused = make_app(
        tmp_path / "a", CONSENT_ADMIN_ENABLED=True, CONSENT_ADMIN_GUARD=lambda: False
    )
    assert refused.test_client().get("/consent/admin/").status_code == 403

    def to_login() -> bool:
        abort(redirect("/login"))

    login = make_app(tmp_path / "b", CONSENT_ADMIN_ENABLED=True, CONSENT_ADMIN_GUARD=to_login)
    answer = login.test_client().get("/consent/admin/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")


def test_numbers_and_csv_follow_the_decisions(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_ADMIN_ENABLED=True, CONSENT_ADMIN_GUARD=lambda: True)
    empty = app.test_client().get("/consent/admin/")
    assert empty.status_code == 200 and empty.headers["Cache-Control"] == "no-store"
    for analytics in (True, True, False):
        visitor = app.test_client()
        body = {"purposes": {"analytics": analytics}, "action": "save", "source": "settings"}
        assert visitor.post("/consent/state", json=body).status_code == 200
    csv = app.test_client().get("/consent/admin/?format=csv&chart=purposes")
    assert csv.status_code == 200
    rows = [line.split(",") for line in csv.get_data(as_text=True).strip().splitlines()]
    assert rows[0] == ["label", "count", "of", "share"]
    assert ["Analytics", "2", "3", "0.6667"] in rows
    assert ["Marketing", "0", "3", "0.0"] in rows
