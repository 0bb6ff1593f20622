"""What a signed-in customer's gate costs (issue 20), against the anonymous gate and an
ungated view, in one run.

Run: .venv/bin/python benchmarks/gate_signed_in.py
Direct WSGI calls in one process (no HTTP, no server), alternating the views in rounds and
taking medians, as benchmarks/gate.py does. The site uses Flask-Login (an in-memory user
loader); the signed-in visitor sends Flask's session cookie (with the user reference) beside
the consent cookie. Rows:

- ``ungated, anonymous`` / ``ungated, signed in``: a view without ``@requires_consent`` (a
  signed-in visitor's request follows the account even there: the hook runs before every
  request, so the widget on that page gets the account's choice too);
- ``ungated, signed in, no hook``: the same without the accounts' hook, i.e. what a signed-in
  customer's page cost before accounts existed (Flask's session and Flask-Login included):
  the baseline of the "signed-in gate >= 0.9 of an ungated view" goal;
- ``gated, anonymous``: ``@requires_consent("analytics")``, a decided anonymous visitor;
- ``..., no hook``: the same request with the accounts' before-request hook taken off the
  app (the same app object, between rounds), i.e. what it cost before accounts existed;
- ``gated, signed in``: the account's newest decision known to this process (written here, or
  read less than ``CONSENT_USER_RECHECK`` seconds ago): no query;
- ``gated, signed in, recheck 0``: ``CONSENT_USER_RECHECK = 0``, so one indexed query (SQLite,
  WAL) on every request: the worst case, a process that never saw the account's decision.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from flask import Flask
from flask_login import LoginManager, UserMixin, login_user
from gate import caller, per_call, site  # benchmarks/gate.py: the same site and calls

ROUNDS = 21  # of gate.per_call (2,000 calls each)


class User(UserMixin):  # type: ignore[misc]
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def build(**config: Any) -> Flask:
    app = site(CONSENT_RATE_LIMIT=None, **config)
    login = LoginManager(app)
    login.user_loader(lambda user_id: User(user_id))

    @app.post("/login")
    def log_in() -> str:
        login_user(User("customer-1"))
        return "ok"

    return app


def cookies(app: Flask, signed_in: bool) -> str:
    """The Cookie header of a decided visitor (signed in: with Flask's session cookie)."""
    client = app.test_client()
    if signed_in:
        client.post("/login")
    client.post("/consent/state", json={"purposes": {"analytics": True}})
    names = ("session", "consent") if signed_in else ("consent",)
    return "; ".join(f"{n}={client.get_cookie(n).value}" for n in names)  # type: ignore[union-attr]


def hook(app: Flask, on: bool) -> None:
    """Put the accounts' before-request hook on the app, or take it off (same app object, so
    the rows with and without it differ in nothing else)."""
    follow = app.extensions["consent"].accounts.follow
    funcs = app.before_request_funcs.setdefault(None, [])
    funcs[:] = [f for f in funcs if f != follow] + ([follow] if on else [])


def main() -> None:
    app, eager = build(), build(CONSENT_USER_RECHECK=0)
    anonymous, signed_in = cookies(app, False), cookies(app, True)
    # name -> (app, whether the accounts' hook is on, the call)
    calls = {
        "ungated, anonymous": (app, True, caller(app, "/plain", anonymous)),
        "gated, anonymous": (app, True, caller(app, "/gated", anonymous)),
        "gated, anonymous, no hook": (app, False, caller(app, "/gated", anonymous)),
        "ungated, signed in, no hook": (app, False, caller(app, "/plain", signed_in)),
        "ungated, signed in": (app, True, caller(app, "/plain", signed_in)),
        "gated, signed in, no hook": (app, False, caller(app, "/gated", signed_in)),
        "gated, signed in": (app, True, caller(app, "/gated", signed_in)),
        "gated, signed in, recheck 0": (eager, True, caller(eager, "/gated", cookies(eager, True))),
    }
    for target, on, fn in calls.values():
        hook(target, on)
        per_call(fn)  # warm up: first verification, imports, the first query
    results: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    for n in range(ROUNDS):
        # Reversed every other round, so a drift of the machine's load favours no row.
        for name in order if n % 2 == 0 else reversed(order):
            target, on, fn = calls[name]
            hook(target, on)
            results[name].append(per_call(fn))
    hook(app, True)
    medians = {name: statistics.median(times) for name, times in results.items()}
    base, base_in = medians["ungated, anonymous"], medians["ungated, signed in, no hook"]
    print(f"{'view':<28} {'µs/call':>8} {'calls/s':>8} {'/ungated anon':>14} {'/ungated in':>12}")
    for name, median in medians.items():
        print(
            f"{name:<28} {median:8.1f} {1e6 / median:8.0f} {base / median:14.2f} "
            f"{base_in / median:12.2f}"
        )
    print("/ungated anon: the ungated anonymous view's time over the row's (1.00 = as fast)")
    print("/ungated in: the ungated signed-in view's, without the accounts hook, over the row's")
    hook_alone(app, anonymous, "anonymous visitor")
    hook_alone(app, signed_in, "signed-in visitor, account known to the process")


def hook_alone(app: Flask, cookie: str, who: str) -> None:
    """The accounts' hook by itself, in one request context: what it adds to each request."""
    follow = app.extensions["consent"].accounts.follow
    n = 100_000
    with app.test_request_context("/gated", headers={"Cookie": cookie}):
        follow()
        start = time.perf_counter()
        for _ in range(n):
            follow()
        took = (time.perf_counter() - start) / n * 1e6
    print(f"the accounts hook alone, {who}: {took:.2f} µs per request")


if __name__ == "__main__":
    main()
