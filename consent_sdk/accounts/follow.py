"""The Flask side: link a signed-in customer's browser to their account, and make each of
their browsers follow the account's newest decision on its next request.

- ``link(user_id)`` (Flask-Login's ``user_logged_in`` and ``user_loaded_from_cookie``, or the
  site's own call) keeps the user reference in the Flask session and settles the browser
  against the account: the newer decision wins. The account's applies here as a record with
  source ``account`` (and the cookie), or the browser's own becomes the account's.
- ``unlink()`` (``user_logged_out``) takes the reference out of the session; the browser's
  choice stays. A decision counts for an account only when it was made while signed in.
- ``follow()`` runs before each request. An anonymous visitor costs a dictionary look-up in
  the session and nothing else: no query. A signed-in one compares the cookie with the
  account's newest decision, kept per process for ``CONSENT_USER_RECHECK`` seconds (this
  process's own writes replace it at once), and applies it when it is newer.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, after_this_request, current_app
from flask.globals import _cv_request

from ..exceptions import ConfigurationError
from ..state import STATE_KEY, _current_state, private_to_the_visitor, remember_state
from .links import ACCOUNT, AccountLinks, Decision
from .refs import AccountKeys

if TYPE_CHECKING:
    from ..extension import AppConsent
    from ..state import ConsentState

SESSION_KEY = "_consent_user"
"""Where the signed-in customer's user reference is kept: the Flask session, so the link ends
with the session (sign-out, expiry) and never outlives it on a shared computer."""

SINCE_KEY = "_consent_user_since"
"""When the customer signed in (unix seconds), beside ``SESSION_KEY``."""

SIGN_IN_WINDOW = 30
"""Seconds around the sign-in in which a browser's own decision that reached the server without
the sign-in (the widget sends a choice up to a second after the click, and retries) still
becomes the account's, as it would have had it arrived first; only in the first seconds after
the sign-in, so links deleted by ``erase --user`` are not made again by a browser that stayed
signed in."""

DEFAULT_RECHECK = 5.0
CACHE_SIZE = 4096
EVENT_NAMESPACE = uuid.UUID("7d4e3c1a-52b6-4f0e-9a43-2f0c6b1d8e20")

NOT_FOLLOWED = frozenset(
    {"static", "consent.script", "consent.stylesheet", "consent.post_state", "consent.delete_state"}
)
"""Endpoints a signed-in visitor's browser is not settled on: static files (a cacheable answer
must not set a cookie) and the visitor's own decisions (newer than anything stored)."""


@dataclass(frozen=True, slots=True)
class AccountsConfig:
    """``CONSENT_USER_KEY`` and ``CONSENT_USER_RECHECK``, checked at start-up."""

    keys: AccountKeys
    recheck: float

    @classmethod
    def from_app(cls, app: Flask) -> AccountsConfig:
        app.config.setdefault("CONSENT_USER_KEY", None)
        app.config.setdefault("CONSENT_USER_RECHECK", DEFAULT_RECHECK)
        key = app.config["CONSENT_USER_KEY"]
        if key is not None and (not isinstance(key, str | bytes) or len(key) < 16):
            raise ConfigurationError(
                "CONSENT_USER_KEY must be a string or bytes of at least 16 characters (e.g. "
                "secrets.token_hex(32)), or None to derive one from SECRET_KEY."
            )
        recheck = app.config["CONSENT_USER_RECHECK"]
        if isinstance(recheck, bool) or not isinstance(recheck, int | float) or recheck < 0:
            raise ConfigurationError(
                "CONSENT_USER_RECHECK must be a number of seconds >= 0 (how long a process "
                f"trusts the account's newest decision it read), not {recheck!r}."
            )
        keys = AccountKeys.from_config(
            key, app.config["SECRET_KEY"], app.config.get("SECRET_KEY_FALLBACKS") or ()
        )
        return cls(keys, float(recheck))


def _session() -> Any:
    ctx = _cv_request.get(None)
    return None if ctx is None else ctx.session


def _session_value(key: str) -> Any:
    """A value of this request's session, read without marking the session accessed: Flask
    then adds ``Vary: Cookie`` to the answer, and an anonymous visitor's pages must stay
    cacheable by anyone. Flask 3.1.3 marks it in ``RequestContext.session`` (so the opened
    session is read from ``_session``); before, the session's own ``get`` did (so
    ``dict.get``)."""
    ctx = _cv_request.get(None)
    if ctx is None:
        return None
    session = vars(ctx).get("_session")
    if session is None:
        session = vars(ctx).get("session")
    if session is None:
        return None
    return dict.get(session, key) if isinstance(session, dict) else session.get(key)


