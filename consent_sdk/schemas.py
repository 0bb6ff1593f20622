"""marshmallow schemas: they validate every input and describe every body in the OpenAPI spec."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates


class StrictBoolean(fields.Boolean):
    """JSON true or false only: 1, "yes" or "true" are type errors, not consent."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


SOURCES = ("banner", "settings", "api", "gpc")
RECORD_SOURCES = (*SOURCES, "account")
"""A record's ``source``: what a visitor may send, and ``account`` (written by the server only,
when a signed-in customer's decision is applied to another of their browsers)."""
ACTIONS = ("accept_all", "reject_all", "save", "withdraw")


class _VisitorSchema(Schema):
    """What every state change may say about itself; knows the app's purposes and languages."""

    class Meta:
        unknown = RAISE

    event_id = fields.UUID(
        load_default=None,
        metadata={"description": "client-made id; a repeated id is recorded once"},
    )
    language = fields.String(
        load_default=None,
        metadata={"description": "language of the texts shown (a tag like 'en-GB' counts as 'en')"},
    )
    gpc = StrictBoolean(
        load_default=False,
        metadata={"description": "navigator.globalPrivacyControl was true"},
    )

    def __init__(
        self, purpose_ids: Iterable[str] = (), languages: Iterable[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.purpose_ids = frozenset(purpose_ids)
        self.languages = tuple(languages)

    @validates("language")
    def _offered_language(self, value: str | None, **_: Any) -> None:
        if value is None:
            return
        if value.lower().replace("_", "-").split("-", 1)[0] not in self.languages:
            raise ValidationError(f"Must be one of {list(self.languages)}.")


class DecisionSchema(_VisitorSchema):
    """``POST /state``: the visitor's choice. Purposes not listed are refused."""

    purposes = fields.Dict(
        keys=fields.String(),
        values=StrictBoolean(),
        required=True,
        metadata={"description": "purpose id → granted; unlisted purposes are refused"},
    )
    source = fields.String(load_default="api", validate=validate.OneOf(SOURCES))
    action = fields.String(load_default=None, validate=validate.OneOf(ACTIONS))

    @validates("purposes")
    def _known_purposes(self, value: dict[str, bool], **_: Any) -> None:
        unknown = sorted(set(value) - self.purpose_ids)
        if unknown:
            raise ValidationError({k: ["Unknown purpose."] for k in unknown})


class WithdrawSchema(_VisitorSchema):
    """``DELETE /state``: optional details of a withdrawal."""

    source = fields.String(load_default="settings", validate=validate.OneOf(SOURCES))


class StateSchema(Schema):
    """The visitor's consent state as the site applies it now. No consent id: a page script
    (an injected one too) may read this answer; the id stays in the ``HttpOnly`` cookie."""

    decided = fields.Boolean(required=True)
    purposes = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    policy_version = fields.String(required=True)
    given_at = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    expires_at = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})


class PurposeSchema(Schema):
    id = fields.String(required=True)
    required = fields.Boolean(required=True)
    basis = fields.String(required=True, validate=validate.OneOf(("exempt", "consent")))
    label = fields.String(required=True)
    description = fields.String(required=True)
    cookies = fields.List(fields.String(), required=True)


class ConfigSchema(Schema):
    """What the widget needs to draw the banner in one language."""

    lang = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    policy_version = fields.String(required=True)
    policy_url = fields.String(allow_none=True, required=True)
    texts_hash = fields.String(required=True)
    texts = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    purposes = fields.List(fields.Nested(PurposeSchema), required=True)
    vendors = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "The vendors' consent APIs the widget drives, in order (docs/design.md):"
            ' {"name": "google" | "uet" | "clarity", "types": {vendor type: purpose}, "default":'
            ' [calls made at start], "update": [first arguments of the call made on each change]}'
        },
    )
    cookie_domain = fields.String(allow_none=True, required=True)
    css = fields.String(
        metadata={
            "description": "consent.css's versioned URL, for the site's own pages (the widget"
            " carries its stylesheet in its script): GET /config only"
        }
    )
    choice_cookie = fields.String(
        metadata={"description": "the readable choice cookie's name (GET /config and the bundle)"}
    )
    receipt_url = fields.String(
        metadata={"description": "the visitor's receipt page, linked from the settings dialog"}
    )
    dialog = fields.String(
        metadata={
            "description": "the settings dialog's versioned URL (consent-dialog.js?lang=, with "
            "what only the dialog shows in this language; loaded on its first opening)"
        }
    )


REFERENCE_LENGTH = 12


def reference(event_id: str) -> str:
    """A record's support reference: the first 12 hex digits of SHA-256 of its event id.

    Short enough to read out, and it does not give the event id back (a random UUID); staff
    find the record from it (with its date) by hashing the stored event ids.
    """
    return hashlib.sha256(str(event_id).encode()).hexdigest()[:REFERENCE_LENGTH]


class RecordSchema(Schema):
    """One stored decision, as its visitor (and any script on their page) may see it: no
    consent id and no event id, a short ``reference`` instead."""

    reference = fields.Function(
        lambda record: reference(record["event_id"]),
        required=True,
        metadata={
            "type": "string",
            "description": "first 12 hex digits of SHA-256 of the record's event id; the "
            "`before` cursor of GET /history",
        },
    )
    site_id = fields.String(required=True)
    granted = fields.List(fields.String(), required=True)
    refused = fields.List(fields.String(), required=True)
    policy_version = fields.String(required=True)
    texts_hash = fields.String(required=True)
    language = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(RECORD_SOURCES))
    action = fields.String(allow_none=True, required=True)
    gpc = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    retain_until = fields.DateTime(required=True)
    ip_prefix = fields.String(allow_none=True, required=True)
    browser = fields.String(allow_none=True, required=True)


HISTORY_PAGE = 50
HISTORY_MAX_PAGE = 200


class HistorySchema(Schema):
    """A page of the visitor's records, oldest first."""

    records = fields.List(fields.Nested(RecordSchema), required=True)
    older = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "pass as ?before= for the page of older records; null: none"},
    )


class HistoryQuerySchema(Schema):
    """``GET /history``'s query: the newest ``limit`` records before the ``before`` cursor.
    Other parameters are ignored (a cache buster is not an error; ``?consent_id=`` picks
    nothing: only the signed cookie does)."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(
        load_default=HISTORY_PAGE,
        validate=validate.Range(min=1, max=HISTORY_MAX_PAGE),
        metadata={"description": f"records per page (default {HISTORY_PAGE})"},
    )
    before = fields.String(
        load_default=None,
        validate=validate.Length(equal=REFERENCE_LENGTH),
        metadata={"description": "a record's `reference` (the last page's `older`)"},
    )


class ErrorSchema(Schema):
    error = fields.String(required=True)
    message = fields.String()
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "dotted field path → messages"},
    )
    purposes = fields.List(fields.String())
    origin = fields.String(
        metadata={"description": "`forbidden_origin`: the origin the request came from"}
    )
    expected = fields.String(
        metadata={"description": "`forbidden_origin`: the origin the server expected, if one"}
    )


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{"purposes.foo": ["Unknown purpose."]}``."""
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "body": list(messages)}
        out: dict[str, list[str]] = {}
        for m in messages:
            out.update(flatten_errors(m, prefix))
        return out
    if isinstance(messages, dict):
        out = {}
        for key, value in messages.items():
            if key == "_schema":
                path = prefix or "body"
            elif key in ("key", "value") and prefix:
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for k, v in flatten_errors(value, path).items():
                out.setdefault(k, []).extend(v)
        return out
    return {prefix or "body": [str(messages)]}
