"""The decision write path over HTTP: ``POST /consent/state`` against a bare Flask POST.

Run: ``.venv/bin/python benchmarks/write_path.py`` (needs ``wrk``: ``apt-get install wrk``, and
the PostgreSQL server of the tests, ``CONSENT_TEST_POSTGRES_URL``; a schema of its own is
made and dropped). ``--quick`` for a smoke run.

For each gunicorn worker class (``--servers``, e.g. ``sync:5`` = 5 sync workers,
``gthread:2x8`` = 2 workers of 8 threads) two servers of ``create_app()`` below are started
(``tests.reliability.machinery.Gunicorn``), one on a fresh SQLite file (the SDK's own store:
WAL, ``synchronous=FULL``), one on a fresh PostgreSQL schema. Each serves ``POST /bare`` (a
Flask route that reads the same JSON body and answers a JSON body of the same size as the
SDK's, no database) and the SDK's ``POST /consent/state``. wrk loads them in interleaved rounds
bare, sqlite, bare, postgres, ... (the bare rounds alternate between the two servers); every
request is a new visitor (wrk sends no cookie) with an ``event_id`` of its own and the
``Origin`` the SDK requires. Afterwards the records in each store are counted: every 2xx wrk
saw must be stored (nothing acknowledged lost). A store may hold a few more than wrk counted:
the requests in flight when a round's time ran out were answered (and stored) after wrk
stopped counting; at most one per connection per round.

Figures: median req/s per kind, SDK / bare ratio (medians of the same server's run, and each
SDK round over the mean of the bare rounds around it), p99 latency (wrk ``--latency``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request

REPO = Path(__file__).resolve().parents[1]

LUA = r"""
-- POST a decision: a new event id per request (run, round, thread, counter), no cookie.
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  path = args[1]
  origin = args[2]
  run = tonumber(args[3])
  round = tonumber(args[4])
end
function request()
  counter = counter + 1
  local event = string.format("%08x-%04x-4%03x-8%03x-%012x", run, round, tid, 0, counter)
  local body = '{"purposes": {"analytics": true, "marketing": false}, "event_id": "' ..
    event .. '", "source": "banner", "action": "save", "language": "en"}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json",
    ["Origin"] = origin}, body)
