"""A site with its own HTML error pages (``@app.errorhandler(400/403/HTTPException)``).

The consent API keeps answering JSON its clients can read (the widget reads ``fields`` and
``error``). A ``@requires_consent`` view of the site is a page of the site: its refusal, a
``ConsentRequired`` (a ``Forbidden`` carrying ``.purposes``), goes to the site's 403 handler,
or to a handler for ``ConsentRequired`` itself, which is more specific and wins.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.exceptions import HTTPException

from consent_sdk import ConsentManager, ConsentRequired, requires_consent
from tests.integrations.helpers import decision, host_app

ERROR_PAGE = "<!doctype html><title>Oops</title><h1>{}</h1>"


def create_app(tmp_path: Path, *, consent_handler: bool = False) -> tuple[Flask, list[object]]:
    """The site, and the list of exceptions its 403 handler received."""
    app = host_app(tmp_path)
    ConsentManager(app)
    seen: list[object] = []

    @app.errorhandler(400)
    def bad_request(error: HTTPException) -> tuple[str, int]:
        return ERROR_PAGE.format("Bad request"), 400

    @app.errorhandler(403)
    def forbidden(error: HTTPException) -> tuple[str, int]:
        seen.append(error)
        return ERROR_PAGE.format("Forbidden"), 403

    @app.errorhandler(HTTPException)
    def any_http_error(error: HTTPException) -> tuple[str, int]:
        return ERROR_PAGE.format(error.name), error.code or 500

    if consent_handler:

        @app.errorhandler(ConsentRequired)
        def needs_consent(error: ConsentRequired) -> tuple[str, int]:
            return ERROR_PAGE.format("Please allow " + ", ".join(error.purposes)), 403

    @app.get("/stats")
    @requires_consent("analytics")
    def stats() -> str:
        return "your statistics"

    return app, seen


def test_api_400_is_still_json_naming_the_field(tmp_path: Path) -> None:
    client = create_app(tmp_path)[0].test_client()
    answer = client.post("/consent/state", json={"purposes": {"tracking": True}})
    assert answer.status_code == 400
    assert answer.mimetype == "application/json"
    assert answer.json["error"] == "invalid_request"
    assert answer.json["fields"] == {"purposes.tracking": ["Unknown purpose."]}


def test_api_cross_origin_403_is_still_forbidden_origin(tmp_path: Path) -> None:
    app, seen = create_app(tmp_path)
    answer = app.test_client().post(
        "/consent/state", json=decision(), headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 403
    assert answer.json["error"] == "forbidden_origin"
    assert answer.json["origin"] == "https://evil.example"
    assert seen == []


def test_sites_own_pages_still_get_the_sites_error_pages(tmp_path: Path) -> None:
    client = create_app(tmp_path)[0].test_client()
    answer = client.get("/nowhere")
    assert (answer.status_code, answer.mimetype) == (404, "text/html")
    assert b"<h1>Not Found</h1>" in answer.data


def test_rule_09_refused_view_goes_to_the_sites_403_handler_with_the_purposes(
    tmp_path: Path,
) -> None:
    app, seen = create_app(tmp_path)
    client = app.test_client()
    answer = client.get("/stats")
    assert answer.status_code == 403
    assert b"<h1>Forbidden</h1>" in answer.data
    [error] = seen
    assert isinstance(error, ConsentRequired)
    assert error.purposes == ["analytics"]
    # Once analytics is granted the view runs.
    client.post("/consent/state", json=decision())
    assert client.get("/stats").get_data(as_text=True) == "your statistics"


def test_rule_09_a_consent_required_handler_wins_over_the_403_handler(tmp_path: Path) -> None:
    app, seen = create_app(tmp_path, consent_handler=True)
    answer = app.test_client().get("/stats")
    assert answer.status_code == 403
    assert b"<h1>Please allow analytics</h1>" in answer.data
    assert seen == []
