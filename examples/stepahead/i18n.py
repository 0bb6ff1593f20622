"""The example site's own interface texts in Latvian, English and Russian.

The consent banner's texts come from consent_sdk; these are only the site's pages. Latvian is
the site's default language (rule 16).
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("lv", "en", "ru")
DEFAULT_LANGUAGE: Final = "lv"
LANGUAGE_NAMES: Final = {"lv": "Latviešu", "en": "English", "ru": "Русский"}

TEXTS: Final[dict[str, dict[str, str]]] = {
    "lv": {
        "skip": "Pāriet uz saturu",
        "tagline": "Demonstrācijas vietne",
        "nav_label": "Galvenā navigācija",
        "nav_home": "Sākums",
        "nav_services": "Pakalpojumi",
        "nav_contact": "Kontakti",
        "nav_privacy": "Privātuma politika",
        "lang_label": "Valoda",
        "footer_settings": "Sīkfailu iestatījumi",
        "footer_policy": "Privātuma politika",
        "footer_account": "Mans konts",
        "footer_note": "consent_sdk piemēra vietne. Visi dati paliek šajā serverī.",
        "home_title": "Sveicināti SIA StepAhead vietnē",
        "home_lead": (
            "Šī ir SIA StepAhead piemēra vietne. Tā parāda, kā consent_sdk lūdz piekrišanu "
            "sīkfailiem un kā vietne ievēro jūsu izvēli."
        ),
        "home_what_title": "Kas šajā vietnē notiek",
        "home_what_analytics": (
            "Statistika: mūsu pašu lapu skatījumu skaitītājs darbojas tikai ar jūsu piekrišanu."
        ),
        "home_what_marketing": (
            "Mārketings: reklāmas pikselis un iegultais video ielādējas tikai ar jūsu piekrišanu."
        ),
        "home_what_preferences": (
            "Iestatījumi: izvēlēto valodu atceramies sīkfailā tikai ar jūsu piekrišanu."
        ),
        "home_what_change": (
            "Savu izvēli varat mainīt jebkurā brīdī ar saiti “Sīkfailu iestatījumi” lapas apakšā."
        ),
        "home_video_title": "Video",
        "video_title": "StepAhead video",
        "services_title": "Pakalpojumi",
        "services_lead": "Piemēra saturs: šādi varētu izskatīties uzņēmuma pakalpojumu lapa.",
        "service_1_title": "Konsultācijas",
        "service_1_text": "Sarunas par jūsu vajadzībām un iespējamiem risinājumiem.",
        "service_2_title": "Projekti",
        "service_2_text": "Pakalpojuma nodrošināšana no plāna līdz rezultātam.",
        "service_3_title": "Atbalsts",
        "service_3_text": "Klientu apkalpošana un pakalpojuma uzturēšana.",
        "services_cta": "Uzdodiet jautājumu",
        "contact_title": "Kontakti",
        "contact_lead": "Uzrakstiet mums, un mēs atbildēsim uz norādīto e-pasta adresi.",
        "contact_name": "Vārds, uzvārds",
        "contact_email": "E-pasta adrese",
        "contact_message": "Ziņa",
        "contact_submit": "Nosūtīt",
        "contact_notice": (
            "Jūsu vārdu, e-pasta adresi un ziņu apstrādā SIA StepAhead (pārzinis), lai atbildētu "
            "uz jūsu jautājumu (klientu apkalpošana). Datus neizpaužam trešajām personām, "
            "izņemot privātuma politikā minētos gadījumus, un glabājam tikai tik ilgi, cik tur "
            "noteikts. Jautājumi: info@stepahead.lv."
        ),
        "contact_notice_link": "Privātuma politika",
        "contact_thanks": "Paldies! Jūsu ziņa ir saņemta.",
        "contact_errors": "Lūdzu, izlabojiet atzīmētos laukus.",
        "err_required": "Šis lauks ir obligāts.",
        "err_email": "Ievadiet derīgu e-pasta adresi.",
        "err_too_long": "Teksts ir pārāk garš (ne vairāk kā {max} rakstzīmes).",
        "err_csrf": "Forma ir novecojusi. Lūdzu, nosūtiet to vēlreiz.",
        "privacy_cookies_title": "Sīkfaili šajā vietnē",
        "privacy_cookies_intro": (
            "Šis saraksts nāk no tās pašas konfigurācijas, ko izmanto sīkfailu paziņojums, tāpēc "
            "tie vienmēr sakrīt."
        ),
        "col_purpose": "Mērķis",
        "col_basis": "Pamats",
        "col_cookies": "Sīkfaili",
        "your_consent_title": "Jūsu izvēle",
        "your_consent_none": "Jūs vēl neesat izdarījis izvēli par sīkfailiem.",
        "consent_id": "Piekrišanas identifikators",
        "policy_version": "Politikas versija",
        "given_at": "Izvēle izdarīta",
        "expires_at": "Derīga līdz",
        "granted": "atļauts",
        "refused": "atteikts",
        "change_settings": "Mainīt sīkfailu iestatījumus",
        "history_title": "Jūsu izvēļu vēsture",
        "receipt_link": "Jūsu parakstītais piekrišanas apliecinājums",
        "col_time": "Laiks",
        "col_source": "Kur izvēlēts",
        "col_granted": "Atļauts",
        "col_refused": "Atteikts",
        "not_found_title": "Lapa nav atrasta",
        "not_found_text": "Šāda lapa neeksistē.",
        "back_home": "Uz sākumu",
        "debug_title": "Atkļūdošanas panelis",
    },
    "en": {
        "skip": "Skip to content",
        "tagline": "Demonstration site",
        "nav_label": "Main navigation",
        "nav_home": "Home",
        "nav_services": "Services",
        "nav_contact": "Contact",
        "nav_privacy": "Privacy policy",
        "lang_label": "Language",
        "footer_settings": "Cookie settings",
        "footer_policy": "Privacy policy",
        "footer_account": "My account",
        "footer_note": "Example site of consent_sdk. All data stays on this server.",
        "home_title": "Welcome to SIA StepAhead",
        "home_lead": (
            "This is the example website of SIA StepAhead. It shows how consent_sdk asks for "
            "consent to cookies and how the site respects your choice."
        ),
        "home_what_title": "What happens on this site",
        "home_what_analytics": (
            "Statistics: our own page-view counter runs only with your consent."
        ),
        "home_what_marketing": (
            "Marketing: an advertising pixel and the embedded video load only with your consent."
        ),
        "home_what_preferences": (
            "Preferences: we remember your language in a cookie only with your consent."
        ),
        "home_what_change": (
            "You can change your choice at any time with the “Cookie settings” link at the bottom "
            "of every page."
        ),
        "home_video_title": "Video",
        "video_title": "StepAhead video",
        "services_title": "Services",
        "services_lead": "Example content: this is how a company's services page could look.",
        "service_1_title": "Consultations",
        "service_1_text": "Conversations about your needs and possible solutions.",
        "service_2_title": "Projects",
        "service_2_text": "Providing the service from plan to result.",
        "service_3_title": "Support",
        "service_3_text": "Customer service and maintenance of the service.",
        "services_cta": "Ask a question",
        "contact_title": "Contact",
        "contact_lead": "Write to us and we will answer at the e-mail address you give.",
        "contact_name": "Name and surname",
        "contact_email": "E-mail address",
        "contact_message": "Message",
        "contact_submit": "Send",
        "contact_notice": (
            "SIA StepAhead (the controller) processes your name, e-mail address and message to "
            "answer your question (customer service). We do not disclose the data to third "
            "parties except in the cases listed in the privacy policy, and keep it only as long "
            "as stated there. Questions: info@stepahead.lv."
        ),
        "contact_notice_link": "Privacy policy",
        "contact_thanks": "Thank you! Your message has been received.",
        "contact_errors": "Please correct the marked fields.",
        "err_required": "This field is required.",
        "err_email": "Enter a valid e-mail address.",
        "err_too_long": "The text is too long (at most {max} characters).",
        "err_csrf": "The form has expired. Please send it again.",
        "privacy_cookies_title": "Cookies on this site",
        "privacy_cookies_intro": (
            "This list comes from the same configuration the cookie notice uses, so the two "
            "always agree."
        ),
        "col_purpose": "Purpose",
        "col_basis": "Basis",
        "col_cookies": "Cookies",
        "your_consent_title": "Your choice",
        "your_consent_none": "You have not made a choice about cookies yet.",
        "consent_id": "Consent ID",
        "policy_version": "Policy version",
        "given_at": "Choice made",
        "expires_at": "Valid until",
        "granted": "allowed",
        "refused": "refused",
        "change_settings": "Change cookie settings",
        "history_title": "History of your choices",
        "receipt_link": "Your signed consent receipt",
        "col_time": "Time",
        "col_source": "Where chosen",
        "col_granted": "Allowed",
        "col_refused": "Refused",
        "not_found_title": "Page not found",
        "not_found_text": "There is no such page.",
        "back_home": "Back to home",
        "debug_title": "Debug panel",
    },
    "ru": {
        "skip": "Перейти к содержанию",
        "tagline": "Демонстрационный сайт",
        "nav_label": "Основная навигация",
        "nav_home": "Главная",
        "nav_services": "Услуги",
        "nav_contact": "Контакты",
        "nav_privacy": "Политика конфиденциальности",
        "lang_label": "Язык",
        "footer_settings": "Настройки cookie",
        "footer_policy": "Политика конфиденциальности",
        "footer_account": "Мой аккаунт",
        "footer_note": "Пример сайта consent_sdk. Все данные остаются на этом сервере.",
        "home_title": "Добро пожаловать на сайт SIA StepAhead",
        "home_lead": (
            "Это пример сайта SIA StepAhead. Он показывает, как consent_sdk запрашивает согласие "
            "на cookie и как сайт соблюдает ваш выбор."
        ),
        "home_what_title": "Что происходит на этом сайте",
        "home_what_analytics": (
            "Статистика: наш собственный счётчик просмотров работает только с вашего согласия."
        ),
        "home_what_marketing": (
            "Маркетинг: рекламный пиксель и встроенное видео загружаются только с вашего согласия."
        ),
        "home_what_preferences": (
            "Настройки: выбранный язык мы запоминаем в cookie только с вашего согласия."
        ),
        "home_what_change": (
            "Изменить выбор можно в любой момент по ссылке «Настройки cookie» внизу каждой "
            "страницы."
        ),
        "home_video_title": "Видео",
        "video_title": "Видео StepAhead",
        "services_title": "Услуги",
        "services_lead": "Пример содержания: так могла бы выглядеть страница услуг компании.",
        "service_1_title": "Консультации",
        "service_1_text": "Беседы о ваших потребностях и возможных решениях.",
        "service_2_title": "Проекты",
        "service_2_text": "Оказание услуги от плана до результата.",
        "service_3_title": "Поддержка",
        "service_3_text": "Обслуживание клиентов и поддержка услуги.",
        "services_cta": "Задать вопрос",
        "contact_title": "Контакты",
        "contact_lead": "Напишите нам, и мы ответим на указанный адрес электронной почты.",
        "contact_name": "Имя и фамилия",
        "contact_email": "Адрес электронной почты",
        "contact_message": "Сообщение",
        "contact_submit": "Отправить",
        "contact_notice": (
            "Ваше имя, адрес электронной почты и сообщение обрабатывает SIA StepAhead "
            "(оператор), чтобы ответить на ваш вопрос (обслуживание клиентов). Мы не раскрываем "
            "данные третьим лицам, кроме случаев, перечисленных в политике конфиденциальности, "
            "и храним их только так долго, как там указано. Вопросы: info@stepahead.lv."
        ),
        "contact_notice_link": "Политика конфиденциальности",
        "contact_thanks": "Спасибо! Ваше сообщение получено.",
        "contact_errors": "Пожалуйста, исправьте отмеченные поля.",
        "err_required": "Это поле обязательно.",
        "err_email": "Введите действительный адрес электронной почты.",
        "err_too_long": "Текст слишком длинный (не более {max} символов).",
        "err_csrf": "Срок действия формы истёк. Пожалуйста, отправьте её ещё раз.",
        "privacy_cookies_title": "Cookie на этом сайте",
        "privacy_cookies_intro": (
            "Этот список берётся из той же конфигурации, что и уведомление о cookie, поэтому "
            "они всегда совпадают."
        ),
        "col_purpose": "Цель",
        "col_basis": "Основание",
        "col_cookies": "Cookie",
        "your_consent_title": "Ваш выбор",
        "your_consent_none": "Вы ещё не сделали выбор относительно cookie.",
        "consent_id": "Идентификатор согласия",
        "policy_version": "Версия политики",
        "given_at": "Выбор сделан",
        "expires_at": "Действует до",
        "granted": "разрешено",
        "refused": "отклонено",
        "change_settings": "Изменить настройки cookie",
        "history_title": "История вашего выбора",
        "receipt_link": "Ваше подписанное подтверждение согласия",
        "col_time": "Время",
        "col_source": "Где выбрано",
        "col_granted": "Разрешено",
        "col_refused": "Отклонено",
        "not_found_title": "Страница не найдена",
        "not_found_text": "Такой страницы нет.",
        "back_home": "На главную",
        "debug_title": "Панель отладки",
    },
}


def text(lang: str, key: str) -> str:
    """The interface text ``key`` in ``lang``; a missing key is a bug, so it raises."""
    return TEXTS[lang][key]


def _check() -> None:
    """Every language has exactly the keys Latvian has (caught at import, not by a visitor)."""
    keys = set(TEXTS[DEFAULT_LANGUAGE])
    for lang in LANGUAGES:
        if set(TEXTS[lang]) != keys:
            diff = sorted(keys ^ set(TEXTS[lang]))
            raise RuntimeError(f"examples.stepahead.i18n: {lang!r} texts differ in keys {diff}")


_check()
