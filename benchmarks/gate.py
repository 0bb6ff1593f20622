"""What the gate costs: a view with @requires_consent against the same view without it.

Run: .venv/bin/python benchmarks/gate.py           # in one process (direct WSGI calls)
     .venv/bin/python benchmarks/gate.py --http    # over HTTP (gunicorn + wrk: apt-get install wrk)

In one process: direct WSGI calls (no HTTP, no server), the views called in turn, call by
call, and the median time of each (the figure to read: on a shared machine the speed drifts
within a second, so blocks of calls are not comparable). Over HTTP: gunicorn (sync workers)
serving the same app, wrk GETs with the visitor's signed cookie on keep-alive connections, the
views alternated in rounds of seconds; the medians and the median (p25-p75) of each round's
ratio to the ``/plain`` round next to it.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from consent_sdk import ConsentManager, has_consent, requires_consent
from consent_sdk.testing import consent_cookie

CALLS = 2000  # per_call's block (gate_signed_in.py) and the cold verification's count
REPO = Path(__file__).resolve().parents[1]


def site(**config: Any) -> Flask:
    """The measured site (gate_signed_in.py's too): the SDK with ``config`` and two views
    answering the same, ``/plain`` and ``/gated`` (``@requires_consent("analytics")``)."""
    app = Flask(__name__, instance_path=os.environ.get("GATE_INSTANCE") or tempfile.mkdtemp())
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
    """The site with ``/jinja-like`` too (``has_consent()`` in a view), and a visitor's cookie
    granting analytics. Also what gunicorn serves (``--http``)."""
    app = site()

    @app.get("/jinja-like")
    def jinja_like() -> str:
        return "ok" if has_consent("analytics") and not has_consent("marketing") else "no"

    return app, consent_cookie(app, "analytics")


def http_app() -> Flask:
    return build()[0]


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
    """µs per call of ``fn`` over a block of ``CALLS`` calls, with the garbage collector off
    as ``timeit`` does (a collection would land in whichever block it happens to)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(CALLS):
            fn()
        return (time.perf_counter() - start) / CALLS * 1e6
    finally:
        gc.enable()


def interleaved(calls: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """µs of each call, the paths taken in turn call by call (not in blocks of calls): on a
    shared machine the speed drifts within a second, and blocks of calls end up paired with
    different speeds; call by call, each path sees the same drift. Which path goes first turns
    round by round, so that none always runs after the same one. The garbage collector runs
    between rounds of 1,000, not inside a timed call, as ``timeit`` keeps it out."""
    times: dict[str, list[float]] = {p: [] for p in calls}
    order = list(calls.items())
    clock = time.perf_counter
    gc.disable()
    try:
        for i in range(rounds):
            for path, fn in order[i % len(order) :] + order[: i % len(order)]:
                start = clock()
                fn()
                times[path].append((clock() - start) * 1e6)
            if i % 1000 == 999:
                gc.enable()
                gc.collect()
                gc.disable()
    finally:
        gc.enable()
    return times


def in_process(rounds: int) -> None:
    app, cookie = build()
    calls = {p: caller(app, p, f"consent={cookie}") for p in ("/plain", "/gated", "/jinja-like")}
    for fn in calls.values():
        per_call(fn)  # warm up: first verification, imports
    times = interleaved(calls, rounds)
    plain = statistics.median(times["/plain"])
    print(f"{rounds} calls of each path, in turn; load {os.getloadavg()[0]:.1f}")
    print(f"{'view':<12} {'median µs':>9} {'p10-p90 µs':>13} {'mean µs':>8} {'ratio':>6}")
    for path, values in times.items():
        median = statistics.median(values)
        q = statistics.quantiles(values, n=10)
        print(
            f"{path:<12} {median:9.1f} {q[0]:6.1f}-{q[8]:6.1f} {statistics.fmean(values):8.1f} "
            f"{plain / median:6.3f}"
        )

    # The cost of one cold verification (a visitor's first request with this cookie).
    codec = app.extensions["consent"].codec()
    start = time.perf_counter()
    for _ in range(CALLS):
        codec.loads(cookie)
    print(f"cold itsdangerous verification: {(time.perf_counter() - start) / CALLS * 1e6:.1f} µs")


def wrk_rps(url: str, cookie: str, seconds: float, connections: int) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s"]
    out = subprocess.run(
        [*command, "-H", f"Cookie: consent={cookie}", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"not every answer was a 200:\n{out}")
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert m, out
    return float(m.group(1))


def http_report(results: dict[str, list[float]]) -> None:
    """Median req/s, the ratio of medians, and the paired per-round ratios to ``/plain``."""
    plain = results["/plain"]
    print(f"{'view':<12} {'req/s':>9} {'ratio':>6} {'paired ratio (p25-p75)':>24}")
    for path, values in results.items():
        ratios = [v / p for v, p in zip(values, plain, strict=True)]
        q = statistics.quantiles(ratios, n=4)
        print(
            f"{path:<12} {statistics.median(values):9.1f} "
            f"{statistics.median(values) / statistics.median(plain):6.3f} "
            f"{statistics.median(ratios):10.3f} ({q[0]:.3f}-{q[2]:.3f})"
        )


def over_http(workers: int, rounds: int, seconds: float, connections: int) -> None:
    sys.path.insert(0, str(REPO))
    from tests.reliability.machinery import Gunicorn

    tmp = Path(tempfile.mkdtemp(prefix="gate-http-"))
    env = {"GATE_INSTANCE": str(tmp), "PYTHONPATH": str(REPO / "benchmarks")}
    os.environ["GATE_INSTANCE"] = str(tmp)
    cookie = build()[1]  # the same SECRET_KEY and instance: the server accepts it
    server = Gunicorn(env, tmp, workers, app="gate:http_app()", ready_path="/plain")
    paths = ("/plain", "/gated", "/jinja-like")
    try:
        for path in paths:
            wrk_rps(server.url + path, cookie, 2, connections)  # warm up every worker
        results: dict[str, list[float]] = {p: [] for p in paths}
        for _ in range(rounds):
            for path in paths:
                results[path].append(wrk_rps(server.url + path, cookie, seconds, connections))
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"gunicorn sync:{workers}, wrk -t2 -c{connections}, {rounds} rounds of {seconds:g} s, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    http_report(results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--http", action="store_true", help="over HTTP (gunicorn + wrk)")
    ap.add_argument("--calls", type=int, default=20000, help="in one process: calls of each")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--connections", type=int, default=8)
    args = ap.parse_args()
    if not args.http:
        in_process(args.calls)
    elif shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    else:
        over_http(args.workers, args.rounds, args.seconds, args.connections)


if __name__ == "__main__":
    main()
