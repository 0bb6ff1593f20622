"""Does sealing slow down recording? Decisions/s of several app instances, sealer off and on.

Run:   .venv/bin/python benchmarks/ledger_seal.py                 # SQLite and PostgreSQL, ~7 min
       .venv/bin/python benchmarks/ledger_seal.py --quick         # a smoke run, ~1 min
       .venv/bin/python benchmarks/ledger_seal.py --db sqlite --writers 4 --seconds 8 --rounds 17

``--writers`` processes (default 4), each its own Flask app with the SDK on one shared store
(``CONSENT_DATABASE_URI``, ``CONSENT_RATE_LIMIT=None``, one signing key for all), each posting
decisions through its test client (``POST /consent/state``, a new visitor every 5 decisions)
for ``--seconds`` per round. In an *on* round one more process runs
``chain.seal(ledger, keys, grace=0)`` in a tight loop for the same seconds (the worst case);
in a *paced* round it seals once a second (a very frequent cron: what is left of the cost when
the sealer is not itself eating the CPU); in an *off* round it idles. Rounds go off, on, off,
paced, off, on, ..., off (so each sealing round has an off round on both sides: the machine's
load drifts), each preceded by an
untimed seal of whatever the round before left, so every round starts from a sealed ledger.
Reported per mode: decisions/s of all writers together, median and min-max over the rounds,
the median per-decision latency and p99, on/off and paced/off as ratios of the medians, and
the median of each sealing round against the mean of the two off rounds around it.

On a machine with few cores the sealer also competes for CPU. So each round also reports the
CPU (in cores) of the writers, of the sealer and, on PostgreSQL, of this benchmark's server
backends (found by ``application_name``, read from /proc), the machine's busy cores (other
users included) and the CPU spent per recorded decision. When the machine is saturated,
decisions/s falls by the sealer's CPU share; a larger fall, or a rising latency with idle
cores, points to waiting (locks, I/O).

Then ``verify``: the run's own ledger (small seals, as a tight loop makes them), and fresh
stores of 10,000 and 100,000 generated records sealed in the default batches of 1,000 (what
``flask consent seal`` from cron makes), timed per 10,000 records.

SQLite: a file in a temporary directory, as the SDK opens it (WAL, synchronous=FULL, busy
timeout). PostgreSQL: a schema of its own in ``--pg``, dropped at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from ledger_export import PG, generate, store  # benchmarks/ledger_export.py

from consent_sdk import ConsentManager
from consent_sdk.ledger import chain

PURPOSES: list[Any] = [
    "necessary",
    {"id": "preferences", "cookies": ["lang"]},
    {"id": "analytics", "cookies": ["_ga", "_ga_*"]},
    {"id": "marketing", "cookies": ["_fbp"]},
]
MODES = ("off", "on", "paced")
PACED = 1.0
"""seconds between seals in a paced round (a frequent cron; the CLI is run per minute)"""


def pattern_of() -> list[str]:
    """off between every two sealing rounds, so each has an off round on both sides."""
    return ["off", "on", "off", "paced"]


CHOICES = [
    {"analytics": True, "marketing": True, "preferences": True},
    {},
    {"analytics": True},
    {"preferences": True},
]


def build_app(url: str, key: str, instance: str) -> Flask:
    app = Flask(__name__, instance_path=instance)
    app.config.update(
        TESTING=True,
        SECRET_KEY="bench",
        CONSENT_DATABASE_URI=url,
        CONSENT_RATE_LIMIT=None,
        CONSENT_RECEIPT_KEY=key,
        CONSENT_CONTROLLER={"name": "Bench Ltd", "contact": "bench@example.test"},
        CONSENT_POLICY_URL="/privacy",
        CONSENT_PURPOSES=PURPOSES,
    )
    ConsentManager(app)
    return app


def _wait_until(at: float) -> None:
    delay = at - time.time()
    if delay > 0:
        time.sleep(delay)


def writer(pipe: Connection, url: str, key: str, instance: str, index: int) -> None:
    """One app instance: posts decisions until the round's end, reports count and latencies."""
    app = build_app(url, key, instance)
    made = 0

    def decide(client: Any) -> None:
        nonlocal made
        body = {"purposes": CHOICES[made % len(CHOICES)], "event_id": str(uuid.uuid4())}
        response = client.post("/consent/state", json=body)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.get_data(as_text=True)}")
        made += 1

    client = app.test_client()
    for _ in range(10):
        decide(client)  # warm up: tables checked, texts stored, first connection
    pipe.send("ready")
    while (job := pipe.recv()) is not None:
        start_at, seconds = job
        _wait_until(start_at)
        end = start_at + seconds
        latencies: list[float] = []
        cpu = time.process_time()
        while True:
            if made % 5 == 0:
                client = app.test_client()  # a new visitor
                client.environ_base["REMOTE_ADDR"] = f"10.{index}.{made // 256 % 256}.{made % 256}"
            t0 = time.time()
            if t0 >= end:
                break
            decide(client)
            latencies.append(time.time() - t0)
        pipe.send((len(latencies), latencies, time.process_time() - cpu))


