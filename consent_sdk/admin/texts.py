"""The dashboard's own words in en, lv and ru (the site owner's language, not the visitor's)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "funnel": "Shown → decided",
        "funnel_note": (
            "Page views that showed the banner to a visitor who had not answered, and what they "
            "led to. Counted without any cookie (see the README)."
        ),
        "banners_shown": "Banners shown",
        "nothing": "Nothing (left or browsed on)",
        "outcome": "Led to",
        "no_impressions": "No banner was shown in this period (or the widget could not report it).",
        "versions": "Accepted all, per policy version",
        "version": "Policy version",
        "versions_note": (
            "Of each policy version's decisions, how many accepted all: what a new version changed."
        ),
        "summary": "Summary",
        "language": "Language",
        "table": "Show the numbers",
        "answer": "Answer",
        "layer": "Where",
        "signal": "Signal",
        "choices_note": (
            "Share of all decisions in the period, by the button or action that made them."
        ),
        "purposes_note": (
            "Of the decisions that asked about a purpose, how many granted it. Strictly necessary "
            "cookies need no consent and are left out."
        ),
        "trend_note": (
            "Per day, the share of decisions that granted each purpose; a day without decisions "
            "has no point."
        ),
        "layers_note": (
            "First layer: the banner's buttons. Second layer: the settings dialog. Other: page "
            "code or a GPC signal."
        ),
        "languages_note": "The language of the texts each visitor was shown.",
        "gpc_note": "Decisions sent by a browser with the Global Privacy Control signal on.",
        "footnote": (
            "Times are UTC. Every figure can be reproduced with flask consent stats --site SITE "
            "--since FROM --until (the day after TO); each chart's data is in its CSV."
        ),
        "title": "Consent dashboard",
        "site": "Site",
        "since": "From",
        "until": "To",
        "show": "Show",
        "decisions": "Decisions",
        "empty": "No decisions were recorded for this site in this period yet.",
        "choices": "How visitors decided",
        "accept_all": "Accepted all",
        "reject_all": "Rejected all",
        "custom": "Chose purposes",
        "withdrawn": "Withdrew",
        "purposes": "Grant rate per purpose",
        "trend": "Share granted per day",
        "day": "Day",
        "languages": "Languages",
        "gpc": "Global Privacy Control",
        "with_gpc": "With GPC",
        "without_gpc": "Without GPC",
        "layers": "Where visitors decided",
        "banner": "Banner (first layer)",
        "settings": "Settings dialog (second layer)",
        "other": "Page code or GPC",
        "count": "Count",
        "share": "Share",
        "purpose": "Purpose",
        "csv": "Download CSV",
        "forbidden": "You are not allowed to see this page.",
    },
    "lv": {
        "funnel": "Parādīts → izlemts",
        "funnel_note": (
            "Lapu skatījumi, kuros baneris tika parādīts apmeklētājam, kas vēl nebija atbildējis,"
            " un pie kā tie noveda. Skaitīti bez sīkdatnēm (skatiet README)."
        ),
        "banners_shown": "Baneri parādīti",
        "nothing": "Nekas (aizgāja vai turpināja)",
        "outcome": "Noveda pie",
        "no_impressions": "Šajā periodā baneris netika parādīts (vai logrīks to nevarēja paziņot).",
        "versions": "Pieņēma visu, pa politikas versijām",
        "version": "Politikas versija",
        "versions_note": (
            "No katras politikas versijas lēmumiem, cik pieņēma visu: ko mainīja jaunā versija."
        ),
        "summary": "Kopsavilkums",
        "language": "Valoda",
        "table": "Rādīt skaitļus",
        "answer": "Atbilde",
        "layer": "Kur",
        "signal": "Signāls",
        "choices_note": (
            "Daļa no visiem perioda lēmumiem pēc pogas vai darbības, ar ko tie pieņemti."
        ),
        "purposes_note": (
            "No lēmumiem, kuros jautāts par mērķi, cik to atļāva. Nepieciešamajām sīkdatnēm "
            "piekrišana nav vajadzīga, tās nav iekļautas."
        ),
        "trend_note": (
            "Katru dienu — to lēmumu daļa, kas atļāva katru mērķi; dienai bez lēmumiem punkta nav."
        ),
        "layers_note": (
            "Pirmais slānis: paziņojuma pogas. Otrais slānis: iestatījumu logs. Cits: lapas kods "
            "vai GPC signāls."
        ),
        "languages_note": "Valoda, kurā apmeklētājam tika rādīti teksti.",
        "gpc_note": "Lēmumi no pārlūka, kurā ieslēgts Global Privacy Control signāls.",
        "footnote": (
            "Laiks pēc UTC. Katru skaitli var atkārtot ar flask consent stats --site VIETNE "
            "--since NO --until (diena pēc LĪDZ); katra grafika dati ir tā CSV."
        ),
        "title": "Piekrišanu pārskats",
        "site": "Vietne",
        "since": "No",
        "until": "Līdz",
        "show": "Rādīt",
        "decisions": "Lēmumi",
        "empty": "Šai vietnei šajā periodā vēl nav reģistrētu lēmumu.",
        "choices": "Kā apmeklētāji izlēma",
        "accept_all": "Pieņēma visu",
        "reject_all": "Noraidīja visu",
        "custom": "Izvēlējās mērķus",
        "withdrawn": "Atsauca",
        "purposes": "Piekrišanas īpatsvars pa mērķiem",
        "trend": "Atļauto īpatsvars pa dienām",
        "day": "Diena",
        "languages": "Valodas",
        "gpc": "Global Privacy Control",
        "with_gpc": "Ar GPC",
        "without_gpc": "Bez GPC",
        "layers": "Kur apmeklētāji izlēma",
        "banner": "Paziņojums (pirmais slānis)",
        "settings": "Iestatījumu logs (otrais slānis)",
        "other": "Lapas kods vai GPC",
        "count": "Skaits",
        "share": "Īpatsvars",
        "purpose": "Mērķis",
        "csv": "Lejupielādēt CSV",
        "forbidden": "Jums nav atļauts skatīt šo lapu.",
    },
    "ru": {
        "funnel": "Показано → решено",
        "funnel_note": (
            "Просмотры страниц, где баннер был показан посетителю, ещё не давшему ответ, и к чему"
            " они привели. Считаются без cookie (см. README)."
        ),
        "banners_shown": "Показов баннера",
        "nothing": "Ничего (ушли или продолжили)",
        "outcome": "Итог",
        "no_impressions": (
            "За этот период баннер не показывался (или виджет не смог сообщить об этом)."
        ),
        "versions": "Приняли всё, по версиям политики",
        "version": "Версия политики",
        "versions_note": (
            "Из решений каждой версии политики, сколько приняли всё: что изменила новая версия."
        ),
        "summary": "Сводка",
        "language": "Язык",
        "table": "Показать числа",
        "answer": "Ответ",
        "layer": "Где",
        "signal": "Сигнал",
        "choices_note": "Доля всех решений за период по кнопке или действию, которым они приняты.",
        "purposes_note": (
            "Из решений, в которых спрашивали о цели, сколько её разрешили. Строго необходимые "
            "cookie не требуют согласия и не показаны."
        ),
        "trend_note": (
            "По дням — доля решений, разрешивших каждую цель; у дня без решений нет точки."
        ),
        "layers_note": (
            "Первый уровень: кнопки баннера. Второй уровень: окно настроек. Другое: код страницы "
            "или сигнал GPC."
        ),
        "languages_note": "Язык текстов, которые видел посетитель.",
        "gpc_note": "Решения из браузера с включённым сигналом Global Privacy Control.",
        "footnote": (
            "Время по UTC. Каждое число можно воспроизвести командой flask consent stats --site "
            "САЙТ --since С --until (день после ПО); данные каждого графика — в его CSV."
        ),
        "title": "Панель согласий",
        "site": "Сайт",
        "since": "С",
        "until": "По",
        "show": "Показать",
        "decisions": "Решения",
        "empty": "Для этого сайта за этот период решений ещё нет.",
        "choices": "Как решали посетители",
        "accept_all": "Приняли всё",
        "reject_all": "Отклонили всё",
        "custom": "Выбрали цели",
        "withdrawn": "Отозвали",
        "purposes": "Доля согласий по целям",
        "trend": "Доля согласий по дням",
        "day": "День",
        "languages": "Языки",
        "gpc": "Global Privacy Control",
        "with_gpc": "С GPC",
        "without_gpc": "Без GPC",
        "layers": "Где решали посетители",
        "banner": "Баннер (1-й уровень)",
        "settings": "Настройки (2-й уровень)",
        "other": "Код страницы или GPC",
        "count": "Количество",
        "share": "Доля",
        "purpose": "Цель",
        "csv": "Скачать CSV",
        "forbidden": "У вас нет доступа к этой странице.",
    },
}


RECORD_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "pages": "Dashboard pages",
        "overview": "Overview",
        "records": "Records",
        "records_title": "Consent records",
        "records_note": (
            "Newest first. Find one visitor's records by their consent id (on their receipt), "
            "or the records of some days; leave a date empty for no bound."
        ),
        "consent_id": "Consent id",
        "search": "Search",
        "reset": "Clear",
        "caption": "Records of {site}, newest first",
        "caption_visitor": "Records of consent id {id} on {site}, newest first",
        "time": "Time (UTC)",
        "action": "Action",
        "source": "Source",
        "granted": "Granted",
        "refused": "Refused",
        "yes": "Yes",
        "no": "No",
        "older": "Older records",
        "newest": "Newest records",
        "no_records": "No records match this search.",
        "visitor_link": "all records of this visitor",
        "bad_consent_id": (
            "That is not a consent id. A consent id is a UUID, such as "
            "1b4e28ba-2fa1-41d2-883f-0016d3cca427: copy it whole from the visitor's receipt."
        ),
        "bad_since": "The start date is not a date: use YYYY-MM-DD.",
        "bad_until": "The end date is not a date: use YYYY-MM-DD.",
        "bad_before": "This page link is broken: start again from the newest records.",
        "action_accept_all": "Accepted all",
        "action_reject_all": "Rejected all",
        "action_save": "Saved a choice",
        "action_withdraw": "Withdrew",
        "action_none": "None (page code)",
        "source_banner": "Banner",
        "source_settings": "Settings dialog",
        "source_api": "Page code",
        "source_gpc": "GPC signal",
        "source_account": "Customer account",
        "record_title": "Record {id}",
        "record": "The record",
        "record_id": "Record",
        "event_id": "Event id",
        "created_at": "Recorded",
        "expires_at": "Consent valid until",
        "retain_until": "Kept until",
        "texts_hash": "Texts hash",
        "personal": "Personal fields",
        "personal_note": (
            "A truncated IP address and the browser family, if the site records them; never "
            "the full address or user agent."
        ),
        "ip_prefix": "IP address (truncated)",
        "browser": "Browser family",
        "not_stored": "Not stored",
        "erased": (
            "Erased on {when}: the truncated IP address and browser family were deleted at the "
            "visitor's request. The decision stays as proof of consent."
        ),
        "shown": "What the visitor was shown",
        "shown_note": (
            "The banner's texts stored under the record's texts hash, in the visitor's language."
        ),
        "policy_url": "Privacy policy",
        "text_key": "Text",
        "wording": "Wording",
        "basis": "Legal basis",
        "description": "Description",
        "cookies": "Cookies",
        "shown_purposes": "Purposes the visitor was asked about",
        "shown_texts": "Banner texts",
        "texts_ok": "These texts hash to the record's texts hash.",
        "texts_changed": (
            "These texts no longer hash to the record's texts hash: they were changed in the store."
        ),
        "texts_missing": "No texts are stored under this hash.",
        "proof": "Verification",
        "status": "Status",
        "content_hash": "Content hash",
        "sealed_hash": "Hash in the seal",
        "seal": "Seal",
        "seal_range": "Record ids",
        "seal_count": "Records in the seal",
        "sealed_at": "Sealed",
        "root": "Merkle root",
        "seal_hash": "Seal hash",
        "kid": "Signing key",
        "status_intact": "Sealed and intact: the record matches seal {seq}, whose signature holds.",
        "status_unsealed": "Not sealed yet: the next flask consent seal run seals it.",
        "status_altered": "Altered: the record no longer matches what seal {seq} holds for it.",
        "status_not_in_seal": (
            "Not in its seal: the record sits in the range of seal {seq} but was never sealed "
            "there."
        ),
        "status_seal_altered": (
            "The seal does not hold: seal {seq} was altered or its signature fails."
        ),
        "status_unknown_key": (
            "Sealed in seal {seq} with a key this app does not hold: the signature cannot be "
            "checked here."
        ),
        "status_chain_broken": "Chain broken: seal {seq} does not follow the seal before it.",
        "status_seal_missing": "Seal missing: the seal that held this record was deleted.",
        "status_erased": "Personal fields erased on {when}; the proof does not need them.",
        "proof_note": (
            "Checked now against the seal that holds the record: its signature, its Merkle root "
            "and the record's content hash. flask consent verify checks the whole chain."
        ),
        "not_found": "Record {id} is not one of this site's records.",
        "back": "Back to the records",
        "records_footnote": (
            "Times are UTC. The same records: flask consent export --site SITE --since FROM "
            "--until (the day after TO); one visitor's: flask consent export --consent-id ID."
        ),
    },
    "lv": {
        "pages": "Pārskata lapas",
        "overview": "Pārskats",
        "records": "Ieraksti",
        "records_title": "Piekrišanu ieraksti",
        "records_note": (
            "Jaunākie vispirms. Atrodiet viena apmeklētāja ierakstus pēc piekrišanas ID (tas ir "
            "viņa apliecinājumā) vai dažu dienu ierakstus; tukšs datums nozīmē bez robežas."
        ),
        "consent_id": "Piekrišanas ID",
        "search": "Meklēt",
        "reset": "Notīrīt",
        "caption": "Vietnes {site} ieraksti, jaunākie vispirms",
        "caption_visitor": "Piekrišanas ID {id} ieraksti vietnē {site}, jaunākie vispirms",
        "time": "Laiks (UTC)",
        "action": "Darbība",
        "source": "Avots",
        "granted": "Atļauts",
        "refused": "Atteikts",
        "yes": "Jā",
        "no": "Nē",
        "older": "Vecāki ieraksti",
        "newest": "Jaunākie ieraksti",
        "no_records": "Šim meklējumam neatbilst neviens ieraksts.",
        "visitor_link": "visi šī apmeklētāja ieraksti",
        "bad_consent_id": (
            "Tas nav piekrišanas ID. Piekrišanas ID ir UUID, piemēram, "
            "1b4e28ba-2fa1-41d2-883f-0016d3cca427: nokopējiet to pilnībā no apmeklētāja "
            "apliecinājuma."
        ),
        "bad_since": "Sākuma datums nav datums: lietojiet GGGG-MM-DD.",
        "bad_until": "Beigu datums nav datums: lietojiet GGGG-MM-DD.",
        "bad_before": "Šīs lapas saite ir bojāta: sāciet no jaunākajiem ierakstiem.",
        "action_accept_all": "Pieņēma visu",
        "action_reject_all": "Noraidīja visu",
        "action_save": "Saglabāja izvēli",
        "action_withdraw": "Atsauca",
        "action_none": "Nav (lapas kods)",
        "source_banner": "Paziņojums",
        "source_settings": "Iestatījumu logs",
        "source_api": "Lapas kods",
        "source_gpc": "GPC signāls",
        "source_account": "Klienta konts",
        "record_title": "Ieraksts {id}",
        "record": "Ieraksts",
        "record_id": "Ieraksts",
        "event_id": "Notikuma ID",
        "created_at": "Reģistrēts",
        "expires_at": "Piekrišana derīga līdz",
        "retain_until": "Glabā līdz",
        "texts_hash": "Tekstu jaucējkods",
        "personal": "Personas dati",
        "personal_note": (
            "Saīsināta IP adrese un pārlūka veids, ja vietne tos reģistrē; nekad pilna adrese "
            "vai lietotāja aģents."
        ),
        "ip_prefix": "IP adrese (saīsināta)",
        "browser": "Pārlūka veids",
        "not_stored": "Netiek glabāts",
        "erased": (
            "Dzēsts {when}: saīsinātā IP adrese un pārlūka veids dzēsti pēc apmeklētāja "
            "pieprasījuma. Lēmums paliek kā piekrišanas pierādījums."
        ),
        "shown": "Ko apmeklētājs redzēja",
        "shown_note": (
            "Paziņojuma teksti, kas glabāti ar ieraksta tekstu jaucējkodu, apmeklētāja valodā."
        ),
        "policy_url": "Privātuma politika",
        "text_key": "Teksts",
        "wording": "Formulējums",
        "basis": "Tiesiskais pamats",
        "description": "Apraksts",
        "cookies": "Sīkdatnes",
        "shown_purposes": "Mērķi, par kuriem apmeklētājam jautāja",
        "shown_texts": "Paziņojuma teksti",
        "texts_ok": "Šo tekstu jaucējkods sakrīt ar ieraksta tekstu jaucējkodu.",
        "texts_changed": (
            "Šo tekstu jaucējkods vairs nesakrīt ar ieraksta tekstu jaucējkodu: tie krātuvē ir "
            "mainīti."
        ),
        "texts_missing": "Ar šo jaucējkodu nav saglabātu tekstu.",
        "proof": "Pārbaude",
        "status": "Statuss",
        "content_hash": "Satura jaucējkods",
        "sealed_hash": "Jaucējkods zīmogā",
        "seal": "Zīmogs",
        "seal_range": "Ierakstu ID",
        "seal_count": "Ieraksti zīmogā",
        "sealed_at": "Aizzīmogots",
        "root": "Merkla sakne",
        "seal_hash": "Zīmoga jaucējkods",
        "kid": "Paraksta atslēga",
        "status_intact": (
            "Aizzīmogots un neskarts: ieraksts atbilst zīmogam {seq}, tā paraksts ir derīgs."
        ),
        "status_unsealed": "Vēl nav aizzīmogots: to aizzīmogos nākamā flask consent seal reize.",
        "status_altered": "Mainīts: ieraksts vairs neatbilst tam, ko par to glabā zīmogs {seq}.",
        "status_not_in_seal": (
            "Nav savā zīmogā: ieraksts ir zīmoga {seq} diapazonā, bet tajā nekad nav aizzīmogots."
        ),
        "status_seal_altered": (
            "Zīmogs nav derīgs: zīmogs {seq} ir mainīts vai tā paraksts neatbilst."
        ),
        "status_unknown_key": (
            "Aizzīmogots zīmogā {seq} ar atslēgu, kuras šai lietotnei nav: parakstu šeit "
            "nevar pārbaudīt."
        ),
        "status_chain_broken": "Ķēde pārrauta: zīmogs {seq} neseko iepriekšējam zīmogam.",
        "status_seal_missing": "Zīmoga trūkst: zīmogs, kurā bija šis ieraksts, ir dzēsts.",
        "status_erased": "Personas dati dzēsti {when}; pierādījumam tie nav vajadzīgi.",
        "proof_note": (
            "Pārbaudīts tagad pret zīmogu, kurā ir ieraksts: tā parakstu, Merkla sakni un "
            "ieraksta satura jaucējkodu. Visu ķēdi pārbauda flask consent verify."
        ),
        "not_found": "Ieraksts {id} nav šīs vietnes ieraksts.",
        "back": "Atpakaļ uz ierakstiem",
        "records_footnote": (
            "Laiks pēc UTC. Tie paši ieraksti: flask consent export --site VIETNE --since NO "
            "--until (diena pēc LĪDZ); viena apmeklētāja: flask consent export --consent-id ID."
        ),
    },
    "ru": {
        "pages": "Страницы панели",
        "overview": "Обзор",
        "records": "Записи",
        "records_title": "Записи согласий",
        "records_note": (
            "Сначала новые. Найдите записи одного посетителя по идентификатору согласия (он в "
            "его квитанции) или записи за несколько дней; пустая дата — без границы."
        ),
        "consent_id": "Идентификатор согласия",
        "search": "Найти",
        "reset": "Сбросить",
        "caption": "Записи сайта {site}, сначала новые",
        "caption_visitor": "Записи идентификатора согласия {id} на {site}, сначала новые",
        "time": "Время (UTC)",
        "action": "Действие",
        "source": "Источник",
        "granted": "Разрешено",
        "refused": "Отказано",
        "yes": "Да",
        "no": "Нет",
        "older": "Более старые записи",
        "newest": "Новейшие записи",
        "no_records": "Под этот поиск не подходит ни одна запись.",
        "visitor_link": "все записи этого посетителя",
        "bad_consent_id": (
            "Это не идентификатор согласия. Идентификатор согласия — это UUID, например "
            "1b4e28ba-2fa1-41d2-883f-0016d3cca427: скопируйте его целиком из квитанции "
            "посетителя."
        ),
        "bad_since": "Начальная дата — не дата: используйте ГГГГ-ММ-ДД.",
        "bad_until": "Конечная дата — не дата: используйте ГГГГ-ММ-ДД.",
        "bad_before": "Ссылка на эту страницу повреждена: начните с новейших записей.",
        "action_accept_all": "Приняли всё",
        "action_reject_all": "Отклонили всё",
        "action_save": "Сохранили выбор",
        "action_withdraw": "Отозвали",
        "action_none": "Нет (код страницы)",
        "source_banner": "Баннер",
        "source_settings": "Окно настроек",
        "source_api": "Код страницы",
        "source_gpc": "Сигнал GPC",
        "source_account": "Учётная запись клиента",
        "record_title": "Запись {id}",
        "record": "Запись",
        "record_id": "Запись",
        "event_id": "Идентификатор события",
        "created_at": "Записано",
        "expires_at": "Согласие действует до",
        "retain_until": "Хранится до",
        "texts_hash": "Хеш текстов",
        "personal": "Персональные поля",
        "personal_note": (
            "Усечённый IP-адрес и семейство браузера, если сайт их записывает; никогда полный "
            "адрес или user agent."
        ),
        "ip_prefix": "IP-адрес (усечённый)",
        "browser": "Семейство браузера",
        "not_stored": "Не хранится",
        "erased": (
            "Удалено {when}: усечённый IP-адрес и семейство браузера удалены по просьбе "
            "посетителя. Решение остаётся как доказательство согласия."
        ),
        "shown": "Что видел посетитель",
        "shown_note": "Тексты баннера, сохранённые под хешем текстов записи, на языке посетителя.",
        "policy_url": "Политика конфиденциальности",
        "text_key": "Текст",
        "wording": "Формулировка",
        "basis": "Правовое основание",
        "description": "Описание",
        "cookies": "Cookie",
        "shown_purposes": "Цели, о которых спрашивали посетителя",
        "shown_texts": "Тексты баннера",
        "texts_ok": "Хеш этих текстов совпадает с хешем текстов записи.",
        "texts_changed": (
            "Хеш этих текстов больше не совпадает с хешем текстов записи: их изменили в хранилище."
        ),
        "texts_missing": "Под этим хешем тексты не сохранены.",
        "proof": "Проверка",
        "status": "Состояние",
        "content_hash": "Хеш содержимого",
        "sealed_hash": "Хеш в печати",
        "seal": "Печать",
        "seal_range": "Идентификаторы записей",
        "seal_count": "Записей в печати",
        "sealed_at": "Запечатано",
        "root": "Корень Меркла",
        "seal_hash": "Хеш печати",
        "kid": "Ключ подписи",
        "status_intact": (
            "Запечатана и не изменена: запись совпадает с печатью {seq}, её подпись верна."
        ),
        "status_unsealed": "Ещё не запечатана: её запечатает следующий запуск flask consent seal.",
        "status_altered": (
            "Изменена: запись больше не совпадает с тем, что хранит о ней печать {seq}."
        ),
        "status_not_in_seal": (
            "Нет в своей печати: запись лежит в диапазоне печати {seq}, но никогда в ней не "
            "запечатывалась."
        ),
        "status_seal_altered": (
            "Печать недействительна: печать {seq} изменена или её подпись не сходится."
        ),
        "status_unknown_key": (
            "Запечатана печатью {seq} ключом, которого нет у этого приложения: подпись здесь "
            "проверить нельзя."
        ),
        "status_chain_broken": "Цепочка разорвана: печать {seq} не следует за предыдущей.",
        "status_seal_missing": "Печать пропала: печать, в которой была эта запись, удалена.",
        "status_erased": "Персональные поля удалены {when}; для доказательства они не нужны.",
        "proof_note": (
            "Проверено сейчас по печати, в которой лежит запись: её подпись, корень Меркла и хеш "
            "содержимого записи. Всю цепочку проверяет flask consent verify."
        ),
        "not_found": "Запись {id} — не запись этого сайта.",
        "back": "Назад к записям",
        "records_footnote": (
            "Время по UTC. Те же записи: flask consent export --site САЙТ --since С --until "
            "(день после ПО); одного посетителя: flask consent export --consent-id ID."
        ),
    },
}
"""The records pages' words (``records.html``, ``record.html``), merged into ``TEXTS``. No key
may be the name of a ``dict`` method (``clear``, ``items``…): Jinja's ``t.clear`` would find
the method first."""
for _lang, _words in RECORD_TEXTS.items():
    TEXTS[_lang].update(_words)


LANGUAGES = (("lv", "Latviešu"), ("en", "English"), ("ru", "Русский"))
"""The dashboard's languages, each named in itself (the picker)."""


def words(lang: str) -> dict[str, str]:
    """The texts in ``lang``, English for a language the dashboard does not speak."""
    return TEXTS.get(lang, TEXTS["en"])
