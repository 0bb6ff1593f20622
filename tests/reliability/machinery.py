"""What the reliability tests start and stop: a throwaway PostgreSQL cluster, a gunicorn server
of ``tests.reliability.serve``, and client threads posting decisions.

Everything started here is started in its own process group (or, for PostgreSQL, by
``pg_ctl`` in its own data directory) and stopped by its own id; nothing else is touched.
No verdict depends on timing: waits have generous timeouts and only decide when to move on.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.1) -> None:
    """Poll until ``predicate()``; raise naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


def pg_bindir() -> Path:
    """The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("no PostgreSQL server programs (initdb, pg_ctl): apt-get install postgresql")


class Cluster:
    """A PostgreSQL cluster of its own: a temporary directory, a free port, trust auth on
    127.0.0.1. As root, its programs run as the ``postgres`` user (initdb refuses root)."""

    def __init__(self) -> None:
        self.bindir = pg_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="consent-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, user=self.user, group=self.user)
        try:
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            )
            self.start()
        except BaseException:
            self.destroy()
            raise

    def _run(self, tool: str, *args: str, timeout: float = 180) -> None:
        subprocess.run(
            [str(self.bindir / tool), *args],
            cwd=self.root,
            user=self.user,
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "120",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "120", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server (immediately) and remove its directory."""
        if self.running():
            try:
                self.stop("immediate")
            except (subprocess.SubprocessError, OSError):
                pid_file = self.data / "postmaster.pid"
                with contextlib.suppress(OSError, ValueError, IndexError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


class Gunicorn:
    """A WSGI app behind gunicorn on 127.0.0.1, started and waited for; by default
    ``tests.reliability.serve:create_app()`` with sync workers. The benchmarks use it too."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_dir: Path,
        workers: int = 3,
        *,
        app: str = "tests.reliability.serve:create_app()",
        options: Sequence[str] = (),
        ready_path: str | None = "/worker",
    ) -> None:
        """``ready_path``: a path that answers 200 once a worker runs; None: the port accepts
        connections (the master has bound it)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._ready_path = ready_path
        self._log = open(log_dir / f"gunicorn-{self.port}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",  # a slow shared machine: never kill a worker for slowness
                "--graceful-timeout",
                "10",
                *options,
                app,
            ],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(self._answers, 120, f"gunicorn on port {self.port}", step=0.25)
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.proc.returncode}: {self.log_text()}")
        try:
            if self._ready_path is None:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                    return True
            return request(self.port, "GET", self._ready_path).status == 200
        except OSError:
            return False

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-4000:]

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # "pid (comm) state ppid ...": comm may hold spaces, so split after the ")".
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(stat.parent.name))
        return sorted(pids)

    def stop(self) -> None:
        """SIGTERM to the server's own process group, SIGKILL if it does not go."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._log.close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def request(
    port: int, method: str, path: str, body: Any = None, headers: Mapping[str, str] = {}
) -> Answer:
    """One request on a connection of its own (gunicorn's sync workers close it anyway)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=90)
    try:
        payload = None if body is None else json.dumps(body)
        all_headers = dict(headers)
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, payload, all_headers)
        response = conn.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


@dataclass
class Outcome:
    """One decision sent: its event id, when, and what came back (status or client error)."""

    event_id: str
    sent: float
    received: float
    status: int | None
    retry_after: str | None
    body: bytes
    error: str | None


