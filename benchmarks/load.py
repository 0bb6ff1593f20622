"""A bounded load run against the StepAhead example site served by gunicorn on 127.0.0.1.

Run: .venv/bin/python benchmarks/load.py                        # 60 s, 50 clients
     .venv/bin/python benchmarks/load.py --seconds 5 --clients 10   # smoke
     .venv/bin/python benchmarks/load.py --database-uri postgresql+psycopg://postgres@127.0.0.1:5432/test

Each client is a visitor on a keep-alive connection: it decides once (``POST /consent/state``,
everything granted), then repeats page view (``GET /``: the page with the banner), gated view
(``GET /pixel?p=/load``: ``@requires_consent("marketing")``, with the visitor's signed cookie)
and, every fourth round, a new decision with a new ``event_id``. Afterwards every event id
answered 200 is looked up in ``consent_records`` (plain SQL). Reported: errors (any status but
200, any connection error), acknowledged vs stored decisions, requests per second and
p50/p99 latency per kind. The site is the example app (``examples.stepahead.create_app``) in
a temporary instance folder, removed afterwards (its SQLite file unless ``--database-uri``),
with the per-client decision limit off (every client here is 127.0.0.1). Exit status 1 on any
error or loss.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the example site is imported from the repo
    sys.path.insert(0, str(REPO))

from tests.reliability.machinery import Gunicorn  # noqa: E402

KINDS = ("page", "gated", "decision")


def wsgi_app() -> Flask:
    """The example site as gunicorn serves it: ``benchmarks.load:wsgi_app()``."""
    from examples.stepahead import create_app

    config: dict[str, object] = {
        "INSTANCE_PATH": os.environ["LOAD_INSTANCE"],
        "SECRET_KEY": "load-benchmark",
        "CONSENT_RATE_LIMIT": None,
    }
    if os.environ.get("LOAD_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = os.environ["LOAD_DATABASE_URI"]
    return create_app(config)


class Visitor(threading.Thread):
    def __init__(self, port: int, until: float, results: Results) -> None:
        super().__init__(daemon=True)
        self.port, self.until, self.results = port, until, results
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, kind: str, method: str, path: str, body: object = None) -> None:
        headers = {"Origin": f"http://127.0.0.1:{self.port}"} if method == "POST" else {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        event_id = body.get("event_id") if isinstance(body, dict) else None
        start = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, payload, headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            if response.will_close:
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException) as exc:
            status, data = 0, repr(exc).encode()
            if self.conn is not None:
                self.conn.close()
            self.conn = None
        self.results.add(kind, status, time.perf_counter() - start, data, event_id)

    def decide(self) -> None:
        purposes = {"preferences": True, "analytics": True, "marketing": True}
        body = {"purposes": purposes, "event_id": str(uuid.uuid4()), "source": "banner"}
        self._request("decision", "POST", "/consent/state", body)

    def run(self) -> None:
        self.decide()
        rounds = 0
        while time.monotonic() < self.until:
            self._request("page", "GET", "/")
            self._request("gated", "GET", "/pixel?p=/load")
            rounds += 1
            if rounds % 4 == 0:
                self.decide()
        if self.conn is not None:
            self.conn.close()


class Results:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        self.acknowledged: set[str] = set()

    def add(self, kind: str, status: int, seconds: float, body: bytes, event_id: object) -> None:
        with self._lock:
            self.latency[kind].append(seconds)
            if status != 200:
                self.errors[kind].append((status, body[:200]))
            elif kind == "decision":
                self.acknowledged.add(str(event_id))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--database-uri", help="SQLAlchemy URI (default: the example's SQLite)")
    args = parser.parse_args(argv)

    instance = tempfile.mkdtemp(prefix="consent-load-")
    try:
        return _run(args, instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _run(args: argparse.Namespace, instance: str) -> int:
    os.environ["LOAD_INSTANCE"] = instance
    if args.database_uri:
        os.environ["LOAD_DATABASE_URI"] = args.database_uri
    app = wsgi_app()  # creates the tables once, before the workers start
    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    server = Gunicorn(
        {},
        Path(instance),
        workers=args.workers,
        app="benchmarks.load:wsgi_app()",
        options=["--worker-class", "gthread", "--threads", str(args.threads), "--backlog", "2048"],
        ready_path=None,
    )
    port = server.port
    try:
        results = Results()
        started = time.monotonic()
        visitors = [Visitor(port, started + args.seconds, results) for _ in range(args.clients)]
        for v in visitors:
            v.start()
        for v in visitors:
            v.join(timeout=args.seconds + 300)
        elapsed = time.monotonic() - started
    finally:
        server.stop()

    engine = sa.create_engine(uri)
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(sa.text("select event_id from consent_records"))}
    engine.dispose()

    total = sum(len(v) for v in results.latency.values())
    errors = sum(len(v) for v in results.errors.values())
    lost = results.acknowledged - stored
    print(
        f"{args.clients} clients, {elapsed:.1f} s, gunicorn {args.workers} workers x "
        f"{args.threads} threads (gthread), store {uri.split(':')[0]}, {os.cpu_count()} CPUs"
    )
    print(f"{'kind':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind in KINDS:
        lat = sorted(results.latency[kind])
        if not lat:
            continue
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(
            f"{kind:<10} {len(lat):>9,} {len(lat) / elapsed:>8,.0f} "
            f"{statistics.median(lat) * 1000:>8.1f} {p99 * 1000:>8.1f} "
            f"{len(results.errors[kind]):>7}"
        )
    print(f"{'all':<10} {total:>9,} {total / elapsed:>8,.0f}")
    for kind, errs in results.errors.items():
        for status, body in errs[:3]:
            print(f"  error {kind}: {status} {body!r}")
    print(
        f"decisions acknowledged (200): {len(results.acknowledged):,}; of them stored: "
        f"{len(results.acknowledged & stored):,}; lost: {len(lost)}; rows in table: {len(stored):,}"
    )
    ok = errors == 0 and not lost
    print("result:", "held (0 errors, acknowledged == stored)" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
