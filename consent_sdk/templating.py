"""Jinja helpers: ``consent_banner()``, ``has_consent()``, ``current_consent`` and friends."""

from __future__ import annotations

from typing import Any

from flask import url_for
from markupsafe import Markup

from .integrations import babel_language
from .state import _ext, current_consent, has_consent


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

    One tag, the same for every visitor: the widget script (its stylesheet inside) with the
    page language's config bundled in, ``defer``red so that it does not hold up the page's
    first paint. The visitor's choice reaches the widget through the readable choice cookie,
    so the page itself carries no visitor state and any cache may keep it.
    """
    ext = _ext()
    chosen, fixed = page_language(lang)
    _, version = ext.bundle(chosen)
    js = url_for("consent.script", lang=chosen, v=version)
    nonce_attr = Markup(' nonce="{}"').format(nonce) if nonce else ""
    fixed_attr = Markup(' data-consent-lang="fixed"') if fixed else ""
    return Markup('<script src="{js}" defer{fixed}{nonce}></script>').format(
        js=js, nonce=nonce_attr, fixed=fixed_attr
    )


def template_globals() -> dict[str, Any]:
    return {
        "consent_banner": consent_banner,
        "consent_config": consent_config,
        "has_consent": has_consent,
        "current_consent": current_consent,
    }
