"""The SDK's metrics through the host's OpenTelemetry (``CONSENT_METRICS = "opentelemetry"``).

A site that already ships its metrics with OpenTelemetry gets the consent layer's next to its
own, through its own exporter: the same metrics, names, units and attribute keys as the
Prometheus ones (``consent_sdk.metrics``). Attributes are the site id, purpose ids, actions,
outcomes and error types, never a consent id, an event id, an address or a user agent.

The meter comes from ``CONSENT_METRICS_METER_PROVIDER`` when set, else from the global
provider (``opentelemetry.metrics.get_meter``): set up before or after ``init_app``, the
global one receives the measurements either way (the API's proxy meter forwards them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .exceptions import ConfigurationError
from .metrics import DESCRIPTIONS, WRITE_SECONDS_BUCKETS

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, Meter, MeterProvider

METER_NAME = "consent_sdk"


class OtelMetrics:
    """The SDK's counters and histogram, on a meter of the host's OpenTelemetry."""

    def __init__(self, site_id: str, meter_provider: MeterProvider | None = None) -> None:
        try:
            from opentelemetry import metrics
        except ImportError:
            raise ConfigurationError(
                "CONSENT_METRICS = 'opentelemetry' needs opentelemetry-api: "
                "pip install 'consent_sdk[opentelemetry]'."
            ) from None
        from . import __version__

        if meter_provider is None:
            meter = metrics.get_meter(METER_NAME, __version__)
        else:
            meter = meter_provider.get_meter(METER_NAME, __version__)
        self.site = site_id
        self._site = {"site": site_id}

        def counter(name: str) -> Counter:
            return meter.create_counter(name, description=DESCRIPTIONS[name])

        self.decisions = counter("consent_decisions")
        self.purposes = counter("consent_purpose_choices")
        self.store_errors = counter("consent_store_errors")
        self.retried = counter("consent_delivery_retried")
        self.failed_attempts = counter("consent_delivery_failed_attempts")
        self.refusals = counter("consent_gate_refusals")
        self.write_seconds = _write_seconds(meter)

    def decision(
        self, record: Mapping[str, Any], is_new: bool, seconds: float, failed_attempts: int = 0
    ) -> None:
        action = record.get("action") or "api"
        outcome = "new" if is_new else "replay"
        self.decisions.add(1, {**self._site, "action": action, "outcome": outcome})
        self.write_seconds.record(seconds, self._site)
        if failed_attempts:
            self.retried.add(1, self._site)
            self.failed_attempts.add(failed_attempts, self._site)
        if is_new:
            for purpose in record["granted"]:
                self.purposes.add(1, {**self._site, "purpose": purpose, "choice": "granted"})
            for purpose in record["refused"]:
                self.purposes.add(1, {**self._site, "purpose": purpose, "choice": "refused"})

    def store_error(self, exc: BaseException) -> None:
        self.store_errors.add(1, {**self._site, "error": type(exc).__name__})

    def refused(self, missing: Iterable[str]) -> None:
        for purpose in missing:
            self.refusals.add(1, {**self._site, "purpose": purpose})


def _write_seconds(meter: Meter) -> Histogram:
    """``consent_write_seconds`` with the Prometheus buckets as advice (opentelemetry-api 1.30+),
    so that both exporters give the same histogram."""
    return meter.create_histogram(
        "consent_write_seconds",
        unit="s",
        description=DESCRIPTIONS["consent_write_seconds"],
        explicit_bucket_boundaries_advisory=WRITE_SECONDS_BUCKETS,
    )
