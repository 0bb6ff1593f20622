"""A central consent service with two client sites (``landing``, ``blog``) on loopback origins,
and a reader of the records it stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import make_app

LANDING = "http://127.0.0.1:8001"
BLOG = "http://localhost:8002"
STRANGER = "http://127.0.0.1:9999"

SITES: dict[str, Any] = {
    "landing": {
        "origins": [LANDING, "https://landing.example.test"],
        "policy_url": "https://landing.example.test/privacy?lang={lang}",
        "policy_version": "2026-12",
        "languages": ["lv", "en"],
        "default_language": "lv",
        "texts": {"en": {"banner_title": "Cookies on the landing page"}},
    },
    "blog": {
        "origins": [BLOG],
        "policy_url": "/privacy",
        "languages": ["en"],
        "purposes": ["necessary", {"id": "analytics", "cookies": ["_ga", "_ga_*"]}],
    },
}


def service_app(tmp_path: Path, sites: Any = None, **config: Any) -> Flask:
    """The service: a Flask app of its own (site id ``service``) whose sites are ``sites``."""
    config.setdefault("CONSENT_SITE_ID", "service")
    return make_app(tmp_path, CONSENT_SITES=SITES if sites is None else sites, **config)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return service_app(tmp_path)


QUERY = "select * from consent_records order by id"


def records(app: Flask) -> list[dict[str, Any]]:
    """Every record in the service's store, oldest first, as its owner reads them."""
    engine = app.extensions["consent"].ledger.engine
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text(QUERY))]
    for row in rows:
        for key in ("granted", "refused"):
            if isinstance(row[key], str):  # SQLite hands JSON back as text
                row[key] = json.loads(row[key])
    return rows
