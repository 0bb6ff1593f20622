"""What StepAhead asks its visitors: the controller, its purposes and the cookies of each.

The texts come from StepAhead's privacy policy (content/policy.*.json); consent_sdk's built-in
purposes are generic, so a site states its own descriptions and cookies here and leaves the
rest (ids, legal basis, the banner's texts) to the defaults.
"""

from __future__ import annotations

from typing import Any

CONTROLLER = {"name": "SIA StepAhead", "contact": "info@stepahead.lv"}


def _texts(lv: str, en: str, ru: str) -> dict[str, str]:
    return {"lv": lv, "en": en, "ru": ru}


PURPOSES: list[dict[str, Any]] = [
    {
        "id": "necessary",
        # The Flask session (contact form token), the consent cookie, and Flask-Login's
        # "remember me" cookie once customers can sign in.
        "cookies": ["session", "consent", "remember_token"],
    },
    {
        "id": "preferences",
        "descriptions": _texts(
            "Atceras jūsu valodas un attēlojuma izvēles.",
            "Remember your language and display choices.",
            "Запоминают ваш язык и параметры отображения.",
        ),
        "cookies": ["lang"],
    },
    {
        "id": "analytics",
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
