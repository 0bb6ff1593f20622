"""Mount the dashboard on an app: ``CONSENT_ADMIN_ENABLED`` and its required guard."""

from __future__ import annotations

from flask import Flask

from ..exceptions import ConfigurationError


def init_admin(app: Flask, url_prefix: str) -> None:
    """Register the dashboard under ``{url_prefix}/admin`` when enabled.

    A dashboard without a guard would show every visitor the site's consent figures, so
    enabling it without ``CONSENT_ADMIN_GUARD`` stops the app at start-up.
    """
    app.config.setdefault("CONSENT_ADMIN_ENABLED", False)
    app.config.setdefault("CONSENT_ADMIN_GUARD", None)
    if not app.config["CONSENT_ADMIN_ENABLED"]:
        return
    guard = app.config["CONSENT_ADMIN_GUARD"]
    if not callable(guard):
        raise ConfigurationError(
            "CONSENT_ADMIN_ENABLED is set but CONSENT_ADMIN_GUARD is not a callable: set it to "
            "a function that returns True for users allowed to see the consent dashboard, e.g. "
            "lambda: current_user.is_authenticated and current_user.is_admin (Flask-Login)."
        )
    from .views import GUARD_KEY, blueprint

    app.extensions[GUARD_KEY] = guard
    app.register_blueprint(blueprint, url_prefix=f"{url_prefix.rstrip('/')}/admin")
