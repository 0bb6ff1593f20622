"""The same store on a real PostgreSQL server, shared by several app instances.

Needs the server named by ``CONSENT_TEST_POSTGRES_URL`` (default: 127.0.0.1:5432, database
``test``); ``.ci/run`` installs and starts one where the machine has none. Each test gets its
own schema, dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from consent_sdk import ConsentManager
from tests.conftest import (
    SITE,
    consent_id_of,
    decide_concurrently,
    make_app,
    postgres_schema,
    stored_event_ids,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def _dispose(*apps: Flask) -> None:
    for app in apps:
        with app.app_context():
            app.extensions["consent"].ledger.engine.dispose()


def test_two_app_instances_share_one_postgres_store(tmp_path: Path, pg_url: str) -> None:
    one = make_app(tmp_path / "one", CONSENT_DATABASE_URI=pg_url)
    two = make_app(tmp_path / "two", CONSENT_DATABASE_URI=pg_url)
    client = one.test_client()
    first = client.post("/consent/state", json={"purposes": {"analytics": True}}).json
    # The visitor's next request lands on the other instance, with the same cookie.
    other = two.test_client()
    other.set_cookie("consent", client.get_cookie("consent").value)
    assert other.get("/consent/state").json == first
    other.post("/consent/state", json={"purposes": {"marketing": True}, "language": "ru"})
    records = one.test_client()
    records.set_cookie("consent", other.get_cookie("consent").value)
    history = records.get("/consent/history").json["records"]
    assert [r["granted"] for r in history] == [
        ["analytics", "necessary"],
        ["marketing", "necessary"],
    ]
    assert history[1]["language"] == "ru"
    assert history[0]["created_at"].endswith("+00:00")
    _dispose(one, two)


def test_concurrent_replays_of_one_event_are_recorded_once(tmp_path: Path, pg_url: str) -> None:
    app = make_app(tmp_path, CONSENT_DATABASE_URI=pg_url)
    body = {"purposes": {"analytics": True}, "event_id": str(uuid.uuid4())}
    client = app.test_client()
    client.post("/consent/state", json={"purposes": {}})  # one consent id for every replay
    cookie = client.get_cookie("consent").value

    def send(_: int) -> Any:
        c = app.test_client()
        c.set_cookie("consent", cookie)
        response = c.post("/consent/state", json=body)
        return response.status_code, response.json["purposes"]["analytics"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(16)))
    assert results == [(200, True)] * 16
    with app.app_context():
        engine = app.extensions["consent"].ledger.engine
        with engine.connect() as conn:
            count = conn.execute(
                sa.text("select count(*) from consent_records where event_id = :e"),
                {"e": body["event_id"]},
            ).scalar_one()
    assert count == 1
    _dispose(app)


def test_host_flask_sqlalchemy_db_on_postgres_holds_the_consent_tables(
    tmp_path: Path, pg_url: str
) -> None:
    db = SQLAlchemy()
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", SQLALCHEMY_DATABASE_URI=pg_url, **SITE)
    db.init_app(app)
    ConsentManager(app, db=db)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    client.post("/consent/state", json={"purposes": {"preferences": True}})
    with app.app_context():
        assert {"consent_records", "consent_texts"} <= set(sa.inspect(db.engine).get_table_names())
        (record,) = app.extensions["consent"].manager.history(consent_id_of(app, client))
        db.engine.dispose()
    assert record["granted"] == ["necessary", "preferences"]


def test_instances_starting_at_once_create_the_tables_once_and_lose_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    apps = [make_app(tmp_path / str(n), CONSENT_DATABASE_URI=pg_url) for n in range(4)]

    acknowledged = decide_concurrently(apps, visitors=8, decisions=10)
    stored = stored_event_ids(pg_url)
    assert sorted(stored) == sorted(acknowledged) and len(stored) == 80
    _dispose(*apps)
