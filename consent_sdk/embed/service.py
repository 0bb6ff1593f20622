"""The central consent service: one ``SiteConsent`` per client site in ``CONSENT_SITES``.

A ``SiteConsent`` is the app's ``AppConsent`` with the site's settings (its purposes, texts,
languages, policy version and URL, so the texts hash and the version recorded are the site's)
on the app's ledger and keys, and one difference: the visitor's previous decision comes from
the record the widget sends (``Consent-Record``), never from a cookie of the service's
domain. So a decision through the service is made exactly as one on a Flask site (same row,
same replay and conflict rules, same signals, ``site_id`` the site's), and a visitor keeps
their consent id from one decision to the next while their record is authentic.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, cast

from flask import Flask, current_app

from ..cookie import CookieData
from ..extension import AppConsent
from ..state import ConsentState, answers_current_question, decided_state, in_lifetime
from ..widgetfiles import STATIC, widget_config
from .record import RECORD_HEADER, cookie_string, record_value
from .sites import Site, load_sites

EXTENSION_KEY = "consent_embed"
"""``app.extensions[EXTENSION_KEY]``: the app's ``ConsentService`` (when it has sites)."""

EMBED_SCRIPT = "embed.js"
"""The embed build of the widget, beside ``consent.js`` in ``consent_sdk/static/``."""

_ENVIRON_RECORD = "HTTP_" + RECORD_HEADER.upper().replace("-", "_")


class ConsentService:
    """The app's client sites and their ``SiteConsent``s."""

    def __init__(self, app: Flask, ext: AppConsent) -> None:
        self.sites: dict[str, Site] = load_sites(app.config.get("CONSENT_SITES"), app.config)
        self.consents: dict[str, SiteConsent] = {
            site_id: SiteConsent(ext, site) for site_id, site in self.sites.items()
        }
        self._script: tuple[bytes, str] | None = None

    @property
    def script(self) -> tuple[bytes, str]:
        """The embed build and its version (the first 12 hex digits of its SHA-256), read
        once (it is committed beside ``consent.js``: ``npm run build`` in widget/ makes both)."""
        if self._script is None:
            body = (STATIC / EMBED_SCRIPT).read_bytes()
            self._script = body, hashlib.sha256(body).hexdigest()[:12]
        return self._script


def service() -> ConsentService:
    return cast(ConsentService, current_app.extensions[EXTENSION_KEY])


class SiteConsent(AppConsent):
    """``AppConsent`` for one client site (see the module's docstring)."""

    def __init__(self, ext: AppConsent, site: Site) -> None:
        super().__init__(ext.manager, ext.app, site.config, ext.ledger, ext.keys)
        self.site = site
        self.widget = ext.widget
        self.metrics = ext.metrics
        self._site_dialogs: dict[str, tuple[bytes, str]] = {}

    def _read_verified(
        self, environ: dict[str, Any]
    ) -> tuple[CookieData, ConsentState, bool] | None:
        """The record the widget sent, if authentic (signed by this service for this site)."""
        token = environ.get(_ENVIRON_RECORD)
        data = self.codec().loads(token) if token else None
        if data is None:
            return None
        return data, decided_state(self.config, data), answers_current_question(self.config, data)

    def state_of(self, token: str | None) -> ConsentState:
        """The state a record stands for now: authentic, current, unexpired, else undecided."""
        data = self.codec().loads(token) if token else None
        if (
            data is None
            or not answers_current_question(self.config, data)
            or not in_lifetime(self.config, data, time.time())
        ):
            return self.undecided
        return decided_state(self.config, data)

    def site_config(self, lang: str | None, dialog: str) -> dict[str, Any]:
        """The widget's config on the site's pages: the site's texts in ``lang`` (the page's
        ``<html lang>``, else the site's default), trimmed as the bundled ``consent.js`` is
        (what only the dialog shows is in the dialog's file), the dialog's full URL (the page is
        elsewhere), and the record as the choice cookie the widget
        reads. No receipt link: the receipt page reads a cookie of the service's own domain,
        which the site's visitors do not have."""
        return {
            **widget_config(self.public_config(lang)),
            "dialog": dialog,
            "choice_cookie": self.config.choice_cookie_name,
        }

    def site_dialog(self, lang: str) -> tuple[bytes, str]:
        """The settings dialog with the site's dialog texts in ``lang``, built once."""
        hit = self._site_dialogs.get(lang)
        if hit is None:
            hit = self._site_dialogs[lang] = self.widget.dialog_bundle(self.public_config(lang))
        return hit

    def answer(self, state: ConsentState, *, secure: bool) -> dict[str, Any]:
        """A write's answer: the ``State``, and in ``record`` what the widget assigns to
        ``document.cookie`` (the new record, or its removal for an undecided state)."""
        if state.decided and state.expires_at is not None:
            data = self.cookie_for(state)
            value = record_value(self.codec().dumps(data), data)
            max_age = max(0, int(state.expires_at.timestamp() - time.time()))
        else:
            value, max_age = "", 0
        cookie = cookie_string(value, max_age, domain=self.config.cookie_domain, secure=secure)
        return {**state.to_dict(), "record": cookie}
