"""OpenTelemetry metrics (``CONSENT_METRICS = "opentelemetry"``): the same counts as the
Prometheus ones (tests/test_metrics.py), read back through the real SDK; no visitor data."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData

from consent_sdk import ConfigurationError, __version__
from consent_sdk.metrics import MAX_REPORTED_ATTEMPTS, WRITE_SECONDS_BUCKETS
from tests.conftest import consent_id_of, make_app
from tests.test_metrics import _gated

VISITOR_IP = "203.0.113.77"
VISITOR_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0 visitor-agent-7f3a"

Points = dict[str, dict[frozenset[tuple[str, Any]], Any]]


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def provider(reader: InMemoryMetricReader) -> Iterator[MeterProvider]:
    provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    yield provider
    provider.shutdown()


def _otel_app(tmp_path: Path, provider: MeterProvider, **config: Any) -> Flask:
    return make_app(
        tmp_path, CONSENT_METRICS="opentelemetry", CONSENT_METRICS_METER_PROVIDER=provider, **config
    )


def _collect(reader: InMemoryMetricReader) -> tuple[MetricsData, Points]:
    """Everything the reader holds, and per metric name: attributes -> data point."""
    data = reader.get_metrics_data()
    assert data is not None, "nothing was recorded"
    points: Points = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                by_attributes = points.setdefault(metric.name, {})
                for point in metric.data.data_points:
                    by_attributes[frozenset((point.attributes or {}).items())] = point
    return data, points


def _value(points: Points, name: str, **attributes: str) -> Any:
    return points[name][frozenset({"site": "default", **attributes}.items())].value


def test_decisions_purposes_replays_and_refusals_are_counted(
    tmp_path: Path, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    app = _gated(_otel_app(tmp_path, provider))
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=VISITOR_IP, HTTP_USER_AGENT=VISITOR_AGENT)
    assert client.get("/track").status_code == 403
    event = str(uuid.uuid4())
    body = {"purposes": {"analytics": True}, "event_id": event, "action": "save"}
    assert client.post("/consent/state", json=body).status_code == 200
    assert client.post("/consent/state", json=body).status_code == 200  # a retry of the event
    reject = {"purposes": {}, "action": "reject_all"}
    assert client.post("/consent/state", json=reject).status_code == 200
    assert client.get("/track").status_code == 403
    # The host's exporter ships the data: the SDK serves no route of its own.
    assert client.get("/consent/metrics").status_code == 404

    data, got = _collect(reader)
    decisions = "consent_decisions"
    assert _value(got, decisions, action="save", outcome="new") == 1
    assert _value(got, decisions, action="save", outcome="replay") == 1
    assert _value(got, decisions, action="reject_all", outcome="new") == 1
    assert len(got[decisions]) == 3
    choices = "consent_purpose_choices"
    assert _value(got, choices, purpose="analytics", choice="granted") == 1
    assert _value(got, choices, purpose="analytics", choice="refused") == 1
    assert _value(got, choices, purpose="necessary", choice="granted") == 2
    assert _value(got, choices, purpose="marketing", choice="refused") == 2
    assert _value(got, "consent_gate_refusals", purpose="analytics") == 2
    assert "consent_store_errors" not in got and "consent_delivery_retried" not in got

    [writes] = got["consent_write_seconds"].values()
    assert writes.count == 3 and 0 < writes.sum < 10
    assert list(writes.explicit_bounds) == list(WRITE_SECONDS_BUCKETS)
    [scope] = data.resource_metrics[0].scope_metrics
    assert (scope.scope.name, scope.scope.version) == ("consent_sdk", __version__)
    units = {m.name: m.unit for m in scope.metrics}
    assert units["consent_write_seconds"] == "s"

    # Nothing that identifies a visitor in any attribute: no consent id, event id, address
    # (nor its truncated prefix) or user agent.
    consent_id = consent_id_of(app, client)
    values = [str(v) for by_attributes in got.values() for key in by_attributes for _, v in key]
    assert values and "default" in values
    for secret in (consent_id, event, "203.0.113", "visitor-agent", "Firefox"):
        assert not [v for v in values if secret in v], secret
    assert {k for by_attributes in got.values() for key in by_attributes for k, _ in key} == {
        "site",
        "action",
        "outcome",
        "purpose",
        "choice",
    }


def test_a_store_outage_is_counted(
    tmp_path: Path, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    app = _otel_app(
        tmp_path, provider, CONSENT_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none"
    )
    client = app.test_client()
    assert client.post("/consent/state", json={"purposes": {}}).status_code == 503
    _, got = _collect(reader)
    [(attributes, point)] = got["consent_store_errors"].items()
    assert point.value == 1
    assert dict(attributes) == {"site": "default", "error": "OperationalError"}
    assert "consent_decisions" not in got


def test_deliveries_the_widget_had_to_retry_are_counted(
    tmp_path: Path, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    client = _otel_app(tmp_path, provider).test_client()
    for attempt in ("0", "3", "1", "9999", "-2", "x", "1e9"):
        headers = {"Consent-Attempt": attempt}
        client.post("/consent/state", json={"purposes": {}}, headers=headers)
    client.post("/consent/state", json={"purposes": {}})
    _, got = _collect(reader)
    assert _value(got, "consent_delivery_retried") == 3
    assert _value(got, "consent_delivery_failed_attempts") == 3 + 1 + MAX_REPORTED_ATTEMPTS
    assert _value(got, "consent_decisions", action="api", outcome="new") == 8


def test_without_a_provider_the_global_meter_is_used(
    tmp_path: Path,
    provider: MeterProvider,
    reader: InMemoryMetricReader,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The global provider can be set once per process: stand the test's in for it.
    from opentelemetry import metrics

    asked: list[tuple[str, str | None]] = []

    def get_meter(name: str, version: str | None = None, *args: Any, **kwargs: Any) -> Any:
        asked.append((name, version))
        return provider.get_meter(name, version)

    monkeypatch.setattr(metrics, "get_meter", get_meter)
    client = make_app(tmp_path, CONSENT_METRICS="opentelemetry").test_client()
    client.post("/consent/state", json={"purposes": {"marketing": True}, "action": "save"})
    assert asked == [("consent_sdk", __version__)]
    _, got = _collect(reader)
    assert _value(got, "consent_decisions", action="save", outcome="new") == 1


def test_without_opentelemetry_api_the_setting_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "opentelemetry.metrics", None)
    with pytest.raises(ConfigurationError) as caught:
        make_app(tmp_path, CONSENT_METRICS="opentelemetry")
    assert str(caught.value) == (
        "CONSENT_METRICS = 'opentelemetry' needs opentelemetry-api: "
        "pip install 'consent_sdk[opentelemetry]'."
    )


@pytest.mark.parametrize("value", ["otel", "OpenTelemetry", "prometheus", "true", "false", 2])
def test_an_unknown_metrics_setting_is_refused(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"CONSENT_METRICS .* must be True \(Prometheus\)"):
        make_app(tmp_path, CONSENT_METRICS=value)


@pytest.mark.parametrize(("value", "served"), [(None, False), (0, False), (1, True)])
def test_unset_0_and_1_mean_off_off_and_on_as_before(
    tmp_path: Path, value: Any, served: bool
) -> None:
    """What reading the environment gives (unset, "0", "1" as int) keeps its old meaning."""
    app = make_app(tmp_path, CONSENT_METRICS=value)
    answer = app.test_client().get("/consent/metrics")
    assert (answer.status_code == 200) is served


def test_settings_for_the_other_kind_of_metrics_are_refused(
    tmp_path: Path, provider: MeterProvider
) -> None:
    from prometheus_client import CollectorRegistry

    registry: Any = CollectorRegistry()
    with pytest.raises(ConfigurationError, match="CONSENT_METRICS_REGISTRY is a Prometheus"):
        _otel_app(tmp_path / "a", provider, CONSENT_METRICS_REGISTRY=registry)
    for setting in (True, False):
        with pytest.raises(ConfigurationError, match="used only with CONSENT_METRICS = 'open"):
            make_app(
                tmp_path / str(setting),
                CONSENT_METRICS=setting,
                CONSENT_METRICS_METER_PROVIDER=provider,
            )
