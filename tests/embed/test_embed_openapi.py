"""The consent service's routes are in the API's OpenAPI document, each client site with its
own purposes and languages, and schemathesis finds every answer of theirs as documented (no
5xx): from a listed origin, from none, and for the wrong site."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.embed.conftest import BLOG, LANDING, service_app

CHECKS = [  # as tests/reliability/test_openapi_fuzz.py
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_each_site_has_its_own_paths_and_choices(app: Flask) -> None:
    spec = app.test_client().get("/consent/openapi.json").json
    paths = spec["paths"]
    assert "/consent/embed.js" in paths
    for site in ("landing", "blog"):
        assert {"get", "post", "delete"} <= set(paths[f"/consent/sites/{site}/state"])
        assert "get" in paths[f"/consent/sites/{site}/config"]
        assert "post" in paths[f"/consent/sites/{site}/impressions"]
    schemas = spec["components"]["schemas"]
    blog = schemas["Decision_blog"]["properties"]
    assert set(blog["purposes"]["properties"]) == {"necessary", "analytics"}
    assert blog["language"]["enum"] == ["en", None]
    landing = schemas["Decision_landing"]["properties"]
    assert landing["language"]["enum"] == ["lv", "en", None]
    assert schemas["Impression_landing"]["properties"]["policy_version"]["enum"] == ["2026-12"]
    post = paths["/consent/sites/blog/state"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Decision_blog"
    }
    assert {"200", "400", "403", "404", "409", "429", "503"} <= set(post["responses"])
    # The service's own API keeps its own choices.
    assert "Decision" in schemas and "/consent/state" in paths


def _app() -> Flask:
    root = Path(tempfile.mkdtemp(prefix="consent-embed-openapi-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    app = service_app(root, CONSENT_RATE_LIMIT=None)
    app.config["TESTING"] = False  # an exception is the 500 a page would get, not a raise
    return app


schema = schemathesis.openapi.from_wsgi("/consent/openapi.json", _app()).include(
    path_regex="^/consent/(sites/|embed.js)"
)
ORIGINS = {"landing": LANDING, "blog": BLOG}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_site_answer_matches_the_document_and_none_is_a_5xx(case: Any) -> None:
    site = case.path.split("/")[3] if "/sites/" in case.path else None
    for origin in (ORIGINS.get(site or ""), None, "http://127.0.0.1:9999"):
        headers = {"Origin": origin} if origin else {}
        case.call_and_validate(headers=headers, checks=CHECKS)
