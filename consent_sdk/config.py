"""Every ``CONSENT_*`` setting: defaulted once, validated once, read into a frozen object."""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from .exceptions import ConfigurationError, ConsentConfigWarning
from .purposes import DEFAULT_PURPOSES, Purpose, load_purposes
from .texts import DEFAULT_TEXTS, OPTIONAL_TEXT_KEYS, TEXT_KEYS, join_labels

DAY = 86_400
MAX_CONSENT_LIFETIME = 395 * DAY
"""13 months: the longest a consent may be relied on before asking again (rule 11, CNIL)."""

CONSENT_MODE_DEFAULT: dict[str, str] = {
    "ad_storage": "marketing",
    "ad_user_data": "marketing",
    "ad_personalization": "marketing",
    "analytics_storage": "analytics",
    "functionality_storage": "preferences",
    "personalization_storage": "preferences",
}
"""``CONSENT_GOOGLE_CONSENT_MODE = True``: Google's consent types and the purpose each follows."""

GOOGLE_TYPES = (*CONSENT_MODE_DEFAULT, "security_storage")
GOOGLE_OPTIONS = ("types", "wait_for_update", "url_passthrough", "ads_data_redaction", "regions")
UET_DEFAULT: dict[str, str] = {"ad_storage": "marketing"}
CLARITY_DEFAULT: dict[str, str] = {"ad_Storage": "marketing", "analytics_Storage": "analytics"}
GOOGLE_SECURITY = {"security_storage": "granted"}
"""Security storage is strictly necessary: granted in every default unless it is mapped."""
_REGION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
"""ISO 3166-1 alpha-2 ("ES"), or alpha-2 and a subdivision ("US-CA"): checked loosely."""

DEFAULTS: dict[str, Any] = {
    "CONSENT_CONTROLLER": None,
    "CONSENT_PURPOSES": tuple(p["id"] for p in DEFAULT_PURPOSES),
    "CONSENT_POLICY_VERSION": "1",
    "CONSENT_POLICY_URL": None,
    "CONSENT_SITE_ID": "default",
    "CONSENT_MAX_AGE": 365 * DAY,
    "CONSENT_RECORD_RETENTION": 5 * 365 * DAY,
    "CONSENT_COOKIE_NAME": "consent",
    "CONSENT_COOKIE_DOMAIN": None,
    "CONSENT_COOKIE_PATH": None,
    "CONSENT_COOKIE_SALT": "consent_sdk.cookie",
    "CONSENT_URL_PREFIX": "/consent",
    "CONSENT_DEFAULT_LANGUAGE": "en",
    "CONSENT_LANGUAGES": ("en", "lv", "ru"),
    "CONSENT_TEXTS": {},
    "CONSENT_TRUSTED_ORIGINS": (),
    "CONSENT_DATABASE_URI": None,
    "CONSENT_ENGINE_OPTIONS": MappingProxyType({}),
    "CONSENT_GOOGLE_CONSENT_MODE": False,
    "CONSENT_MICROSOFT_UET": False,
    "CONSENT_MICROSOFT_CLARITY": False,
    "CONSENT_RECORD_IP": True,
    "CONSENT_MAX_BODY_BYTES": 4096,
    "CONSENT_RETRY_AFTER": 5,
    "CONSENT_RATE_LIMIT": "30/minute;300/hour",
    "CONSENT_RATE_LIMIT_STORAGE_URI": "memory://",
    "CONSENT_SITES": MappingProxyType({}),  # client sites of a consent service (embed/sites.py)
    "CONSENT_SCAN_BROWSER": None,
}


def _seconds(name: str, value: Any) -> int:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds or a timedelta.")
    return int(value)


