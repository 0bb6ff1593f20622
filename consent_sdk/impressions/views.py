"""``POST {prefix}/impressions``: the widget reports a page view that showed the banner.

On the API's blueprint, so its JSON errors, ``nosniff`` and the 503 for a store outage apply.
The view reads no cookie and sets none, and keeps nothing about the sender: the count needs
no consent. ``text/plain`` is accepted beside JSON, so a browser sends it (``sendBeacon``, a
``keepalive`` fetch) without a CORS preflight; a browser names the page's origin on every
cross-origin POST, so the origin check still keeps other sites' pages out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, current_app, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import Conflict

from ..exceptions import ConsentError, InvalidRequest, RateLimited, json_response
from ..limits import WriteLimiter
from ..origin import check_origin
from ..state import _ext
from ..views import _load, blueprint
from . import store
from .schema import ImpressionSchema

if TYPE_CHECKING:
    from ..config import ConsentConfig
    from ..ledger import Ledger

MAX_BYTES = 512
"""An impression is about 60 bytes; anything much larger is not one (and not read)."""

LIMITER_KEY = "consent_sdk.impressions.limiter"
"""``app.extensions[LIMITER_KEY]``: the app's impressions limiter, or None."""

TYPES = ("application/json", "text/plain")

_SCHEMA = ImpressionSchema()


class StalePolicyVersion(ConsentError, Conflict):
    """409: the banner asked about another policy version than the site's current one (a page
    or script cached from before the change). Nothing is counted."""

    def __init__(self, sent: str, current: str) -> None:
        super().__init__(f"The policy version {sent!r} is not the current one ({current!r}).")
        self.current = current

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        body = {
            "error": "stale_policy_version",
            "message": self.description,
            "fields": {"policy_version": [f"Not the current policy version {self.current!r}."]},
        }
        return json_response(409, body)


def _set_up_limiter(state: BlueprintSetupState) -> None:
    """The same ``CONSENT_RATE_LIMIT`` as decisions, counted apart: an undecided visitor's
    page views must not use up the decisions they are allowed."""
    config = state.app.extensions["consent"].config
    limiter = None
    if config.rate_limit:
        namespace = f"{config.site_id}:{config.url_prefix}:impressions"
        limiter = WriteLimiter(config.rate_limit, config.rate_limit_storage_uri, namespace)
    state.app.extensions[LIMITER_KEY] = limiter


blueprint.record(_set_up_limiter)


def _limit() -> None:
    limiter: WriteLimiter | None = current_app.extensions.get(LIMITER_KEY)
    if limiter is None:
        return
    try:
        limiter.check(request)
    except RateLimited as exc:
        exc.description = (
            f"Too many impressions from this client; nothing was counted. Try again in "
            f"{exc.retry_after} seconds."
        )
        raise


def _body() -> dict[str, Any]:
    """The JSON object sent (as JSON or plain text, the widget's way past a CORS preflight),
    at most ``MAX_BYTES``; else a 400 naming the problem, as for decisions."""
    return _load(_SCHEMA, required=True, limit=MAX_BYTES, types=TYPES)


@blueprint.post("/impressions")
def post_impressions() -> Response:
    """Count ``count`` page views that showed the banner in ``language`` for the current
    policy version, under today's UTC date; 204, no body, no cookie."""
    ext = _ext()
    check_origin(request, ext.config.trusted_origins)
    _limit()
    return count(ext.config, ext.ledger)


def count(cfg: ConsentConfig, ledger: Ledger) -> Response:
    """The request's impressions counted under ``cfg``'s site, languages and policy version
    (a client site of the consent service has its own: embed/views.py); the 204."""
    body = _body()
    if body["language"] not in cfg.languages:
        raise InvalidRequest(
            "Invalid field: language.", {"language": [f"Must be one of {list(cfg.languages)}."]}
        )
    if body["policy_version"] != cfg.policy_version:
        raise StalePolicyVersion(body["policy_version"], cfg.policy_version)
    store.count(
        ledger,
        site=cfg.site_id,
        language=body["language"],
        policy_version=cfg.policy_version,
        n=body["count"],
    )
    response = Response(status=204, headers={"Cache-Control": "no-store"})
    del response.headers["Content-Type"]  # no body, so no type
    return response
