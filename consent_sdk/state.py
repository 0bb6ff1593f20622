"""A visitor's consent state: pure decisions first, the request-scoped proxy after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from flask import Response, current_app, request
from flask.globals import _cv_request
from werkzeug.local import LocalProxy

from .config import ConsentConfig
from .cookie import CookieData
from .exceptions import UnknownPurposeError

if TYPE_CHECKING:
    from .extension import AppConsent


@dataclass(frozen=True, slots=True)
class ConsentState:
    """What the visitor decided, as the site may rely on it now."""

    decided: bool
    consent_id: str | None
    purposes: Mapping[str, bool]
    policy_version: str
    given_at: datetime | None
    expires_at: datetime | None

    @property
    def granted(self) -> frozenset[str]:
        return frozenset(p for p, ok in self.purposes.items() if ok)

    def to_dict(self) -> dict[str, Any]:
        """The ``State`` body of the HTTP API: no consent id, which page scripts must not
        learn (it stays in the ``HttpOnly`` cookie and in ``self.consent_id`` server-side)."""
        return {
            "decided": self.decided,
            "purposes": dict(self.purposes),
            "policy_version": self.policy_version,
            "given_at": self.given_at.isoformat() if self.given_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


def undecided_state(config: ConsentConfig) -> ConsentState:
    """No decision (or none that still counts): only exempt purposes are granted."""
    purposes = {p.id: p.required for p in config.purposes}
    return ConsentState(False, None, purposes, config.policy_version, None, None)


def decided_state(config: ConsentConfig, data: CookieData) -> ConsentState:
    """The state a valid cookie stands for. Purposes added since count as refused."""
    purposes = {p.id: p.required or p.id in data.granted for p in config.purposes}
    return ConsentState(
        decided=True,
        consent_id=data.consent_id,
        purposes=purposes,
        policy_version=data.policy_version,
        given_at=datetime.fromtimestamp(data.given_at, UTC),
        expires_at=datetime.fromtimestamp(data.given_at + config.max_age, UTC),
    )


def answers_current_question(config: ConsentConfig, data: CookieData) -> bool:
    """Whether a cookie answers what the site asks now: same policy version, and every purpose
    configured now was granted or refused in it (a purpose added since means asking again).
    """
    return data.policy_version == config.policy_version and config.purpose_ids <= (
        data.granted | data.refused
    )


def in_lifetime(config: ConsentConfig, data: CookieData, now: float) -> bool:
    """Whether a decision is still within ``CONSENT_MAX_AGE`` (and not dated in the future)."""
    return data.given_at <= now + 300 and now < data.given_at + config.max_age


def _ext() -> AppConsent:
    try:
        return cast("AppConsent", current_app.extensions["consent"])
    except KeyError:
        raise RuntimeError(
            "consent_sdk is not set up on this app. Did you forget ConsentManager(app) or "
            "consent.init_app(app)?"
        ) from None


STATE_KEY = "consent_sdk.state"
"""Where a request's state is kept: its WSGI environ, which lives exactly as long as it."""


def _current_state() -> ConsentState:
    """The request's state, computed once and kept in the request's environ.

    This runs on every gated request, so it reads Flask's request context variable once
    instead of going through the ``request``/``current_app``/``g`` proxies (about 0.8 µs each).
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("current_consent and has_consent() need an active request.")
    environ = ctx.request.environ
    state: ConsentState | None = environ.get(STATE_KEY)
    if state is None:
        try:
            ext: AppConsent = ctx.app.extensions["consent"]
        except KeyError:
            _ext()  # raises the helpful error
            raise
        state = environ[STATE_KEY] = ext.request_state(environ)
        # The response now depends on the visitor's consent (a gated view, has_consent() in a
        # template): keep it out of shared caches. What after_this_request() does, without
        # looking the context up again.
        ctx._after_request_functions.append(private_to_the_visitor)
    return state


def private_to_the_visitor(response: Response) -> Response:
    """``Vary: Cookie`` and ``Cache-Control: private`` (unless ``no-store``): a response that
    depends on the visitor's consent must not be served to another visitor by a shared cache.
    """
    # The usual answer has neither header yet: add them as text, after one pass over the
    # headers (werkzeug's parsed header objects cost ~25 µs a request, and each `in` test of a
    # missing header ~1.5 µs, as it raises and catches a KeyError); otherwise merge with them.
    headers = response.headers
    for name, _ in headers:
        if name.lower() in ("vary", "cache-control"):
            break
    else:
        headers.add("Vary", "Cookie")
        headers.add("Cache-Control", "private")
        return response
    response.vary.add("Cookie")
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "private"
    elif not response.cache_control.no_store:
        response.cache_control.public = False
        response.cache_control.private = True
    return response


def remember_state(state: ConsentState) -> None:
    """Make later code in this request see ``state`` (after a decision or a withdrawal)."""
    request.environ[STATE_KEY] = state


current_consent: ConsentState = cast(ConsentState, LocalProxy(_current_state))
"""The current visitor's ``ConsentState``, computed once per request."""


def has_consent(purpose: str) -> bool:
    """Whether the current visitor has granted ``purpose`` (exempt purposes always are)."""
    try:
        return _current_state().purposes[purpose]
    except KeyError:
        raise UnknownPurposeError(
            f"Unknown consent purpose {purpose!r}; configured: {list(_current_state().purposes)}."
        ) from None
