"""Errors raised by consent_sdk: one base class, precise messages, JSON bodies for HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, request
from markupsafe import escape
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    Forbidden,
    InternalServerError,
    ServiceUnavailable,
    TooManyRequests,
)


class ConsentError(Exception):
    """Base class of every error consent_sdk raises on purpose."""


class ConfigurationError(ConsentError, RuntimeError):
    """The app's consent configuration is wrong; raised at start-up, never on a request."""


class ConsentConfigWarning(UserWarning):
    """A setting that works but leaves the banner short of what the rules ask (e.g. no policy
    link); raised at start-up."""


class UnknownPurposeError(ConsentError, ValueError):
    """A purpose name that the app's ``CONSENT_PURPOSES`` does not define."""


def json_response(status: int, body: Mapping[str, Any]) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


class InvalidRequest(ConsentError, BadRequest):
    """400 with a JSON body naming each bad field: ``{"purposes.foo": ["Unknown purpose."]}``."""

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        body = {"error": "invalid_request", "message": self.description, "fields": self.fields}
        return json_response(400, body)


class ForbiddenOrigin(ConsentError, Forbidden):
    """403 for a state-changing request sent from a page of another origin.

    The message says which origin the server expected (its own scheme and host, as it sees
    them) and which one the browser sent: behind a proxy the two differ until the app trusts
    the proxy's ``X-Forwarded-Proto`` and ``X-Forwarded-Host``.
    """

    def __init__(self, origin: str, expected: str = "", *, scheme_only: bool = False) -> None:
        message = f"Requests from {origin!r} may not change consent on this site"
        if scheme_only:
            # The usual case behind a TLS proxy: same host, https in the browser, http here.
            message += (
                f" (expected {expected!r}: only the scheme differs, so a TLS proxy in front of "
                "the app is not trusted and the app sees every request as plain http). Wrap the "
                "app in werkzeug's ProxyFix, app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, "
                "x_proto=1, x_host=1), so it sees the scheme the browser used"
            )
        elif expected:
            message += (
                f" (expected {expected!r}, this request's own scheme and host, or an origin in "
                "CONSENT_TRUSTED_ORIGINS). Behind a reverse proxy, wrap the app in "
                "ProxyFix(app.wsgi_app, x_proto=1, x_host=1) so the public origin is seen"
            )
        super().__init__(message + ".")
        self.origin = origin
        self.expected = expected

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        body = {
            "error": "forbidden_origin",
            "message": self.description,
            "origin": self.origin,
            "expected": self.expected,
        }
        return json_response(403, body)


class EventIdConflict(ConsentError, Conflict):
    """409: an ``event_id`` already recorded for another visitor; nothing written or signed."""

    def __init__(self, event_id: str) -> None:
        super().__init__(
            "This event_id is already recorded for another visitor; send a new one for a new "
            "decision."
        )
        self.event_id = event_id

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        body = {"error": "event_id_conflict", "message": self.description}
        return json_response(409, body)


class StoreNotReady(ConsentError, InternalServerError):
    """The consent tables do not exist in the host's database: its migrations own them."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            f"The consent tables {self.missing} do not exist in the app's database. With "
            "Flask-Migrate run `flask db migrate` and `flask db upgrade`; otherwise call "
            "db.create_all() or run `flask consent init-db`."
        )

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        body = {"error": "store_not_ready", "message": self.description, "tables": self.missing}
        return json_response(500, body)


class StoreNeedsUpgrade(StoreNotReady):
    """The host's consent tables are an earlier release's: columns (and maybe tables) of this
    release are missing. Its migrations add them; the SDK does not alter a host's tables."""

    def __init__(self, missing_tables: list[str], missing_columns: list[str]) -> None:
        super().__init__(missing_tables)
        self.columns = list(missing_columns)
        tables_too = f" and the tables {self.missing}" if self.missing else ""
        self.description = (
            f"The consent tables in the app's database lack the columns {self.columns}"
            f"{tables_too} of this consent_sdk release. With Flask-Migrate run "
            "`flask db migrate` and `flask db upgrade` (autogenerate finds them in "
            "db.metadata); otherwise add them with the app's own migrations."
        )

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        body = {
            "error": "store_not_ready",
            "message": self.description,
            "tables": self.missing,
            "columns": self.columns,
        }
        return json_response(500, body)


class StoreUnavailable(ConsentError, ServiceUnavailable):
    """503: the records' database cannot be reached (refused, timed out, cannot be opened).

    Nothing was recorded and no cookie is set or cleared; ``Retry-After`` says when to try
    again (``CONSENT_RETRY_AFTER``). The widget keeps the decision queued and retries a 5xx.
    """

    def __init__(self, retry_after: int, detail: str = "") -> None:
        super().__init__(
            "The consent records cannot be reached right now; nothing was recorded. "
            f"Try again in {retry_after} seconds."
        )
        self.retry_after = retry_after
        self.detail = detail  # the driver's error, for the log only: it may name hosts

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        response = json_response(503, {"error": "store_unavailable", "message": self.description})
        response.headers["Retry-After"] = str(self.retry_after)
        return response


class RateLimited(ConsentError, TooManyRequests):
    """429: this client sent more decisions than ``CONSENT_RATE_LIMIT`` allows; nothing
    was recorded. ``Retry-After`` is the time until the breached window resets."""

    def __init__(self, retry_after: int, limit: str = "") -> None:
        super().__init__(
            "Too many consent decisions from this client"
            + (f" (limit {limit})" if limit else "")
            + f"; nothing was recorded. Try again in {retry_after} seconds."
        )
        self.retry_after = retry_after

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        response = json_response(429, {"error": "rate_limited", "message": self.description})
        response.headers["Retry-After"] = str(self.retry_after)
        return response


class ConsentRequired(ConsentError, Forbidden):
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
        return json_response(403, body)
