"""Setting the extension up: registration, configuration errors, storage choices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from consent_sdk import ConfigurationError, ConsentManager
from consent_sdk.purposes import DEFAULT_PURPOSES
from tests.conftest import PURPOSES, SITE, consent_id_of, default_store, make_app


def test_init_app_in_a_factory_stores_state_in_extensions(tmp_path: Path) -> None:
    consent = ConsentManager()
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", **SITE)
    consent.init_app(app)
    assert app.extensions["consent"].manager is consent
    assert app.extensions["consent"].config.policy_version == "1"


def test_registering_twice_raises_a_clear_error(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="already registered"):
        ConsentManager(app)


def test_missing_secret_key_fails_at_start_up_naming_the_setting(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    with pytest.raises(ConfigurationError, match=r"app.config\['SECRET_KEY'\]"):
        ConsentManager(app)


def _purposes(**changes: Any) -> list[dict[str, Any]]:
    purposes = [dict(p) for p in DEFAULT_PURPOSES]
    purposes[2].update(changes)
    return purposes


@pytest.mark.parametrize(
    ("purposes", "message"),
    [
        (_purposes(basis="legitimate_interest"), "'analytics'.*legitimate-interest"),
        (_purposes(id="Analytics!"), "'Analytics!'"),
        (
            [*PURPOSES, {**DEFAULT_PURPOSES[2], "id": "video", "labels": {"en": "Video"}}],
            "'video' has no label in 'lv'",
        ),
        (_purposes(cookies=["bad cookie"]), "'analytics'.*cookies"),
        (_purposes(id="marketing"), r"\['marketing'\] more than once"),
        ([p for p in DEFAULT_PURPOSES if p["id"] != "necessary"], "'necessary' purpose"),
        ("analytics", "non-empty list"),
        ([], "non-empty list"),
    ],
    ids=[
        "legitimate-interest",
        "bad-id",
        "label-missing-in-an-offered-language",
        "bad-cookie",
        "duplicate",
        "no-necessary",
        "not-a-list",
        "empty",
    ],
)
def test_rule_13_invalid_purposes_fail_at_start_up_naming_the_entry(
    tmp_path: Path, purposes: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_app(tmp_path, CONSENT_PURPOSES=purposes)


def test_rule_11_consent_lifetime_above_13_months_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="13 months"):
        make_app(tmp_path, CONSENT_MAX_AGE=400 * 86400)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"CONSENT_TEXTS": {"en": {"acept_all": "typo"}}}, "unknown keys.*acept_all"),
        (
            {"CONSENT_LANGUAGES": ("en", "de"), "CONSENT_PURPOSES": ["necessary"]},
            r"'necessary' has no label in 'de'",
        ),
        (
            {
                "CONSENT_LANGUAGES": ("en", "de"),
                "CONSENT_PURPOSES": [{"id": "necessary", "labels": {"de": "Nötig"}}],
            },
            r"'necessary' has no description in 'de'",
        ),
        (
            {
                "CONSENT_LANGUAGES": ("en", "de"),
                "CONSENT_PURPOSES": [
                    {"id": "necessary", "labels": {"de": "N"}, "descriptions": {"de": "N"}}
                ],
            },
            r"CONSENT_TEXTS\['de'\] is missing",
        ),
        ({"CONSENT_DEFAULT_LANGUAGE": "de"}, "not in CONSENT_LANGUAGES"),
        ({"CONSENT_GOOGLE_CONSENT_MODE": {"ad_storage": "ads"}}, "unknown purpose 'ads'"),
        ({"CONSENT_MAX_AGE": -1}, "positive"),
    ],
)
def test_other_bad_settings_fail_at_start_up(
    tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_app(tmp_path, **config)


def test_default_store_is_an_sqlite_file_in_the_instance_folder(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path / "inst"))
    app.config.update(SECRET_KEY="k", **SITE)
    ConsentManager(app)
    response = app.test_client().post("/consent/state", json={"purposes": {"analytics": True}})
    assert response.status_code == 200
    assert (tmp_path / "inst" / "consent.db").exists()


def test_host_app_with_its_own_db_keeps_working_and_holds_the_consent_tables(
    tmp_path: Path,
) -> None:
    db = SQLAlchemy()

    class Note(db.Model):  # type: ignore[name-defined,misc]
        id = sa.Column(sa.Integer, primary_key=True)
        text = sa.Column(sa.String(50))

    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY="k", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.db'}", **SITE
    )
    db.init_app(app)
    ConsentManager(app, db=db)

    @app.post("/notes")
    def add_note() -> str:
        db.session.add(Note(text="hello"))
        db.session.commit()
        return str(db.session.query(Note).count())

    with app.app_context():
        db.create_all()  # creates the host's tables and the consent tables
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {"note", "consent_records", "consent_texts"} <= tables
    assert app.extensions["sqlalchemy"] is db

    client = app.test_client()
    assert client.post("/notes").text == "1"
    assert client.post("/consent/state", json={"purposes": {"marketing": True}}).status_code == 200
    with app.app_context():
        rows = db.session.execute(sa.text("select granted from consent_records")).all()
    assert len(rows) == 1
    assert not (tmp_path / "consent.db").exists()


def test_cli_init_db_creates_the_tables(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["consent", "init-db"])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(default_store(tmp_path))
    assert "consent_records" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_cli_history_prints_records_and_fails_clearly_for_unknown_ids(app: Flask) -> None:
    client = app.test_client()
    client.post("/consent/state", json={"purposes": {}})
    consent_id = consent_id_of(app, client)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["consent", "history", consent_id])
    assert ok.exit_code == 0 and consent_id in ok.output
    missing = runner.invoke(args=["consent", "history", "nobody"])
    assert missing.exit_code != 0 and "no records" in missing.output