end
"""


def create_app() -> Flask:
    """The served app: the SDK on ``WRITE_PATH_DATABASE_URI`` and a bare POST route."""
    from consent_sdk import ConsentManager

    app = Flask(__name__, instance_path=os.environ["WRITE_PATH_INSTANCE"])
    app.config.update(
        SECRET_KEY="write-path-benchmark",
        CONSENT_DATABASE_URI=os.environ["WRITE_PATH_DATABASE_URI"],
        CONSENT_CONTROLLER={"name": "Example Ltd", "contact": "privacy@example.test"},
        CONSENT_POLICY_URL="/privacy",
        CONSENT_PURPOSES=[
            "necessary",
            {"id": "preferences", "cookies": ["lang"]},
            {"id": "analytics", "cookies": ["_ga"]},
            {"id": "marketing", "cookies": ["_fbp"]},
        ],
        # wrk is one client address: the per-address limit would answer 429 after 30.
        CONSENT_RATE_LIMIT=None,
        CONSENT_ENGINE_OPTIONS=json.loads(os.environ.get("WRITE_PATH_ENGINE_OPTIONS") or "{}"),
    )
    ConsentManager(app)
    # The SDK's answer to a decision, as JSON of the same size (no cookie, no database).
    answer = {
        "decided": True,
        "purposes": {
            "necessary": True,
            "preferences": False,
            "analytics": True,
            "marketing": False,
        },
        "policy_version": "1",
        "given_at": "2026-12-02T20:00:00+00:00",
        "expires_at": "2027-12-02T20:00:00+00:00",
    }

    @app.post("/bare")
    def bare() -> Response:
        body = request.get_json()
        assert isinstance(body, dict) and "purposes" in body
        response = jsonify(answer)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/worker")
    def worker() -> Response:
        return jsonify(pid=os.getpid())

    return app


def parse_wrk(text: str) -> dict[str, Any]:
    def number(pattern: str) -> float:
        m = re.search(pattern, text)
        return float(m.group(1)) if m else 0.0

    def ms(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    p = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        p[pct] = ms(*m.groups()) if m else float("nan")
    requests = int(number(r"(\d+) requests in"))
    non2xx = int(number(r"Non-2xx or 3xx responses: (\d+)"))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = sum(map(int, m.groups())) if m else 0
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": requests,
        "ok": requests - non2xx,
        "non2xx": non2xx,
        "socket_errors": errors,
        "p50": p["50"],
        "p99": p["99"],
    }


def run_wrk(
    url: str, path: str, lua: Path, seconds: float, conns: int, run: int, rnd: int
) -> dict[str, Any]:
    origin = url
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{conns}",
            f"-d{seconds:g}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(lua),
            url,
            "--",
            path,
            origin,
            str(run),
            str(rnd),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    ).stdout
    return {**parse_wrk(out), "raw": out}


def count_records(uri: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(uri)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("select count(*) from consent_records")).scalar_one())
    finally:
        engine.dispose()


def prepare_store(uri: str, instance: Path) -> None:
    """Create the tables once, before several workers start (they would wait for each other)."""
    os.environ["WRITE_PATH_DATABASE_URI"] = uri
    os.environ["WRITE_PATH_INSTANCE"] = str(instance)
    app = create_app()
    ext = app.extensions["consent"]
    _ = ext.ledger.engine
    ext.ledger.engine.dispose()


def main() -> int:
    sys.path.insert(0, str(REPO))
    from tests.conftest import postgres_schema
    from tests.reliability.machinery import Gunicorn

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--rounds", type=int, default=3, help="bare/sqlite/bare/postgres cycles")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--servers", default="sync:5,gthread:2x8")
    ap.add_argument("--engine-options", default="", help="CONSENT_ENGINE_OPTIONS as JSON")
    ap.add_argument("--stores", default="sqlite,postgres", help="which stores to load")
    ap.add_argument(
        "--postgres-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for the SDK's connections, for a what-if "
        "(e.g. synchronous_commit=off: not durable, an upper bound of what sharing commits "
        "could gain)",
    )
    ap.add_argument("--markdown", type=Path, help="write the tables here too")
    ap.add_argument("--json", type=Path, help="every round's figures")
    ap.add_argument("--quick", action="store_true", help="3 s rounds, 1 cycle, sync:5 only")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.servers = 3, 1, "sync:5"
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    run = secrets.randbits(31)
    tmp = Path(tempfile.mkdtemp(prefix="write-path-"))
    lua = tmp / "decision.lua"
    lua.write_text(LUA)
    rounds: list[dict[str, Any]] = []
    problems: list[str] = []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rnd = 0
    for spec in args.servers.split(","):
        kind, _, size = spec.partition(":")
        if kind == "gthread":
            workers, threads = (int(x) for x in size.split("x"))
            options = ["--worker-class", "gthread", "--threads", str(threads)]
        else:
            workers, options = int(size), ["--worker-class", "sync"]
        with postgres_schema() as pg_uri:
            served_pg = pg_uri + "".join(
                f"%20-c{s.replace('=', '%3D')}" for s in args.postgres_setting
            )
            stores = {"sqlite": f"sqlite:///{tmp / (kind + size + '.db')}", "postgres": pg_uri}
            stores = {k: v for k, v in stores.items() if k in args.stores.split(",")}
            servers = {}
            try:
                for store, uri in stores.items():
                    instance = tmp / f"instance-{kind}-{store}"
                    instance.mkdir()
                    prepare_store(uri, instance)
                    env = {
                        "WRITE_PATH_DATABASE_URI": served_pg if store == "postgres" else uri,
                        "WRITE_PATH_INSTANCE": str(instance),
                        "WRITE_PATH_ENGINE_OPTIONS": args.engine_options,
                    }
                    servers[store] = Gunicorn(
                        env,
                        tmp,
                        workers,
                        app="benchmarks.write_path:create_app()",
                        options=options,
                    )
                # Warm-up: every worker connects, the texts are stored.
                for server in servers.values():
                    for path in ("/bare", "/consent/state"):
                        run_wrk(server.url, path, lua, 1, args.connections, run, rnd)
                        rnd += 1
                time.sleep(1)  # the warm-up's last requests are answered
                expected = {s: 0 for s in stores}
                warm = {s: count_records(u) for s, u in stores.items()}
                order = [(what, store) for store in stores for what in ("bare", store)]
                for cycle in range(args.rounds):
                    for what, store in order:
                        rnd += 1
                        path = "/bare" if what == "bare" else "/consent/state"
                        load = os.getloadavg()[0]
                        res = run_wrk(
                            servers[store].url, path, lua, args.seconds, args.connections, run, rnd
                        )
                        if what != "bare":
                            expected[store] += res["ok"]
                        res.update(
                            server=spec, what=what, store=store, cycle=cycle, load=load, rnd=rnd
                        )
                        rounds.append(res)
                        print(
                            f"{spec:12} {what:8} via {store:8} {res['rps']:8.1f} req/s  "
                            f"p99 {res['p99']:8.1f} ms  ok {res['ok']} non-2xx {res['non2xx']} "
                            f"socket errors {res['socket_errors']}  load {load:.1f}",
                            flush=True,
                        )
                time.sleep(1)
                for store, uri in stores.items():
                    stored = count_records(uri) - warm[store]
                    acked = expected[store]
                    extra = stored - acked
                    line = (
                        f"{spec} {store}: acknowledged (2xx) {acked}, stored {stored}, "
                        f"stored but not counted by wrk {extra}"
                    )
                    print(line)
                    for r in rounds:
                        if r["server"] == spec and r["what"] == store:
                            r["stored_check"] = line
                    if stored < acked:
                        problems.append(f"LOST: {line}")
                    elif extra > args.connections * args.rounds:
                        problems.append(f"more stored than in flight: {line}")
                    rounds.append(
                        {
                            "server": spec,
                            "what": "check",
                            "store": store,
                            "acknowledged": acked,
                            "stored": stored,
                        }
                    )
            finally:
                for server in servers.values():
                    server.stop()
    text = report(rounds, args, started)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(
            json.dumps([{k: v for k, v in r.items() if k != "raw"} for r in rounds], indent=1)
        )
    for p in problems:
        print(p, file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if problems else 0


def report(rounds: list[dict[str, Any]], args: argparse.Namespace, started: str) -> str:
    lines = [
        f"Run {started}, `{' '.join(sys.argv)}` ({args.seconds:g} s rounds, {args.rounds} "
        f"cycles, wrk -t2 -c{args.connections}).",
        "",
        "| server | kind | rounds | req/s median | min-max | ratio to bare (medians) | "
        "ratio per round (median, each) | p50 ms | p99 ms median (max) | non-2xx | load |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    checks = []
    for spec in dict.fromkeys(r["server"] for r in rounds):
        mine = [r for r in rounds if r["server"] == spec and r["what"] != "check"]
        bare = [r for r in mine if r["what"] == "bare"]
        bare_median = statistics.median(r["rps"] for r in bare)
        for what in ("bare", "sqlite", "postgres"):
            rs = [r for r in mine if r["what"] == what]
            if not rs:
                continue
            rps = [r["rps"] for r in rs]
            med = statistics.median(rps)
            if what == "bare":
                ratio, each = "1.00", ""
            else:
                paired = []
                for r in rs:
                    near = [b["rps"] for b in bare if abs(b["rnd"] - r["rnd"]) == 1]
                    paired.append(r["rps"] / statistics.mean(near))
                ratio = f"{med / bare_median:.2f}"
                each = (
                    f"{statistics.median(paired):.2f} ("
                    + ", ".join(f"{p:.2f}" for p in paired)
                    + ")"
                )
            lines.append(
                f"| {spec} | {what} | {len(rs)} | {med:.0f} | {min(rps):.0f}-{max(rps):.0f} | "
                f"{ratio} | {each} | {statistics.median(r['p50'] for r in rs):.1f} | "
                f"{statistics.median(r['p99'] for r in rs):.1f} ({max(r['p99'] for r in rs):.1f})"
                f" | {sum(r['non2xx'] + r['socket_errors'] for r in rs)} | "
                f"{statistics.median(r['load'] for r in rs):.1f} |"
            )
        for c in rounds:
            if c["server"] == spec and c["what"] == "check":
                checks.append(
                    f"- {spec}, {c['store']}: 2xx counted by wrk {c['acknowledged']:,}, records "
                    f"stored {c['stored']:,} ({c['stored'] - c['acknowledged']} answered after "
                    "wrk stopped counting)"
                )
    return "\n".join([*lines, "", "Nothing acknowledged lost:", *checks, ""])


if __name__ == "__main__":
    raise SystemExit(main())
