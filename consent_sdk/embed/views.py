"""The service's routes for client sites: ``embed.js`` and ``/sites/<site>/…``.

``GET {prefix}/embed.js`` is the embed build of the widget (a page's ``<script
data-site="landing">`` names the site). Each site's API mirrors the Flask site's, answered
with that site's settings and only to the site's own origins (``cors.py``):

- ``OPTIONS /sites/<site>/<any>``: the CORS preflight;
- ``GET /sites/<site>/config?lang=xx``: the widget's config in the page's language;
- ``GET /sites/<site>/state`` with ``Consent-Record``: the ``State`` the record stands for;
- ``POST /sites/<site>/state``: a ``Decision``, recorded under the site's id; the answer adds
  ``record``, the first-party cookie the widget keeps on the page's site;
- ``DELETE /sites/<site>/state``: a withdrawal (recorded when the record is authentic);
- ``POST /sites/<site>/impressions``: one more banner view for the site.

The API's own error handlers, ``nosniff``, the store-outage 503 and the write rate limit apply
as on ``/state``. No route here reads or sets a cookie of the service's domain.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.exceptions import default_exceptions

from ..impressions.views import _limit as _limit_impressions
from ..impressions.views import count as count_impressions
from ..views import (
    STORE_DOWN,
    _json_error,
    _limit_writes,
    _load,
    _no_store,
    _store_unavailable,
    widget_file,
    withdraw,
)
from .cors import ForbiddenSiteOrigin, UnknownSite, allow, allowed_origin, page_origin, preflight
from .record import RECORD_HEADER
from .service import SiteConsent, service

blueprint = Blueprint("consent_embed", __name__)

for _code in default_exceptions:
    blueprint.register_error_handler(_code, _json_error)
for _error in STORE_DOWN:
    blueprint.register_error_handler(_error, _store_unavailable)

_SITE = "consent_sdk.embed.site"
_ORIGIN = "consent_sdk.embed.origin"
_READS = frozenset({"GET", "HEAD"})


@blueprint.before_request
def _only_the_sites_origins() -> Response | None:
    """Find the site and check the page's origin before any view runs: an unknown site is a
    404, a page of another origin a 403 (nothing read or written), a preflight answered."""
    site_id = (request.view_args or {}).get("site_id")
    if site_id is None:
        return None  # embed.js: any page may load the script
    consent = service().consents.get(site_id)
    if consent is None:
        raise UnknownSite(site_id)
    if request.method == "OPTIONS":
        origin = page_origin(request)
        if origin is None or origin not in consent.site.origins:
            raise ForbiddenSiteOrigin(origin, site_id)
        return preflight(origin)
    origin = allowed_origin(consent.site, request, write=request.method not in _READS)
    request.environ[_SITE] = consent
    request.environ[_ORIGIN] = origin
    return None


@blueprint.after_request
def _headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if (request.view_args or {}).get("site_id") is not None:
        allow(response, request.environ.get(_ORIGIN))
    return response


def _site() -> SiteConsent:
    consent: SiteConsent = request.environ[_SITE]
    return consent


def _script(body: bytes, version: str) -> Response:
    return widget_file(body, version, "text/javascript")


@blueprint.get("/embed.js")
def script() -> Response:
    """The embed build of the widget."""
    return _script(*service().script)


@blueprint.get("/sites/<site_id>/config")
def config(site_id: str) -> Response:
    consent = _site()
    lang = consent.config.language(request.args.get("lang"))
    _body, version = consent.site_dialog(lang)
    dialog = url_for("consent_embed.dialog", site_id=site_id, lang=lang, v=version, _external=True)
    return jsonify(consent.site_config(lang, dialog))


@blueprint.get("/sites/<site_id>/consent-dialog.js")
def dialog(site_id: str) -> Response:
    """The settings dialog in the site's texts (loaded by a classic script tag)."""
    consent = _site()
    lang = consent.config.language(request.args.get("lang"))
    return _script(*consent.site_dialog(lang))


@blueprint.get("/sites/<site_id>/state")
def get_state(site_id: str) -> Response:
    """What a record stands for now: decided only if authentic (this service signed it for
    this site), for the current policy version and purposes, and unexpired."""
    state = _site().state_of(request.headers.get(RECORD_HEADER))
    return _no_store(jsonify(state.to_dict()))


def _secure() -> bool:
    """Whether the page is on https: its record cookie is then ``Secure``."""
    origin: str | None = request.environ.get(_ORIGIN)
    return bool(origin and origin.startswith("https://"))


@blueprint.post("/sites/<site_id>/state")
def post_state(site_id: str) -> Response:
    _limit_writes()
    consent = _site()
    body = _load(consent.decision_schema, required=True)
    state, _record, _new = consent.decide(
        body["purposes"],
        event_id=body["event_id"],
        source=body["source"],
        action=body["action"],
        language=body["language"],
        gpc=body["gpc"],
    )
    return _no_store(jsonify(consent.answer(state, secure=_secure())))


@blueprint.delete("/sites/<site_id>/state")
def delete_state(site_id: str) -> Response:
    """Withdraw: recorded under the record's consent id when the record is authentic; the
    answer's ``record`` removes the cookie either way."""
    _limit_writes()
    consent = _site()
    withdraw(consent)
    return _no_store(jsonify(consent.answer(consent.undecided, secure=_secure())))


@blueprint.post("/sites/<site_id>/impressions")
def post_impressions(site_id: str) -> Response:
    """One more banner view for the site (``POST /impressions``, counted under its id)."""
    consent = _site()
    _limit_impressions()
    return count_impressions(consent.config, consent.ledger)