def sealer(pipe: Connection, url: str, key: str, instance: str) -> None:
    """Seals with grace=0 in a loop while a round lasts; between rounds, seals the backlog."""
    app = build_app(url, key, instance)
    ext = app.extensions["consent"]
    pipe.send("ready")
    while (job := pipe.recv()) is not None:
        if job == "catch-up":
            done = chain.seal(ext.ledger, ext.keys, grace=0)
            pipe.send(sum(s.count for s in done))
            continue
        start_at, seconds, every = job
        _wait_until(start_at)
        end = start_at + seconds
        seals = sealed = loops = 0
        cpu = time.process_time()
        while time.time() < end:
            done = chain.seal(ext.ledger, ext.keys, grace=0)
            loops += 1
            seals += len(done)
            sealed += sum(s.count for s in done)
            if every:
                _wait_until(min(end, start_at + loops * every))
        pipe.send((loops, seals, sealed, time.process_time() - cpu))


def pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every process, other users' too)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def server_cpu(url: str) -> dict[int, float]:
    """CPU seconds of this benchmark's PostgreSQL backends (by application_name), by pid,
    read from /proc: the server runs on this machine and competes for the same cores."""
    if not url.startswith("postgresql"):
        return {}
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'consent_bench_%'"
            )
        ).scalars()
        out = {}
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    engine.dispose()
    return out


def rounds(kind: str, url: str, key: str, workdir: Path, args: argparse.Namespace) -> list[Any]:
    ctx = mp.get_context("spawn")
    writers_url = sealer_url = url
    if kind == "postgres":
        writers_url = f"{url}&application_name=consent_bench_writer"
        sealer_url = f"{url}&application_name=consent_bench_sealer"
    pipes: list[Connection] = []
    procs = []
    for i in range(args.writers):
        mine, theirs = ctx.Pipe()
        p = ctx.Process(target=writer, args=(theirs, writers_url, key, str(workdir / f"w{i}"), i))
        p.start()
        pipes.append(mine)
        procs.append(p)
    seal_pipe, theirs = ctx.Pipe()
    seal_proc = ctx.Process(target=sealer, args=(theirs, sealer_url, key, str(workdir / "sealer")))
    seal_proc.start()
    for pipe in [*pipes, seal_pipe]:
        if pipe.recv() != "ready":
            raise RuntimeError("a process did not start")

    def one(mode: str, seconds: float) -> dict[str, Any]:
        seal_pipe.send("catch-up")
        backlog = seal_pipe.recv()
        start_at = time.time() + 0.2
        server_before, busy_before = server_cpu(url), machine_busy()
        for pipe in pipes:
            pipe.send((start_at, seconds))
        if mode != "off":
            seal_pipe.send((start_at, seconds, PACED if mode == "paced" else 0))
        got = [pipe.recv() for pipe in pipes]
        busy = (machine_busy() - busy_before) / seconds
        server_after = server_cpu(url)
        server = sum(t - server_before.get(pid, 0.0) for pid, t in server_after.items())
        latencies = [x for _n, lat, _cpu in got for x in lat]
        out = {
            "mode": mode,
            "rate": sum(n for n, _lat, _cpu in got) / seconds,
            "p50": _quantile(latencies, 0.5) * 1000,
            "p99": _quantile(latencies, 0.99) * 1000,
            "writers_cpu": sum(cpu for _n, _lat, cpu in got) / seconds,
            "backlog": backlog,
            "server_cpu": server / seconds,
            "busy": busy,
            "sealer_cpu": 0.0,
        }
        if mode != "off":
            loops, seals, sealed, cpu = seal_pipe.recv()
            out.update(loops=loops, seals=seals, sealed=sealed, sealer_cpu=cpu / seconds)
        return out

    one("off", min(2.0, args.seconds))  # warm-up, not recorded
    results = []
    pattern = pattern_of()
    for r in range(args.rounds):
        res = one(pattern[r % len(pattern)], args.seconds)
        results.append(res)
        extra = (
            f" sealer: {res['loops']} loops, {res['seals']} seals, {res['sealed']} records, "
            f"{res['sealer_cpu']:.2f} CPU"
            if res["mode"] != "off"
            else ""
        )
        print(
            f"{kind} round {r + 1:>2} {res['mode']:<3} {res['rate']:7.1f} decisions/s "
            f"p50 {res['p50']:6.1f} ms p99 {res['p99']:6.1f} ms "
            f"writers {res['writers_cpu']:.2f} CPU{extra}",
            flush=True,
        )
    for pipe in [*pipes, seal_pipe]:
        pipe.send(None)
    for p in [*procs, seal_proc]:
        p.join()
    return results


def time_verify(url: str, key: str, instance: Path, repeat: int) -> dict[str, Any]:
    """Seal whatever is left (grace=0), then time ``verify`` ``repeat`` times."""
    app = build_app(url, key, str(instance))
    ext = app.extensions["consent"]
    chain.seal(ext.ledger, ext.keys, grace=0)
    times = []
    report = None
    for _ in range(repeat):
        start = time.perf_counter()
        report = chain.verify(ext.ledger, ext.keys.public)
        times.append(time.perf_counter() - start)
    ext.ledger.engine.dispose()
    assert report is not None
    seconds = statistics.median(times)
    return {
        "records": report.sealed + report.unsealed,
        "seals": report.seals,
        "breaks": report.breaks,
        "seconds": seconds,
        "per_10k": seconds / max(1, report.sealed) * 10_000,
    }


