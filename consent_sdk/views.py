"""The HTTP API blueprint: widget files, config, state, history and the OpenAPI document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.wrappers import Response as BaseResponse

from .exceptions import ConsentError, InvalidRequest, StoreUnavailable, json_response
from .limits import WriteLimiter
from .origin import check_origin
from .schemas import HistoryQuerySchema, HistorySchema, flatten_errors, reference
from .state import _current_state, _ext, remember_state

if TYPE_CHECKING:
    from .extension import AppConsent

blueprint = Blueprint("consent", __name__)

LIMITER_KEY = "consent_sdk.limiter"
"""``app.extensions[LIMITER_KEY]``: the app's ``WriteLimiter``, or None (``CONSENT_RATE_LIMIT =
None``)."""

STORE_DOWN = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
)
"""SQLAlchemy's errors for a database that cannot be reached or used right now (refused,
dropped, timed out, a file that cannot be opened, locked too long): a 503 to retry. An
``IntegrityError`` or a ``ProgrammingError`` is a bug, and stays a 500."""

_CONTENT_TYPES = {
    "consent.js": "text/javascript",
    "consent.css": "text/css",
    "consent-dialog.js": "text/javascript",
}


def _json_error(exc: HTTPException) -> BaseResponse:
    """The API's views answer every error as JSON, whatever handlers the host has for its pages
    (a URL under the prefix that matches no view, or a wrong method, is the host's to answer).

    Registered on the blueprint for each status code: Flask looks at a blueprint's handlers
    for a code before the app's handlers for that code, so a host's ``@app.errorhandler(403)``
    or ``@app.errorhandler(HTTPException)`` cannot replace ``forbidden_origin``, ``fields`` or
    ``purposes`` in the API's answers (it still handles the host's own pages).
    """
    if isinstance(exc, ConsentError):
        return exc.get_response()
    code = exc.code or 500
    if code == 429:
        # The host's own limiter (Flask-Limiter's RateLimitExceeded): the same answer as the
        # SDK's limit, Retry-After at most the breached window (Flask-Limiter's headers, when
        # enabled, replace it with the exact time).
        window = getattr(getattr(getattr(exc, "limit", None), "limit", None), "get_expiry", None)
        response = json_response(429, {"error": "rate_limited", "message": exc.description})
        if callable(window):
            response.headers["Retry-After"] = str(int(window()))
        return response
    name = (exc.name or "error").lower().replace(" ", "_")
    return json_response(code, {"error": name, "message": exc.description})


for _code in default_exceptions:
    blueprint.register_error_handler(_code, _json_error)


def _store_unavailable(exc: Exception) -> BaseResponse:
    """A store outage is a 503 ``store_unavailable`` with ``Retry-After``, never Flask's HTML
    500: the widget keeps the decision queued and sends it again. The driver's message (it may
    name hosts) goes to the log only."""
    current_app.logger.error("consent_sdk: the consent store is unavailable: %s", exc)
    metrics = _ext().metrics
    if metrics is not None:
        metrics.store_error(exc)
    return StoreUnavailable(_ext().config.retry_after, str(exc)).get_response()


for _error in STORE_DOWN:
    blueprint.register_error_handler(_error, _store_unavailable)


def _set_up_limiter(state: BlueprintSetupState) -> None:
    """One ``WriteLimiter`` per app, from its ``CONSENT_RATE_LIMIT`` settings."""
    app = state.app
    config = app.extensions["consent"].config
    limiter = None
    if config.rate_limit:
        namespace = f"{config.site_id}:{config.url_prefix}"
        limiter = WriteLimiter(config.rate_limit, config.rate_limit_storage_uri, namespace)
    app.extensions[LIMITER_KEY] = limiter


blueprint.record(_set_up_limiter)


def _limit_writes() -> None:
    limiter: WriteLimiter | None = current_app.extensions.get(LIMITER_KEY)
    if limiter is not None:
        limiter.check(request)


@blueprint.after_request
def _nosniff(response: Response) -> Response:
    """Every answer of the API, errors included, is what its Content-Type says."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/consent.js", defaults={"name": "consent.js"}, endpoint="script")
