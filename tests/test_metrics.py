"""Prometheus metrics (issue 17): counters equal what happened; no visitor data in them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flask import Flask
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from consent_sdk import requires_consent
from consent_sdk.metrics import MAX_REPORTED_ATTEMPTS
from tests.conftest import consent_id_of, make_app


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _gated(app: Flask) -> Flask:
    @app.get("/track")
    @requires_consent("analytics")
    def track() -> str:
        return "counted"

    return app


def test_metrics_count_decisions_purposes_replays_and_refusals(tmp_path: Path) -> None:
    app = _gated(make_app(tmp_path, CONSENT_METRICS=True))
    client = app.test_client()
    assert client.get("/track").status_code == 403
    event = str(uuid.uuid4())
    body = {"purposes": {"analytics": True}, "event_id": event, "action": "save"}
    client.post("/consent/state", json=body)
    client.post("/consent/state", json=body)  # a retry of the same event
    client.post("/consent/state", json={"purposes": {}, "action": "reject_all"})
    assert client.get("/track").status_code == 403

    answer = client.get("/consent/metrics")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    text = answer.get_data(as_text=True)
    got = _samples(text)
    site = ("site", "default")
    assert got[("consent_decisions_total", (("action", "save"), ("outcome", "new"), site))] == 1
    assert got[("consent_decisions_total", (("action", "save"), ("outcome", "replay"), site))] == 1
    assert (
        got[("consent_decisions_total", (("action", "reject_all"), ("outcome", "new"), site))] == 1
    )
    choice = "consent_purpose_choices_total"
    assert got[(choice, (("choice", "granted"), ("purpose", "analytics"), site))] == 1
    assert got[(choice, (("choice", "refused"), ("purpose", "analytics"), site))] == 1
    assert got[(choice, (("choice", "granted"), ("purpose", "necessary"), site))] == 2
    assert got[("consent_gate_refusals_total", (("purpose", "analytics"), site))] == 2
    assert got[("consent_write_seconds_count", (site,))] == 3
    # Nothing that identifies a visitor: no consent id, no event id, no address.
    consent_id = consent_id_of(app, client)
    for secret in (consent_id, event, "127.0.0"):
        assert secret not in text


def test_a_store_outage_is_counted(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        CONSENT_METRICS=True,
        CONSENT_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none",
    )
    client = app.test_client()
    assert client.post("/consent/state", json={"purposes": {}}).status_code == 503
    got = _samples(client.get("/consent/metrics").get_data(as_text=True))
    errors = [v for (name, _), v in got.items() if name == "consent_store_errors_total"]
    assert errors == [1]


def test_metrics_are_off_by_default_and_can_join_the_host_registry(tmp_path: Path) -> None:
    assert make_app(tmp_path / "off").test_client().get("/consent/metrics").status_code == 404
    registry: Any = CollectorRegistry()
    app = make_app(tmp_path / "host", CONSENT_METRICS_REGISTRY=registry)
    client = app.test_client()
    client.post("/consent/state", json={"purposes": {"marketing": True}, "action": "save"})
    # The host exposes its own registry; the SDK adds no route of its own then.
    assert client.get("/consent/metrics").status_code == 404
    value = registry.get_sample_value(
        "consent_decisions_total", {"site": "default", "action": "save", "outcome": "new"}
    )
    assert value == 1


def test_deliveries_the_widget_had_to_retry_are_counted(tmp_path: Path) -> None:
    # The widget sends Consent-Attempt: failed tries before this one. A page script can send
    # anything there, so only a small number counts, and at most MAX_REPORTED_ATTEMPTS.
    app = make_app(tmp_path, CONSENT_METRICS=True)
    client = app.test_client()
    for attempt in ("0", "3", "1", "9999", "-2", "x", "1e9"):
        headers = {"Consent-Attempt": attempt}
        client.post("/consent/state", json={"purposes": {}}, headers=headers)
    client.post("/consent/state", json={"purposes": {}})
    got = _samples(client.get("/consent/metrics").get_data(as_text=True))
    site = (("site", "default"),)
    assert got[("consent_delivery_retried_total", site)] == 3
    assert got[("consent_delivery_failed_attempts_total", site)] == 3 + 1 + MAX_REPORTED_ATTEMPTS
    assert got[("consent_decisions_total", (("action", "api"), ("outcome", "new"), site[0]))] == 8
