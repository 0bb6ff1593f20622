"""Per-client limits on the API's writes (``POST``/``DELETE /state``): ``CONSENT_RATE_LIMIT``.

Built on ``limits``, the engine of Flask-Limiter, with its limit syntax
(``"30/minute;300/hour"``) and storage URIs (``memory://``, ``redis://host:6379``), but not as
a second ``flask_limiter.Limiter`` on the host's app: that one would add a hook to every
request of every page (the gate's hot path), and it would pick up the host's own
``RATELIMIT_*`` settings (``RATELIMIT_DEFAULT``, ``RATELIMIT_APPLICATION``,
``RATELIMIT_ENABLED``) and apply them a second time. Here only the two write views are
counted, in the SDK's own keys, whatever limiter the host runs beside it.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time

from flask import Request
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError as LimitsConfigurationError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .exceptions import ConfigurationError, RateLimited

log = logging.getLogger("consent_sdk")


class WriteLimiter:
    """Counts one client's decisions and withdrawals in fixed windows; raises ``RateLimited``.

    A storage that cannot be reached (Redis down) lets the write through, logged: a visitor's
    decision matters more than the limit, and the store has its own protection.
    """

    def __init__(self, spec: str, storage_uri: str, namespace: str) -> None:
        self.spec = spec
        self.items: list[RateLimitItem] = parse_many(spec)
        try:
            storage = storage_from_string(storage_uri)
        except (LimitsConfigurationError, ImportError, ValueError) as exc:
            raise ConfigurationError(
                f"CONSENT_RATE_LIMIT_STORAGE_URI {storage_uri!r} cannot be used: {exc}. Use "
                "'memory://' (one process) or 'redis://host:6379' (several instances; needs the "
                "redis package)."
            ) from None
        self._limiter = FixedWindowRateLimiter(storage)
        self.namespace = namespace

    def check(self, request: Request) -> None:
        """Count this request against every limit; ``RateLimited`` when one is exceeded."""
        key = client_key(request)
        for item in self.items:
            try:
                allowed = self._limiter.hit(item, "consent_sdk", self.namespace, key)
                if allowed:
                    continue
                reset = self._limiter.get_window_stats(
                    item, "consent_sdk", self.namespace, key
                ).reset_time
            except Exception:  # the storage's own errors (redis.ConnectionError, timeouts...)
                log.warning("consent_sdk: rate limit storage failed, not limiting", exc_info=True)
                return
            raise RateLimited(max(1, math.ceil(reset - time.time())), str(item))


def client_key(request: Request) -> str:
    """The client a limit counts: its address, an IPv6 one by its /64 (one host's range)."""
    addr = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return addr
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
