"""Two instances of one site behind a load balancer: one PostgreSQL schema, one secret.

Each instance is a gunicorn server of ``tests.reliability.serve`` (2 sync workers) with an
instance folder of its own, as on two machines; both have the same ``SECRET_KEY`` and the same
``CONSENT_SITE_ID`` (serve.py's default) and share a fresh schema on the test PostgreSQL server
(``postgres_schema``). Visitors are threads that keep their cookies, as a browser does, and
send each request to the other instance than the one before. The store is read with plain SQL.
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import postgres_schema
from tests.reliability.machinery import Gunicorn

pytestmark = pytest.mark.postgres

SECRET = "two-instances-secret"
VISITORS = 8
DECISIONS = 40  # per visitor: 320 in all, half on each instance


@dataclass
class Pair:
    url: str  # the shared store
    a: Gunicorn
    b: Gunicorn


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with postgres_schema() as url:
        servers: list[Gunicorn] = []
        try:
            for name in ("a", "b"):
                folder = tmp_path_factory.mktemp(f"instance-{name}")
                env = {
                    "CONSENT_DATABASE_URI": url,
                    "CONSENT_RELIABILITY_INSTANCE": str(folder / "instance"),
                    "CONSENT_RELIABILITY_SECRET": SECRET,
                }
                servers.append(Gunicorn(env, folder, workers=2))
            yield Pair(url, servers[0], servers[1])
        finally:
            for server in servers:
                server.stop()


@dataclass
class Visitor:
    """A browser: its cookies go to whichever instance it talks to (cookies ignore ports)."""

    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, server: Gunicorn, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Origin": server.url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=90)
        try:
            conn.request(method, path, payload, headers)
            response = conn.getresponse()
            raw = response.read()
            for header in response.msg.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if "max-age=0" in header.lower() or not value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            is_json = response.getheader("Content-Type", "").startswith("application/json")
            return response.status, json.loads(raw) if is_json else raw
        finally:
            conn.close()

    def decide(self, server: Gunicorn, analytics: bool, event_id: str) -> tuple[int, Any]:
        body = {"purposes": {"analytics": analytics}, "event_id": event_id}
        return self.send(server, "POST", "/consent/state", body)


def _rows(url: str, where: str = "", **params: Any) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            query = "select event_id, consent_id, site_id, granted from consent_records " + where
            return list(conn.execute(sa.text(query), params).all())
    finally:
        engine.dispose()


def test_two_instances_under_one_load_store_exactly_what_they_acknowledged(pair: Pair) -> None:
    def visit(n: int) -> list[tuple[int, str, str]]:
        """(status, event id, instance) of each decision; the instances take turns."""
        visitor = Visitor()
        sent = []
        for i in range(DECISIONS):
            server = (pair.a, pair.b)[(n + i) % 2]
            event_id = str(uuid.uuid4())
            try:
                status, _ = visitor.decide(server, i % 2 == 0, event_id)
            except (OSError, http.client.HTTPException) as exc:
                status = -1
                event_id = f"{event_id} ({type(exc).__name__}: {exc})"
            sent.append((status, event_id, "a" if server is pair.a else "b"))
        return sent

    with ThreadPoolExecutor(max_workers=VISITORS) as pool:
        outcomes = [o for sent in pool.map(visit, range(VISITORS)) for o in sent]

    failed = [o for o in outcomes if o[0] not in (200, 201)]
    logs = pair.a.log_text()[-800:] + pair.b.log_text()[-800:]
    assert not failed, f"{len(failed)} of {len(outcomes)} not acknowledged: {failed[:3]}\n{logs}"
    acknowledged = {event_id for _, event_id, _ in outcomes}
    by_instance = {name: sum(1 for o in outcomes if o[2] == name) for name in ("a", "b")}
    assert by_instance == {"a": VISITORS * DECISIONS // 2, "b": VISITORS * DECISIONS // 2}

    rows = _rows(pair.url, "where event_id = any(:ids)", ids=list(acknowledged))
    assert len(rows) == len(acknowledged) == VISITORS * DECISIONS
    assert {r.event_id for r in rows} == acknowledged
    assert {r.site_id for r in rows} == {"default"}
    # Each visitor kept one consent id whichever instance recorded the decision: the cookie
    # one instance signed was taken as theirs by the other.
    assert len({r.consent_id for r in rows}) == VISITORS


def test_a_cookie_from_one_instance_is_the_visitors_decision_on_the_other(pair: Pair) -> None:
    granted, refused = Visitor(), Visitor()
    assert granted.decide(pair.a, True, str(uuid.uuid4()))[0] == 200
    assert refused.decide(pair.a, False, str(uuid.uuid4()))[0] == 200

    status, state = granted.send(pair.b, "GET", "/consent/state")
    assert status == 200
    assert state["decided"] is True
    assert state["purposes"] == {
        "necessary": True,
        "preferences": False,
        "analytics": True,
        "marketing": False,
    }
    # The gate on the other instance agrees with the state it reports.
    assert granted.send(pair.b, "GET", "/gated") == (200, {"ok": True})

    status, state = refused.send(pair.b, "GET", "/consent/state")
    assert status == 200 and state["decided"] is True and state["purposes"]["analytics"] is False
    assert refused.send(pair.b, "GET", "/gated")[0] == 403
    assert Visitor().send(pair.b, "GET", "/gated")[0] == 403  # no cookie at all


def test_a_decision_retried_on_the_other_instance_is_stored_once(pair: Pair) -> None:
    visitor = Visitor()
    event_id = str(uuid.uuid4())
    status, first = visitor.decide(pair.a, True, event_id)
    assert status == 200
    cookie = dict(visitor.cookies)

    # The answer was lost; the widget sends the same decision again, to the other instance.
    status, again = visitor.decide(pair.b, True, event_id)
    assert status == 200
    assert again == first  # same purposes, same given_at: the stored decision
    assert visitor.cookies["consent"] == cookie["consent"]

    # A retry is answered with what was stored the first time, whatever its body says now.
    status, replay = visitor.decide(pair.b, False, event_id)
    assert status == 200
    assert replay == first and replay["purposes"]["analytics"] is True

    rows = _rows(pair.url, "where event_id = :e", e=event_id)
    assert len(rows) == 1
    assert rows[0].granted in (["analytics", "necessary"], '["analytics","necessary"]')
    assert visitor.send(pair.b, "GET", "/gated") == (200, {"ok": True})
