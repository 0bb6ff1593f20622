"""The central consent service: the widget on sites not built with Flask (``CONSENT_SITES``).

``sites`` validates the client sites, ``cors`` decides which page may use which site,
``record`` signs and reads the first-party record of a choice, ``service`` makes each site's
decisions, ``views`` serves ``embed.js`` and each site's API. docs/EMBED.md explains it.
"""

from __future__ import annotations

from flask import Flask

from .record import RECORD_COOKIE as RECORD_COOKIE
from .record import RECORD_HEADER as RECORD_HEADER
from .record import RECORD_SALT as RECORD_SALT
from .record import read_record as read_record
from .sites import Site as Site


def init_service(app: Flask, url_prefix: str) -> None:
    """Make the app a consent service for its ``CONSENT_SITES`` (called by ``init_app``)."""
    from .service import EXTENSION_KEY, ConsentService
    from .views import blueprint

    app.extensions[EXTENSION_KEY] = ConsentService(app, app.extensions["consent"])
    app.register_blueprint(blueprint, url_prefix=url_prefix)

    def exempt_from_csrf() -> None:
        # Flask-WTF's CSRFProtect would refuse every decision (no form token): exempted as the
        # API's own blueprint is (integrations.py), now and for one set up after us.
        csrf = app.extensions.get("csrf")
        if csrf is not None and hasattr(csrf, "exempt"):
            csrf.exempt(blueprint)

    exempt_from_csrf()

    @app.before_request
    def _once() -> None:
        funcs = app.before_request_funcs[None]
        funcs[:] = [f for f in funcs if f is not _once]
        exempt_from_csrf()