def session_ref() -> str | None:
    """The signed-in customer's user reference in this request's session, or None."""
    ref = _session_value(SESSION_KEY)
    return ref if isinstance(ref, str) else None


class Accounts:
    """One app's account links: ``app.extensions["consent"].accounts``."""

    def __init__(self, ext: AppConsent, config: AccountsConfig) -> None:
        self.ext = ext
        self.config = config
        self.site_id = ext.config.site_id
        self.links = AccountLinks(ext.ledger, self.site_id)
        # user ref -> (monotonic time read, the account's newest decision then)
        self._latest: dict[str, tuple[float, Decision | None]] = {}
        # (user ref, consent id, cookie time) found not to be the browser's own decision
        self._not_own: set[tuple[str, str, int]] = set()

    # --- references ---------------------------------------------------------------------

    def ref(self, user_id: str) -> str:
        return self.config.keys.ref(self.site_id, str(user_id))

    def all_refs(self, user_id: str) -> list[str]:
        return self.config.keys.all_refs(self.site_id, str(user_id))

    def erase(self, user_id: str) -> tuple[list[str], int]:
        """``erase --user``: the account's browsers' personal fields and its links; this
        process forgets what it knew of the account."""
        refs = self.all_refs(user_id)
        done = self.links.erase(refs)
        for ref in refs:
            self._latest.pop(ref, None)
        return done

    # --- the account's newest decision, cached briefly --------------------------------------

    def _remember(self, ref: str, decision: Decision | None) -> None:
        if len(self._latest) >= CACHE_SIZE:
            self._latest = {}
        self._latest[ref] = (time.monotonic(), decision)

    def latest(self, ref: str, *, fresh: bool = False) -> Decision | None:
        hit = None if fresh else self._latest.get(ref)
        if hit is not None and time.monotonic() - hit[0] < self.config.recheck:
            return hit[1]
        decision = self.links.latest(ref)
        self._remember(ref, decision)
        return decision

    def _usable(self, decision: Decision | None) -> Decision | None:
        """The decision if it still answers what the site asks (same policy version, and a
        grant within its lifetime); otherwise the account has nothing to apply."""
        cfg = self.ext.config
        if decision is None or decision.policy_version != cfg.policy_version:
            return None
        if not decision.withdrawn and decision.created_at + cfg.max_age <= time.time():
            return None
        return decision

    # --- signing in and out ---------------------------------------------------------------

    def link(self, user_id: str) -> None:
        """The current browser is ``user_id``'s (signed in) from now on; settle it."""
        ref = self.ref(user_id)
        session = _session()
        if session is None:
            raise RuntimeError("consent.link_user() needs an active request.")
        session[SESSION_KEY] = ref
        session[SINCE_KEY] = int(time.time())
        state = _current_state()
        data = self.ext.read_cookie()
        try:
            latest = self._usable(self.latest(ref, fresh=True))
            own = None
            if data is not None and state.decided:
                own = self.links.browser_decision(data.consent_id, data.given_at)
            if own is not None and (latest is None or _order(own) > _order(latest)):
                # The browser's decision is newer: it becomes the account's.
                self.links.add(ref, own.consent_id, own.record_id, datetime.now(UTC))
                self._remember(ref, own)
                return
            self._settle(state, latest)
        except _store_down() as exc:
            current_app.logger.warning("consent_sdk: could not settle a sign-in: %s", exc)

    def unlink(self) -> None:
        """The current browser is nobody's any more; it keeps its own choice."""
        session = _session()
        if session is not None:
            session.pop(SESSION_KEY, None)
            session.pop(SINCE_KEY, None)

    # --- every request ------------------------------------------------------------------

    def follow(self) -> None:
        """Before a signed-in visitor's request: apply the account's newer decision."""
        ref = session_ref()
        if ref is None:
            return  # anonymous: no query, nothing else
        ctx = _cv_request.get(None)
        if ctx is None or ctx.request.endpoint in NOT_FOLLOWED:
            return
        # The state without _current_state(): that would mark the answer as depending on the
        # visitor's consent (private), which only a gate, has_consent() or a change makes it.
        environ = ctx.request.environ
        state = environ.get(STATE_KEY) or self.ext.request_state(environ)
        try:
            latest = self._usable(self.latest(ref))
            if not self._adopt(ref, state, latest):
                self._settle(state, latest)
        except _store_down() as exc:
            # The page works on the cookie's state, as it would for any visitor.
            current_app.logger.warning("consent_sdk: could not read the account: %s", exc)

    def _adopt(self, ref: str, state: ConsentState, latest: Decision | None) -> bool:
        """Make the browser's own decision the account's if it reached the server around the
        sign-in without it (in flight while the customer signed in) and is newer than the
        account's; True if it did. No query unless the cookie's time is in that window."""
        if not state.decided or state.consent_id is None or state.given_at is None:
            return False
        given = int(state.given_at.timestamp())
        since = _session_value(SINCE_KEY)
        if not isinstance(since, int) or abs(given - since) > SIGN_IN_WINDOW:
            return False
        if time.time() - since > SIGN_IN_WINDOW:
            return False  # long signed in: its own choices were linked as they were made
        if latest is not None and _order(latest) >= (given, 0):
            return False
        key = (ref, state.consent_id, given)
        if key in self._not_own:
            return False
        own = self.links.browser_decision(state.consent_id, given)
        if own is None or (latest is not None and _order(own) <= _order(latest)):
            if len(self._not_own) >= CACHE_SIZE:
                self._not_own = set()
            self._not_own.add(key)
            return False
        self.links.add(ref, own.consent_id, own.record_id, datetime.now(UTC))
        self._remember(ref, own)
        return True

    def _settle(self, state: ConsentState, latest: Decision | None) -> None:
        """Apply ``latest`` to this browser if it is newer than the browser's own state."""
        if latest is None:
            return
        ext = self.ext
        if state.decided:
            assert state.given_at is not None
            given = int(state.given_at.timestamp())
            if latest.created_at < given:
                return  # the browser's state is newer
            if latest.consent_id == state.consent_id and latest.created_at == given:
                return  # the browser's own decision is the account's newest
            if not latest.withdrawn and latest.granted & ext.config.purpose_ids == state.granted:
                return  # the same choice: nothing to record
        elif latest.withdrawn:
            return  # nothing to withdraw here
        event_id = None
        if state.consent_id is not None:  # the same copy, once, whatever requests race
            name = f"{self.site_id}:{state.consent_id}:{latest.event_id}"
            event_id = str(uuid.uuid5(EVENT_NAMESPACE, name))
        choices = {p: p in latest.granted for p in ext.config.purpose_ids}
        new_state, _record, _new = ext.decide(
            {} if latest.withdrawn else choices,
            event_id=event_id,
            source=ACCOUNT,
            action=latest.action,
            language=latest.language,
            decided_at=latest.created_at,
        )
        if latest.withdrawn:
            remember_state(ext.undecided)
            _on_response(ext.clear_cookie)
        else:
            _on_response(lambda response: ext.set_cookie(response, new_state))
        _on_response(private_to_the_visitor)  # it sets this visitor's cookies

    def recorded(self, record: dict[str, Any]) -> None:
        """After a new record: a signed-in visitor's decision (or a copy applied to their
        browser) is their account's; this process knows the account's newest at once."""
        ref = session_ref()
        if ref is None:
            return
        self.links.add(ref, str(record["consent_id"]), int(record["id"]), record["created_at"])
        if record["source"] != ACCOUNT:
            self._remember(ref, Decision.of(record))


