"""A site whose database schema is owned by Flask-Migrate (``ConsentManager(app, db=db)``).

The consent tables join the site's ``db.metadata``: ``flask db migrate`` generates them and
``flask db upgrade`` creates them. The SDK never creates them behind the migrations' back, a
decision before the upgrade says which command to run, and later migrations of the site's own
models leave the consent tables and their records alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from consent_sdk import ConsentManager
from tests.integrations.helpers import decision, host_app
from tests.ledger.test_migrations import OLD_COLUMNS, old_rows, previous_release_tables

CONSENT_TABLES = {
    "consent_records",
    "consent_texts",
    "consent_seals",
    "consent_purges",
    "consent_impressions",
    "consent_daily_counts",
    "consent_daily_answers",
    "consent_rollup_marks",
    "consent_user_links",
}

# Flask-Migrate's generated env.py tries Flask-SQLAlchemy's deprecated get_engine() first.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """The generated env.py runs ``logging.config.fileConfig``, which reconfigures the root
    logger and disables every existing logger: undo that for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.disabled = False


def create_app(
    tmp_path: Path, *, with_email: bool = False, previous_release: bool = False
) -> Flask:
    """The site as its developer has it now: ``with_email`` is the next version of models.py,
    which adds a column to the site's own table; ``previous_release`` is the site on the
    consent_sdk release before the ledger (its two consent tables in db.metadata)."""
    db = SQLAlchemy()

    class Customer(db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "customers"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(80), nullable=False)
        if with_email:
            email = db.Column(db.String(120))

    app = host_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'site.db'}")
    db.init_app(app)
    flask_migrate.Migrate(app, db, directory=str(tmp_path / "migrations"))
    if previous_release:
        previous_release_tables(db.metadata)
    else:
        ConsentManager(app, db=db)
    return app


def tables(tmp_path: Path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'site.db'}")
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def newest_migration(tmp_path: Path) -> str:
    versions = sorted(
        (tmp_path / "migrations" / "versions").glob("*.py"), key=lambda p: p.stat().st_mtime_ns
    )
    return versions[-1].read_text(encoding="utf-8")


def test_decision_before_the_upgrade_names_the_command_and_creates_nothing(
    tmp_path: Path,
) -> None:
    client = create_app(tmp_path).test_client()
    answer = client.post("/consent/state", json=decision())
    assert answer.status_code == 500
    assert answer.json["error"] == "store_not_ready"
    assert "flask db upgrade" in answer.json["message"]
    assert set(answer.json["tables"]) == CONSENT_TABLES
    assert client.get_cookie("consent") is None
    assert not tables(tmp_path) & CONSENT_TABLES


def test_rule_10_migrations_create_the_tables_and_later_ones_keep_the_records(
    tmp_path: Path,
) -> None:
    migrations = str(tmp_path / "migrations")
    app = create_app(tmp_path)
    with app.app_context():
        flask_migrate.init(directory=migrations)
        flask_migrate.migrate(directory=migrations, message="customers and consent")
        first = newest_migration(tmp_path)
        flask_migrate.upgrade(directory=migrations)
    assert 'op.create_table("consent_records"' in first.replace("'", '"')
    assert {"customers", "alembic_version"} | CONSENT_TABLES <= tables(tmp_path)

    client = app.test_client()
    assert client.post("/consent/state", json=decision(True)).status_code == 200
    assert client.post("/consent/state", json=decision(False)).status_code == 200
    cookie = client.get_cookie("consent")

    # The next release of the site adds a column to its own model.
    app = create_app(tmp_path, with_email=True)
    with app.app_context():
        flask_migrate.migrate(directory=migrations, message="customer email")
        second = newest_migration(tmp_path)
        flask_migrate.upgrade(directory=migrations)
    assert "add_column" in second and "email" in second
    # Autogenerate saw the consent tables in db.metadata: nothing to drop, create or alter.
    assert "consent_" not in second, second

    client = app.test_client()
    client.set_cookie("consent", cookie.value)
    assert client.post("/consent/state", json=decision(True)).status_code == 200
    records = client.get("/consent/history").json["records"]
    assert [r["granted"] for r in records] == [
        ["analytics", "necessary"],
        ["necessary"],
        ["analytics", "necessary"],
    ]


def test_rule_10_updating_the_sdk_the_next_migration_adds_the_ledger_and_keeps_the_records(
    tmp_path: Path,
) -> None:
    migrations = str(tmp_path / "migrations")
    app = create_app(tmp_path, previous_release=True)
    with app.app_context():
        flask_migrate.init(directory=migrations)
        flask_migrate.migrate(directory=migrations, message="customers and consent")
        flask_migrate.upgrade(directory=migrations)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'site.db'}")
    records, _texts = previous_release_tables(sa.MetaData())
    with engine.begin() as conn:
        conn.execute(records.insert(), old_rows(3))
        before = conn.execute(sa.text(f"select {OLD_COLUMNS} from consent_records")).all()

    # The site updates consent_sdk: until its migration runs, decisions name what is missing.
    app = create_app(tmp_path)
    answer = app.test_client().post("/consent/state", json=decision())
    assert answer.status_code == 500 and answer.json["error"] == "store_not_ready"
    assert "consent_records.salt" in answer.json["columns"]
    assert "flask db migrate" in answer.json["message"]
    with app.app_context():
        flask_migrate.migrate(directory=migrations, message="consent_sdk ledger")
        generated = newest_migration(tmp_path).replace("'", '"')
        flask_migrate.upgrade(directory=migrations)
    for step in ('add_column(sa.Column("salt"', 'create_table("consent_seals"', "site_id_id"):
        assert step in generated, generated
    assert "drop_" not in generated.split("def downgrade")[0]
    assert tables(tmp_path) >= CONSENT_TABLES

    client = app.test_client()
    assert client.post("/consent/state", json=decision(True)).status_code == 200
    with engine.connect() as conn:
        after = conn.execute(sa.text(f"select {OLD_COLUMNS} from consent_records")).all()
    engine.dispose()
    assert after[:3] == before and len(after) == 4
    runner = app.test_cli_runner()
    sealed = runner.invoke(args=["consent", "seal", "--grace", "0"])
    assert sealed.exit_code == 0 and "sealed 4 records" in sealed.output, sealed.output
    verified = runner.invoke(args=["consent", "verify"])
    assert verified.exit_code == 0, verified.output
    # The SDK left the host's schema to the host: no version table of its own there.
    assert "consent_alembic_version" not in tables(tmp_path)
