"""Operators' metrics in the Prometheus exposition format (``CONSENT_METRICS``), off by default.

What is counted says how the consent layer is doing, never who a visitor is: labels are the
site id, purpose ids, actions and outcomes, all from the site's own configuration, never a
consent id, an event id, an address or a user agent.

``CONSENT_METRICS = True`` serves ``{prefix}/metrics`` from a registry of the app's own;
``CONSENT_METRICS_REGISTRY`` registers the metrics into the host's ``CollectorRegistry``
instead (the host exposes it, no route is added). Under gunicorn with
``PROMETHEUS_MULTIPROC_DIR`` set, the route aggregates every worker (prometheus-client's
multiprocess mode). ``CONSENT_METRICS = "opentelemetry"`` records the same metrics into the
host's OpenTelemetry MeterProvider instead (``consent_sdk.otel``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from .exceptions import ConfigurationError

MAX_REPORTED_ATTEMPTS = 20
"""A page script sets the header: one request can add no more than this to the counters."""


def reported_attempt(header: str | None) -> int:
    """The widget's ``Consent-Attempt`` header (0 for the first try): failed attempts before
    this one, 0 when absent or not a small number."""
    if header is None or not header.isdigit() or len(header) > 6:
        return 0
    return min(int(header), MAX_REPORTED_ATTEMPTS)


WRITE_SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
"""``consent_write_seconds``: a store write takes milliseconds; seconds mean trouble."""

DESCRIPTIONS = {
    "consent_decisions": "Decisions recorded, by action and whether they were new or a replayed"
    " event id.",
    "consent_purpose_choices": "Purposes in new decisions, granted or refused.",
    "consent_write_seconds": "Time to record a decision in the store (the transaction, commit"
    " included).",
    "consent_store_errors": "Requests answered 503 because the store could not be reached.",
    "consent_delivery_retried": "Decisions that reached the store only after the widget had"
    " retried them (it sends the attempt number in the Consent-Attempt header).",
    "consent_delivery_failed_attempts": "Failed deliveries the widget reported before a decision"
    f" got through (at most {MAX_REPORTED_ATTEMPTS} per request).",
    "consent_gate_refusals": "@requires_consent views refused, by each purpose that was missing.",
}
"""One text per metric, so that Prometheus and OpenTelemetry describe them alike."""


class Recorder(Protocol):
    """What the extension records into (``ext.metrics``): ``Metrics`` (Prometheus) or
    ``otel.OtelMetrics``."""

    def decision(
        self, record: Mapping[str, Any], is_new: bool, seconds: float, failed_attempts: int = 0
    ) -> None: ...

    def store_error(self, exc: BaseException) -> None: ...

    def refused(self, missing: Iterable[str]) -> None: ...


OPENTELEMETRY = "opentelemetry"


def make_recorder(site_id: str, settings: Mapping[str, Any]) -> Recorder | None:
    """The recorder ``CONSENT_METRICS`` asks for: True (or a ``CONSENT_METRICS_REGISTRY``)
    Prometheus, ``"opentelemetry"`` the host's MeterProvider, False none. A setting that would
    do nothing, or something other than what was meant, is refused at start-up, not discovered on a
    dashboard that stays empty."""
    setting = settings["CONSENT_METRICS"]
    registry = settings["CONSENT_METRICS_REGISTRY"]
    provider = settings["CONSENT_METRICS_METER_PROVIDER"]
    if setting == OPENTELEMETRY:
        if registry is not None:
            raise ConfigurationError(
                "CONSENT_METRICS_REGISTRY is a Prometheus registry: with CONSENT_METRICS = "
                "'opentelemetry' leave it unset (CONSENT_METRICS_METER_PROVIDER names the "
                "MeterProvider, if not the global one)."
            )
        from .otel import OtelMetrics

        return OtelMetrics(site_id, provider)
    # None, 0 and 1 as they come from reading the environment (unset, off, on), as before;
    # a string is refused: "false" would have meant on.
    if setting is None or (type(setting) is int and setting in (0, 1)):
        setting = bool(setting)
    if not isinstance(setting, bool):
        raise ConfigurationError(
            f"CONSENT_METRICS {setting!r} must be True (Prometheus), 'opentelemetry' (the "
            "host's OpenTelemetry MeterProvider) or False (no metrics)."
        )
    if provider is not None:
        raise ConfigurationError(
            "CONSENT_METRICS_METER_PROVIDER is used only with CONSENT_METRICS = 'opentelemetry'."
        )
    if setting or registry is not None:
        return Metrics(site_id, registry)
    return None


class Metrics:
    """The SDK's counters and histogram, on one registry."""

    def __init__(self, site_id: str, registry: Any = None) -> None:
        try:
            import prometheus_client as prom
        except ImportError:
            raise ConfigurationError(
                "CONSENT_METRICS needs prometheus-client: pip install 'consent_sdk[metrics]'."
            ) from None
        self._prom = prom
        self.own_registry = registry is None
        self.registry = prom.CollectorRegistry() if registry is None else registry
        self.site = site_id
        r = self.registry
        self.decisions = prom.Counter(
            "consent_decisions",
            DESCRIPTIONS["consent_decisions"],
            ["site", "action", "outcome"],
            registry=r,
        )
        self.purposes = prom.Counter(
            "consent_purpose_choices",
            DESCRIPTIONS["consent_purpose_choices"],
            ["site", "purpose", "choice"],
            registry=r,
        )
        self.write_seconds = prom.Histogram(
            "consent_write_seconds",
            DESCRIPTIONS["consent_write_seconds"],
            ["site"],
            buckets=WRITE_SECONDS_BUCKETS,
            registry=r,
        )
        self.store_errors = prom.Counter(
            "consent_store_errors",
            DESCRIPTIONS["consent_store_errors"],
            ["site", "error"],
            registry=r,
        )
        self.retried = prom.Counter(
            "consent_delivery_retried",
            DESCRIPTIONS["consent_delivery_retried"],
            ["site"],
            registry=r,
        )
        self.failed_attempts = prom.Counter(
            "consent_delivery_failed_attempts",
            DESCRIPTIONS["consent_delivery_failed_attempts"],
            ["site"],
            registry=r,
        )
        self.refusals = prom.Counter(
            "consent_gate_refusals",
            DESCRIPTIONS["consent_gate_refusals"],
            ["site", "purpose"],
            registry=r,
        )

    def decision(
        self, record: Mapping[str, Any], is_new: bool, seconds: float, failed_attempts: int = 0
    ) -> None:
        action = record.get("action") or "api"
        self.decisions.labels(self.site, action, "new" if is_new else "replay").inc()
        self.write_seconds.labels(self.site).observe(seconds)
        if failed_attempts:
            self.retried.labels(self.site).inc()
            self.failed_attempts.labels(self.site).inc(failed_attempts)
        if is_new:
            for purpose in record["granted"]:
                self.purposes.labels(self.site, purpose, "granted").inc()
            for purpose in record["refused"]:
                self.purposes.labels(self.site, purpose, "refused").inc()

    def store_error(self, exc: BaseException) -> None:
        self.store_errors.labels(self.site, type(exc).__name__).inc()

    def refused(self, missing: Iterable[str]) -> None:
        for purpose in missing:
            self.refusals.labels(self.site, purpose).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The text format of the app's registry, or of every worker in multiprocess mode."""
        prom = self._prom
        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = prom.CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return prom.generate_latest(registry), prom.CONTENT_TYPE_LATEST
