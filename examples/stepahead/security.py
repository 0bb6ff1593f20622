"""Security headers for every response, and a small CSRF guard for the contact form."""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Response, session

# Everything the site runs is an external file from this origin: no inline script or style,
# no event-handler attributes. The widget's JSON block is data (type="application/json"),
# which CSP does not execute.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_security(app: Flask) -> None:
    app.after_request(_headers)


def csrf_token() -> str:
    """The form token kept in the (strictly necessary) session cookie."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def csrf_valid(sent: str | None) -> bool:
    expected = session.get("csrf")
    return isinstance(expected, str) and sent is not None and hmac.compare_digest(expected, sent)