def _order(decision: Decision) -> tuple[int, int]:
    """Newest last: by the second it was recorded, then by record id (same second)."""
    return decision.created_at, decision.record_id


def _on_response(change: Callable[[Response], Any]) -> None:
    def apply(response: Response) -> Response:
        change(response)
        return response

    after_this_request(apply)


def _store_down() -> tuple[type[Exception], ...]:
    from ..views import STORE_DOWN

    return STORE_DOWN


def _accounts_of(app: Any) -> Accounts | None:
    ext = getattr(app, "extensions", {}).get("consent")
    return getattr(ext, "accounts", None)


def _on_login(sender: Any, user: Any = None, **_: Any) -> None:
    accounts = _accounts_of(sender)
    if accounts is not None and user is not None and user.get_id() is not None:
        accounts.link(str(user.get_id()))


def _on_logout(sender: Any, **_: Any) -> None:
    accounts = _accounts_of(sender)
    if accounts is not None:
        accounts.unlink()


def connect_flask_login() -> bool:
    """Link on Flask-Login's sign-in (and "remember me" restore), unlink on sign-out, with
    no code from the site; False when Flask-Login is not installed."""
    try:
        from flask_login import signals
    except ImportError:
        return False
    signals.user_logged_in.connect(_on_login)
    signals.user_loaded_from_cookie.connect(_on_login)
    signals.user_logged_out.connect(_on_logout)
    return True


def init_accounts(app: Flask, ext: AppConsent) -> Accounts:
    """Set up account links for ``app``: its settings, the before-request hook and the
    Flask-Login signals."""
    accounts = Accounts(ext, AccountsConfig.from_app(app))
    app.before_request(accounts.follow)
    connect_flask_login()
    return accounts