@dataclass(frozen=True, slots=True)
class ConsentConfig:
    """The app's consent settings after validation. Request code reads only this."""

    controller: str
    purposes: tuple[Purpose, ...]
    policy_version: str
    policy_url: str | Mapping[str, str] | None
    site_id: str
    max_age: int
    retention: int
    cookie_name: str
    choice_cookie_name: str
    cookie_domain: str | None
    cookie_path: str | None
    cookie_salt: str
    url_prefix: str
    default_language: str
    languages: tuple[str, ...]
    texts: Mapping[str, Mapping[str, str]]
    trusted_origins: frozenset[str]
    database_uri: str | None
    vendors: list[dict[str, Any]]
    record_ip: bool
    max_body_bytes: int
    retry_after: int = 5
    rate_limit: str | None = None
    rate_limit_storage_uri: str = "memory://"
    engine_options: Mapping[str, Any] = field(default_factory=dict)
    scan_browser: str | None = None
    """``CONSENT_SCAN_BROWSER``: the Chromium executable ``flask consent scan`` drives."""
    by_id: Mapping[str, Purpose] = field(init=False)
    purpose_ids: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {p.id: p for p in self.purposes})
        object.__setattr__(self, "purpose_ids", frozenset(self.by_id))

    @classmethod
    def from_app(cls, app: Flask) -> ConsentConfig:
        """Read and validate the app's settings; any mistake raises ``ConfigurationError``."""
        return cls.from_mapping(app.config)

    @classmethod
    def from_mapping(cls, c: Mapping[str, Any]) -> ConsentConfig:
        """``from_app`` on a mapping of ``CONSENT_*`` keys (every key in ``DEFAULTS`` present):
        ``CONSENT_SITES`` builds one per client site from the app's keys and the site's own."""
        languages = tuple(c["CONSENT_LANGUAGES"])
        default_language = c["CONSENT_DEFAULT_LANGUAGE"]
        if default_language not in languages:
            raise ConfigurationError(
                f"CONSENT_DEFAULT_LANGUAGE {default_language!r} is not in CONSENT_LANGUAGES "
                f"{list(languages)}."
            )
        max_age = _seconds("CONSENT_MAX_AGE", c["CONSENT_MAX_AGE"])
        if max_age > MAX_CONSENT_LIFETIME:
            raise ConfigurationError(
                f"CONSENT_MAX_AGE is {max_age // DAY} days; consent may be relied on for 13 "
                "months (395 days) at most (rule 11). CNIL's good practice is 6 months."
            )
        prefix = "/" + str(c["CONSENT_URL_PREFIX"]).strip("/")
        cookie_name = str(c["CONSENT_COOKIE_NAME"])
        controller = _load_controller(c["CONSENT_CONTROLLER"])
        own_cookies = [cookie_name, f"{cookie_name}_choice"]
        session = [str(c.get("SESSION_COOKIE_NAME") or "session")]
        purposes = load_purposes(c["CONSENT_PURPOSES"], languages, session, own_cookies)
        _warn_about_cookies(purposes)
        return cls(
            controller=controller,
            purposes=purposes,
            policy_version=str(c["CONSENT_POLICY_VERSION"]),
            policy_url=_load_policy_url(c["CONSENT_POLICY_URL"], default_language),
            site_id=str(c["CONSENT_SITE_ID"]),
            max_age=max_age,
            retention=_seconds("CONSENT_RECORD_RETENTION", c["CONSENT_RECORD_RETENTION"]),
            cookie_name=cookie_name,
            choice_cookie_name=f"{cookie_name}_choice",
            cookie_domain=c["CONSENT_COOKIE_DOMAIN"],
            cookie_path=_load_cookie_path(c["CONSENT_COOKIE_PATH"]),
            cookie_salt=str(c["CONSENT_COOKIE_SALT"]),
            url_prefix=prefix,
            default_language=default_language,
            languages=languages,
            texts=_load_texts(c["CONSENT_TEXTS"], languages, controller, purposes),
            trusted_origins=frozenset(o.rstrip("/").lower() for o in c["CONSENT_TRUSTED_ORIGINS"]),
            database_uri=c["CONSENT_DATABASE_URI"],
            engine_options=_load_engine_options(c["CONSENT_ENGINE_OPTIONS"]),
            vendors=_load_vendors(c, frozenset(p.id for p in purposes)),
            record_ip=bool(c["CONSENT_RECORD_IP"]),
            max_body_bytes=int(c["CONSENT_MAX_BODY_BYTES"]),
            retry_after=_seconds("CONSENT_RETRY_AFTER", c["CONSENT_RETRY_AFTER"]),
            rate_limit=_load_rate_limit(c["CONSENT_RATE_LIMIT"]),
            rate_limit_storage_uri=str(c["CONSENT_RATE_LIMIT_STORAGE_URI"]),
            scan_browser=str(c["CONSENT_SCAN_BROWSER"]) if c["CONSENT_SCAN_BROWSER"] else None,
        )

    def language(self, requested: str | None) -> str:
        """The best available language for ``requested`` ("en-GB" → "en"), else the default."""
        if requested:
            tag = requested.strip().lower()
            if tag in self.languages:
                return tag
            base = tag.split("-", 1)[0].split("_", 1)[0]
            if base in self.languages:
                return base
        return self.default_language

    def offers(self, requested: str) -> bool:
        """Whether ``requested`` ("en-GB", "lv") is, or falls back to, an offered language."""
        tag = requested.strip().lower()
        base = tag.split("-", 1)[0].split("_", 1)[0]
        return tag in self.languages or base in self.languages

    def policy_url_for(self, lang: str) -> str | None:
        """The policy link for ``lang``: a mapping's entry, or the URL with ``{lang}`` filled in."""
        url = self.policy_url
        if isinstance(url, Mapping):
            return url.get(lang) or url.get(self.default_language)
        return url.replace("{lang}", lang) if url else None

    def texts_hash(self, lang: str) -> str:
        """SHA-256 of everything the banner shows in ``lang``: the proof of what was said."""
        shown = {
            "policy_version": self.policy_version,
            "policy_url": self.policy_url_for(lang),
            "texts": self.texts[lang],
            "purposes": [
                [
                    p.id,
                    p.basis,
                    p.label(lang),
                    p.description(lang),
                    list(p.cookies),
                ]
                for p in self.purposes
            ],
        }
        canonical = json.dumps(shown, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _load_controller(value: Any) -> str:
    """``{"name": ..., "contact": ...}`` -> "name, contact": who the banner says is asking."""
    if not isinstance(value, Mapping) or not all(
        isinstance(value.get(k), str) and value[k].strip() for k in ("name", "contact")
    ):
        raise ConfigurationError(
            "Set CONSENT_CONTROLLER = {'name': 'Your Company Ltd', 'contact': "
            "'privacy@example.com'}: the banner must say who is asking for consent and how to "
            "reach them (rule 7, GDPR 13(1)(a))."
        )
    return f"{value['name'].strip()}, {value['contact'].strip()}"


def _warn_about_cookies(purposes: tuple[Purpose, ...]) -> None:
    for p in purposes:
        if not p.required and not p.cookies:
            warnings.warn(
                f"CONSENT_PURPOSES: {p.id!r} declares no cookies. List the cookies it sets "
                "(e.g. {'id': 'analytics', 'cookies': ['_ga', '_ga_*']}): the banner must say "
                "which cookies each purpose sets (rule 7), and the widget deletes the "
                "declared ones when the purpose is refused.",
                ConsentConfigWarning,
                stacklevel=5,
            )


def _safe_url(url: str) -> str:
    """A policy link the banner may render: http(s), or a path on the site (no ``javascript:``)."""
    if any(ord(ch) < 0x21 for ch in url) or urlsplit(url).scheme.lower() not in (
        "",
        "http",
        "https",
    ):
        raise ConfigurationError(
            f"CONSENT_POLICY_URL {url!r} must be an http(s) URL or a path on the site."
        )
    return url


def _load_policy_url(value: Any, default_language: str) -> str | dict[str, str] | None:
    if value is None:
        warnings.warn(
            "CONSENT_POLICY_URL is not set: the banner must link to the privacy policy "
            "(rule 7). Set it to a path such as '/privacy' or '/privacy?lang={lang}'.",
            ConsentConfigWarning,
            stacklevel=5,
        )
        return None
    if isinstance(value, str):
        return _safe_url(value)
    if isinstance(value, Mapping) and default_language in value:
        return {str(k): _safe_url(str(v)) for k, v in value.items()}
    raise ConfigurationError(
        "CONSENT_POLICY_URL must be a URL (it may contain '{lang}') or a mapping of language "
        f"to URL that includes the default language {default_language!r}."
    )


def _load_rate_limit(value: Any) -> str | None:
    """``"30/minute;300/hour"`` (Flask-Limiter's syntax), or None/False: no limit on decisions."""
    if value is None or value is False:
        return None
    from limits import parse_many

    try:
        if isinstance(value, str) and parse_many(value):
            return value
    except ValueError:
        pass
    raise ConfigurationError(
        f"CONSENT_RATE_LIMIT {value!r} must be rate limits such as '30/minute;300/hour' "
        "(Flask-Limiter's syntax), or None for no limit."
    )


def _load_engine_options(value: Any) -> dict[str, Any]:
    """``CONSENT_ENGINE_OPTIONS``: ``sqlalchemy.create_engine`` keyword arguments for the SDK's
    own store, over its defaults (``consent_sdk.ledger.store.engine_options``); None: none."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigurationError(
            f"CONSENT_ENGINE_OPTIONS {value!r} must be a dict of sqlalchemy.create_engine() "
            "keyword arguments, e.g. {'pool_size': 10, 'pool_pre_ping': True}."
        )
    return dict(value)


def _load_cookie_path(value: Any) -> str | None:
    """None: the app's root (``SCRIPT_NAME``), so two apps on one host keep their own cookie."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        raise ConfigurationError("CONSENT_COOKIE_PATH must be a path starting with '/'.")
    return value


def _load_texts(
    overrides: Any,
    languages: tuple[str, ...],
    controller: str,
    purposes: tuple[Purpose, ...],
) -> dict[str, dict[str, str]]:
    if not isinstance(overrides, Mapping):
        raise ConfigurationError("CONSENT_TEXTS must map a language to {text key: text}.")
    texts: dict[str, dict[str, str]] = {}
    for lang in languages:
        merged = dict(DEFAULT_TEXTS.get(lang, {}))
        given = overrides.get(lang, {})
        unknown = sorted(set(given) - set(TEXT_KEYS))
        if unknown:
            raise ConfigurationError(f"CONSENT_TEXTS[{lang!r}] has unknown keys {unknown}.")
        merged.update({k: str(v) for k, v in given.items()})
        missing = [k for k in TEXT_KEYS if k not in merged and k not in OPTIONAL_TEXT_KEYS]
        if missing:
            raise ConfigurationError(
                f"CONSENT_TEXTS[{lang!r}] is missing {missing}: a language without built-in "
                "texts needs all of them."
            )
        asked = join_labels([p.label(lang) for p in purposes if not p.required], lang)
        texts[lang] = {
            k: v.replace("{controller}", controller).replace("{purposes}", asked)
            for k, v in merged.items()
        }
    stray = sorted(set(overrides) - set(languages))
    if stray:
        raise ConfigurationError(f"CONSENT_TEXTS has languages {stray} not in CONSENT_LANGUAGES.")
    return texts


def _load_vendors(c: Mapping[str, Any], purposes: frozenset[str]) -> list[dict[str, Any]]:
    """The vendors' consent APIs the widget drives: the config payload's ``vendors``.

    A list, in the order the widget calls them, of ``{"name": "google" | "uet" | "clarity",
    "types": {vendor type: purpose}, "default": [calls made at start], "update": [the first
    arguments of the call made on every change]}``. The widget puts the undecided state of every
    mapped type under each object argument of a default call, and the visitor's states after
    the update's arguments (docs/design.md, Config). A vendor that is off is absent.
    """
    vendors: list[dict[str, Any]] = []
    google = _load_google(c["CONSENT_GOOGLE_CONSENT_MODE"], purposes)
    if google:
        vendors.append(google)
    uet = _type_map("CONSENT_MICROSOFT_UET", c["CONSENT_MICROSOFT_UET"], UET_DEFAULT, purposes)
    if uet:
        # uetq.push('consent', 'default', {ad_storage: 'denied'}), then 'update' on each change.
        vendors.append(
            {
                "name": "uet",
                "types": uet,
                "default": [["consent", "default", {}]],
                "update": ["consent", "update"],
            }
        )
    clarity = _type_map(
        "CONSENT_MICROSOFT_CLARITY", c["CONSENT_MICROSOFT_CLARITY"], CLARITY_DEFAULT, purposes
    )
    if clarity:
        # clarity('consentv2', {ad_Storage, analytics_Storage}): no default call, Clarity waits.
        vendors.append(
            {"name": "clarity", "types": clarity, "default": [], "update": ["consentv2"]}
        )
    return vendors


def _type_map(
    name: str,
    value: Any,
    default: Mapping[str, str],
    purposes: frozenset[str],
    known: tuple[str, ...] | None = None,
) -> dict[str, str] | None:
    """False/None -> None; True -> ``default``; else a mapping of known types to purposes."""
    if value is False or value is None:
        return None
    mapping = default if value is True else value
    known = known or tuple(default)
    if not isinstance(mapping, Mapping) or not mapping:
        raise ConfigurationError(
            f"{name} must be False, True or a mapping of consent type ({', '.join(known)}) to "
            "purpose."
        )
    for kind, purpose in mapping.items():
        if kind not in known:
            raise ConfigurationError(
                f"{name} has unknown consent type {kind!r}; the types are {', '.join(known)}."
            )
        if purpose not in purposes:
            raise ConfigurationError(
                f"{name} maps {kind!r} to unknown purpose {purpose!r}; the purposes are "
                f"{', '.join(sorted(purposes))}."
            )
    return {str(k): str(v) for k, v in mapping.items()}


def _load_google(value: Any, purposes: frozenset[str]) -> dict[str, Any] | None:
    """``CONSENT_GOOGLE_CONSENT_MODE``: False, True, {type: purpose}, or a dict of options.

    The default calls, in order: ``gtag('set', 'url_passthrough', true)`` and ``gtag('set',
    'ads_data_redaction', true)`` when asked for; the global default (every mapped type, plus
    ``security_storage: 'granted'`` unless mapped, plus ``wait_for_update``); one default per
    entry of ``regions``, with that entry's states over the mapped types' and its ``region``.
    """
    name = "CONSENT_GOOGLE_CONSENT_MODE"
    options: Mapping[str, Any] = {}
    if isinstance(value, Mapping) and any(k in GOOGLE_OPTIONS for k in value):
        options = value
        unknown = sorted(map(str, set(options) - set(GOOGLE_OPTIONS)))
        if unknown:
            raise ConfigurationError(
                f"{name} has unknown keys {unknown}; the keys are {', '.join(GOOGLE_OPTIONS)}."
            )
        value = options.get("types", True)
        name += "['types']"
        if value is False or value is None:
            raise ConfigurationError(f"{name} must be True or a mapping of type to purpose.")
    types = _type_map(name, value, CONSENT_MODE_DEFAULT, purposes, GOOGLE_TYPES)
    if types is None:
        return None
    name = "CONSENT_GOOGLE_CONSENT_MODE"
    calls: list[list[Any]] = []
    for key in ("url_passthrough", "ads_data_redaction"):
        flag = options.get(key, False)
        if not isinstance(flag, bool):
            raise ConfigurationError(f"{name}[{key!r}] must be True or False.")
        if flag:
            calls.append(["set", key, True])
    default: dict[str, Any] = {k: v for k, v in GOOGLE_SECURITY.items() if k not in types}
    wait = options.get("wait_for_update")
    if wait is not None:
        if isinstance(wait, bool) or not isinstance(wait, int) or wait < 0:
            raise ConfigurationError(
                f"{name}['wait_for_update'] must be a whole number of milliseconds (e.g. 500)."
            )
        default["wait_for_update"] = wait
    calls.append(["consent", "default", default])
    for region in _load_regions(f"{name}['regions']", options.get("regions", {}), types):
        calls.append(["consent", "default", region])
    return {"name": "google", "types": types, "default": calls, "update": ["consent", "update"]}


def _load_regions(name: str, value: Any, types: Mapping[str, str]) -> list[dict[str, Any]]:
    """{"ES,DE": {type: "granted" | "denied"}} -> [{type: ..., "region": ["ES", "DE"]}]."""
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f'{name} must map region codes to consent types, e.g. {{"ES,DE": {{"ad_storage": '
            '"denied"}}.'
        )
    known = (*types, *(k for k in GOOGLE_SECURITY if k not in types))
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for key, states in value.items():
        codes = [code.strip().upper() for code in str(key).split(",")]
        for code in codes:
            if not _REGION.fullmatch(code):
                raise ConfigurationError(
                    f"{name} has region {code!r} in {key!r}: use ISO 3166 codes such as 'ES' "
                    "or 'US-CA', separated by commas."
                )
            if code in seen:
                raise ConfigurationError(f"{name} lists region {code!r} twice.")
            seen.add(code)
        if not isinstance(states, Mapping) or not states:
            raise ConfigurationError(
                f"{name}[{key!r}] must map consent types to 'granted' or 'denied'."
            )
        for kind, state in states.items():
            if kind not in known:
                raise ConfigurationError(
                    f"{name}[{key!r}] sets {kind!r}, which is not a mapped consent type "
                    f"({', '.join(known)})."
                )
            if state not in ("granted", "denied"):
                raise ConfigurationError(
                    f"{name}[{key!r}][{kind!r}] must be 'granted' or 'denied', not {state!r}."
                )
        out.append({**{str(k): str(v) for k, v in states.items()}, "region": codes})
    return out
