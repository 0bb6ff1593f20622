"""Which page may use which client site, and the CORS headers that tell its browser so.

A page's browser names the page's origin in ``Origin`` on every cross-origin request (and on
every preflight). The service answers a client site's API only for the origins that site lists
in ``CONSENT_SITES``, naming that one origin in ``Access-Control-Allow-Origin``, never ``*``,
and never with ``Access-Control-Allow-Credentials``: the widget sends no cookie to the service
(``credentials: "omit"``; third-party cookies are blocked anyway) and the service sets none.

``Origin`` is what a browser says, not a proof: any program can send any header. These checks
keep other sites' pages (a visitor's browser) from reading a site's config or recording a
decision for it; what a program can send without a browser it could send to ``/state`` too,
and the rate limit and the records' own fields (no personal data) are what bound it.
"""

from __future__ import annotations

from typing import Any

from flask import Request, Response
from werkzeug.exceptions import NotFound

from ..exceptions import ConsentError, ForbiddenOrigin, json_response
from .sites import Site

ALLOW_METHODS = "GET, POST, DELETE"
ALLOW_HEADERS = "Content-Type, Consent-Attempt, Consent-Record"
"""What the widget sends: a JSON body, its delivery count, its record."""
PREFLIGHT_MAX_AGE = 600
"""Seconds a browser may reuse a preflight's answer (Chromium caps it at 7,200)."""


class ForbiddenSiteOrigin(ForbiddenOrigin):
    """403 ``forbidden_origin``: the page's origin is not one of the site's (or there is none
    on a request that changes something). Nothing is read, written or signed."""

    def __init__(self, origin: str | None, site_id: str) -> None:
        shown = origin or "no origin"
        super().__init__(shown)
        self.description = (
            f"Pages on {shown!r} may not use the consent site {site_id!r}: add the origin to "
            f"CONSENT_SITES[{site_id!r}]['origins'] on the consent service, or embed the "
            "script with the data-site of the site that lists it."
        )


def page_origin(request: Request) -> str | None:
    """The ``Origin`` the browser sent, as ``CONSENT_SITES`` spells origins; None if none."""
    origin = request.headers.get("Origin")
    return origin.rstrip("/").lower() if origin else None


def allowed_origin(site: Site, request: Request, *, write: bool) -> str | None:
    """The page origin to name in the CORS headers, or ``ForbiddenSiteOrigin``.

    A read without ``Origin`` is not from another site's page (a browser names the page on every
    cross-origin fetch): a server of the site's family asking about a record, say. It gets its
    answer with no CORS header. A write must name one of the site's origins: the widget's
    always do, so a write without one is no widget's. ``Origin: null`` (a sandboxed frame, a
    file) is no site's origin.
    """
    origin = page_origin(request)
    if origin is None and not write:
        return None
    if origin is None or origin not in site.origins:
        raise ForbiddenSiteOrigin(origin, site.id)
    return origin


def allow(response: Response, origin: str | None) -> Response:
    """Name ``origin`` (a site's listed origin) as the one that may read ``response``.

    ``Vary: Origin`` in any case: the answer differs by origin, so a cache must not give one
    origin's answer (or a refusal) to another."""
    response.vary.add("Origin")
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


def preflight(origin: str) -> Response:
    """The answer to a listed origin's preflight: what the widget's requests may use."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return allow(response, origin)


class UnknownSite(ConsentError, NotFound):
    """404 ``unknown_site``, with no CORS header: there is nothing for a page to read."""

    def __init__(self, site_id: str) -> None:
        super().__init__(f"No site {site_id!r} in CONSENT_SITES on this consent service.")

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        return json_response(404, {"error": "unknown_site", "message": self.description})
