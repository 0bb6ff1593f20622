"""Fitting in next to the extensions Flask sites already run, with no wiring from the site.

- Flask-WTF's ``CSRFProtect`` would refuse every decision the widget sends (it carries no form
  token). The consent API does not need one: it checks ``Origin``/``Referer`` itself and takes
  only ``application/json``, which another site cannot send without a CORS preflight. So the
  blueprint is exempted.
- Flask-Limiter's default limits would spend a visitor's budget on the widget's reads (its
  script, stylesheet, config and state). Reads are exempted; decisions stay limited.
- Flask-Babel's selected locale is the banner's language unless the page says otherwise.

The host may set these extensions up before or after ``ConsentManager``: what is present at
``init_app`` is handled then, the rest before the first request is served.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, request

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_WIDGET_BLUEPRINTS = frozenset({"consent", "consent_embed"})  # consent_embed: embed/views.py


def fit(app: Flask, blueprint: Blueprint, done: set[int]) -> None:
    """Exempt the consent API from the host's CSRF protection and reads from its rate limits.

    Safe to call again: each extension (by id, kept in ``done``) is handled once.
    """
    csrf = app.extensions.get("csrf")
    if csrf is not None and id(csrf) not in done and hasattr(csrf, "exempt"):
        csrf.exempt(blueprint)
        done.add(id(csrf))
    for limiter in app.extensions.get("limiter", ()):
        if id(limiter) not in done and hasattr(limiter, "request_filter"):
            limiter.request_filter(is_widget_read)
            done.add(id(limiter))


def is_widget_read() -> bool:
    """Flask-Limiter request filter: the widget's reads are not counted against a visitor."""
    return request.blueprint in _WIDGET_BLUEPRINTS and request.method in _READS


def babel_language() -> str | None:
    """The locale Flask-Babel selected for this request ("en_GB"), if the app uses it."""
    if "babel" not in current_app.extensions:
        return None
    try:
        from flask_babel import get_locale
    except ImportError:  # pragma: no cover - the extension is registered, so it is installed
        return None
    locale: Any = get_locale()
    return str(locale) if locale is not None else None
