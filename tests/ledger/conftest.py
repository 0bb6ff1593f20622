"""The ledger's tests run each case on a real SQLite file and on PostgreSQL (its own schema).

Tampering is done the way a person would do it: SQL on the database, through a connection of
its own, never through the SDK.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from tests.conftest import make_app


class Site:
    """An app on the store under test, with the means to decide, run commands and tamper."""

    def __init__(self, tmp_path: Path, url: str, **config: Any) -> None:
        self.url = url
        config.setdefault("CONSENT_RATE_LIMIT", None)  # many decisions from one test client
        self.app: Flask = make_app(tmp_path, CONSENT_DATABASE_URI=url, **config)
        self._engine = sa.create_engine(url)

    def decide(self, purposes: dict[str, bool], client: Any = None) -> tuple[Any, str]:
        """A decision through the HTTP API; returns (client, the record's consent id)."""
        client = client or self.app.test_client()
        response = client.post(
            "/consent/state", json={"purposes": purposes, "event_id": str(uuid.uuid4())}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return client, self.sql("select consent_id from consent_records order by id desc")[0][0]

    def cli(self, *args: str) -> Result:
        return self.app.test_cli_runner().invoke(args=["consent", *args])

    def sql(self, statement: str, **params: Any) -> Any:
        """SQL by hand, as someone with access to the database would run it."""
        with self._engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return result.all() if result.returns_rows else result.rowcount

    def ids(self) -> list[int]:
        return [r[0] for r in self.sql("select id from consent_records order by id")]

    def close(self) -> None:
        self._engine.dispose()
        with self.app.app_context():
            self.app.extensions["consent"].ledger.engine.dispose()


@pytest.fixture
def site(tmp_path: Path, store_url: str) -> Iterator[Site]:
    s = Site(tmp_path, store_url)
    yield s
    s.close()