@blueprint.get("/consent.css", defaults={"name": "consent.css"}, endpoint="stylesheet")
@blueprint.get("/consent-dialog.js", defaults={"name": "consent-dialog.js"}, endpoint="dialog")
def static_file(name: str) -> Response:
    """The widget. ``consent.js?lang=xx`` bundles that language's config (what
    ``consent_banner()`` links), ``consent-dialog.js?lang=xx`` what the settings dialog shows
    in it (the widget's config names that URL); a URL with the current ``?v=`` hash may be
    cached for a year by anyone: it is the same for every visitor.

    Gzip (-9, compressed once per version) when ``Accept-Encoding`` allows it, with its own
    ETag (``<version>-gzip``) and ``Vary: Accept-Encoding``; brotli is the reverse proxy's.
    """
    ext = _ext()
    lang = request.args.get("lang")
    if name == "consent.js" and lang is not None:
        body, version = ext.bundle(ext.config.language(lang))
    elif name == "consent-dialog.js" and lang is not None:
        body, version = ext.dialog_bundle(ext.config.language(lang))
    else:
        body, version = ext.widget.files[name], ext.widget.versions[name]
    return widget_file(body, version, _CONTENT_TYPES[name])


def widget_file(body: bytes, version: str, mimetype: str) -> Response:
    """A widget file whose content hash is ``version``: immutable for a year under its current
    ``?v=``, else ``no-cache`` + ETag; gzip -9 when allowed (the embed service's files too)."""
    etag = version
    if request.accept_encodings["gzip"] > 0:  # q-values parsed: "gzip;q=0" is a refusal
        body, etag = _ext().widget.gzipped(body, version), f"{version}-gzip"
    response = Response(body, mimetype=mimetype)
    if etag != version:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(etag)
    response.make_conditional(request)
    if request.args.get("v") == version:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/config")
def config() -> Response:
    return jsonify(_ext().request_config(request.args.get("lang")))


@blueprint.get("/state")
def get_state() -> Response:
    return _no_store(jsonify(_current_state().to_dict()))


def _load(
    schema: Schema,
    *,
    required: bool,
    limit: int | None = None,
    types: tuple[str, ...] = ("application/json",),
) -> dict[str, Any]:
    """Parse and validate a JSON body of at most ``limit`` bytes (``CONSENT_MAX_BODY_BYTES``)
    sent as one of ``types``; every problem is a 400 naming the field."""
    if limit is None:
        limit = _ext().config.max_body_bytes
    length = request.content_length
    if length is not None and length > limit:
        raise InvalidRequest(f"The body is larger than {limit} bytes.", {"body": ["Too large."]})
    try:
        raw = request.stream.read(limit + 1)
    except HTTPException:
        raise
    except Exception:
        # A broken chunked body (bad chunk size, missing terminator): werkzeug's server raises
        # OSError, gunicorn its own parse errors. The client sent it: a 400, not a 500.
        raise InvalidRequest(
            "The body could not be read (malformed chunked encoding?).",
            {"body": ["Unreadable body."]},
        ) from None
    if len(raw) > limit:
        raise InvalidRequest(f"The body is larger than {limit} bytes.", {"body": ["Too large."]})
    if not raw and not required:
        return dict(schema.load({}))
    if request.mimetype not in types:
        named = " or ".join(types)
        raise InvalidRequest(
            f"Send the body as JSON with Content-Type: {named}.",
            {"body": [f"Content-Type must be {named}."]},
        )
    if not raw:
        raise InvalidRequest("The body is empty.", {"body": ["A JSON object is required."]})
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The body is not valid JSON.", {"body": ["Invalid JSON."]}) from None
    except RecursionError:
        # Arrays nested ~1,000 deep fit in a few KB and exhaust the parser's stack.
        raise InvalidRequest("The body is nested too deeply.", {"body": ["Too deep."]}) from None
    if not isinstance(data, dict):
        raise InvalidRequest("The body must be a JSON object.", {"body": ["Must be an object."]})
    try:
        return dict(schema.load(data))
    except ValidationError as exc:
        fields = flatten_errors(exc.messages)
        raise InvalidRequest("Invalid field: " + ", ".join(sorted(fields)) + ".", fields) from None


