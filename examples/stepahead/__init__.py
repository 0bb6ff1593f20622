"""SIA StepAhead's example site: consent_sdk on a small, realistic multi-page Flask site.

Run it with ``examples/stepahead/run.sh`` (or ``flask --app examples.stepahead run``). Pages:
home, services, contact form, privacy policy (lv, with en/ru translations), a first-party
page-view tracker gated on ``analytics``, a "pixel" and a video embed gated on ``marketing``,
Google Consent Mode with a local ``gtag.js`` stand-in, a debug panel at ``?debug=1``, and the
consent dashboard (``/consent/admin/``) behind an admin sign-in (``/admin/login``), and a
customer sign-in (``/account/login``) whose cookie choice follows the customer to their other
browsers.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from consent_sdk import ConsentManager

from . import consent_setup
from .admin import admin_guard, init_admin
from .customers import init_customers
from .models import db
from .security import init_security
from .views import bp, init_language

__all__ = ["create_app"]

POLICY_VERSION = "2026-11"


def _secret_key(instance: Path) -> str:
    """A per-installation key kept in the instance folder, so restarts keep consents valid."""
    env = os.environ.get("STEPAHEAD_SECRET_KEY")
    if env:
        return env
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the site. ``config`` overrides any setting; ``INSTANCE_PATH`` moves the instance
    folder (where the SQLite file and the generated secret key live), e.g. for tests."""
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None)
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'stepahead.db'}",
        CONSENT_SITE_ID="stepahead.lv",
        CONSENT_CONTROLLER=consent_setup.CONTROLLER,
        CONSENT_PURPOSES=consent_setup.PURPOSES,
        CONSENT_POLICY_VERSION=POLICY_VERSION,
        CONSENT_POLICY_URL="/privacy?lang={lang}",
        CONSENT_GOOGLE_CONSENT_MODE=True,
        CONSENT_DEFAULT_LANGUAGE="lv",
        CONSENT_LANGUAGES=("lv", "en", "ru"),
        # The consent dashboard at /consent/admin/, for the admins of /admin/login only.
        CONSENT_ADMIN_ENABLED=True,
        CONSENT_ADMIN_GUARD=admin_guard,
        MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",  # the session only carries the contact form's token
    )
    app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)

    db.init_app(app)
    consent = ConsentManager(app, db=db)
    init_language(app, consent)
    init_security(app)
    app.register_blueprint(bp)
    init_admin(app)
    init_customers(app)  # customer sign-in: their cookie choice follows them (issue 20)

    with app.app_context():
        db.create_all()  # the site's tables and consent_sdk's records, in one SQLite file

    @app.cli.command("stats")
    def stats() -> None:
        """What the site owner sees: page views, pixel hits and contact messages."""
        from sqlalchemy import func, select

        from .models import ContactMessage, counts

        for kind in ("pageview", "visitor", "pixel", "embed"):
            for path, count in sorted(counts(kind).items()):
                print(f"{kind:9} {path:22} {count}")
        messages = db.session.execute(select(func.count(ContactMessage.id))).scalar_one()
        print(f"{'messages':9} {'':22} {messages}")

    return app
