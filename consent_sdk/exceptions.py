"""Errors raised by consent_sdk: one base class, precise messages, JSON bodies for HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, request
from markupsafe import escape
from werkzeug.exceptions import BadRequest, Forbidden


class ConsentError(Exception):
    """Base class of every error consent_sdk raises on purpose."""


class ConfigurationError(ConsentError, RuntimeError):
    """The app's consent configuration is wrong; raised at start-up, never on a request."""


class UnknownPurposeError(ConsentError, ValueError):
    """A purpose name that the app's ``CONSENT_PURPOSES`` does not define."""


def _json_response(status: int, body: Mapping[str, Any]) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


class InvalidRequest(BadRequest):
    """400 with a JSON body naming each bad field: ``{"purposes.foo": ["Unknown purpose."]}``."""

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        body = {"error": "invalid_request", "message": self.description, "fields": self.fields}
        return _json_response(400, body)


class ForbiddenOrigin(Forbidden):
    """403 for a state-changing request sent from a page of another origin."""

    def __init__(self, origin: str) -> None:
        super().__init__(f"Requests from {origin!r} may not change consent on this site.")
        self.origin = origin

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        body = {"error": "forbidden_origin", "message": self.description, "origin": self.origin}
        return _json_response(403, body)


class ConsentRequired(Forbidden):
    """403 for a view whose purposes the visitor has not granted.

    Answers JSON ``{"error": "consent_required", "purposes": [...]}``, or a short HTML page
    when the client prefers HTML. Apps may catch it with ``@app.errorhandler(ConsentRequired)``
    or replace it with ``@consent.consent_required_handler``.
    """

    def __init__(self, purposes: Iterable[str]) -> None:
        self.purposes = list(purposes)
        super().__init__("This needs your consent for: " + ", ".join(self.purposes) + ".")

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        accept = request.accept_mimetypes
        if accept.accept_html and accept["text/html"] > accept["application/json"]:
            names = ", ".join(str(escape(p)) for p in self.purposes)
            html = (
                "<!doctype html><title>Consent required</title><h1>Consent required</h1>"
                f"<p>This page needs your consent for: {names}. "
                "You can change your choice in the cookie settings.</p>"
            )
            return Response(html, status=403, mimetype="text/html")
        body = {"error": "consent_required", "purposes": self.purposes}
        return _json_response(403, body)
