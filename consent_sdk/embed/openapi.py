"""The consent service's routes in the API's OpenAPI document: ``embed.js`` and, for each
client site, its own paths (``{prefix}/sites/<id>/…``), whose request schemas name that site's
purposes and languages, so that what the document calls valid is what the site accepts."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .record import RECORD_HEADER
from .service import ConsentService

if TYPE_CHECKING:
    from apispec import APISpec

    from ..extension import AppConsent


def _json(schema: Any) -> dict[str, Any]:
    ref = schema if isinstance(schema, dict) else {"$ref": f"#/components/schemas/{schema}"}
    return {"content": {"application/json": {"schema": ref}}}


_SCRIPT = {
    "content": {"text/javascript": {"schema": {"type": "string"}}},
}
_SITE_CONFIG = {
    "type": "object",
    "description": "The widget's config on a client site's pages: the site's texts in one "
    "language, without what only the settings dialog shows (its file, `dialog`, carries that)",
    "required": ["lang", "languages", "policy_version", "texts", "purposes", "vendors"],
    "properties": {
        "lang": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}},
        "policy_version": {"type": "string"},
        "policy_url": {"type": "string"},
        "texts": {"type": "object", "additionalProperties": {"type": "string"}},
        "purposes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "label"],
                "properties": {
                    "id": {"type": "string"},
                    "label": {"type": "string"},
                    "required": {"type": "boolean"},
                    "cookies": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "the cookies the widget deletes when the purpose is "
                        "refused; absent for a required purpose (the dialog's file lists its "
                        "cookies)",
                    },
                },
                "if": {"required": ["required"], "properties": {"required": {"const": True}}},
                "else": {"required": ["cookies"]},
            },
        },
        "vendors": {"type": "array", "items": {"type": "object"}},
        "cookie_domain": {"type": "string"},
        "dialog": {"type": "string", "description": "the settings dialog's versioned URL"},
        "choice_cookie": {
            "type": "string",
            "description": "the first-party record's cookie name on the site",
        },
    },
}
_RECORD = {
    "type": "string",
    "description": "what the widget assigns to `document.cookie` on the site: the signed "
    "record of the decision (`Max-Age=0` for an undecided state)",
}


def embed_paths(spec: APISpec, ext: AppConsent, errors: dict[str, dict[str, Any]]) -> None:
    """Add the service's paths to ``spec`` (nothing when the app has no ``CONSENT_SITES``).

    ``errors``: the API's documented error answers by status (400, 403, 429, 503).
    """
    service: ConsentService | None = ext.app.extensions.get("consent_embed")
    if service is None:
        return
    prefix = ext.config.url_prefix
    # A write's answer: the State and the record (State allows no other property).
    site_state = copy.deepcopy(spec.components.schemas["State"])
    site_state["properties"]["record"] = _RECORD
    site_state["required"] = [*site_state.get("required", []), "record"]
    spec.components.schema("SiteState", site_state)
    spec.path(
        path=f"{prefix}/embed.js",
        operations={
            "get": {
                "summary": "The embed build of the widget, for pages not built with Flask "
                '(`<script src="…/embed.js" data-site="ID" defer>`)',
                "responses": {"200": {"description": "the script", **_SCRIPT}},
            }
        },
    )
    unknown = {"description": "`unknown_site`", **_json("Error")}
    foreign = {
        "description": "`forbidden_origin`: the page's `Origin` is not one the site lists (a "
        "write must name one); nothing read or written",
        **_json("Error"),
    }
    record = {
        "name": RECORD_HEADER,
        "in": "header",
        "required": False,
        "description": "The site's first-party record of the visitor's last decision (the "
        "token in its `r`), as the service signed it",
        "schema": {"type": "string"},
    }
    lang = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"}}
    for site_id, consent in service.consents.items():
        decision, withdrawal, impression = _site_schemas(spec, site_id, consent.config)
        base = f"{prefix}/sites/{site_id}"
        writes = {**errors, "403": foreign, "404": unknown}
        spec.path(
            path=f"{base}/config",
            operations={
                "get": {
                    "summary": f"Site {site_id!r}: the widget's config in one language",
                    "parameters": [lang],
                    "responses": {
                        "200": {"description": "config", **_json(_SITE_CONFIG)},
                        "403": foreign,
                        "404": unknown,
                    },
                }
            },
        )
        spec.path(
            path=f"{base}/consent-dialog.js",
            operations={
                "get": {
                    "summary": f"Site {site_id!r}: the settings dialog with its texts",
                    "parameters": [lang],
                    "responses": {
                        "200": {"description": "the script", **_SCRIPT},
                        "403": foreign,
                        "404": unknown,
                    },
                }
            },
        )
        spec.path(
            path=f"{base}/state",
            operations={
                "get": {
                    "summary": f"Site {site_id!r}: what a record stands for now (decided only "
                    "if authentic, current and unexpired)",
                    "parameters": [record],
                    "responses": {
                        "200": {"description": "state", **_json("State")},
                        "403": foreign,
                        "404": unknown,
                    },
                },
                "post": {
                    "summary": f"Site {site_id!r}: record a decision (under the record's "
                    "consent id when the record is authentic)",
                    "parameters": [record],
                    "requestBody": {"required": True, **_json(decision)},
                    "responses": {
                        "200": {"description": "state and record", **_json("SiteState")},
                        **writes,
                        "409": {
                            "description": "`event_id_conflict`: the event id is recorded for "
                            "another visitor or site; nothing recorded or signed",
                            **_json("Error"),
                        },
                    },
                },
                "delete": {
                    "summary": f"Site {site_id!r}: withdraw; the answer's record removes the "
                    "site's cookie",
                    "parameters": [record],
                    "requestBody": {"required": False, **_json(withdrawal)},
                    "responses": {
                        "200": {"description": "no decision now", **_json("SiteState")},
                        **writes,
                    },
                },
            },
        )
        body = {"schema": {"$ref": f"#/components/schemas/{impression}"}}
        spec.path(
            path=f"{base}/impressions",
            operations={
                "post": {
                    "summary": f"Site {site_id!r}: count page views that showed the banner",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": body, "text/plain": body},
                    },
                    "responses": {
                        "204": {"description": "counted"},
                        **writes,
                        "409": {
                            "description": "`stale_policy_version`: not the site's current "
                            "policy version; nothing counted",
                            **_json("Error"),
                        },
                    },
                }
            },
        )


def _site_schemas(spec: APISpec, site_id: str, config: Any) -> tuple[str, str, str]:
    """``Decision``, ``Withdrawal`` and ``Impression`` with the site's purposes, languages and
    policy version, as components named after the site; their names."""
    schemas = spec.components.schemas
    names = []
    for kind in ("Decision", "Withdrawal", "Impression"):
        schema = copy.deepcopy(schemas[kind])
        props = schema["properties"]
        if kind == "Impression":
            props["language"]["enum"] = list(config.languages)
            props["policy_version"]["enum"] = [config.policy_version]
        else:
            props["language"]["enum"] = [*config.languages, None]
        if kind == "Decision":
            props["purposes"]["properties"] = {p.id: {"type": "boolean"} for p in config.purposes}
        name = f"{kind}_{site_id}"
        spec.components.schema(name, schema)
        names.append(name)
    return names[0], names[1], names[2]
