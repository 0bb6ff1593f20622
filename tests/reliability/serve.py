"""The app the reliability tests serve with gunicorn: ``tests.reliability.serve:create_app()``.

Configured from the environment so that every worker process builds the same app:
``CONSENT_DATABASE_URI`` (the store), ``CONSENT_RELIABILITY_INSTANCE`` (instance folder),
``CONSENT_RELIABILITY_SECRET`` (``SECRET_KEY``).
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from consent_sdk import ConsentManager, requires_consent

PURPOSES = [
    "necessary",
    {"id": "preferences", "cookies": ["lang"]},
    {"id": "analytics", "cookies": ["_ga"]},
    {"id": "marketing", "cookies": ["_fbp"]},
]


def create_app() -> Flask:
    app = Flask(__name__, instance_path=os.environ["CONSENT_RELIABILITY_INSTANCE"])
    app.config.update(
        SECRET_KEY=os.environ.get("CONSENT_RELIABILITY_SECRET", "reliability-secret"),
        CONSENT_DATABASE_URI=os.environ["CONSENT_DATABASE_URI"],
        CONSENT_CONTROLLER={"name": "Example Ltd", "contact": "privacy@example.test"},
        CONSENT_POLICY_URL="/privacy",
        CONSENT_PURPOSES=PURPOSES,
        # Every test client comes from 127.0.0.1: the per-client limit on decisions would
        # answer 429 after the 30th. CONSENT_RELIABILITY_RATE_LIMIT="30/minute" puts it back.
        CONSENT_RATE_LIMIT=os.environ.get("CONSENT_RELIABILITY_RATE_LIMIT") or None,
    )
    ConsentManager(app)

    @app.get("/worker")
    def worker() -> ResponseReturnValue:
        """Which worker process answered (the tests kill one)."""
        return jsonify(pid=os.getpid())

    @app.get("/gated")
    @requires_consent("analytics")
    def gated() -> ResponseReturnValue:
        return jsonify(ok=True)

    return app