@blueprint.post("/state")
def post_state() -> Response:
    _limit_writes()
    ext = _ext()
    check_origin(request, ext.config.trusted_origins)
    body = _load(ext.decision_schema, required=True)
    state, _record, _new = ext.decide(
        body["purposes"],
        event_id=body["event_id"],
        source=body["source"],
        action=body["action"],
        language=body["language"],
        gpc=body["gpc"],
    )
    response = _no_store(jsonify(state.to_dict()))
    ext.set_cookie(response, state)
    return response


def withdraw(ext: AppConsent) -> None:
    """The request's withdrawal (``Withdrawal`` body) recorded for the visitor whose decision
    ``ext`` reads (the cookie here; a client site's record in embed/views.py), if there is
    one: every non-exempt purpose refused."""
    body = _load(ext.withdraw_schema, required=False)
    if ext.read_cookie() is not None:
        ext.decide(
            {},
            event_id=body["event_id"],
            source=body["source"],
            action="withdraw",
            language=body["language"],
            gpc=body["gpc"],
        )


@blueprint.delete("/state")
def delete_state() -> Response:
    """Withdraw: record every non-exempt purpose as refused and clear the cookie."""
    _limit_writes()
    ext = _ext()
    check_origin(request, ext.config.trusted_origins)
    withdraw(ext)
    remember_state(ext.undecided)
    response = _no_store(jsonify(ext.undecided.to_dict()))
    ext.clear_cookie(response)
    return response


@blueprint.get("/history")
def history() -> Response:
    """The visitor's own records on this site, found by the consent id in their signed cookie
    only, a page at a time: the newest ``limit`` before the ``before`` cursor, oldest first.

    No consent id and no event id is in the answer (a page script may read it); each record
    has a short ``reference`` instead, and ``older`` is the cursor for the page before.
    """
    try:
        query = HistoryQuerySchema().load(request.args.to_dict())
    except ValidationError as exc:
        fields = flatten_errors(exc.messages)
        raise InvalidRequest("Invalid field: " + ", ".join(sorted(fields)) + ".", fields) from None
    ext = _ext()
    data = ext.read_cookie()
    records = ext.ledger.history(data.consent_id, site=ext.config.site_id) if data else []
    end = len(records)
    before = query["before"]
    if before is not None:
        refs = [reference(r["event_id"]) for r in records]
        if before not in refs:
            raise InvalidRequest("Unknown cursor: before.", {"before": ["Unknown cursor."]})
        end = refs.index(before)
    start = max(0, end - query["limit"])
    page = records[start:end]
    older = reference(page[0]["event_id"]) if page and start > 0 else None
    body = HistorySchema().dump({"records": page, "older": older})
    return _no_store(jsonify(body))


@blueprint.get("/metrics")
def metrics() -> Response:
    """The SDK's metrics (``CONSENT_METRICS``); none when they go to the host's registry."""
    from .metrics import Metrics

    collected = _ext().metrics
    if not isinstance(collected, Metrics) or not collected.own_registry:
        return json_response(404, {"error": "not_found", "message": "Metrics are not served here."})
    body, content_type = collected.exposition()
    return _no_store(Response(body, content_type=content_type))


@blueprint.get("/openapi.json")
def openapi() -> Response:
    from .openapi import spec_for

    return jsonify(spec_for(_ext()))
