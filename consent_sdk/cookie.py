"""The signed consent cookie: sign and verify it, and nothing else (no Flask here).

The token is an itsdangerous ``URLSafeSerializer`` (HMAC-SHA256) over
``{"c": consent id, "g": granted, "d": refused, "v": policy version, "t": unix time given,
"s": site id}``. The time is in the payload rather than in a timestamp signer so that the
cookie and the stored record carry the very same second.

``"s"`` binds the cookie to the site that issued it (``CONSENT_SITE_ID``): sites of one
company often share a ``SECRET_KEY``, and a cookie that one of them signed must not count as a
decision on another (a browser sends it there when their paths or domains overlap). A token
without ``"s"`` was signed by a release before the binding: it still counts, so that no
visitor of a single site is asked again because of an upgrade (see ``CookieCodec``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
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
    """Signs with the newest key and verifies with every key (``SECRET_KEY_FALLBACKS``).

    With ``site_id`` the tokens it signs name that site, and a token naming another site is
    not authentic here (None), exactly like one signed with an unknown key: the visitor has
    not decided on this site, and their consent id there stays theirs. A token naming no site
    (signed before this binding existed) is accepted, whichever site reads it: rejecting it
    would ask every visitor of every single-site deployment again, while before the upgrade it
    counted everywhere already and every cookie signed from now on is bound. A store shared by
    sites whose cookies reached each other can drop those old tokens at once with a new
    ``CONSENT_COOKIE_SALT`` per site.
    """

    def __init__(self, keys: Sequence[str | bytes], salt: str, site_id: str | None = None) -> None:
        # itsdangerous signs with the last key and tries all of them when verifying.
        self._serializer = URLSafeSerializer(
            list(keys),  # type: ignore[arg-type]
            salt=salt,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
        self._site_id = site_id

    def dumps(self, data: CookieData) -> str:
        payload = {
            "c": data.consent_id,
            "g": sorted(data.granted),
            "d": sorted(data.refused),
            "v": data.policy_version,
            "t": data.given_at,
        }
        if self._site_id is not None:
            payload["s"] = self._site_id
        return str(self._serializer.dumps(payload))

    def loads(self, token: str) -> CookieData | None:
        """The cookie's content; None if tampered, malformed, signed by an unknown key or
        issued by another site."""
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
            site = payload.get("s")
            if site is not None and self._site_id is not None and _str(site) != self._site_id:
                return None
        except (BadData, KeyError, TypeError, ValueError):
            return None
        return data


def choice_value(data: CookieData) -> str:
    """The readable cookie's value: only the decision (policy version, granted, refused).

    No consent id and no time: a page script may read it, and nothing in it identifies the
    visitor. URL-encoded JSON, decoded by the widget with ``decodeURIComponent``.
    """
    return _choice_value(data.policy_version, data.granted, data.refused)


@lru_cache(maxsize=256)
def _choice_value(policy_version: str, granted: frozenset[str], refused: frozenset[str]) -> str:
    """Remembered: a site has a handful of distinct choices, and quoting the JSON costs more
    than the rest of the cookie's value (nothing about a visitor is kept here)."""
    payload = {"v": policy_version, "g": sorted(granted), "d": sorted(refused)}
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
