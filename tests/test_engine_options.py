"""CONSENT_ENGINE_OPTIONS, the own engine's pool defaults, and what a decision costs.

A decision is durable once answered: a connection of its own reads it right after the 200.
On PostgreSQL one decision is one round trip (counted in libpq's protocol trace: every
simple ``Query`` and every extended-protocol ``Sync`` waits for the server's answer), no
pre-ping, no BEGIN/COMMIT, no reset on return; SQLAlchemy's events agree (one statement).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from consent_sdk.exceptions import ConfigurationError
from consent_sdk.ledger.store import engine_options
from tests.conftest import make_app, postgres_schema


def _decide(client: Any) -> str:
    event_id = str(uuid.uuid4())
    answer = client.post(
        "/consent/state",
        json={"purposes": {"analytics": True}, "event_id": event_id},
        headers={"Origin": "http://localhost"},
    )
    assert answer.status_code == 200, answer.data
    client._cookies.clear()  # the next decision is a new visitor's
    return event_id


def test_options_reach_the_engine(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_ENGINE_OPTIONS={"pool_size": 7, "pool_timeout": 3})
    engine = app.extensions["consent"].ledger.engine
    assert engine.pool.size() == 7
    assert engine.pool._timeout == 3


def test_user_values_override_the_defaults_and_connect_args_merge() -> None:
    uri = "postgresql+psycopg://u@h/db"
    assert engine_options(uri)["pool_pre_ping"] is False
    merged = engine_options(uri, {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}})
    assert merged["pool_pre_ping"] is True
    assert merged["connect_args"] == {"connect_timeout": 3}
    sqlite = engine_options("sqlite:///x.db", {"connect_args": {"check_same_thread": False}})
    assert sqlite["connect_args"] == {"timeout": 15, "check_same_thread": False}


def test_sqlite_keeps_synchronous_full_whatever_the_options(tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'consent.db'}"  # SQLite whatever CONSENT_TEST_STORE says
    app = make_app(tmp_path, CONSENT_DATABASE_URI=sqlite, CONSENT_ENGINE_OPTIONS={"pool_size": 2})
    with app.extensions["consent"].ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"pool_sise": 5}, "pool_sise"),
        ({"pool_size": "five"}, "pool_size"),
        ({"pool_pre_ping": "yes"}, "pool_pre_ping"),
        ({"connect_args": 3}, "connect_args"),
        ([("pool_size", 5)], "CONSENT_ENGINE_OPTIONS"),
    ],
)
def test_a_bad_value_is_a_clear_error_at_start_up(tmp_path: Path, options: Any, named: str) -> None:
    with pytest.raises(ConfigurationError, match="CONSENT_ENGINE_OPTIONS") as caught:
        make_app(tmp_path, CONSENT_ENGINE_OPTIONS=options)
    assert named in str(caught.value)


def test_a_decision_is_readable_by_a_fresh_connection_after_its_200(
    tmp_path: Path, store_url: str
) -> None:
    app = make_app(tmp_path, CONSENT_DATABASE_URI=store_url)
    client = app.test_client()
    for _ in range(3):
        event_id = _decide(client)
        fresh = sa.create_engine(store_url, poolclass=sa.pool.NullPool)
        with fresh.connect() as conn:
            found = conn.execute(
                sa.text("select granted from consent_records where event_id = :e"), {"e": event_id}
            ).scalar_one()
        fresh.dispose()
        assert "analytics" in str(found)
    app.extensions["consent"].ledger.engine.dispose()


class _Trace:
    """The frontend messages libpq sends on the engine's connections (PQtrace)."""

    def __init__(self, engine: sa.Engine, path: Path) -> None:
        from psycopg import pq

        self.path = path
        self._file = open(path, "w")  # noqa: SIM115
        self.statements = 0
        self.checkouts = 0

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.pgconn.trace(self._file.fileno())
            dbapi_conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _statement(*_: Any) -> None:
            self.statements += 1

        @sa.event.listens_for(engine.pool, "checkout")
        def _checkout(*_: Any) -> None:
            self.checkouts += 1

        engine.dispose()  # the next connections are traced

    def messages(self) -> list[str]:
        self._file.flush()
        out = []
        for line in self.path.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[0] == "F" and parts[1].isdigit():
                out.append(" ".join(p.strip() for p in parts[2:]))
        return out

    def close(self) -> None:
        self._file.close()


def _round_trips(messages: list[str]) -> int:
    return sum(1 for m in messages if m.split(" ", 1)[0] in ("Query", "Sync"))


