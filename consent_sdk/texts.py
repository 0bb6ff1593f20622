"""The banner's built-in texts in Latvian, English and Russian.

Sites override any of them with ``CONSENT_TEXTS = {"en": {"banner_title": "..."}}``. Every
string is shown by the widget as text, never parsed as HTML. The server fills in
``{controller}`` (``CONSENT_CONTROLLER``) and ``{purposes}`` (the labels of the purposes that
need consent, so the banner never names one the site does not ask for); the widget fills in
``{purpose}`` (a purpose's label) and ``{content}`` (a blocked iframe's title or host).
"""

from __future__ import annotations

TEXT_KEYS: tuple[str, ...] = (
    "banner_title",
    "banner_text",
    "accept_all",
    "reject_all",
    "customize",
    "save",
    "settings",
    "dialog_title",
    "dialog_text",
    "close",
    "always_on",
    "policy_link",
    "controller",
    "withdraw_hint",
    "cookies_label",
    "basis_label",
    "basis_consent",
    "basis_exempt",
    "gpc_notice",
    "placeholder_text",
    "placeholder_button",
    "saved_offline",
    "receipt_link",
)

OPTIONAL_TEXT_KEYS: frozenset[str] = frozenset({"receipt_link"})
"""Keys a language without built-in texts may leave out (the widget then omits that part),
so that a text added in a release never breaks a site's own translations."""

AND: dict[str, str] = {"lv": "un", "en": "and", "ru": "и"}
"""How a list's last two items are joined in the built-in languages; others use a comma."""


def join_labels(labels: list[str], lang: str) -> str:
    """``["Analytics", "Marketing"]`` -> ``"Analytics and Marketing"`` (in ``lang``)."""
    if len(labels) < 2 or lang not in AND:
        return ", ".join(labels)
    return f"{', '.join(labels[:-1])} {AND[lang]} {labels[-1]}"


DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "lv": {
        "banner_title": "Sīkfaili šajā vietnē",
        "banner_text": (
            "Mēs izmantojam nepieciešamos sīkfailus, lai vietne darbotos. Ar jūsu piekrišanu "
            "izmantosim sīkfailus arī šādiem mērķiem: {purposes}. Varat piekrist visiem, "
            "atteikties no visiem vai izvēlēties paši."
        ),
        "accept_all": "Piekrist visiem",
        "reject_all": "Atteikties no visiem",
        "customize": "Izvēlēties",
        "save": "Saglabāt izvēli",
        "settings": "Sīkfailu iestatījumi",
        "dialog_title": "Sīkfailu iestatījumi",
        "dialog_text": (
            "Izvēlieties, kuriem mērķiem atļaujat izmantot sīkfailus. Nepieciešamie sīkfaili "
            "vajadzīgi vietnes darbībai, un tos nevar izslēgt."
        ),
        "close": "Aizvērt",
        "always_on": "Vienmēr ieslēgti",
        "policy_link": "Privātuma politika",
        "receipt_link": "Jūsu piekrišanas apliecinājums",
        "controller": "Pārzinis: {controller}",
        "withdraw_hint": (
            "Piekrišanu jebkurā brīdī varat mainīt vai atsaukt sadaļā “Sīkfailu iestatījumi”."
        ),
        "cookies_label": "Sīkfaili",
        "basis_label": "Tiesiskais pamats",
        "basis_consent": "Jūsu piekrišana",
        "basis_exempt": "Nepieciešami pakalpojuma sniegšanai (piekrišana nav vajadzīga)",
        "gpc_notice": (
            "Jūsu pārlūks sūta signālu “Global Privacy Control”, tāpēc mārketinga sīkfaili "
            "ir atteikti."
        ),
        "placeholder_text": "“{content}” ir bloķēts, jo tas izmanto sīkfailus mērķim: {purpose}.",
        "placeholder_button": "Atļaut: {purpose}",
        "saved_offline": "Jūsu izvēle ir piemērota, bet vēl nav saglabāta serverī.",
    },
    "en": {
        "banner_title": "Cookies on this site",
        "banner_text": (
            "We use necessary cookies to make this site work. With your consent we also use "
            "cookies for these purposes: {purposes}. You can accept all, reject all or choose."
        ),
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "customize": "Choose",
        "save": "Save choices",
        "settings": "Cookie settings",
        "dialog_title": "Cookie settings",
        "dialog_text": (
            "Choose the purposes for which you allow cookies. Necessary cookies keep the site "
            "working and cannot be switched off."
        ),
        "close": "Close",
        "always_on": "Always on",
        "policy_link": "Privacy policy",
        "receipt_link": "Your consent receipt",
        "controller": "Controller: {controller}",
        "withdraw_hint": (
            "You can change or withdraw your consent at any time in “Cookie settings”."
        ),
        "cookies_label": "Cookies",
        "basis_label": "Legal basis",
        "basis_consent": "Your consent",
        "basis_exempt": "Needed to provide the service (no consent required)",
        "gpc_notice": (
            "Your browser sends a Global Privacy Control signal, so marketing cookies are refused."
        ),
        "placeholder_text": "“{content}” is blocked because it uses cookies for: {purpose}.",
        "placeholder_button": "Allow {purpose}",
        "saved_offline": "Your choice applies, but it is not yet saved on the server.",
    },
    "ru": {
        "banner_title": "Файлы cookie на этом сайте",
        "banner_text": (
            "Мы используем необходимые файлы cookie для работы сайта. С вашего согласия мы "
            "также используем cookie для следующих целей: {purposes}. Вы можете принять все, "
            "отклонить все или выбрать сами."
        ),
        "accept_all": "Принять все",
        "reject_all": "Отклонить все",
        "customize": "Выбрать",
        "save": "Сохранить выбор",
        "settings": "Настройки cookie",
        "dialog_title": "Настройки cookie",
        "dialog_text": (
            "Выберите, для каких целей вы разрешаете файлы cookie. Необходимые cookie нужны "
            "для работы сайта, их нельзя отключить."
        ),
        "close": "Закрыть",
        "always_on": "Всегда включены",
        "policy_link": "Политика конфиденциальности",
        "receipt_link": "Ваше подтверждение согласия",
        "controller": "Оператор данных: {controller}",
        "withdraw_hint": (
            "Вы можете в любой момент изменить или отозвать согласие в разделе «Настройки cookie»."
        ),
        "cookies_label": "Файлы cookie",
        "basis_label": "Правовое основание",
        "basis_consent": "Ваше согласие",
        "basis_exempt": "Необходимы для оказания услуги (согласие не требуется)",
        "gpc_notice": (
            "Ваш браузер передаёт сигнал Global Privacy Control, поэтому маркетинговые cookie "
            "отклонены."
        ),
        "placeholder_text": "«{content}» заблокирован: он использует cookie для цели «{purpose}».",
        "placeholder_button": "Разрешить: {purpose}",
        "saved_offline": "Ваш выбор применён, но ещё не сохранён на сервере.",
    },
}
