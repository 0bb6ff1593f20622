"""Schema upgrades keep everyone's records: a store of the release before the ledger (commit
7379612) is upgraded in place, on first use or by ``flask consent db upgrade``, on SQLite and
PostgreSQL; several instances starting at once upgrade it once; a host's ``db=`` store is
only checked, never altered.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from consent_sdk import ConsentManager
from consent_sdk.ledger import migrate, rollup, tables
from consent_sdk.ledger.store import create_own_engine
from tests.conftest import SITE
from tests.ledger.conftest import Site

OLD_COLUMNS = (
    "id, event_id, consent_id, site_id, granted, refused, policy_version, texts_hash, "
    "language, source, action, gpc, created_at, expires_at, retain_until, ip_prefix, browser"
)


def previous_release_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The tables exactly as ``consent_sdk/models.py`` of 7379612 defined them."""
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    records = sa.Table(
        "consent_records",
        metadata,
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("consent_id", sa.String(36), nullable=False, index=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("granted", sa.JSON, nullable=False),
        sa.Column("refused", sa.JSON, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("texts_hash", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("gpc", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("ip_prefix", sa.String(45), nullable=True),
        sa.Column("browser", sa.String(64), nullable=True),
    )
    texts = sa.Table(
        "consent_texts",
        metadata,
        sa.Column("texts_hash", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    return records, texts


def old_rows(count: int, site_id: str = "default") -> list[dict[str, Any]]:
    """Records as the release before wrote them: whole seconds, no salt, no digest."""
    now = int(datetime.now(UTC).timestamp()) - 3600
    rows = []
    for n in range(count):
        given = datetime.fromtimestamp(now + n, UTC)
        granted = ["analytics", "necessary"] if n % 2 == 0 else ["necessary"]
        rows.append(
            {
                "event_id": str(uuid.uuid4()),
                "consent_id": str(uuid.uuid4()),
                "site_id": site_id,
                "granted": granted,
                "refused": sorted({"preferences", "analytics", "marketing"} - set(granted)),
                "policy_version": "1",
                "texts_hash": "ab" * 32,
                "language": ["en", "lv", "ru"][n % 3],
                "source": "banner",
                "action": "accept_all" if n % 2 == 0 else "reject_all",
                "gpc": n == 1,
                "created_at": given,
                "expires_at": given + timedelta(days=365),
                "retain_until": given + timedelta(days=365 * 6),
                "ip_prefix": "203.0.113.0" if n != 2 else None,
                "browser": "Firefox",
            }
        )
    return rows


def build_previous_release(url: str, count: int = 3) -> None:
    """A store as the release before left it: its two tables, a few records and their texts."""
    engine = sa.create_engine(url)
    records, texts = previous_release_tables(sa.MetaData())
    records.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(records.insert(), old_rows(count))
        conn.execute(
            texts.insert(),
            {
                "texts_hash": "ab" * 32,
                "language": "en",
                "content": {"texts": {"banner_title": "Cookies"}},
                "created_at": datetime.now(UTC),
            },
        )
    engine.dispose()


def snapshot(site: Site) -> tuple[list[Any], list[Any]]:
    """Every old column of every record as the database holds it, and the stored texts."""
    rows = site.sql(f"select {OLD_COLUMNS} from consent_records order by id")
    texts = site.sql("select * from consent_texts order by texts_hash")
    return [tuple(r) for r in rows], [tuple(r) for r in texts]


def store_at(url: str, rev: str, records: int) -> sa.Engine:
    """A store as release ``rev`` left it, holding ``records`` of its records; its engine (the
    caller disposes of it)."""
    engine = create_own_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), rev)
    with engine.begin() as conn:
        conn.execute(tables.records.insert(), old_rows(records))
    return engine


def revision(url: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.text(f"select * from {migrate.VERSION_TABLE}"))]
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[Any]:
    """What Alembic's autogenerate finds between the store and ``tables.py`` (nothing, when
    the revisions build exactly the tables the code uses)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, tables.metadata)
    finally:
        engine.dispose()
    return [d for d in diffs if not (d[0] == "remove_table" and d[1].name == migrate.VERSION_TABLE)]


@pytest.fixture
def old_site(tmp_path: Path, store_url: str) -> Iterator[Site]:
    """The site after its update to this release, on the store of the release before."""
    build_previous_release(store_url)
    s = Site(tmp_path, store_url)
    yield s
    s.close()


def test_rule_10_a_previous_release_store_is_upgraded_on_first_use_keeping_every_record(
    old_site: Site,
) -> None:
    before = snapshot(old_site)
    client, _ = old_site.decide({"analytics": True})
    old_site.decide({"marketing": True}, client)

    records, texts = snapshot(old_site)
    assert records[:3] == before[0]
    assert all(t in texts for t in before[1]) and len(texts) == len(before[1]) + 1
    assert revision(old_site.url) == [migrate.head()]
    # The old records have no salt; the new ones do.
    salts = [r[0] for r in old_site.sql("select salt from consent_records order by id")]
    assert salts[:3] == [None, None, None]
    assert all(len(s) == 32 for s in salts[3:])
    assert len(old_site.ids()) == 5
    assert schema_differences(old_site.url) == []

    sealed = old_site.cli("seal", "--grace", "0")
    assert sealed.exit_code == 0, sealed.output
    assert "sealed 5 records" in sealed.output
    verified = old_site.cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "5 sealed records intact" in verified.output


def test_flask_consent_db_upgrade_reports_the_revisions_and_a_second_run_is_a_no_op(
    old_site: Site,
) -> None:
    before = snapshot(old_site)
    current = old_site.cli("db", "current")
    assert current.exit_code == 1 and "none" in current.output

    first = old_site.cli("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert f"before: {migrate.BASELINE} (the previous release's tables" in first.output
    assert f"after: {migrate.head()}" in first.output
    assert snapshot(old_site) == before

    second = old_site.cli("db", "upgrade")
    assert second.exit_code == 0, second.output
    assert f"before: {migrate.head()}" in second.output and "nothing to do" in second.output
    # init-db, as before this release, is the same upgrade.
    assert old_site.cli("init-db").exit_code == 0
    assert revision(old_site.url) == [migrate.head()]
    assert snapshot(old_site) == before
    assert old_site.cli("db", "current").exit_code == 0

    old_site.decide({"analytics": False})
    assert old_site.cli("seal", "--grace", "0").exit_code == 0
    verified = old_site.cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "4 sealed records intact" in verified.output


def test_an_empty_store_is_built_by_the_revisions_exactly_as_tables_py_says(
    tmp_path: Path, store_url: str
) -> None:
    site = Site(tmp_path, store_url)
    try:
        result = site.cli("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "before: empty" in result.output
        assert revision(store_url) == [migrate.head()]
        assert schema_differences(store_url) == []
        site.decide({"analytics": True})
        assert site.cli("seal", "--grace", "0").exit_code == 0
        assert site.cli("verify").exit_code == 0
    finally:
        site.close()


def test_an_unversioned_store_already_at_head_is_stamped_not_altered(
    tmp_path: Path, store_url: str
) -> None:
    # A development build between the releases made the new tables with create_all.
    engine = sa.create_engine(store_url)
    tables.metadata.create_all(engine)
    engine.dispose()
    site = Site(tmp_path, store_url)
    try:
        result = site.cli("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert f"before: {migrate.head()} (the previous release's tables" in result.output
        assert revision(store_url) == [migrate.head()]
        site.decide({"analytics": True})
    finally:
        site.close()


def test_a_store_that_is_neither_release_is_left_alone(tmp_path: Path, store_url: str) -> None:
    engine = sa.create_engine(store_url)
    tables.seals.create(engine)
    engine.dispose()
    site = Site(tmp_path, store_url)
    try:
        result = site.cli("db", "upgrade")
        assert result.exit_code != 0
        assert "neither the previous release's tables nor this release's" in str(result.exception)
        engine = sa.create_engine(store_url)
        assert set(sa.inspect(engine).get_table_names()) == {"consent_seals"}
        engine.dispose()
    finally:
        site._engine.dispose()
        # The app's engine as it is: close() would try the upgrade again.
        site.app.extensions["consent"].ledger._get_engine().dispose()


def test_several_instances_starting_at_once_upgrade_the_store_once(store_url: str) -> None:
    build_previous_release(store_url, count=50)
    instances = 6
    barrier = threading.Barrier(instances)
    outcomes: list[migrate.Outcome] = []
    errors: list[BaseException] = []

    def start() -> None:
        engine = create_own_engine(store_url)  # each instance has its own engine and pool
        try:
            barrier.wait()
            outcomes.append(migrate.upgrade(engine))
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(instances)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(outcomes) == instances
    assert [o.adopted for o in outcomes].count(True) == 1
    assert all(o.after == migrate.head() for o in outcomes)
    assert revision(store_url) == [migrate.head()]
    assert schema_differences(store_url) == []
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from consent_records")).scalar() == 50
    engine.dispose()


def test_several_apps_starting_at_once_on_a_previous_release_store_all_record(
    tmp_path: Path, store_url: str
) -> None:
    build_previous_release(store_url)
    apps = [Site(tmp_path / f"instance{n}", store_url) for n in range(4)]
    barrier = threading.Barrier(len(apps))
    statuses: list[int] = []

    def first_request(site: Site) -> None:
        client = site.app.test_client()
        barrier.wait()
        answer = client.post(
            "/consent/state", json={"purposes": {"analytics": True}, "event_id": str(uuid.uuid4())}
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=first_request, args=(s,)) for s in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert statuses == [200] * len(apps)
        assert len(apps[0].ids()) == 3 + len(apps)
        assert revision(store_url) == [migrate.head()]
    finally:
        for s in apps:
            s.close()


def build_release_0002(url: str, count: int = 4) -> None:
    """A store as the ledger's first release (revision 0002) left it: its records, without
    the site-and-time index."""
    engine = create_own_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0002")
    with engine.begin() as conn:
        conn.execute(tables.records.insert(), old_rows(count))
    engine.dispose()


def index_columns(url: str) -> dict[str, list[str]]:
    engine = sa.create_engine(url)
    try:
        found = sa.inspect(engine).get_indexes("consent_records")
    finally:
        engine.dispose()
    return {str(i["name"]): [str(c) for c in i["column_names"]] for i in found}


def test_a_0002_store_gets_the_site_period_index_keeping_every_record(
    tmp_path: Path, store_url: str
) -> None:
    site = Site(tmp_path, store_url)
    try:
        build_release_0002(store_url)
        assert revision(store_url) == ["0002"]
        assert "ix_consent_records_site_id_created_at" not in index_columns(store_url)
        # What the comparison below looks at: a missing index is a difference, on either store.
        missing = schema_differences(store_url)
        assert ("add_index", "ix_consent_records_site_id_created_at") in [
            (d[0], d[1].name) for d in missing if d[0] == "add_index"
        ]
        before = site.sql("select * from consent_records order by id")

        site.decide({"analytics": True})  # first use: upgraded through 0003 to head

        assert revision(store_url) == [migrate.head()]
        assert site.sql("select * from consent_records order by id")[:4] == before
        assert index_columns(store_url)["ix_consent_records_site_id_created_at"] == [
            "site_id",
            "created_at",
        ]
        assert schema_differences(store_url) == []
        exported = site.cli("export", "--site", "default", "--format", "jsonl")
        assert exported.exit_code == 0, exported.output
        assert len(exported.output.splitlines()) == 5
        assert site.cli("seal", "--grace", "0").exit_code == 0
        verified = site.cli("verify")
        assert verified.exit_code == 0, verified.output
        assert "5 sealed records intact" in verified.output
    finally:
        site.close()


# --- a host's db= store: checked, never altered --------------------------------------------------


def host_app(tmp_path: Path, url: str) -> Flask:
    db = SQLAlchemy()
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="k",
        SQLALCHEMY_DATABASE_URI=url,
        CONSENT_RATE_LIMIT=None,
        **SITE,
    )
    db.init_app(app)
    ConsentManager(app, db=db)
    return app


def test_a_host_store_of_the_previous_release_names_the_missing_columns_and_is_not_altered(
    tmp_path: Path, store_url: str
) -> None:
    build_previous_release(store_url)
    app = host_app(tmp_path, store_url)
    engine = sa.create_engine(store_url)
    columns_before = {c["name"] for c in sa.inspect(engine).get_columns("consent_records")}

    answer = app.test_client().post("/consent/state", json={"purposes": {"analytics": True}})
    assert answer.status_code == 500
    assert answer.json["error"] == "store_not_ready"
    assert set(answer.json["columns"]) == {
        "consent_records.salt",
        "consent_records.personal_digest",
        "consent_records.erased_at",
    }
    # Every table newer than that release is named (seals, purges, and whatever came since).
    newer = set(tables.metadata.tables) - {"consent_records", "consent_texts"}
    assert {"consent_seals", "consent_purges"} <= newer
    assert set(answer.json["tables"]) == newer
    assert "flask db migrate" in answer.json["message"]

    result = app.test_cli_runner().invoke(args=["consent", "db", "upgrade"])
    assert result.exit_code != 0
    assert "flask db migrate" in result.output and "flask db upgrade" in result.output

    inspector = sa.inspect(engine)
    assert {c["name"] for c in inspector.get_columns("consent_records")} == columns_before
    assert not inspector.has_table(migrate.VERSION_TABLE)
    assert not inspector.has_table("consent_seals")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from consent_records")).scalar() == 3
    engine.dispose()
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_a_0004_store_gets_the_dashboard_rollup_empty_and_seal_fills_it(
    tmp_path: Path, store_url: str
) -> None:
    from consent_sdk.admin import aggregates

    site = Site(tmp_path, store_url)
    try:
        engine = store_at(store_url, "0004", 4)
        assert revision(store_url) == ["0004"]
        differences = {(d[0], d[1].name) for d in schema_differences(store_url)}
        assert ("add_table", "consent_daily_counts") in differences
        before = site.sql("select * from consent_records order by id")

        site.decide({"analytics": True})  # first use: upgraded through 0005 to head

        assert revision(store_url) == [migrate.head()] == ["0006"]
        assert schema_differences(store_url) == []
        assert site.sql("select * from consent_records order by id")[:4] == before
        assert site.sql("select count(*) from consent_daily_counts") == [(0,)]
        ledger = site.app.extensions["consent"].ledger
        today = datetime.now(UTC).date()
        period = aggregates.Period(today - timedelta(days=1), today)
        purposes = ("analytics",)
        # Nothing rolled up yet: the dashboard counts every record live, as before 0005.
        shown = aggregates.overview(ledger, site="default", period=period, purposes=purposes)
        assert shown.decisions == 5
        sealed = site.cli("seal", "--grace", "0")
        assert "rolled up 5 records" in sealed.output, sealed.output
        assert site.sql("select sum(count) from consent_daily_counts") == [(5,)]
        assert site.sql("select last_id from consent_rollup_marks") == [(max(site.ids()),)]
        again = aggregates.overview(ledger, site="default", period=period, purposes=purposes)
        assert (
            again
            == shown
            == aggregates.recount(ledger, site="default", period=period, purposes=purposes)
        )

        # Downgrading drops the counts only: every record stays.
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0004")
        inspector = sa.inspect(engine)
        assert not inspector.has_table(rollup.counts.name)
        assert not inspector.has_table(rollup.marks.name)
        assert len(site.ids()) == 5
        engine.dispose()
    finally:
        site.close()