@pytest.mark.postgres
def test_a_decision_on_postgres_is_one_round_trip(tmp_path: Path) -> None:
    with postgres_schema() as url:
        app = make_app(tmp_path, CONSENT_DATABASE_URI=url)
        engine = app.extensions["consent"].ledger.engine  # the tables are made here
        trace = _Trace(engine, tmp_path / "trace.txt")
        client = app.test_client()
        try:
            # The first decision of the process stores the texts too: one statement (CTE).
            before = len(trace.messages())
            first = _decide(client)
            sent = trace.messages()[before:]
            assert _round_trips(sent) == 1, sent
            prepared = 0
            for _ in range(8):
                before = len(trace.messages())
                statements, checkouts = trace.statements, trace.checkouts
                _decide(client)
                sent = trace.messages()[before:]
                # psycopg prepares a statement on its 6th use on a connection (its default
                # prepare_threshold 5): that once, Parse and Sync first, one more round trip.
                preparing = any(m.startswith('Parse "_pg3') for m in sent)
                prepared += preparing
                assert _round_trips(sent) == 1 + preparing, sent
                assert trace.statements - statements == 1
                assert trace.checkouts - checkouts == 1
                assert not any(m.startswith("Query") for m in sent), sent  # no BEGIN/COMMIT/ping
            assert prepared == 1
            # A repeated event id: the insert, then the earlier row read back.
            before = len(trace.messages())
            answer = client.post(
                "/consent/state",
                json={"purposes": {"analytics": True}, "event_id": first},
                headers={"Origin": "http://localhost"},
            )
            assert answer.status_code == 409  # another visitor's event id
            assert _round_trips(trace.messages()[before:]) == 2
        finally:
            trace.close()
            engine.dispose()
        reader = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with reader.connect() as conn:
            assert conn.execute(sa.text("select count(*) from consent_texts")).scalar() == 1
            assert conn.execute(sa.text("select count(*) from consent_records")).scalar() == 9
        reader.dispose()


@pytest.mark.postgres
# psycopg's __del__ of the connection the server terminated complains as it is collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_dead_pooled_connection_is_retried_once(tmp_path: Path) -> None:
    """Without pre-ping, a connection the server ended (as a restart does) fails its first
    statement; the decision is written on a fresh one and answered 200."""
    with postgres_schema() as url:
        app = make_app(tmp_path, CONSENT_DATABASE_URI=url)
        client = app.test_client()
        engine = app.extensions["consent"].ledger.engine
        _decide(client)
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("select pg_backend_pid()").scalar()
        admin = sa.create_engine(url)
        with admin.begin() as conn:
            assert conn.execute(sa.text("select pg_terminate_backend(:p)"), {"p": pid}).scalar()
        admin.dispose()
        event_id = _decide(client)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("select pg_backend_pid()").scalar() != pid
            count = conn.execute(
                sa.text("select count(*) from consent_records where event_id = :e"),
                {"e": event_id},
            ).scalar()
        assert count == 1
        engine.dispose()


def test_a_store_gone_after_start_up_is_a_503_and_records_nothing(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tables exist, then no connection can be made (the server stopped): the driver's
    error reaches the API as SQLAlchemy's, a 503 to retry, not a 500."""
    app = make_app(tmp_path, CONSENT_DATABASE_URI=store_url)
    engine = app.extensions["consent"].ledger.engine
    client = app.test_client()
    _decide(client)
    engine.dispose()
    dbapi = engine.dialect.loaded_dbapi

    def refuse(*_: Any, **__: Any) -> Any:
        raise dbapi.OperationalError("connection refused")

    monkeypatch.setattr(engine.dialect, "connect", refuse)
    answer = client.post(
        "/consent/state",
        json={"purposes": {"analytics": True}, "event_id": str(uuid.uuid4())},
        headers={"Origin": "http://localhost"},
    )
    assert answer.status_code == 503, answer.data
    assert answer.get_json()["error"] == "store_unavailable"
    assert "Set-Cookie" not in answer.headers
    monkeypatch.undo()
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from consent_records")).scalar() == 1
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_restart_drops_every_pooled_connection_at_the_first_failure(tmp_path: Path) -> None:
    """The server ended all pooled connections (a restart): the first that fails invalidates
    the others too (SQLAlchemy's pool), so the ledger's one retry connects anew instead of
    taking the next dead one, and the decision is stored once."""
    with postgres_schema() as url:
        app = make_app(tmp_path, CONSENT_DATABASE_URI=url)
        client = app.test_client()
        engine = app.extensions["consent"].ledger.engine
        _decide(client)
        held = [engine.connect() for _ in range(3)]
        pids = [conn.exec_driver_sql("select pg_backend_pid()").scalar() for conn in held]
        for conn in held:
            conn.close()
        admin = sa.create_engine(url)
        with admin.begin() as conn:
            for pid in pids:
                conn.execute(sa.text("select pg_terminate_backend(:p)"), {"p": pid})
        admin.dispose()
        event_id = _decide(client)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("select pg_backend_pid()").scalar() not in pids
            count = conn.execute(
                sa.text("select count(*) from consent_records where event_id = :e"),
                {"e": event_id},
            ).scalar()
        assert count == 1
        engine.dispose()
