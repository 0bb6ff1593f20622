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
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..exceptions import ConfigurationError, StoreNeedsUpgrade, StoreNotReady
from . import migrate
from . import tables as models

_T = TypeVar("_T")


OWN_POSTGRES_OPTIONS: dict[str, Any] = {
    # No ``SELECT 1`` before every checkout (a round trip per decision): a connection that died
    # while pooled (a restart, a failover) fails its first statement instead; the SDK's own
    # statements are retried once on a fresh connection (``Ledger._retrying``) and the pool drops
    # every connection older than the failure.
    "pool_pre_ping": False,
    # Connections older than 30 minutes are replaced at checkout (idle-killing proxies).
    "pool_recycle": 1800,
}
"""The SDK's defaults for its own PostgreSQL engine; ``CONSENT_ENGINE_OPTIONS`` overrides them
(``connect_args`` key by key)."""

OWN_SQLITE_OPTIONS: dict[str, Any] = {"connect_args": {"timeout": 15}}
"""The SDK's defaults for its own SQLite engine (the pragmas are set on connect, whatever the
options say: ``synchronous=FULL`` is not an option)."""

_NUMBERS = ("pool_size", "max_overflow", "pool_recycle", "pool_timeout")


def engine_options(uri: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The keyword arguments for ``sqlalchemy.create_engine`` of the SDK's own store: its
    defaults for the database, overridden by ``options`` (``CONSENT_ENGINE_OPTIONS``), with
    ``connect_args`` merged key by key. A value of the wrong kind is ``ConfigurationError``."""
    defaults = OWN_SQLITE_OPTIONS if uri.startswith("sqlite") else OWN_POSTGRES_OPTIONS
    given = dict(options or {})
    for key in _NUMBERS:
        value = given.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ConfigurationError(
                f"CONSENT_ENGINE_OPTIONS[{key!r}] must be a number, not {value!r}."
            )
    if "pool_pre_ping" in given and not isinstance(given["pool_pre_ping"], bool):
        raise ConfigurationError("CONSENT_ENGINE_OPTIONS['pool_pre_ping'] must be True or False.")
    connect_args = given.pop("connect_args", {})
    if not isinstance(connect_args, Mapping):
        raise ConfigurationError(
            "CONSENT_ENGINE_OPTIONS['connect_args'] must be a dict of the driver's connect() "
            "arguments."
        )
    merged: dict[str, Any] = {**defaults, **given}
    merged["connect_args"] = {**defaults.get("connect_args", {}), **connect_args}
    return merged


def create_own_engine(uri: str, options: Mapping[str, Any] | None = None) -> Engine:
    """An engine for the SDK's own store, with SQLite set up for several writers.

    ``options``: ``CONSENT_ENGINE_OPTIONS`` (``create_engine`` keyword arguments over the
    defaults of ``engine_options``); a wrong one is a ``ConfigurationError`` at start-up.

    SQLite: WAL lets readers go on while one process writes; ``synchronous=FULL`` syncs every
    commit so an acknowledged decision survives a power cut (NORMAL would be faster and could
    lose the last commits on power loss, never on an app crash); ``busy_timeout`` makes a
    second writer wait rather than fail.
    """
    kwargs = engine_options(uri, options)
    try:
        engine = sa.create_engine(uri, **kwargs)
    except (TypeError, ValueError, sa.exc.ArgumentError) as exc:
        raise ConfigurationError(
            f"CONSENT_ENGINE_OPTIONS {options!r} cannot be used for {uri.split(':', 1)[0]}: {exc}"
        ) from None
    if uri.startswith("sqlite"):

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


class Ledger:
    """Append-only access to the consent records (erasure and purge live in their modules)."""

    def __init__(self, get_engine: Callable[[], Engine], *, create_tables: bool = True) -> None:
        """``create_tables=False``: the host's migrations own the tables; a missing one is
        ``StoreNotReady`` (naming the command to run), never created behind their back."""
        self._get_engine = get_engine
        self._create = create_tables
        self._ready: set[int] = set()
        self._known_texts: set[str] = set()
        self._statements: dict[tuple[str, tuple[str, ...], bool], Any] = {}
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
        ``shown_texts`` (the texts behind ``row["texts_hash"]``) are stored once per hash: this
        process sends them only until one of its writes has stored them.

        Durable before it returns: the insert is committed (SQLite: ``synchronous=FULL``;
        PostgreSQL: its commit acknowledged, durable under ``synchronous_commit=on``). On
        PostgreSQL it is one statement in autocommit, so one round trip: the texts go in the
        same statement (a data-modifying CTE), and the statement is its own transaction.
        Elsewhere: one transaction, the texts first. A connection found dead is retried once on
        a fresh one (``_retrying``): the write is keyed by ``event_id``, so a retry after a
        commit whose answer was lost returns the row stored (as not new) and stores nothing.
        """
        row = {**row, "salt": secrets.token_hex(16)}
        texts_row = None
        if shown_texts is not None and row["texts_hash"] not in self._known_texts:
            texts_row = {
                "texts_hash": row["texts_hash"],
                "language": row["language"],
                "content": shown_texts,
                "created_at": row["created_at"],
            }
        new_id, existing = self._retrying(lambda engine: self._write(engine, row, texts_row))
        if texts_row is not None:
            self._known_texts.add(row["texts_hash"])
        if existing is None:
            return as_record({**row, "id": new_id}), True
        return as_record(existing), False

    def _retrying(self, work: Callable[[Engine], _T]) -> _T:
        """``work(engine)``, once more if it failed on a connection SQLAlchemy found dead.

        Without ``pool_pre_ping`` a pooled connection whose server went away (a restart, a
        failover, an idle timeout) fails its first statement; SQLAlchemy then invalidates it
        and every pooled connection older than the failure, so the second try connects anew.
        A database that is still down fails again: ``StoreUnavailable`` (503) as before.
        """
        engine = self.engine
        try:
            return work(engine)
        except sa.exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        return work(engine)

    def _write(
        self, engine: Engine, row: Mapping[str, Any], texts_row: Mapping[str, Any] | None
    ) -> tuple[Any, Any]:
        """(the new id, None), or (None, the row stored earlier) for a repeated event id."""
        if engine.dialect.name == "postgresql":
            conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with conn:
                params = {f"r_{k}": v for k, v in row.items()}
                if texts_row is not None:
                    params.update({f"t_{k}": v for k, v in texts_row.items()})
                stmt = self._statement("postgresql", tuple(row), texts_row is not None)
                new_id = conn.execute(stmt, params).scalar_one_or_none()
                return new_id, None if new_id is not None else self._earlier(conn, row)
        with engine.begin() as conn:
            if texts_row is not None:
                self._insert_ignoring_duplicate(conn, models.texts, ["texts_hash"], texts_row)
            if engine.dialect.name == "sqlite":
                stmt = self._statement("sqlite", tuple(row), False)
                params = {f"r_{k}": v for k, v in row.items()}
                new_id = conn.execute(stmt, params).scalar_one_or_none()
            else:
                new_id = self._insert_ignoring_duplicate(conn, models.records, ["event_id"], row)
            return new_id, None if new_id is not None else self._earlier(conn, row)

    @staticmethod
    def _earlier(conn: Connection, row: Mapping[str, Any]) -> Any:
        query = sa.select(models.records).where(models.records.c.event_id == row["event_id"])
        return conn.execute(query).mappings().one()

    def _statement(self, dialect: str, columns: tuple[str, ...], with_texts: bool) -> Any:
        """The insert of a record (``r_<column>`` parameters) that skips a repeated event id
        and returns the new id; ``with_texts``: with the texts' insert (``t_<column>``) as a
        CTE in front. Built once per shape, so SQLAlchemy's compiled cache serves it."""
        key = (dialect, columns, with_texts)
        stmt = self._statements.get(key)
        if stmt is None:
            from sqlalchemy.dialects import postgresql, sqlite

            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            records = models.records
            stmt = (
                insert(records)
                .values({c: sa.bindparam(f"r_{c}", type_=records.c[c].type) for c in columns})
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(records.c.id)
            )
            if with_texts:
                texts = models.texts
                shown = (
                    insert(texts)
                    .values({c.name: sa.bindparam(f"t_{c.name}", type_=c.type) for c in texts.c})
                    .on_conflict_do_nothing(index_elements=["texts_hash"])
                    .cte("shown_texts")
                )
                stmt = stmt.add_cte(shown)
            self._statements[key] = stmt
        return stmt

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

    def history(self, consent_id: str, site: str | None = None) -> list[dict[str, Any]]:
        """Every record of one consent id, oldest first; of ``site`` only, when given (a site
        may have adopted another's consent id from its cookie before cookies named their
        site)."""
        records = models.records
        query = sa.select(records).where(records.c.consent_id == consent_id)
        if site is not None:
            query = query.where(records.c.site_id == site)
        query = query.order_by(records.c.id)
        return self._retrying(
            lambda engine: [as_record(r) for r in self._read(engine, query).mappings()]
        )

    def texts(self, texts_hash: str) -> dict[str, Any] | None:
        """The texts a visitor was shown, by the hash in their record."""
        query = sa.select(models.texts.c.content).where(models.texts.c.texts_hash == texts_hash)
        content = self._retrying(lambda engine: self._read(engine, query).scalar_one_or_none())
        return dict(content) if content is not None else None

    @staticmethod
    def _read(engine: Engine, query: sa.Select[Any]) -> sa.Result[Any]:
        """One query's rows, fetched before the connection goes back to the pool; on
        PostgreSQL in autocommit (one round trip: no BEGIN, no ROLLBACK)."""
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT")
            return conn.execute(query).freeze()()


def record_sites(conn: Connection) -> list[str]:
    """The site ids that have records, in order: one index probe per site (the least site id
    above the last one found, on ``ix_consent_records_site_id_id``), not a ``DISTINCT`` that
    reads every record: a store holds millions of records but a handful of sites."""
    found: list[str] = []
    while True:
        query = sa.select(sa.func.min(models.records.c.site_id))
        if found:
            query = query.where(models.records.c.site_id > found[-1])
        site = conn.execute(query).scalar_one_or_none()
        if site is None:
            return found
        found.append(str(site))


def as_record(row: Any) -> dict[str, Any]:
    """A stored row as a plain dict (its id first, never its salt), times in UTC whatever
    the database returns."""
    out = {"id": row["id"], **{k: row.get(k) for k in models.RECORD_FIELDS if k != "salt"}}
    for key in ("created_at", "expires_at", "retain_until", "erased_at"):
        value = out[key]
        if isinstance(value, datetime) and value.tzinfo is None:
            out[key] = value.replace(tzinfo=UTC)
    return out
