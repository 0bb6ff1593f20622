"""The anonymous path stays free of queries (issue 20): only a signed-in visitor's request
may read the store, and then only when the account's newest decision it knows is older than
``CONSENT_USER_RECHECK``. Every statement the consent store runs is counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from consent_sdk.testing import consent_cookie
from tests.accounts.accountsite import decide, shop, sign_in
from tests.conftest import make_app

PATHS = ("/", "/marketing", "/analytics", "/flags", "/consent/state", "/plain")


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL the consent store runs inside the block."""
    with app.app_context():
        engine = app.extensions["consent"].ledger.engine  # created (upgraded) before counting
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def site(tmp_path: Path, **config: Any) -> Flask:
    app = shop(tmp_path, **config)

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    return app


def test_an_anonymous_visitor_costs_no_query_decided_or_not(tmp_path: Path) -> None:
    app = site(tmp_path)
    decide(app.test_client(), analytics=True)  # the store exists and has a record
    undecided = app.test_client()
    decided = app.test_client()
    decided.set_cookie("consent", consent_cookie(app, "analytics", "marketing"))

    with statements(app) as seen:
        for client in (undecided, decided):
            for path in PATHS:
                assert client.get(path).status_code in (200, 403)
        assert decided.get("/marketing").status_code == 200
        assert undecided.get("/marketing").status_code == 403

    assert seen == []


def test_an_anonymous_page_stays_cacheable_by_anyone(tmp_path: Path) -> None:
    """Looking for a signed-in customer does not mark the session accessed (Flask would add
    ``Vary: Cookie``). A site without Flask-Login: Flask-Login reads the session itself."""
    app = make_app(tmp_path)

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    response = app.test_client().get("/plain")
    assert "Cookie" not in response.headers.get("Vary", "")
    assert "private" not in response.headers.get("Cache-Control", "")
    assert response.headers.get("Set-Cookie") is None


def test_a_signed_in_visitor_reads_the_account_once_per_recheck_interval(
    tmp_path: Path,
) -> None:
    app = site(tmp_path)  # CONSENT_USER_RECHECK: 5 seconds by default
    phone = app.test_client()
    sign_in(phone)
    decide(phone, analytics=True)

    with statements(app) as seen:
        for path in PATHS:
            assert phone.get(path).status_code in (200, 403)

    assert seen == []  # this process wrote the account's newest decision: known at once


def test_with_no_recheck_interval_each_signed_in_request_is_one_query(tmp_path: Path) -> None:
    app = site(tmp_path, CONSENT_USER_RECHECK=0)
    phone = app.test_client()
    sign_in(phone)
    decide(phone, analytics=True)

    with statements(app) as seen:
        assert phone.get("/analytics").status_code == 200
        assert phone.get("/plain").status_code == 200

    assert len(seen) == 2 and all(s.lstrip().upper().startswith("SELECT") for s in seen)


def test_another_process_sees_a_change_within_the_recheck_interval(tmp_path: Path) -> None:
    """Two app objects on one store stand for two worker processes."""
    url = None
    first = site(tmp_path / "one", CONSENT_USER_RECHECK=0)
    url = first.config["CONSENT_DATABASE_URI"]
    second = site(tmp_path / "two", CONSENT_USER_RECHECK=0, CONSENT_DATABASE_URI=url)
    phone, laptop = first.test_client(), second.test_client()
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    sign_in(laptop)
    assert laptop.get("/marketing").status_code == 200

    decide(phone, analytics=True, marketing=False)  # in the other process

    assert laptop.get("/marketing").status_code == 403
    with second.app_context():
        second.extensions["consent"].ledger.engine.dispose()
