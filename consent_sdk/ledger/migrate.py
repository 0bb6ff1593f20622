"""Bring the SDK's own store to the newest schema, keeping every record (Alembic, run from code).

Users need no ``alembic.ini``: the revisions ship inside the package
(``ledger/migrations/versions``) and are applied on a connection passed in through
``config.attributes``. The SDK's version table is its own (``consent_alembic_version``), so a
consent store in the same database as the host app's never meets the host's
``alembic_version``.

Three kinds of store reach ``upgrade``:

- an empty database: every revision runs, so a new store is built by the very steps that
  upgrade an old one (one path, one schema);
- a store of the release before the ledger (its tables, no version table): stamped as the
  baseline (``0001``), then upgraded;
- a store at the newest revision: nothing is done, and nothing is locked.

Several app instances may start at once: on PostgreSQL the upgrade runs in one transaction
under ``pg_advisory_xact_lock`` (DDL is transactional there, so it is all or nothing); on
SQLite under ``BEGIN IMMEDIATE``, which takes the file's write lock before anything is read.
The instance that waited finds the store at head and does nothing.

A host's ``db=`` store is never upgraded here: its own migrations (Flask-Migrate) own its
tables, and ``Ledger`` only checks them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from . import tables

VERSION_TABLE = "consent_alembic_version"
"""The SDK's own Alembic version table (never the host's ``alembic_version``)."""

BASELINE = "0001"
"""The revision of the release before the ledger: what an unversioned store is stamped as."""

SCRIPT_LOCATION = Path(__file__).with_name("migrations")

LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"consent_sdk.ledger.migrate").digest()[:8], "big", signed=True
)
"""The PostgreSQL advisory lock every instance takes to upgrade (one per database)."""

SQLITE_ATTEMPTS = 20
"""How many times an SQLite upgrade waits for another writer's lock (each wait is the
connection's busy timeout) before it gives up."""


@dataclass(frozen=True)
class Outcome:
    """What ``upgrade`` found and left: ``before`` is None for an empty store; ``adopted``
    says the store had no version table (the release before) and was stamped first."""

    before: str | None
    after: str | None
    adopted: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config on the packaged revisions; with ``connection``, env.py uses it."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision shipped with this release."""
    revision = _scripts().get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The store's revision, or None when it has no version table (empty or unversioned)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(engine: Engine) -> Outcome:
    """Bring ``engine``'s store to head; safe to call from every instance at every start."""
    with engine.connect() as conn:
        seen = current(conn)
    if seen == head():
        return Outcome(seen, seen)
    for attempt in range(SQLITE_ATTEMPTS):
        try:
            with _locked(engine) as conn:
                return _upgrade(conn)
        except sa.exc.OperationalError as exc:
            # SQLite: another instance held the write lock longer than the busy timeout.
            if engine.dialect.name != "sqlite" or "locked" not in str(exc).lower():
                raise
            if attempt == SQLITE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other instance's upgrade can run beside."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite opens no transaction before DDL by itself: begin one, taking the
            # write lock now, so the read of the schema and the change are one step.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
        else:
            conn.begin()
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def _upgrade(conn: Connection) -> Outcome:
    """The upgrade itself, under the lock: look again (another instance may have done it)."""
    config = alembic_config(conn)
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    adopted = False
    if VERSION_TABLE not in present and present & set(tables.metadata.tables):
        command.stamp(config, _unversioned_revision(inspector, present))
        adopted = True
    before = current(conn)
    command.upgrade(config, "head")
    return Outcome(before, current(conn), adopted)


def _unversioned_revision(inspector: sa.Inspector, present: set[str]) -> str:
    """Which revision a store without a version table is at.

    The release before the ledger made ``consent_records`` and ``consent_texts`` only: that is
    the baseline. A store whose tables are already all there with every column (made by
    ``create_all`` of a development build) is at head. Anything else is not a store this
    release knows how to upgrade, and is left alone rather than guessed at.
    """
    baseline = {"consent_records", "consent_texts"}
    if present >= set(tables.metadata.tables):
        columns = {c["name"] for c in inspector.get_columns("consent_records")}
        if columns >= set(tables.records.columns.keys()):
            return head()
    if baseline <= present and not present & (set(tables.metadata.tables) - baseline):
        return BASELINE
    raise RuntimeError(
        "the consent store has some of the consent tables but no "
        f"{VERSION_TABLE} table, and they are neither the previous release's tables nor this "
        f"release's: found {sorted(present & set(tables.metadata.tables))}. Upgrade it by hand "
        f"or restore it; consent_sdk changes nothing in it"
    )