def _paired(results: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Each sealing round against the off rounds nearest before and after it (the machine's
    load drifts; neighbours seconds apart see about the same)."""
    offs = [i for i, r in enumerate(results) if r["mode"] == "off"]
    out: dict[str, list[float]] = {}
    for i, r in enumerate(results):
        if r["mode"] == "off" or not offs:
            continue
        before = [j for j in offs if j < i][-1:]
        after = [j for j in offs if j > i][:1]
        near = [results[j]["rate"] for j in before + after]
        out.setdefault(r["mode"], []).append(r["rate"] / statistics.mean(near))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds of 2 s, verify on 2,000")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=17)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg", default=PG, help="PostgreSQL server (a schema is made in it)")
    args = parser.parse_args()
    sizes = [10_000, 100_000]
    if args.quick:
        args.seconds, args.rounds, sizes = 2.0, 5, [2_000]
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    key = pem()
    workdir = Path(tempfile.mkdtemp(prefix="consent-bench-seal-"))
    summary: list[tuple[str, dict[str, Any]]] = []
    verifies: list[tuple[str, str, dict[str, Any]]] = []
    try:
        for kind in kinds:
            with store(kind, workdir, args.pg) as url:
                results = rounds(kind, url, key, workdir, args)
                summary.append((kind, {"rounds": results}))
                v = time_verify(url, key, workdir / "verify", 3)
                verifies.append((kind, "this run's ledger", v))
            for size in sizes:
                with store(kind, workdir, args.pg) as url:
                    generate(url, size)
                    v = time_verify(url, key, workdir / "verify", 5 if size <= 10_000 else 2)
                    verifies.append((kind, f"{size:,} generated, batches of 1,000", v))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"{args.writers} writers, {args.rounds} rounds of {args.seconds:g} s "
        f"({', '.join(pattern_of())}, ...), sealer: chain.seal(grace=0) in a loop (on) "
        f"or every {PACED:g} s (paced)"
    )
    print()
    print(
        "| db | sealer | rounds | decisions/s median | min-max | p50 ms | p99 ms | "
        "writers CPU | sealer CPU | server CPU | CPU ms/decision | machine busy | sealed/s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    paired: dict[str, dict[str, list[float]]] = {}
    cores = os.cpu_count() or 1
    for kind, data in summary:
        medians = {}
        for mode in MODES:
            rs = [r for r in data["rounds"] if r["mode"] == mode]
            rates = [r["rate"] for r in rs]
            medians[mode] = statistics.median(rates)

            def med(field: str, rs: list[dict[str, Any]] = rs) -> float:
                return statistics.median(r[field] for r in rs)

            per = statistics.median(
                (r["writers_cpu"] + r["sealer_cpu"] + r["server_cpu"]) / r["rate"] * 1000
                for r in rs
            )
            sealed = f"{med('sealed') / args.seconds:,.0f}" if mode != "off" else "-"
            sealer_cpu = f"{med('sealer_cpu'):.2f}" if mode != "off" else "-"
            server = f"{med('server_cpu'):.2f}" if kind == "postgres" else "-"
            print(
                f"| {kind} | {mode} | {len(rs)} | {medians[mode]:,.1f} | "
                f"{min(rates):,.1f}-{max(rates):,.1f} | {med('p50'):.1f} | {med('p99'):.1f} | "
                f"{med('writers_cpu'):.2f} | {sealer_cpu} | {server} | {per:.2f} | "
                f"{med('busy'):.2f} / {cores} | {sealed} |"
            )
        ratios.append((kind, medians["on"] / medians["off"], medians["paced"] / medians["off"]))
        paired[kind] = _paired(data["rounds"])
    print()
    for kind, on, paced in ratios:
        print(
            f"{kind}: on/off = {on:.3f}, paced/off = {paced:.3f} "
            "(median decisions/s with the sealer / without)"
        )
        for mode, values in paired[kind].items():
            print(
                f"{kind}: {mode} round / mean of its nearest off rounds: median "
                f"{statistics.median(values):.3f} (" + ", ".join(f"{v:.2f}" for v in values) + ")"
            )
    print()
    print("| db | ledger | records | seals | verify s | s per 10,000 records | breaks |")
    print("|---|---|---:|---:|---:|---:|---|")
    for kind, what, v in verifies:
        kinds_of = sorted({b.kind for b in v["breaks"]})
        broken = f"{len(v['breaks'])} ({', '.join(kinds_of)})" if v["breaks"] else "0"
        print(
            f"| {kind} | {what} | {v['records']:,} | {v['seals']:,} | {v['seconds']:.2f} | "
            f"{v['per_10k']:.2f} | {broken} |"
        )
    for kind, what, v in verifies:
        for b in v["breaks"][:5]:
            print(f"{kind} ({what}): {b}", file=sys.stderr)


if __name__ == "__main__":
    main()
