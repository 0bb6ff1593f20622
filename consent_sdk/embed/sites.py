"""``CONSENT_SITES``: the client sites of a central consent service, validated at start-up.

Each entry names a site that is not built with Flask (a static page, a CMS) and embeds the
widget with ``<script src=".../consent/embed.js" data-site="landing" defer>``. A site is the
service's own settings with the site's keys over them, read by ``ConsentConfig`` like any
app's, so every check of ``CONSENT_*`` applies to every site and a mistake fails at start-up
naming the site. Two keys are the site's alone: ``origins`` (the pages allowed to use it) and
``policy_url`` (the service's policy link is the service's).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import ConsentConfig
from ..exceptions import ConfigurationError
from ..origin import origin_of
from .record import RECORD_COOKIE, RECORD_SALT

SITE_KEYS: dict[str, str] = {
    "policy_url": "CONSENT_POLICY_URL",
    "policy_version": "CONSENT_POLICY_VERSION",
    "languages": "CONSENT_LANGUAGES",
    "default_language": "CONSENT_DEFAULT_LANGUAGE",
    "purposes": "CONSENT_PURPOSES",
    "texts": "CONSENT_TEXTS",
    "controller": "CONSENT_CONTROLLER",
    "cookie_domain": "CONSENT_COOKIE_DOMAIN",
    "max_age": "CONSENT_MAX_AGE",
    "google_consent_mode": "CONSENT_GOOGLE_CONSENT_MODE",
    "microsoft_uet": "CONSENT_MICROSOFT_UET",
    "microsoft_clarity": "CONSENT_MICROSOFT_CLARITY",
}
"""A site's keys (beside ``origins``) and the service setting each one replaces."""

_SITE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
"""In URLs (``/consent/sites/<id>/state``) and in every record: short, lower-case, plain."""


@dataclass(frozen=True, slots=True)
class Site:
    """One client site: its id, the origins whose pages may use it, and its settings."""

    id: str
    origins: frozenset[str]
    config: ConsentConfig


def load_sites(value: Any, service: Mapping[str, Any]) -> dict[str, Site]:
    """Validate ``CONSENT_SITES`` against the service's settings (``service``: the app's
    config, defaults filled in); any mistake raises ``ConfigurationError`` naming the site."""
    if value is None or value == {}:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            "CONSENT_SITES must map a site id to its settings, e.g. {'landing': {'origins': "
            "['https://landing.example.com'], 'policy_url': 'https://landing.example.com/privacy'}}."
        )
    sites: dict[str, Site] = {}
    owner: dict[str, str] = {}
    for site_id, entry in value.items():
        site = _load_site(site_id, entry, service)
        for origin in site.origins:
            if origin in owner:
                raise ConfigurationError(
                    f"CONSENT_SITES: {origin!r} is listed by both {owner[origin]!r} and "
                    f"{site_id!r}. An origin belongs to one site: the site id a page may record "
                    "under follows from its origin."
                )
            owner[origin] = site.id
        sites[site.id] = site
    return sites


