"""Start-up checks: every ``@requires_consent`` view names purposes the app defines.

A typo (``@requires_consent("analytcs")``) must be caught before a visitor meets it: at
``init_app`` for the views registered by then, before the first request for blueprints the
host registers later (they are logged, and only that view fails), and by ``flask consent
check`` in the site's CI.
"""

from __future__ import annotations

from flask import Flask

from .config import ConsentConfig
from .decorators import guarded_purposes
from .exceptions import ConfigurationError


def unknown_purposes(app: Flask, config: ConsentConfig) -> dict[str, list[str]]:
    """``{endpoint: [unknown purpose names]}`` for every view that requires one."""
    found: dict[str, list[str]] = {}
    for endpoint, view in app.view_functions.items():
        unknown = sorted(set(guarded_purposes(view)) - set(config.by_id))
        if unknown:
            found[endpoint] = unknown
    return found


def describe(found: dict[str, list[str]], config: ConsentConfig) -> str:
    views = "; ".join(f"view {e!r} requires {u}" for e, u in sorted(found.items()))
    return f"Unknown consent purposes: {views}. CONSENT_PURPOSES defines {list(config.by_id)}."


def check_views(app: Flask, config: ConsentConfig) -> None:
    """Fail start-up if a view registered so far requires an unknown purpose."""
    found = unknown_purposes(app, config)
    if found:
        raise ConfigurationError(describe(found, config))


def log_unknown_purposes(app: Flask, config: ConsentConfig) -> None:
    """Log every view with a purpose typo (run before the first request, for views the host
    added after ``init_app``).

    The app keeps serving: every other page works, and the bad view itself answers 500 with
    the same message (``requires_consent`` checks it on its refusal path).
    """
    found = unknown_purposes(app, config)
    if found:
        app.logger.error("consent_sdk: %s", describe(found, config))
