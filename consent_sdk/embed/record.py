"""The first-party record of a choice made through the consent service: sign it, read it.

Third-party cookies are blocked, so the service cannot keep a cookie of its own on a visitor
of an embedding site. The widget keeps the decision there instead, as a cookie on the
embedding site's own domain (``RECORD_COOKIE``), and sends the signed part back with every
decision (the ``Consent-Record`` header). The cookie's value is ``encodeURIComponent`` of the
JSON ``{"v": policy version, "g": [granted], "d": [refused], "r": token}``: ``v``, ``g`` and
``d`` are what the widget reads (exactly as it reads a Flask site's readable choice cookie),
``r`` is the authority.

The token is a ``CookieCodec`` token, the same itsdangerous signature and key rotation as the
consent cookie (``SECRET_KEY_FALLBACKS + [SECRET_KEY]``: the newest signs, all verify) over the
same payload ``{"c": consent id, "g", "d", "v", "t": unix time given, "s": site id}``, under a
salt of its own (``RECORD_SALT``): a record is never a consent cookie, nor a consent cookie a
record, and a record signed for one site is no record on another.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import quote, unquote

from ..cookie import CookieCodec, CookieData

RECORD_COOKIE = "consent_record"
"""The cookie the widget keeps on the embedding site."""
RECORD_SALT = "consent_sdk.embed"
"""itsdangerous salt of the record's token, distinct from the consent cookie's."""
RECORD_HEADER = "Consent-Record"
"""The request header the widget sends the token in (never a cookie: none crosses sites)."""


def record_codec(
    site_id: str,
    secret_key: str | bytes,
    fallbacks: Sequence[str | bytes] = (),
    *,
    salt: str = RECORD_SALT,
) -> CookieCodec:
    """The codec of ``site_id``'s records: signs with ``secret_key``, verifies with it and
    every key in ``fallbacks`` (a Flask app's ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``)."""
    return CookieCodec([*fallbacks, secret_key], salt, site_id)


def record_value(token: str, data: CookieData) -> str:
    """The cookie's value: the readable decision and the signed token, URL-encoded JSON."""
    payload = {
        "v": data.policy_version,
        "g": sorted(data.granted),
        "d": sorted(data.refused),
        "r": token,
    }
    return quote(json.dumps(payload, separators=(",", ":")), safe="")


def record_token(value: str | None) -> str | None:
    """The token in a record: the cookie's value (URL-encoded JSON), or a bare token."""
    if not value:
        return None
    if not value.startswith(("%7B", "%7b", "{")):
        return value
    try:
        token = json.loads(unquote(value)).get("r")
    except (ValueError, AttributeError):
        return None
    return token if isinstance(token, str) else None


def read_record(
    value: str | None,
    *,
    site_id: str,
    secret_key: str | bytes,
    fallbacks: Sequence[str | bytes] = (),
    salt: str = RECORD_SALT,
) -> CookieData | None:
    """What an authentic record of ``site_id`` says; None if there is none, it is tampered
    with, signed by an unknown key, or signed for another site.

    For a Flask site of the same family that receives the ``consent_record`` cookie (the
    embedding site's ``cookie_domain`` covers it) and knows the service's secret. It does not
    check the policy version or the age: compare ``policy_version`` and ``given_at`` with the
    site's own (``ConsentService.state`` does both).
    """
    token = record_token(value)
    if token is None:
        return None
    return record_codec(site_id, secret_key, fallbacks, salt=salt).loads(token)


def cookie_string(value: str, max_age: int, *, domain: str | None, secure: bool) -> str:
    """What the widget assigns to ``document.cookie`` on the embedding page: the record (or,
    with an empty value and ``max_age`` 0, its removal) for the whole site, ``SameSite=Lax``,
    ``Secure`` on an https page, on ``domain`` if the site shares it with its subdomains."""
    parts = [f"{RECORD_COOKIE}={value}", f"Max-Age={max_age}", "Path=/", "SameSite=Lax"]
    if domain:
        parts.append(f"Domain={domain}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
