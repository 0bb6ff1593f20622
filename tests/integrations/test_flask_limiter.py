"""A site with Flask-Limiter's default limits, set up before or after consent_sdk.

Every page a visitor opens loads the widget's script and may read its config and state:
those reads must not spend the visitor's budget. Decisions (writes) stay limited like any
other route, and the site's own pages keep their limits. The SDK's own limit on writes
(``CONSENT_RATE_LIMIT``) runs beside the site's limiter: whichever is tighter answers first,
neither counts the other's routes, and the site's ``RATELIMIT_*`` settings do not apply twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from consent_sdk import ConsentManager
from tests.integrations.helpers import decision, host_app


def site_limiter(app: Flask | None = None) -> Limiter:
    return Limiter(
        get_remote_address, app=app, default_limits=["5 per minute"], storage_uri="memory://"
    )


def create_app(tmp_path: Path, order: str) -> Flask:
    """``limiter_first``: ``Limiter(..., app=app)`` then ``ConsentManager(app)``;
    ``consent_first``: a factory that calls ``limiter.init_app(app)`` last."""
    app = host_app(tmp_path)
    if order == "limiter_first":
        site_limiter(app)
        ConsentManager(app)
    else:
        consent = ConsentManager()
        limiter = site_limiter()
        consent.init_app(app)
        limiter.init_app(app)

    @app.get("/")
    def home() -> str:
        return "home"

    return app


ORDERS = pytest.mark.parametrize("order", ["limiter_first", "consent_first"])


@ORDERS
@pytest.mark.parametrize(
    "path", ["/consent/config", "/consent/state", "/consent/consent.js", "/consent/consent.css"]
)
def test_widget_reads_are_never_rate_limited(tmp_path: Path, order: str, path: str) -> None:
    client = create_app(tmp_path, order).test_client()
    assert [client.get(path).status_code for _ in range(20)] == [200] * 20


@ORDERS
def test_decisions_are_still_limited_by_the_default(tmp_path: Path, order: str) -> None:
    client = create_app(tmp_path, order).test_client()
    statuses = [client.post("/consent/state", json=decision()).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # The widget reads the API's errors as JSON (and retries a 429 later).
    refused = client.post("/consent/state", json=decision())
    assert refused.mimetype == "application/json"
    # The same answer as the SDK's own limit (CONSENT_RATE_LIMIT), with a Retry-After.
    assert refused.json["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert len(client.get("/consent/history").json["records"]) == 5


@ORDERS
def test_sites_pages_are_still_limited(tmp_path: Path, order: str) -> None:
    client = create_app(tmp_path, order).test_client()
    for _ in range(20):
        client.get("/consent/consent.js")
    assert [client.get("/").status_code for _ in range(6)] == [200] * 5 + [429]


def test_a_tighter_limit_on_the_consent_blueprint_limits_decisions_not_reads(
    tmp_path: Path,
) -> None:
    app = host_app(tmp_path)
    limiter = Limiter(
        get_remote_address, app=app, default_limits=["100 per minute"], storage_uri="memory://"
    )
    consent = ConsentManager(app)
    limiter.limit("2 per minute")(consent.blueprint)
    client = app.test_client()
    statuses = [client.post("/consent/state", json=decision()).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert [client.get("/consent/config").status_code for _ in range(5)] == [200] * 5


@ORDERS
def test_the_sdks_own_limit_runs_beside_the_sites_limiter(tmp_path: Path, order: str) -> None:
    app = host_app(tmp_path, CONSENT_RATE_LIMIT="3/minute")
    if order == "limiter_first":
        site_limiter(app)
        ConsentManager(app)
    else:
        ConsentManager(app)
        site_limiter().init_app(app)

    @app.get("/")
    def home() -> str:
        return "home"

    client = app.test_client()
    statuses = [client.post("/consent/state", json=decision()).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # the SDK's 3/minute is tighter than the site's 5
    refused = client.post("/consent/state", json=decision())
    assert refused.json["error"] == "rate_limited" and "3 per 1 minute" in refused.json["message"]
    # The SDK's limit never counts the site's pages, nor the widget's reads.
    assert [client.get("/").status_code for _ in range(6)] == [200] * 5 + [429]
    assert [client.get("/consent/state").status_code for _ in range(10)] == [200] * 10


def test_the_sites_ratelimit_settings_are_not_applied_twice(tmp_path: Path) -> None:
    """A second ``flask_limiter.Limiter`` would read the site's ``RATELIMIT_DEFAULT`` and
    ``RATELIMIT_APPLICATION`` too and count every page twice; the SDK's limit does not."""
    app = host_app(
        tmp_path,
        RATELIMIT_DEFAULT="5 per minute",
        RATELIMIT_APPLICATION="8 per minute",
        RATELIMIT_STORAGE_URI="memory://",
        CONSENT_RATE_LIMIT="100/minute",
    )
    Limiter(get_remote_address, app=app)
    ConsentManager(app)

    @app.get("/")
    def home() -> str:
        return "home"

    client = app.test_client()
    assert [client.get("/").status_code for _ in range(6)] == [200] * 5 + [429]


def test_the_sdks_limit_is_off_with_none_and_the_sites_limiter_still_counts(
    tmp_path: Path,
) -> None:
    app = host_app(tmp_path, CONSENT_RATE_LIMIT=None)
    site_limiter(app)
    ConsentManager(app)
    client = app.test_client()
    statuses = [client.post("/consent/state", json=decision()).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
