"""Consent purposes: what a site asks consent for, validated once at start-up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .exceptions import ConfigurationError

BASES = ("exempt", "consent")
"""``exempt``: strictly necessary (ePrivacy 5(3)), always granted. ``consent``: opt-in only.

There is deliberately no "legitimate interest" basis: non-essential cookies need consent (rule 13).
"""


@dataclass(frozen=True, slots=True)
class Purpose:
    """One purpose a visitor can grant or refuse (or, if exempt, is told about)."""

    id: str
    basis: str
    labels: Mapping[str, str]
    descriptions: Mapping[str, str]
    cookies: tuple[str, ...]

    @property
    def required(self) -> bool:
        """Exempt purposes are always granted and cannot be refused."""
        return self.basis == "exempt"

    def label(self, lang: str) -> str:
        return self.labels[lang]

    def description(self, lang: str) -> str:
        return self.descriptions[lang]


def _texts(lv: str, en: str, ru: str) -> dict[str, str]:
    return {"lv": lv, "en": en, "ru": ru}


DEFAULT_PURPOSES: list[dict[str, Any]] = [
    {
        "id": "necessary",
        "basis": "exempt",
        "labels": _texts("Nepieciešamās", "Necessary", "Необходимые"),
        "descriptions": _texts(
            "Nodrošina vietnes darbību un drošību un atceras jūsu sīkfailu izvēli.",
            "Keep the site working and secure, and remember your cookie choice.",
            "Обеспечивают работу и безопасность сайта и запоминают ваш выбор cookie.",
        ),
        # Filled in from SESSION_COOKIE_NAME and CONSENT_COOKIE_NAME unless the site lists them.
        "cookies": None,
    },
    {
        "id": "preferences",
        "basis": "consent",
        "labels": _texts("Iestatījumi", "Preferences", "Настройки"),
        "descriptions": _texts(
            "Atceras jūsu izvēles, piemēram, valodu un attēlojuma iestatījumus.",
            "Remember your choices, such as language and display settings.",
            "Запоминают ваши настройки, например язык и параметры отображения.",
        ),
        "cookies": [],
    },
    {
        "id": "analytics",
        "basis": "consent",
        "labels": _texts("Statistika", "Analytics", "Статистика"),
        "descriptions": _texts(
            "Mēra, kā vietne tiek izmantota, lai to varētu uzlabot.",
            "Measure how the site is used so that it can be improved.",
            "Измеряют, как используется сайт, чтобы его можно было улучшить.",
        ),
        "cookies": [],
    },
    {
        "id": "marketing",
        "basis": "consent",
        "labels": _texts("Mārketings", "Marketing", "Маркетинг"),
        "descriptions": _texts(
            "Reklāma, tās efektivitātes mērīšana un saturs, kas iegults no citiem "
            "pakalpojumiem un var jūs izsekot.",
            "Advertising, measuring how well it works, and content embedded from other "
            "services that may track you.",
            "Реклама, измерение её эффективности и контент, встроенный из других сервисов, "
            "которые могут вас отслеживать.",
        ),
        "cookies": [],
    },
]
"""Generic purposes for any site, in the built-in languages. A site lists the ones it uses in
``CONSENT_PURPOSES`` by id (``"analytics"``) or as a dict of what differs
(``{"id": "analytics", "cookies": ["_ga", "_ga_*"]}``): labels and descriptions merge per
language, every other field replaces the default."""

_BY_ID = {p["id"]: p for p in DEFAULT_PURPOSES}

_ID = validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$", error="Must be 1-32 of a-z, 0-9, _ (a-z first).")
_COOKIE = validate.Regexp(r"^[!#$%&'+\-.^_`|~0-9A-Za-z*]{1,128}$", error="Not a cookie name.")


class _PurposeSchema(Schema):
    id = fields.String(required=True, validate=_ID)
    basis = fields.String(
        required=True,
        validate=validate.OneOf(
            BASES,
            error="Must be 'exempt' (strictly necessary) or 'consent'; non-essential cookies "
            "need consent, there is no legitimate-interest basis for them (rule 13).",
        ),
    )
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    descriptions = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    cookies = fields.List(fields.String(validate=_COOKIE), load_default=list)


def _merged(entry: Any) -> Any:
    """An entry of ``CONSENT_PURPOSES`` with the built-in purpose of the same id under it."""
    if isinstance(entry, str):
        entry = {"id": entry}
    if not isinstance(entry, Mapping):
        return entry
    default = _BY_ID.get(str(entry.get("id")))
    if default is None:
        return entry
    merged = {**default, **entry}
    for field in ("labels", "descriptions"):
        if isinstance(entry.get(field), Mapping):
            merged[field] = {**default[field], **entry[field]}
    return merged


def load_purposes(
    raw: Any,
    languages: Sequence[str],
    necessary_cookies: Sequence[str] = (),
    own_cookies: Sequence[str] = (),
) -> tuple[Purpose, ...]:
    """Validate ``CONSENT_PURPOSES``; the error names the bad entry and field.

    Every purpose needs a label and a description in every offered language: a visitor must
    not be asked in a language other than the one the banner speaks. ``necessary`` lists
    ``necessary_cookies`` unless the site lists its own, and always the SDK's ``own_cookies``
    (every decision sets them, so the visitor is told of them, rule 7).
    """
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes) or not raw:
        raise ConfigurationError(
            "CONSENT_PURPOSES must be a non-empty list of purpose ids or dicts, e.g. "
            "['necessary', {'id': 'analytics', 'cookies': ['_ga', '_ga_*']}]."
        )
    schema = _PurposeSchema()
    purposes: list[Purpose] = []
    for index, given in enumerate(raw):
        entry = _merged(given)
        name = entry.get("id", f"#{index}") if isinstance(entry, Mapping) else f"#{index}"
        if isinstance(entry, Mapping) and entry.get("cookies", ()) is None:
            entry = {**entry, "cookies": list(necessary_cookies)}
        try:
            data = schema.load(entry)
        except ValidationError as exc:
            hint = (
                ""
                if name in _BY_ID
                else f" (built-in purposes, which need only their id: {sorted(_BY_ID)})"
            )
            raise ConfigurationError(
                f"CONSENT_PURPOSES entry {name!r} is invalid: {exc.messages}{hint}"
            ) from None
        for field in ("labels", "descriptions"):
            for lang in languages:
                if not data[field].get(lang):
                    raise ConfigurationError(
                        f"CONSENT_PURPOSES entry {name!r} has no {field[:-1]} in {lang!r}, "
                        f"which CONSENT_LANGUAGES offers: add {field}[{lang!r}] or stop "
                        "offering that language (a visitor must be asked in the language "
                        "the banner speaks)."
                    )
        cookies = list(data["cookies"])
        if data["id"] == "necessary":
            cookies += [c for c in own_cookies if c not in cookies]
        purposes.append(
            Purpose(
                id=data["id"],
                basis=data["basis"],
                labels=dict(data["labels"]),
                descriptions=dict(data["descriptions"]),
                cookies=tuple(cookies),
            )
        )
    ids = [p.id for p in purposes]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigurationError(f"CONSENT_PURPOSES defines {duplicates} more than once.")
    necessary = next((p for p in purposes if p.id == "necessary"), None)
    if necessary is None or not necessary.required:
        raise ConfigurationError(
            "CONSENT_PURPOSES needs a 'necessary' purpose with basis 'exempt': it lists the "
            "strictly necessary cookies, including the consent cookie itself."
        )
    return tuple(purposes)
