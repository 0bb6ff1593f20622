"""Where the tests' apps keep their records: an SQLite file per folder, or with
``CONSENT_TEST_STORE=postgres`` a PostgreSQL schema per folder (the whole core suite on
PostgreSQL, as CI runs it a second time).

A module of its own, not part of conftest.py: pytest imports conftest.py as ``conftest`` while
test modules import it as ``tests.conftest``, two modules with two copies of any state; this
one is imported under one name by both, so there is one registry of schemas and engines.
"""

from __future__ import annotations

import os
import threading
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

POSTGRES = os.environ.get(
    "CONSENT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """The URL of a fresh schema on the test PostgreSQL server, dropped afterwards."""
    schema = f"consent_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


STORE = os.environ.get("CONSENT_TEST_STORE", "sqlite")
"""Where ``make_app`` keeps an app's records unless the test says: ``sqlite`` (a file in the
app's folder) or ``postgres`` (a schema of its own on ``CONSENT_TEST_POSTGRES_URL``)."""
if STORE not in ("sqlite", "postgres"):
    raise RuntimeError(f"CONSENT_TEST_STORE must be sqlite or postgres, not {STORE!r}")

_PG_STORES: dict[Path, str] = {}  # folder -> URL of its schema (CONSENT_TEST_STORE=postgres)
_PG_OPEN: dict[Path, Any] = {}  # folder -> the open postgres_schema() context
_ENGINES: list[sa.Engine] = []
"""Engines that connected since the last dispose, held (not weakly: an engine the garbage
collector takes in the middle of a test would leave its pooled connections to psycopg's
ResourceWarning) until ``_dispose_engines`` closes their connections."""


@sa.event.listens_for(sa.Engine, "engine_connect")
def _seen(conn: sa.Connection) -> None:
    if not any(e is conn.engine for e in _ENGINES):
        _ENGINES.append(conn.engine)


_PSYCOPG: weakref.WeakSet[Any] = weakref.WeakSet()
"""Every psycopg connection a pool opened that is still alive, to find those ``dispose`` misses."""
_OUT: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
"""The psycopg connections checked out now, each with the name of the thread that took it."""


def _psycopg(dbapi_conn: Any) -> bool:
    return type(dbapi_conn).__module__.startswith("psycopg")  # sqlite3's take no weak reference


@sa.event.listens_for(sa.pool.Pool, "connect")
def _opened(dbapi_conn: Any, _record: Any) -> None:
    if _psycopg(dbapi_conn):
        _PSYCOPG.add(dbapi_conn)


@sa.event.listens_for(sa.pool.Pool, "checkout")
def _checked_out(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    if _psycopg(dbapi_conn):
        _OUT[dbapi_conn] = threading.current_thread().name


@sa.event.listens_for(sa.pool.Pool, "checkin")
def _checked_in(dbapi_conn: Any, _record: Any) -> None:
    if _psycopg(dbapi_conn):
        _OUT.pop(dbapi_conn, None)


def _dispose_engines() -> None:
    """Close the pooled connections of every engine that connected since the last call.

    An app a test drops keeps its engine's pool until the garbage collector finds it, in the
    middle of some later test; psycopg then warns that a connection was deleted while open
    (a ResourceWarning, an error here), and a schema could not be dropped while in use. A
    disposed engine still works: its next connection opens a new pool.

    ``dispose`` closes only the connections in an engine's current pool. One returned after
    it (by a server thread still finishing a request) sits in the old pool until that is
    collected, with the same warning in some later test: closed here. One still checked out
    is the test's own leak: named here, in the test that made it, rather than left to fail
    whichever test the garbage collector happens to run in."""
    for engine in list(_ENGINES):
        engine.dispose()
    _ENGINES.clear()
    out = []
    for conn in list(_PSYCOPG):
        if conn.closed:
            continue
        if conn in _OUT:
            out.append(_OUT[conn])
        else:
            conn.close()
    if out:
        raise AssertionError(
            f"{len(out)} PostgreSQL connection(s) still checked out after the test "
            f"(by thread {', '.join(sorted(set(out)))}): close what the test opened"
        )


def default_store(tmp_path: Path) -> str:
    """The store of the apps ``make_app`` builds in ``tmp_path``: ``sqlite:///tmp_path/consent.db``,
    or (``CONSENT_TEST_STORE=postgres``) the URL of a PostgreSQL schema made for that folder on
    first use and dropped after the test. Apps in the same folder share it, as they share the
    SQLite file; tests that read the store by hand read it at this URL."""
    if STORE == "sqlite":
        return f"sqlite:///{tmp_path / 'consent.db'}"
    key = tmp_path.resolve()
    if key not in _PG_STORES:
        context = postgres_schema()
        _PG_STORES[key] = context.__enter__()
        _PG_OPEN[key] = context
    return _PG_STORES[key]


def made() -> set[Path]:
    """The folders whose schemas are open now."""
    return set(_PG_STORES)


def drop_stores(keep: set[Path]) -> None:
    """Dispose the engines used since, then drop the schemas made since (all but ``keep``)."""
    _dispose_engines()
    for key in [k for k in _PG_STORES if k not in keep]:
        del _PG_STORES[key]
        _PG_OPEN.pop(key).__exit__(None, None, None)
