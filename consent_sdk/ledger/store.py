"""The ledger's store: where records are written and read, in the host's Flask-SQLAlchemy
database or the SDK's own. It needs no request: the views, the CLI and a cron job use it alike.

One transaction per decision and no read before the write: the insert skips a repeated
``event_id`` through the database's own ``ON CONFLICT DO NOTHING ... RETURNING id``, and
only then (rarely) reads the earlier row back.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from threading import Lock
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..exceptions import StoreNeedsUpgrade, StoreNotReady
from . import migrate
from . import tables as models


def create_own_engine(uri: str) -> Engine:
    """An engine for the SDK's own store, with SQLite set up for several writers.

    SQLite: WAL lets readers go on while one process writes; ``synchronous=FULL`` syncs every
    commit so an acknowledged decision survives a power cut (NORMAL would be faster and could
    lose the last commits on power loss, never on an app crash); ``busy_timeout`` makes a
    second writer wait rather than fail.
    """
    if uri.startswith("sqlite"):
        engine = sa.create_engine(uri, connect_args={"timeout": 15})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=FULL")
            # WAL is a property of the file: set it once. Switching needs a moment alone with
            # the file, which another process starting up may hold, so wait for it.
            for attempt in range(100):
                if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    break
                try:
                    cursor.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError:
                    time.sleep(0.01 * (attempt + 1))
            cursor.close()

        return engine
    return sa.create_engine(uri, pool_pre_ping=True)


class Ledger:
    """Append-only access to the consent records (erasure and purge live in their modules)."""

    def __init__(self, get_engine: Callable[[], Engine], *, create_tables: bool = True) -> None:
        """``create_tables=False``: the host's migrations own the tables; a missing one is
        ``StoreNotReady`` (naming the command to run), never created behind their back."""
        self._get_engine = get_engine
        self._create = create_tables
        self._ready: set[int] = set()
        self._known_texts: set[str] = set()
        self._lock = Lock()

    @property
    def owns_schema(self) -> bool:
        """Whether the SDK upgrades this store itself (its own store) or only checks it (the
        host's ``db=``, whose migrations own the tables)."""
        return self._create

    @property
    def engine(self) -> Engine:
        """The store's engine, upgraded (own store) or checked (host's) on first use."""
        engine = self._get_engine()
        if id(engine) not in self._ready:
            if self._create:
                self.create_tables(engine)
            else:
                self._check_tables(engine)
        return engine

    def _check_tables(self, engine: Engine) -> None:
        """Look for the tables and their columns until they are all there (then never again).

        A host's store made by an earlier release has the tables but not the newer columns:
        a write would fail on them, so say which are missing and what to run instead.
        """
        inspector = sa.inspect(engine)
        missing: list[str] = []
        columns: list[str] = []
        for table in models.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                missing.append(table.name)
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            columns += [f"{table.name}.{c.name}" for c in table.columns if c.name not in have]
        if columns:
            raise StoreNeedsUpgrade(missing, columns)
        if missing:
            raise StoreNotReady(missing)
        self._ready.add(id(engine))

    def create_tables(self, engine: Engine | None = None) -> migrate.Outcome | None:
        """Bring the store to this release's schema (also ``flask consent init-db``).

        The SDK's own store is upgraded by its Alembic revisions (``migrate.upgrade``: an
        empty one is built, one of the release before is upgraded in place, records kept).
        A host's store, only when asked (``init-db`` without Flask-Migrate, as
        ``db.create_all()`` would): the missing tables are created, never altered, then
        checked; returns None then.
        """
        engine = engine or self._get_engine()
        with self._lock:
            if not self._create:
                models.metadata.create_all(engine, checkfirst=True)
                self._check_tables(engine)
                return None
            outcome = migrate.upgrade(engine)
            self._ready.add(id(engine))
            return outcome

    def record(
        self, row: Mapping[str, Any], shown_texts: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Insert a decision; returns (the stored row, whether it is new).

        A repeated ``event_id`` writes nothing and returns the row stored the first time.
        ``shown_texts`` (the texts behind ``row["texts_hash"]``) are stored once per hash.
        """
        row = {**row, "salt": secrets.token_hex(16)}
        with self.engine.begin() as conn:
            if shown_texts is not None and row["texts_hash"] not in self._known_texts:
                self._insert_ignoring_duplicate(
                    conn,
                    models.texts,
                    ["texts_hash"],
                    {
                        "texts_hash": row["texts_hash"],
                        "language": row["language"],
                        "content": shown_texts,
                        "created_at": row["created_at"],
                    },
                )
            new_id = self._insert_ignoring_duplicate(conn, models.records, ["event_id"], row)
            existing = None
            if new_id is None:
                existing = (
                    conn.execute(
                        sa.select(models.records).where(
                            models.records.c.event_id == row["event_id"]
                        )
                    )
                    .mappings()
                    .one()
                )
        if shown_texts is not None:
            self._known_texts.add(row["texts_hash"])
        if existing is None:
            return as_record({**row, "id": new_id}), True
        return as_record(existing), False

    def _insert_ignoring_duplicate(
        self, conn: Connection, table: sa.Table, keys: list[str], values: Mapping[str, Any]
    ) -> Any:
        """Insert unless a row with the same ``keys`` exists; the new row's first primary key
        column, or None when nothing was inserted.

        ``RETURNING`` tells the two apart on every driver: psycopg reports ``rowcount`` -1 for
        an insert that returns the id, so a row count test took every new PostgreSQL record
        for a repeat.
        """
        pk = next(iter(table.primary_key.columns))
        dialect = conn.dialect.name
        if dialect in ("sqlite", "postgresql"):
            from sqlalchemy.dialects import postgresql, sqlite

            insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
            stmt = (
                insert(table)
                .values(**values)
                .on_conflict_do_nothing(index_elements=keys)
                .returning(pk)
            )
            return conn.execute(stmt).scalar_one_or_none()
        # Other databases: a savepoint, so a duplicate does not roll back the whole decision.
        try:
            with conn.begin_nested():
                result = conn.execute(table.insert().values(**values))
        except sa.exc.IntegrityError:
            return None
        return result.inserted_primary_key[0] if result.inserted_primary_key else True

    def history(self, consent_id: str) -> list[dict[str, Any]]:
        """Every record of one consent id, oldest first."""
        query = (
            sa.select(models.records)
            .where(models.records.c.consent_id == consent_id)
            .order_by(models.records.c.id)
        )
        with self.engine.connect() as conn:
            return [as_record(r) for r in conn.execute(query).mappings()]

    def texts(self, texts_hash: str) -> dict[str, Any] | None:
        """The texts a visitor was shown, by the hash in their record."""
        query = sa.select(models.texts.c.content).where(models.texts.c.texts_hash == texts_hash)
        with self.engine.connect() as conn:
            content = conn.execute(query).scalar_one_or_none()
        return dict(content) if content is not None else None


def as_record(row: Any) -> dict[str, Any]:
    """A stored row as a plain dict (its id first, never its salt), times in UTC whatever
    the database returns."""
    out = {"id": row["id"], **{k: row.get(k) for k in models.RECORD_FIELDS if k != "salt"}}
    for key in ("created_at", "expires_at", "retain_until", "erased_at"):
        value = out[key]
        if isinstance(value, datetime) and value.tzinfo is None:
            out[key] = value.replace(tzinfo=UTC)
    return out
