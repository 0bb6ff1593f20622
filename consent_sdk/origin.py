"""Origin checks for state-changing requests (a cross-site page must not record consent)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request

from .exceptions import ForbiddenOrigin


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased; None if it has none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_origin(request: Request, trusted: frozenset[str]) -> None:
    """Raise ``ForbiddenOrigin`` unless the request comes from this site or a trusted origin.

    The ``Origin`` header decides; when a browser leaves it out, ``Referer`` does. A request
    with neither is not from a browser page (browsers send ``Origin`` on every cross-site
    POST/DELETE), and the JSON content type the API requires cannot be sent cross-site
    without a CORS preflight, so it is let through.
    """
    header = request.headers.get("Origin")
    if header is None:
        referer = request.headers.get("Referer")
        if referer is None:
            return
        origin = origin_of(referer)
        if origin is None:
            raise ForbiddenOrigin(referer)
    else:
        origin = header.rstrip("/").lower()
    own = f"{request.scheme}://{request.host}".lower()
    if origin != own and origin not in trusted:
        raise ForbiddenOrigin(origin, own, scheme_only=_only_scheme_differs(origin, own))


def _only_scheme_differs(origin: str, own: str) -> bool:
    """``https://example.com`` sent, ``http://example.com`` seen: an untrusted TLS proxy.

    The host must be the same; the port too, unless the app sees none (a proxy that passes the
    ``Host`` header on as it came) or the browser's default port (``Host: example.com:443``).
    """
    try:
        sent, seen = urlsplit(origin), urlsplit(own)
        if (sent.scheme, seen.scheme) != ("https", "http") or sent.hostname != seen.hostname:
            return False
        return seen.port is None or seen.port == (sent.port or 443)
    except ValueError:  # a port that is not a number
        return False
