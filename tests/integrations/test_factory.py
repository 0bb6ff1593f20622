"""A flaskr-style application factory: ``consent = ConsentManager()`` at module level,
``consent.init_app(app)`` in ``create_app()``, blueprints registered afterwards.

A typo in a later blueprint's ``@requires_consent("analytcs")`` cannot fail ``init_app`` (the
view does not exist yet): the site starts, every other page works, the bad view answers 500,
the log names the typo, and ``flask consent check`` fails in CI until it is fixed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Blueprint, Flask

from consent_sdk import ConsentManager, requires_consent
from tests.integrations.helpers import host_app

consent = ConsentManager()
blog = Blueprint("blog", __name__)


@blog.get("/")
def index() -> str:
    return "latest posts"


def stats_blueprint(purpose: str) -> Blueprint:
    """The site's statistics pages, as written in stats.py (``purpose`` is what was typed)."""
    stats = Blueprint("stats", __name__, url_prefix="/stats")

    @stats.get("/")
    @requires_consent(purpose)
    def dashboard() -> str:
        return "visits today: 42"

    return stats


def create_app(tmp_path: Path, purpose: str = "analytcs") -> Flask:
    app = host_app(tmp_path, "flaskr", PROPAGATE_EXCEPTIONS=False)
    consent.init_app(app)
    app.register_blueprint(blog)
    app.register_blueprint(stats_blueprint(purpose))
    return app


def test_site_with_a_typo_starts_and_only_that_view_fails(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = create_app(tmp_path).test_client()
    with caplog.at_level(logging.ERROR, logger="flaskr"):
        assert client.get("/").get_data(as_text=True) == "latest posts"
        assert client.get("/consent/config").status_code == 200
        assert client.get("/stats/").status_code == 500
    assert "'stats.dashboard' requires ['analytcs']" in caplog.text  # before the 1st request
    assert "requires unknown consent purposes ['analytcs']" in caplog.text  # the 500
    assert client.get("/").status_code == 200


def test_consent_check_fails_naming_the_view_and_the_typo(tmp_path: Path) -> None:
    result = create_app(tmp_path).test_cli_runner().invoke(args=["consent", "check"])
    assert result.exit_code != 0
    assert "stats.dashboard" in result.output
    assert "analytcs" in result.output


def test_consent_check_passes_once_the_typo_is_fixed(tmp_path: Path) -> None:
    app = create_app(tmp_path, "analytics")
    result = app.test_cli_runner().invoke(args=["consent", "check"])
    assert result.exit_code == 0, result.output
    assert "consent setup is valid" in result.output
    assert app.test_client().get("/stats/").status_code == 403  # refused, not broken
