"""Jinja helpers: ``consent_banner()``, ``has_consent()``, ``current_consent`` and friends."""

from __future__ import annotations

from typing import Any

from flask import Response, after_this_request, request, url_for
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from .integrations import babel_language
from .state import _current_state, _ext, current_consent, has_consent


def page_language(lang: str | None = None) -> tuple[str, bool]:
    """The banner's language, and whether the server chose it (the widget keeps it then).

    In order: ``lang`` given here, the app's ``@consent.language_selector``, Flask-Babel's
    locale. With none of them (or a language the site does not offer) the server sends the
    default language and the widget switches to the page's ``<html lang>`` if it is offered.
    The browser's Accept-Language is not used: the banner speaks the page's language.
    """
    ext = _ext()
    if lang is None and ext.manager._language_selector is not None:
        lang = ext.manager._language_selector()
    if lang is None:
        lang = babel_language()
    chosen = ext.config.language(lang)
    return chosen, lang is not None and ext.config.offers(lang)


def consent_config(lang: str | None = None) -> dict[str, Any]:
    """The ``Config`` of the page's language, e.g. to list purposes and cookies on a policy page."""
    return _ext().request_config(page_language(lang)[0])


def consent_banner(lang: str | None = None, nonce: str | None = None) -> Markup:
    """The tags that load the widget; put them in ``<head>`` before any tag they must gate.

    The config and the visitor's state go into a JSON data block, so the banner needs no
    request before its first paint and a strict CSP (no ``unsafe-inline``) allows it.
    """
    ext = _ext()
    after_this_request(_not_for_shared_caches)
    chosen, fixed = page_language(lang)
    block = dict(ext.request_config(chosen))
    block["lang_fixed"] = fixed
    block["api"] = url_for("consent.config").rsplit("/", 1)[0]
    block["state"] = _current_state().to_dict()
    block["gpc"] = request.headers.get("Sec-GPC") == "1"
    versions = ext.static_versions
    css = url_for("consent.stylesheet", v=versions["consent.css"])
    js = url_for("consent.script", v=versions["consent.js"])
    nonce_attr = Markup(' nonce="{}"').format(nonce) if nonce else ""
    return Markup(
        '<link rel="stylesheet" href="{css}"{nonce}>\n'
        '<script type="application/json" id="consent-sdk-config">{block}</script>\n'
        '<script src="{js}"{nonce}></script>'
    ).format(css=css, js=js, nonce=nonce_attr, block=htmlsafe_json_dumps(block, ensure_ascii=False))


def _not_for_shared_caches(response: Response) -> Response:
    """A page that embeds one visitor's state must not be served to another by a cache.

    Registered only by the requests that call ``consent_banner()``, so other requests pay
    nothing for it.
    """
    response.vary.add("Cookie")
    if not response.cache_control.no_store:
        response.cache_control.public = False
        response.cache_control.private = True
    return response


def template_globals() -> dict[str, Any]:
    return {
        "consent_banner": consent_banner,
        "consent_config": consent_config,
        "has_consent": has_consent,
        "current_consent": current_consent,
    }
