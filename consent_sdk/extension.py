"""``ConsentManager``: the Flask wiring around the pure parts (config, cookie, state, ledger)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.sansio.http import parse_cookie

from .checks import check_views, log_unknown_purposes
from .config import DEFAULTS, ConsentConfig
from .cookie import CookieCodec, CookieData, choice_value
from .exceptions import ConfigurationError, ConsentRequired, EventIdConflict
from .ledger import Ledger, create_own_engine, tables
from .ledger.keys import Keys
from .metrics import Recorder, make_recorder, reported_attempt
from .privacy import browser_family, truncate_ip
from .schemas import DecisionSchema, WithdrawSchema
from .signals import consent_changed, consent_given, consent_withdrawn
from .state import (
    ConsentState,
    _ext,
    answers_current_question,
    decided_state,
    in_lifetime,
    remember_state,
    undecided_state,
)
from .widgetfiles import WidgetFiles

if TYPE_CHECKING:
    from .accounts import Accounts

VERIFIED_CACHE_SIZE = 4096

RefusalHandler = Callable[[list[str]], ResponseReturnValue]
LanguageSelector = Callable[[], str | None]


class ConsentManager:
    """The extension. ``ConsentManager(app)`` or ``ConsentManager()`` + ``init_app(app)``.

    Pass ``db=`` (the host's Flask-SQLAlchemy object) to keep the consent tables in the
    host's database; otherwise they live in ``CONSENT_DATABASE_URI`` or an SQLite file in
    the instance folder. Per-app state is in ``app.extensions["consent"]``.
    """

    def __init__(self, app: Flask | None = None, *, db: Any = None) -> None:
        self.db = db
        self._refusal_handler: RefusalHandler | None = None
        self._language_selector: LanguageSelector | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if "consent" in app.extensions:
            raise RuntimeError(
                "consent_sdk is already registered on this app; call ConsentManager(app) or "
                "init_app(app) once."
            )
        if not app.config.get("SECRET_KEY"):
            raise ConfigurationError(
                "consent_sdk signs the consent cookie with SECRET_KEY: set "
                "app.config['SECRET_KEY'] to a long random string (e.g. secrets.token_hex(32))."
            )
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        config = ConsentConfig.from_app(app)
        check_views(app, config)
        app.config.setdefault("CONSENT_RECEIPT_KEY", None)
        app.config.setdefault("CONSENT_RECEIPT_KEY_FALLBACKS", [])
        keys = Keys.from_config(
            app.config["CONSENT_RECEIPT_KEY"],
            app.config["CONSENT_RECEIPT_KEY_FALLBACKS"],
            app.instance_path,
        )
        from .impressions import views as _  # noqa: F401  (its table, then POST /impressions)
        from .ledger import rollup as _rollup  # noqa: F401  (its tables join the metadata)

        ext = AppConsent(self, app, config, self._make_ledger(app, config), keys)
        app.config.setdefault("CONSENT_METRICS", False)
        app.config.setdefault("CONSENT_METRICS_REGISTRY", None)
        app.config.setdefault("CONSENT_METRICS_METER_PROVIDER", None)  # "opentelemetry"
        ext.metrics = make_recorder(config.site_id, app.config)
        app.extensions["consent"] = ext
        from .accounts import init_accounts

        ext.accounts = init_accounts(app, ext)  # signed-in customers (consent_sdk/accounts/)

        from . import receipt_views  # noqa: F401  (its routes join the blueprint)
        from .admin import init_admin
        from .cli import consent_cli
        from .integrations import fit
        from .templating import template_globals
        from .views import blueprint

        app.register_blueprint(blueprint, url_prefix=config.url_prefix)
        if app.config["CONSENT_SITES"]:  # a central consent service (consent_sdk/embed)
            from .embed import init_service

            init_service(app, config.url_prefix)
        init_admin(app, config.url_prefix)  # CONSENT_ADMIN_ENABLED: the dashboard
        app.jinja_env.globals.update(template_globals())
        app.cli.add_command(consent_cli)
        fit(app, blueprint, ext.fitted)
        # Views and extensions the host adds after us (blueprints in a factory) are seen
        # before its first request.
        _before_first_request(
            app,
            lambda: log_unknown_purposes(app, config),
            lambda: fit(app, blueprint, ext.fitted),
        )

    @property
    def blueprint(self) -> Blueprint:
        """The consent API's blueprint (``consent``), e.g. for ``limiter.limit(...)`` on it."""
        from .views import blueprint

        return blueprint

    def _make_ledger(self, app: Flask, config: ConsentConfig) -> Ledger:
        if self.db is not None:
            # The host's database: its migrations (or its db.create_all()) own the tables, so
            # the SDK never creates them behind their back.
            db = self.db
            for table in tables.metadata.sorted_tables:
                if table.key not in db.metadata.tables:
                    table.to_metadata(db.metadata)
            return Ledger(lambda: db.engine, create_tables=False)
        uri = config.database_uri
        if uri is None:
            os.makedirs(app.instance_path, exist_ok=True)
            uri = f"sqlite:///{Path(app.instance_path) / 'consent.db'}"
        engine = create_own_engine(uri, config.engine_options)
        return Ledger(lambda: engine)

    def consent_required_handler(self, handler: RefusalHandler) -> RefusalHandler:
        """Register what a refused ``@requires_consent`` view answers; gets the missing ids."""
        self._refusal_handler = handler
        return handler

    def language_selector(self, selector: LanguageSelector) -> LanguageSelector:
        """Register a function that returns the page's language for ``consent_banner()``."""
        self._language_selector = selector
        return selector

    def link_user(self, user_id: str | int) -> None:
        """The current browser belongs to the signed-in ``user_id`` (the host's own id): the
        newer of the account's decision and the browser's applies here, and the browser follows
        the account until ``unlink_user()``. Only a keyed hash of the id is stored. Done on
        Flask-Login's sign-in by itself; call it from the sign-in view without Flask-Login."""
        accounts = _ext().accounts
        assert accounts is not None
        accounts.link(str(user_id))

    def unlink_user(self) -> None:
        """The current browser is signed out: it stops following the account and keeps its own
        choice. Done on Flask-Login's sign-out by itself."""
        accounts = _ext().accounts
        assert accounts is not None
        accounts.unlink()

    def history(self, consent_id: str) -> list[dict[str, Any]]:
        """Every decision of ``consent_id`` stored by this site, oldest first, as dicts."""
        ext = _ext()
        return ext.ledger.history(consent_id, site=ext.config.site_id)

    def public_config(self, lang: str | None = None) -> dict[str, Any]:
        """The ``Config`` body (texts, purposes, policy) in ``lang`` or the default language."""
        return _ext().public_config(lang)

    @property
    def config(self) -> ConsentConfig:
        """The current app's validated settings."""
        return _ext().config


def _before_first_request(app: Flask, *tasks: Callable[[], None]) -> None:
    """Run ``tasks`` once, before the app serves its first request.

    The hook is registered at ``init_app``, so it runs before the hooks of extensions set up
    later (their CSRF or rate-limit checks on that very request); then it takes itself off the
    app's ``before_request`` list and costs nothing afterwards.
    """

    def hook() -> None:
        funcs = app.before_request_funcs
        funcs[None] = [f for f in funcs.get(None, []) if f is not hook]
        for task in tasks:
            task()

    app.before_request(hook)


class AppConsent:
    """One app's consent state: its settings, ledger, signing keys, cookie codec and caches."""

    def __init__(
        self,
        manager: ConsentManager,
        app: Flask,
        config: ConsentConfig,
        ledger: Ledger,
        keys: Keys,
    ) -> None:
        self.manager = manager
        self.app = app
        self.config = config
        self.ledger = ledger
        self.keys = keys
        self.undecided = undecided_state(config)
        self.widget = WidgetFiles()
        self._bundles: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._dialogs: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._public: dict[str, dict[str, Any]] = {}
        self._keys: tuple[Any, ...] = ()
        self._codec: CookieCodec | None = None
        # raw Cookie header -> (cookie data, its state, whether it answers the current question)
        self._verified: dict[str, tuple[CookieData, ConsentState, bool]] = {}
        self.openapi: dict[str, Any] | None = None
        # Built once: a marshmallow schema costs far more to build than to load with.
        self.decision_schema = DecisionSchema(config.purpose_ids, config.languages)
        self.withdraw_schema = WithdrawSchema(config.purpose_ids, config.languages)
        self.fitted: set[int] = set()  # host extensions already fitted (integrations.fit)
        self.metrics: Recorder | None = None  # CONSENT_METRICS
        self.accounts: Accounts | None = None  # signed-in customers (consent_sdk/accounts/)

    # --- the per-request hot path ------------------------------------------------------

    def codec(self) -> CookieCodec:
        """The codec for the app's current keys; a new key set drops every cached verification."""
        keys = (self.app.config["SECRET_KEY"], *(self.app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys != self._keys or self._codec is None:
            self._codec = CookieCodec(
                [*keys[1:], keys[0]], self.config.cookie_salt, self.config.site_id
            )
            self._keys = keys
            self._verified = {}
        return self._codec

    def read_cookie(self) -> CookieData | None:
        """The request's authentic consent cookie, whatever its age or policy version."""
        verified = self._read_verified(request.environ)
        return verified[0] if verified else None

    def _read_verified(
        self, environ: dict[str, Any]
    ) -> tuple[CookieData, ConsentState, bool] | None:
        """The verified cookie and its state, remembered by the raw ``Cookie`` header.

        A visitor sends the same header on request after request, so a hit skips both the
        cookie parsing and the signature check; a miss (or a new key set) does both. The header
        is parsed as ``request.cookies`` parses it (werkzeug's sansio parser, on the WSGI
        string as is): a byte that is not UTF-8 in any cookie must not turn a page into a 500.
        """
        header = environ.get("HTTP_COOKIE")
        if not header:
            return None
        codec = self.codec()
        hit = self._verified.get(header)
        if hit is not None:
            return hit
        token = parse_cookie(header).get(self.config.cookie_name)
        data = codec.loads(token) if token else None
        if data is None:
            return None
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified = {}
        current = answers_current_question(self.config, data)
        hit = self._verified[header] = (data, decided_state(self.config, data), current)
        return hit

    def request_state(self, environ: dict[str, Any]) -> ConsentState:
        """The visitor's state now: a valid, current, unexpired cookie, or no decision."""
        verified = self._read_verified(environ)
        if (
            verified is None
            or not verified[2]
            or not in_lifetime(self.config, verified[0], time.time())
        ):
            return self.undecided
        return verified[1]

    def refuse(self, missing: list[str]) -> ResponseReturnValue:
        if self.metrics is not None:
            self.metrics.refused(missing)
        handler = self.manager._refusal_handler
        if handler is not None:
            return current_app.ensure_sync(handler)(missing)  # type: ignore[no-any-return]
        raise ConsentRequired(missing)

    # --- deciding --------------------------------------------------------------------------

    def public_config(self, lang: str | None) -> dict[str, Any]:
        lang = self.config.language(lang)
        cached = self._public.get(lang)
        if cached is None:
            cfg = self.config
            cached = self._public[lang] = {
                "lang": lang,
                "languages": list(cfg.languages),
                "policy_version": cfg.policy_version,
                "policy_url": cfg.policy_url_for(lang),
                "texts_hash": cfg.texts_hash(lang),
                "texts": dict(cfg.texts[lang]),
                "purposes": [
                    {
                        "id": p.id,
                        "required": p.required,
                        "basis": p.basis,
                        "label": p.label(lang),
                        "description": p.description(lang),
                        "cookies": list(p.cookies),
                    }
                    for p in cfg.purposes
                ],
                "vendors": cfg.vendors,
                "cookie_domain": cfg.cookie_domain,
            }
        return cached

    def request_config(self, lang: str | None) -> dict[str, Any]:
        """What the widget is given: ``public_config`` with the policy link under the app's
        root (under ``SCRIPT_NAME=/site``, ``"/privacy"`` means ``/site/privacy``), the
        stylesheet's versioned URL, the name of the readable choice cookie, the visitor's
        receipt page (linked from the settings dialog) and the dialog's versioned URL.
        """
        cached = self.public_config(lang)
        root = request.script_root
        url = cached["policy_url"]
        if root and url and url.startswith("/") and not url.startswith("//"):
            url = root + url
        lang = cached["lang"]
        _, dialog = self.dialog_bundle(lang)
        return {
            **cached,
            "policy_url": url,
            "css": url_for("consent.stylesheet", v=self.widget.versions["consent.css"]),
            "choice_cookie": self.config.choice_cookie_name,
            "receipt_url": url_for("consent.receipt_page", lang=lang),
            "dialog": url_for("consent.dialog", lang=lang, v=dialog),
        }

    def dialog_bundle(self, lang: str) -> tuple[bytes, str]:
        """The settings dialog's file with what it shows in ``lang`` (per app root), built
        once."""
        key = (lang, request.script_root)
        hit = self._dialogs.get(key)
        if hit is None:
            config = {
                **self.public_config(lang),
                "receipt_url": url_for("consent.receipt_page", lang=lang),
            }
            hit = self._dialogs[key] = self.widget.dialog_bundle(config)
        return hit

    def bundle(self, lang: str) -> tuple[bytes, str]:
        """The widget with ``lang``'s config bundled in (per app root), built once."""
        key = (lang, request.script_root)
        hit = self._bundles.get(key)
        if hit is None:
            hit = self._bundles[key] = self.widget.bundle(self.request_config(lang))
        return hit

    def cookie_path(self) -> str:
        """``CONSENT_COOKIE_PATH``, else the app's root: apps on one host keep their own."""
        return self.config.cookie_path or request.script_root or "/"

    def decide(
        self,
        choices: Mapping[str, bool],
        *,
        event_id: str | None = None,
        source: str = "api",
        action: str | None = None,
        language: str | None = None,
        gpc: bool = False,
        decided_at: int | None = None,
    ) -> tuple[ConsentState, dict[str, Any], bool]:
        """Record a decision for the current visitor; returns (state, record, is_new).

        Unlisted purposes are refused and exempt ones granted whatever was sent. The visitor
        keeps their consent id across decisions (and policy versions) while their cookie is
        authentic.

        ``decided_at``: when the decision was given, if earlier than now (a signed-in
        customer's decision applied to another of their browsers, ``source="account"``): its
        lifetime counts from then, in the record and in the cookie, never from the copy.
        """
        cfg = self.config
        previous_data = self.read_cookie()
        previous = self.request_state(request.environ)
        granted = sorted(p.id for p in cfg.purposes if p.required or choices.get(p.id) is True)
        refused = sorted(p.id for p in cfg.purposes if p.id not in granted)
        lang = cfg.language(language)
        shown = self.public_config(lang)  # built once per language, texts hash included
        now = int(time.time())
        given = datetime.fromtimestamp(now, UTC)
        since = now if decided_at is None else min(decided_at, now)
        row = {
            "event_id": str(event_id or uuid.uuid4()),
            "consent_id": previous_data.consent_id if previous_data else str(uuid.uuid4()),
            "site_id": cfg.site_id,
            "granted": granted,
            "refused": refused,
            "policy_version": cfg.policy_version,
            "texts_hash": shown["texts_hash"],
            "language": lang,
            "source": source,
            "action": action,
            "gpc": bool(gpc or request.headers.get("Sec-GPC") == "1"),
            "created_at": given,
            "expires_at": datetime.fromtimestamp(since + cfg.max_age, UTC),
            "retain_until": datetime.fromtimestamp(since + cfg.max_age + cfg.retention, UTC),
            "ip_prefix": truncate_ip(request.remote_addr) if cfg.record_ip else None,
            "browser": browser_family(request.headers.get("User-Agent")),
        }
        texts = {k: v for k, v in shown.items() if k != "texts_hash"}
        started = time.perf_counter()
        record, is_new = self.ledger.record(row, texts)
        if self.metrics is not None:
            attempts = reported_attempt(request.headers.get("Consent-Attempt"))
            self.metrics.decision(record, is_new, time.perf_counter() - started, attempts)
        if not is_new and (
            record["consent_id"] != row["consent_id"] or record["site_id"] != row["site_id"]
        ):
            # An event id already recorded for someone else, or on another site of the store:
            # answering with that record (and signing a cookie from it) would hand this sender
            # another visitor's consent, or make another site's decision count here.
            raise EventIdConflict(str(row["event_id"]))
        if is_new and self.accounts is not None:
            self.accounts.recorded(record)  # a signed-in visitor's decision is their account's
        given_at = int(record["created_at"].timestamp())
        data = CookieData(
            consent_id=record["consent_id"],
            granted=frozenset(record["granted"]),
            refused=frozenset(record["refused"]),
            policy_version=record["policy_version"],
            given_at=given_at if decided_at is None else min(decided_at, given_at),
        )
        state = decided_state(cfg, data)
        remember_state(state)
        if is_new:
            self._send_signals(previous, state, record)
        return state, record, is_new

    def cookie_for(self, state: ConsentState) -> CookieData:
        assert state.consent_id is not None and state.given_at is not None
        return CookieData(
            consent_id=state.consent_id,
            granted=frozenset(p for p, ok in state.purposes.items() if ok),
            refused=frozenset(p for p, ok in state.purposes.items() if not ok),
            policy_version=state.policy_version,
            given_at=int(state.given_at.timestamp()),
        )

    def set_cookie(self, response: Response, state: ConsentState) -> None:
        """Set the signed cookie for ``state`` and its readable twin; both live until the
        consent expires.

        The signed ``HttpOnly`` cookie is the authority (the server reads only it; its consent
        id stays out of scripts' reach). The readable one carries only the decision, so the
        widget on a cached page knows a returning visitor's choice before any tag runs.
        """
        data = self.cookie_for(state)
        assert state.expires_at is not None
        max_age = max(0, int(state.expires_at.timestamp() - time.time()))
        path, secure = self.cookie_path(), request.is_secure
        for name, value, httponly in (
            (self.config.cookie_name, self.codec().dumps(data), True),
            (self.config.choice_cookie_name, choice_value(data), False),
        ):
            response.set_cookie(
                name,
                value,
                max_age=max_age,
                path=path,
                domain=self.config.cookie_domain,
                secure=secure,
                httponly=httponly,
                samesite="Lax",
            )

    def clear_cookie(self, response: Response) -> None:
        for name, httponly in (
            (self.config.cookie_name, True),
            (self.config.choice_cookie_name, False),
        ):
            response.delete_cookie(
                name,
                path=self.cookie_path(),
                domain=self.config.cookie_domain,
                secure=request.is_secure,
                httponly=httponly,
                samesite="Lax",
            )

    def _send_signals(
        self, previous: ConsentState, state: ConsentState, record: dict[str, Any]
    ) -> None:
        app = self.app
        if not previous.decided:
            consent_given.send(app, state=state, previous=previous, record=record)
        elif dict(previous.purposes) != dict(state.purposes):
            consent_changed.send(app, state=state, previous=previous, record=record)
        withdrawn = sorted(previous.granted - state.granted) if previous.decided else []
        if withdrawn:
            consent_withdrawn.send(
                app, state=state, previous=previous, record=record, purposes=withdrawn
            )
