"""Nothing acknowledged is lost: PostgreSQL stopped and started mid-load, a worker SIGKILLed.

The app runs under gunicorn (3 sync worker processes) with ``CONSENT_DATABASE_URI`` pointing
at a throwaway PostgreSQL cluster of this module's own (a temporary directory, a free port;
the shared server on 5432 is never touched) or at an SQLite file. Client threads post
decisions, each with a fresh ``event_id``, and remember which were answered 200. Afterwards
every acknowledged event id must be in ``consent_records`` (read with plain SQL), every row
as it was sent, and while the database was down the answers must be 503 with ``Retry-After``,
never 500. Waits have generous timeouts; no verdict depends on timing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.machinery import (
    Cluster,
    DecisionLoad,
    Gunicorn,
    stored_rows,
    verdict,
    wait_until,
)

BATCH = 40  # acknowledged decisions to see before, between and after each disruption


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster()
    yield cluster
    cluster.destroy()


def _serve(tmp_path: Path, uri: str) -> Gunicorn:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return Gunicorn(
        {"CONSENT_DATABASE_URI": uri, "CONSENT_RELIABILITY_INSTANCE": str(instance)}, tmp_path
    )


@pytest.mark.postgres
def test_postgres_stopped_mid_load_loses_nothing_and_answers_503(
    cluster: Cluster, tmp_path: Path
) -> None:
    uri = cluster.create_database("restart")
    server = _serve(tmp_path, uri)
    load = DecisionLoad(server.port).start()
    try:
        wait_until(lambda: load.acknowledged() >= BATCH, 180, "decisions before the stop")
        cluster.stop("fast")  # ends every session, as a restart or failover does
        down = time.monotonic()
        wait_until(lambda: load.answered(sent_after=down) >= 20, 180, "answers while down")
        time.sleep(max(0.0, down + 3 - time.monotonic()))  # down for at least 3 s
        cluster.start()
        up = time.monotonic()
        wait_until(lambda: load.acknowledged(sent_after=up) >= BATCH, 180, "decisions after")
    finally:
        outcomes = load.stop()
        server.stop()
        if not cluster.running():
            cluster.start()
    problems, figures = verdict(outcomes, stored_rows(uri), allowed_statuses=(200, 503))
    while_down = [o for o in outcomes if down <= o.sent and o.received <= up]
    figures["answered_between_stop_and_start"] = {
        str(s): sum(1 for o in while_down if o.status == s) for s in {o.status for o in while_down}
    }
    errors = [o.error for o in outcomes if o.error]
    if errors:
        problems.append(f"{len(errors)} requests got no HTTP answer, e.g. {errors[:2]}")
    print(figures)
    assert not problems, "\n".join([*problems, str(figures), server.log_text()[-1500:]])


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_worker_killed_mid_load_loses_nothing(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if database == "sqlite":
        uri = f"sqlite:///{tmp_path / 'consent.db'}"
    else:
        cluster: Cluster = request.getfixturevalue("cluster")
        uri = cluster.create_database("killed")
    server = _serve(tmp_path, uri)
    load = DecisionLoad(server.port).start()
    kills = 0
    try:
        for _ in range(2):
            wait_until(load.more_acknowledged(BATCH), 180, "decisions")
            os.kill(server.workers()[0], signal.SIGKILL)  # mid-request, most likely
            kills += 1
        after = time.monotonic()
        wait_until(lambda: load.acknowledged(sent_after=after) >= BATCH, 180, "decisions after")
    finally:
        outcomes = load.stop()
        server.stop()
    problems, figures = verdict(outcomes, stored_rows(uri), allowed_statuses=(200,))
    # A request the killed worker was handling gets no answer (and was not acknowledged);
    # a sync worker handles one at a time.
    errors = [o.error for o in outcomes if o.error]
    if len(errors) > kills:
        problems.append(f"{len(errors)} requests got no answer for {kills} kills: {errors[:3]}")
    figures["no_answer"] = len(errors)
    if database == "sqlite":
        with sqlite3.connect(tmp_path / "consent.db") as conn:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            problems.append(f"SQLite integrity_check: {check}")
    print(figures)
    assert not problems, "\n".join([*problems, str(figures), server.log_text()[-1500:]])
