"""What the gate costs: a view with @requires_consent against the same view without it.

Run: .venv/bin/python benchmarks/gate.py
Direct WSGI calls in one process (no HTTP, no server), alternating the two views in rounds
and taking medians, so the ratio is comparable on a noisy shared machine.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from consent_sdk import ConsentManager, has_consent, requires_consent
from consent_sdk.testing import consent_cookie

ROUNDS, CALLS = 15, 2000


def site(**config: Any) -> Flask:
    """The measured site (gate_signed_in.py's too): the SDK with ``config`` and two views
    answering the same, ``/plain`` and ``/gated`` (``@requires_consent("analytics")``)."""
    app = Flask(__name__, instance_path=tempfile.mkdtemp())
    app.config.update(
        SECRET_KEY="bench",
        CONSENT_CONTROLLER={"name": "Bench Ltd", "contact": "bench@example.test"},
        CONSENT_POLICY_URL="/privacy",
        CONSENT_PURPOSES=[
            "necessary",
            {"id": "analytics", "cookies": ["_ga"]},
            {"id": "marketing", "cookies": ["_fbp"]},
        ],
        **config,
    )
    ConsentManager(app)

    @app.get("/plain")
    def plain() -> str:
        return "ok"

    @app.get("/gated")
    @requires_consent("analytics")
    def gated() -> str:
        return "ok"

    return app


def build() -> tuple[Flask, str]:
    app = site()

    @app.get("/jinja-like")
    def jinja_like() -> str:
        return "ok" if has_consent("analytics") and not has_consent("marketing") else "no"

    return app, consent_cookie(app, "analytics")


def caller(app: Flask, path: str, cookie: str) -> Callable[[], Any]:
    """One WSGI call of ``path`` with the ``Cookie`` header ``cookie``; it must answer 200."""
    environ = EnvironBuilder(path=path, headers={"Cookie": cookie}).get_environ()

    def start_response(status: str, headers: Any) -> None:
        assert status.startswith("200"), status

    def call() -> None:
        for _chunk in app(dict(environ), start_response):
            pass

    return call


def per_call(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    for _ in range(CALLS):
        fn()
    return (time.perf_counter() - start) / CALLS * 1e6


def main() -> None:
    app, cookie = build()
    calls = {p: caller(app, p, f"consent={cookie}") for p in ("/plain", "/gated", "/jinja-like")}
    for fn in calls.values():
        per_call(fn)  # warm up: first verification, imports
    results: dict[str, list[float]] = {p: [] for p in calls}
    for _ in range(ROUNDS):
        for path, fn in calls.items():
            results[path].append(per_call(fn))
    plain = statistics.median(results["/plain"])
    print(f"{'view':<12} {'µs/call':>8} {'calls/s':>9} {'ratio':>6}")
    for path, times in results.items():
        median = statistics.median(times)
        print(f"{path:<12} {median:8.1f} {1e6 / median:9.0f} {plain / median:6.2f}")

    # The cost of one cold verification (a visitor's first request with this cookie).
    ext = app.extensions["consent"]
    codec = ext.codec()
    start = time.perf_counter()
    for _ in range(CALLS):
        codec.loads(cookie)
    print(f"cold itsdangerous verification: {(time.perf_counter() - start) / CALLS * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