def _load_site(site_id: Any, entry: Any, service: Mapping[str, Any]) -> Site:
    name = f"CONSENT_SITES[{site_id!r}]"
    if not isinstance(site_id, str) or not _SITE_ID.fullmatch(site_id):
        raise ConfigurationError(
            f"{name}: a site id is 1-63 lower-case letters, digits, '-' or '_', starting with a "
            "letter or digit (it is part of the API's URLs and of every record)."
        )
    if site_id == str(service["CONSENT_SITE_ID"]):
        raise ConfigurationError(
            f"{name}: the service's own CONSENT_SITE_ID is {site_id!r}; give the client site "
            "another id, so that its records are told apart from the service's."
        )
    if not isinstance(entry, Mapping):
        raise ConfigurationError(f"{name} must be a dict with 'origins' and 'policy_url'.")
    unknown = sorted(map(str, set(entry) - {"origins", *SITE_KEYS}))
    if unknown:
        raise ConfigurationError(
            f"{name} has unknown keys {unknown}; a site's keys are "
            f"{', '.join(['origins', *SITE_KEYS])}."
        )
    if entry.get("policy_url") is None:
        raise ConfigurationError(
            f"{name} needs 'policy_url': the banner on the site must link to its privacy policy "
            "(rule 7). An http(s) URL (it may contain '{lang}'), a path on the site, or "
            "{lang: url}."
        )
    origins = _load_origins(name, entry.get("origins"))
    merged = {key: service[key] for key in service if key.startswith("CONSENT_")}
    merged["SESSION_COOKIE_NAME"] = service.get("SESSION_COOKIE_NAME")
    merged.update({SITE_KEYS[key]: given for key, given in entry.items() if key in SITE_KEYS})
    merged["CONSENT_SITE_ID"] = site_id
    merged["CONSENT_TRUSTED_ORIGINS"] = tuple(origins)
    merged["CONSENT_COOKIE_NAME"] = RECORD_COOKIE
    merged["CONSENT_COOKIE_PATH"] = "/"
    merged["CONSENT_COOKIE_SALT"] = RECORD_SALT
    if "languages" in entry and "default_language" not in entry:
        languages = list(entry["languages"] or ())
        default = service["CONSENT_DEFAULT_LANGUAGE"]
        merged["CONSENT_DEFAULT_LANGUAGE"] = (
            default if default in languages or not languages else languages[0]
        )
    merged["CONSENT_TEXTS"] = _texts(service, entry, merged["CONSENT_LANGUAGES"])
    merged["CONSENT_PURPOSES"] = _purposes(service, entry)
    try:
        config = ConsentConfig.from_mapping(merged)
    except ConfigurationError as exc:
        raise ConfigurationError(
            f"{name}: {exc} (a site's keys stand for the CONSENT_* settings of the same name; "
            "what a site leaves out is the service's)"
        ) from None
    return Site(site_id, frozenset(origins), _as_embedded(config))


def _load_origins(name: str, value: Any) -> list[str]:
    """``scheme://host[:port]``, http(s), exactly: a page's ``Origin`` header is compared as is."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ConfigurationError(
            f"{name} needs 'origins': a list of the origins whose pages embed the widget, e.g. "
            "['https://landing.example.com']."
        )
    origins = []
    for given in value:
        origin = given.rstrip("/").lower() if isinstance(given, str) else None
        if (
            origin is None
            or "*" in origin
            or origin_of(origin) != origin
            or not origin.startswith(("https://", "http://"))
        ):
            raise ConfigurationError(
                f"{name}['origins'] has {given!r}: an origin is 'https://host' or "
                "'https://host:port', with no path and no wildcard (CORS names the one origin "
                "that asks, never '*')."
            )
        origins.append(origin)
    return origins


def _texts(service: Mapping[str, Any], entry: Mapping[str, Any], languages: Any) -> Any:
    """The service's text overrides in the site's languages, the site's over them."""
    own = entry.get("texts", {})
    base = service["CONSENT_TEXTS"]
    if not isinstance(own, Mapping) or not isinstance(base, Mapping):
        return own  # ConsentConfig names the problem
    offered = set(languages) if isinstance(languages, Sequence) else set()
    merged = {lang: dict(texts) for lang, texts in base.items() if lang in offered}
    for lang, texts in own.items():
        merged[lang] = {**merged.get(lang, {}), **(texts if isinstance(texts, Mapping) else {})}
    return merged


def _purposes(service: Mapping[str, Any], entry: Mapping[str, Any]) -> Any:
    """The site's purposes, else the service's. The service's ``necessary`` lists the
    service's own cookies (its session, its consent cookie), none of which is on the site:
    there it lists only the widget's record (``RECORD_COOKIE``, added by ``ConsentConfig``), and
    what the site's own ``necessary`` lists."""
    inherited = "purposes" not in entry
    raw = service["CONSENT_PURPOSES"] if inherited else entry["purposes"]
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        return raw  # ConsentConfig names the problem
    out: list[Any] = []
    for given in raw:
        if given == "necessary":
            given = {"id": "necessary", "cookies": []}
        elif (
            isinstance(given, Mapping)
            and given.get("id") == "necessary"
            and (inherited or given.get("cookies") is None)
        ):
            given = {**given, "cookies": []}
        out.append(given)
    return out


def _as_embedded(config: ConsentConfig) -> ConsentConfig:
    """The record is the site's only cookie of the SDK: ``ConsentConfig`` names a readable
    twin after every consent cookie, which an embedding page does not have."""
    twin = f"{RECORD_COOKIE}_choice"
    purposes = tuple(
        dataclasses.replace(p, cookies=tuple(c for c in p.cookies if c != twin))
        if p.id == "necessary"
        else p
        for p in config.purposes
    )
    return dataclasses.replace(config, purposes=purposes, choice_cookie_name=RECORD_COOKIE)
