"""``@requires_consent``: a thin view guard; refusal goes through an overridable handler."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, request

from .exceptions import ConfigurationError
from .state import _current_state, _ext

F = TypeVar("F", bound=Callable[..., Any])
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
ATTR = "__consent_purposes__"


def requires_consent(*purposes: str) -> Callable[[F], F]:
    """Run the view only if the visitor granted every one of ``purposes``.

    Otherwise answer 403 ``{"error": "consent_required", "purposes": [...missing]}`` (or the
    app's ``@consent.consent_required_handler``). ``OPTIONS`` never runs the view without
    consent: Flask answers its automatic ``OPTIONS`` before the view is reached, and a view
    that lists ``OPTIONS`` itself gets that same automatic answer (``Allow``; a CORS extension
    adds its headers to it), so a preflight still works and the view's code does not run.
    Purpose names are checked against the app's configuration at ``init_app``, before the
    first request for views added later (logged), and by ``flask consent check``; a view with
    an unknown name answers 500 naming it, and no other view is affected.
    """
    if not purposes:
        raise TypeError("requires_consent() needs at least one purpose name.")
    for name in purposes:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"requires_consent(): {name!r} is not a purpose name.")

    def decorator(view: F) -> F:
        # Decided once here rather than by ensure_sync() on every request.
        is_async = inspect.iscoroutinefunction(view)

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            # Every gated request runs this: no list is built unless a purpose is missing.
            granted = _current_state().purposes
            for name in purposes:
                if not granted.get(name):
                    return _refuse(purposes, granted)
            if is_async:
                return current_app.ensure_sync(view)(*args, **kwargs)
            return view(*args, **kwargs)

        setattr(wrapped, ATTR, purposes)
        return cast(F, wrapped)

    return decorator


def _refuse(purposes: tuple[str, ...], granted: Mapping[str, bool]) -> Any:
    """The answer of a gated view whose visitor did not grant every purpose it needs."""
    missing = [p for p in purposes if not granted.get(p)]
    unknown = [p for p in missing if p not in granted]
    if unknown:
        # A view registered after init_app with a typo: only this view fails.
        raise ConfigurationError(
            f"View {request.endpoint!r} requires unknown consent purposes "
            f"{unknown}; CONSENT_PURPOSES defines {list(granted)}."
        )
    if request.method == "OPTIONS":
        # Only reached when the view lists OPTIONS itself (otherwise Flask answers it before
        # any view runs): answer as Flask would have, without the view.
        return current_app.make_default_options_response()
    return _ext().refuse(missing)


def guarded_purposes(view: Callable[..., Any]) -> tuple[str, ...]:
    """The purposes a view function requires, through any ``functools.wraps`` layers."""
    seen: tuple[str, ...] = ()
    func: Any = view
    while func is not None:
        seen += getattr(func, ATTR, ())
        func = getattr(func, "__wrapped__", None)
    return seen
