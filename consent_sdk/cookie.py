"""The signed consent cookie: sign and verify it, and nothing else (no Flask here).

The token is an itsdangerous ``URLSafeSerializer`` (HMAC-SHA256) over
``{"c": consent id, "g": granted, "d": refused, "v": policy version, "t": unix time given}``.
The time is in the payload rather than in a timestamp signer so that the cookie and the
stored record carry the very same second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from itsdangerous import BadData, URLSafeSerializer


@dataclass(frozen=True, slots=True)
class CookieData:
    """What an authentic consent cookie says, whatever its age or policy version."""

    consent_id: str
    granted: frozenset[str]
    refused: frozenset[str]
    policy_version: str
    given_at: int


class CookieCodec:
    """Signs with the newest key and verifies with every key (``SECRET_KEY_FALLBACKS``)."""

    def __init__(self, keys: Sequence[str | bytes], salt: str) -> None:
        # itsdangerous signs with the last key and tries all of them when verifying.
        self._serializer = URLSafeSerializer(
            list(keys),  # type: ignore[arg-type]
            salt=salt,
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def dumps(self, data: CookieData) -> str:
        payload = {
            "c": data.consent_id,
            "g": sorted(data.granted),
            "d": sorted(data.refused),
            "v": data.policy_version,
            "t": data.given_at,
        }
        return str(self._serializer.dumps(payload))

    def loads(self, token: str) -> CookieData | None:
        """The cookie's content; None if tampered, malformed or signed by an unknown key."""
        if len(token) > 1024 or not token.isascii():
            return None
        try:
            payload = self._serializer.loads(token)
            data = CookieData(
                consent_id=_str(payload["c"]),
                granted=frozenset(_strings(payload["g"])),
                refused=frozenset(_strings(payload["d"])),
                policy_version=_str(payload["v"]),
                given_at=_int(payload["t"]),
            )
        except (BadData, KeyError, TypeError, ValueError):
            return None
        return data


def choice_value(data: CookieData) -> str:
    """The readable cookie's value: only the decision (policy version, granted, refused).

    No consent id and no time: a page script may read it, and nothing in it identifies the
    visitor. URL-encoded JSON, decoded by the widget with ``decodeURIComponent``.
    """
    payload = {"v": data.policy_version, "g": sorted(data.granted), "d": sorted(data.refused)}
    return quote(json.dumps(payload, separators=(",", ":")), safe="")


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value


def _strings(value: Any) -> Iterable[str]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return [_str(v) for v in value]