class DecisionLoad:
    """``threads`` clients, each posting ``{"purposes": {"analytics": true}, "event_id": ...}``
    one after the other (with an ``Origin`` of the server's own host) until ``stop()``."""

    def __init__(self, port: int, threads: int = 6) -> None:
        self.port = port
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(threads)]

    def start(self) -> DecisionLoad:
        for t in self._threads:
            t.start()
        return self

    def _client(self) -> None:
        origin = {"Origin": f"http://127.0.0.1:{self.port}"}
        while not self._stop.is_set():
            event_id = str(uuid.uuid4())
            sent = time.monotonic()
            try:
                answer = request(
                    self.port,
                    "POST",
                    "/consent/state",
                    {"purposes": {"analytics": True}, "event_id": event_id},
                    origin,
                )
                outcome = Outcome(
                    event_id,
                    sent,
                    time.monotonic(),
                    answer.status,
                    answer.headers.get("Retry-After"),
                    answer.body[:300],
                    None,
                )
            except (OSError, http.client.HTTPException) as exc:
                outcome = Outcome(
                    event_id,
                    sent,
                    time.monotonic(),
                    None,
                    None,
                    b"",
                    f"{type(exc).__name__}: {exc}",
                )
            with self._lock:
                self.outcomes.append(outcome)
            if outcome.status != 200:
                time.sleep(0.05)  # retry soon (no back-off: the harder case for the server)

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)

    def acknowledged(self, sent_after: float = 0.0) -> int:
        return sum(1 for o in self.snapshot() if o.status == 200 and o.sent >= sent_after)

    def more_acknowledged(self, count: int) -> Callable[[], bool]:
        """A predicate: ``count`` more decisions acknowledged than now."""
        target = self.acknowledged() + count
        return lambda: self.acknowledged() >= target

    def answered(self, sent_after: float) -> int:
        return sum(1 for o in self.snapshot() if o.sent >= sent_after)

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=120)
        return self.snapshot()


EXPECTED_ROW = {"granted": ["analytics", "necessary"], "refused": ["marketing", "preferences"]}


def stored_rows(uri: str) -> dict[str, dict[str, Any]]:
    """Every row of ``consent_records`` at ``uri`` by event id, read with plain SQL."""
    engine = sa.create_engine(uri)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select event_id, consent_id, granted, refused, policy_version, texts_hash,"
                    " created_at, expires_at, retain_until from consent_records"
                )
            ).mappings()
            out: dict[str, dict[str, Any]] = {}
            for row in rows:
                item = dict(row)
                for key in ("granted", "refused"):
                    if isinstance(item[key], str):
                        item[key] = json.loads(item[key])
                if item["event_id"] in out:
                    raise AssertionError(f"event id {item['event_id']} stored twice")
                out[item["event_id"]] = item
            return out
    finally:
        engine.dispose()


def verdict(
    outcomes: Iterable[Outcome],
    rows: Mapping[str, Mapping[str, Any]],
    allowed_statuses: Iterable[int],
) -> tuple[list[str], dict[str, Any]]:
    """The problems found (empty: everything held) and the figures of the run."""
    outcomes = list(outcomes)
    allowed = set(allowed_statuses)
    acknowledged = {o.event_id for o in outcomes if o.status == 200}
    statuses: dict[str, int] = {}
    for o in outcomes:
        key = str(o.status) if o.status is not None else "client error"
        statuses[key] = statuses.get(key, 0) + 1
    problems = []
    lost = sorted(acknowledged - set(rows))
    if lost:
        problems.append(f"{len(lost)} acknowledged decisions are not stored, e.g. {lost[:3]}")
    wrong = [e for e, r in rows.items() if {k: r[k] for k in EXPECTED_ROW} != EXPECTED_ROW]
    if wrong:
        problems.append(f"{len(wrong)} stored rows differ from what was sent, e.g. {wrong[:3]}")
    incomplete = [e for e, r in rows.items() if any(v is None for v in r.values())]
    if incomplete:
        problems.append(f"{len(incomplete)} rows half-written, e.g. {incomplete[:3]}")
    odd = [o for o in outcomes if o.status is not None and o.status not in allowed]
    if odd:
        sample = odd[0]
        problems.append(
            f"{len(odd)} answers outside {sorted(allowed)}: {statuses}; first: {sample.status} "
            f"{sample.body!r}"
        )
    no_retry = [o for o in outcomes if o.status == 503 and not o.retry_after]
    if no_retry:
        problems.append(f"{len(no_retry)} 503 answers without Retry-After")
    figures = {
        "sent": len(outcomes),
        "statuses": statuses,
        "acknowledged": len(acknowledged),
        "stored": len(rows),
        "acknowledged_and_stored": len(acknowledged & set(rows)),
        "stored_not_acknowledged": len(set(rows) - acknowledged),
    }
    return problems, figures
