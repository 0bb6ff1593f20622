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

    def label(self, lang: str, default: str) -> str:
        return self.labels.get(lang) or self.labels[default]

    def description(self, lang: str, default: str) -> str:
        return self.descriptions.get(lang) or self.descriptions[default]


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
        "cookies": ["session", "consent"],
    },
    {
        "id": "preferences",
        "basis": "consent",
        "labels": _texts("Iestatījumi", "Preferences", "Настройки"),
        "descriptions": _texts(
            "Atceras jūsu valodas un attēlojuma izvēles.",
            "Remember your language and display choices.",
            "Запоминают ваш язык и параметры отображения.",
        ),
        "cookies": ["lang"],
    },
    {
        "id": "analytics",
        "basis": "consent",
        "labels": _texts("Statistika", "Analytics", "Статистика"),
        "descriptions": _texts(
            "Palīdz saprast, kā vietne tiek izmantota, lai to uzlabotu (statistika un "
            "darbības analīze).",
            "Help us understand how the site is used so that we can improve it (statistics "
            "and activity analysis).",
            "Помогают понять, как используется сайт, чтобы его улучшать (статистика и анализ "
            "активности).",
        ),
        "cookies": ["_sa_id", "_ga", "_ga_*", "_gid"],
    },
    {
        "id": "marketing",
        "basis": "consent",
        "labels": _texts("Mārketings", "Marketing", "Маркетинг"),
        "descriptions": _texts(
            "Ļauj reklamēt mūsu pakalpojumus, mērīt reklāmas efektivitāti un rādīt saturu, "
            "kas iegults no citiem pakalpojumiem.",
            "Let us advertise our services, measure how well that works, and show content "
            "embedded from other services.",
            "Позволяют рекламировать наши услуги, измерять эффективность рекламы и показывать "
            "контент, встроенный из других сервисов.",
        ),
        "cookies": ["_sa_mkt", "_fbp", "_gcl_*"],
    },
]

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


def load_purposes(raw: Any, default_language: str) -> tuple[Purpose, ...]:
    """Validate ``CONSENT_PURPOSES``; the error names the bad entry and field."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes) or not raw:
        raise ConfigurationError("CONSENT_PURPOSES must be a non-empty list of purpose dicts.")
    schema = _PurposeSchema()
    purposes: list[Purpose] = []
    for index, entry in enumerate(raw):
        name = entry.get("id", f"#{index}") if isinstance(entry, Mapping) else f"#{index}"
        try:
            data = schema.load(entry)
        except ValidationError as exc:
            raise ConfigurationError(
                f"CONSENT_PURPOSES entry {name!r} is invalid: {exc.messages}"
            ) from None
        for field in ("labels", "descriptions"):
            if default_language not in data[field]:
                raise ConfigurationError(
                    f"CONSENT_PURPOSES entry {name!r}: {field} needs a text in the default "
                    f"language {default_language!r}."
                )
        purposes.append(
            Purpose(
                id=data["id"],
                basis=data["basis"],
                labels=dict(data["labels"]),
                descriptions=dict(data["descriptions"]),
                cookies=tuple(data["cookies"]),
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
