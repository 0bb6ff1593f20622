"""schemathesis fuzzes the HTTP API from its own OpenAPI document (``/consent/openapi.json``)
against the WSGI app: valid and invalid requests for every operation the document lists.

Every answer must be no 5xx and match the document (a documented status code, the documented
content type and headers, a body valid against the documented schema).
``CONSENT_OPENAPI_EXAMPLES`` sets the examples per operation (default 25, a few seconds; the
longer run of docs/RELIABILITY.md uses 1000).
"""

from __future__ import annotations

import atexit
import os
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

from tests.conftest import make_app

EXAMPLES = int(os.environ.get("CONSENT_OPENAPI_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _app() -> Flask:
    """The app under test, built at import: schemathesis reads its document at collection.
    (``schemathesis.pytest.from_fixture`` would build it in a fixture, but schemathesis 4.32
    sets ``node._nodeid`` there, which pytest 9 no longer has.)"""
    root = Path(tempfile.mkdtemp(prefix="consent-openapi-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    app = make_app(root, CONSENT_RATE_LIMIT=None)  # fuzz the validation, not the limiter
    app.config["TESTING"] = False  # an exception is the 500 a visitor would get, not a raise
    return app


schema = schemathesis.openapi.from_wsgi("/consent/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_matches_the_document_and_none_is_a_5xx(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
