"""Defaults speak for the site that installs the SDK, not for StepAhead: who asks, what for,
in which languages, and with which link, all from the site's own settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from consent_sdk import ConfigurationError, ConsentConfigWarning, ConsentManager
from tests.conftest import CONTROLLER, make_app


def _quick_start_app(tmp_path: Path, **config: Any) -> Flask:
    """The README's quick start, followed exactly."""
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY="a long random string",
        CONSENT_CONTROLLER=CONTROLLER,
        CONSENT_POLICY_URL="/privacy",
        CONSENT_PURPOSES=["necessary", {"id": "analytics", "cookies": ["_ga", "_ga_*"]}],
    )
    app.config.update(config)
    ConsentManager(app)
    return app


def _config(app: Flask, lang: str) -> dict[str, Any]:
    body = app.test_client().get(f"/consent/config?lang={lang}").json
    assert isinstance(body, dict)
    return body


def test_rule_07_start_up_fails_without_a_controller_naming_the_setting(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", CONSENT_POLICY_URL="/privacy")
    with pytest.raises(ConfigurationError, match="CONSENT_CONTROLLER"):
        ConsentManager(app)
    app.config["CONSENT_CONTROLLER"] = {"name": "Example Ltd", "contact": ""}
    with pytest.raises(ConfigurationError, match="CONSENT_CONTROLLER"):
        ConsentManager(app)


@pytest.mark.parametrize(
    ("lang", "controller"),
    [
        ("en", "Controller: Example Ltd, privacy@example.test"),
        ("lv", "Pārzinis: Example Ltd, privacy@example.test"),
        ("ru", "Оператор данных: Example Ltd, privacy@example.test"),
    ],
)
def test_rule_07_the_quick_start_banner_names_the_site_and_nothing_of_stepahead(
    tmp_path: Path, lang: str, controller: str
) -> None:
    config = _config(_quick_start_app(tmp_path), lang)
    assert config["texts"]["controller"] == controller
    shown = json.dumps(config, ensure_ascii=False).lower()
    assert "stepahead" not in shown and "_sa_" not in shown


@pytest.mark.parametrize(
    ("lang", "asked", "not_asked"),
    [
        ("en", "Analytics", ["Marketing", "marketing", "statistics", "Preferences"]),
        ("lv", "Statistika", ["Mārketing", "mārketing", "Iestatījumi"]),
        ("ru", "Статистика", ["Маркетинг", "маркетинг", "Настройки"]),
    ],
)
def test_rule_07_banner_text_names_only_the_purposes_the_site_asks_for(
    tmp_path: Path, lang: str, asked: str, not_asked: list[str]
) -> None:
    text = _config(_quick_start_app(tmp_path), lang)["texts"]["banner_text"]
    assert asked in text and "{purposes}" not in text
    assert not [word for word in not_asked if word in text]


def test_banner_text_lists_several_purposes_in_the_language_of_the_banner(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert "Preferences, Analytics and Marketing" in _config(app, "en")["texts"]["banner_text"]
    assert "Iestatījumi, Statistika un Mārketings" in _config(app, "lv")["texts"]["banner_text"]
    assert "Настройки, Статистика и Маркетинг" in _config(app, "ru")["texts"]["banner_text"]


def test_a_purpose_override_merges_with_the_built_in_purpose(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        CONSENT_PURPOSES=[
            "necessary",
            {"id": "analytics", "cookies": ["_pk_*"], "labels": {"en": "Statistics"}},
        ],
    )
    en = {p["id"]: p for p in _config(app, "en")["purposes"]}
    lv = {p["id"]: p for p in _config(app, "lv")["purposes"]}
    assert list(en) == ["necessary", "analytics"]
    assert en["analytics"]["cookies"] == ["_pk_*"]
    assert en["analytics"]["label"] == "Statistics"  # overridden in English only
    assert lv["analytics"]["label"] == "Statistika"  # the built-in Latvian label stays
    assert en["analytics"]["basis"] == "consent" and en["analytics"]["description"]


def test_necessary_cookies_default_to_the_session_and_consent_cookie_names(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        SESSION_COOKIE_NAME="sid",
        CONSENT_COOKIE_NAME="choice",
        CONSENT_PURPOSES=["necessary", {"id": "analytics", "cookies": ["_ga"]}],
    )
    necessary = _config(app, "en")["purposes"][0]
    assert necessary["id"] == "necessary" and necessary["cookies"] == [
        "sid",
        "choice",
        "choice_choice",
    ]


def test_rule_07_a_missing_policy_link_warns_at_start_up(tmp_path: Path) -> None:
    with pytest.warns(ConsentConfigWarning, match="CONSENT_POLICY_URL is not set"):
        app = make_app(tmp_path, CONSENT_POLICY_URL=None)
    assert _config(app, "en")["policy_url"] is None


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " javascript:alert(1)", "JavaScript:x", "data:text/html,x"]
)
def test_a_policy_link_that_is_not_http_or_a_path_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigurationError, match="CONSENT_POLICY_URL"):
        make_app(tmp_path, CONSENT_POLICY_URL=url)


def test_rule_07_a_purpose_that_declares_no_cookies_warns(tmp_path: Path) -> None:
    with pytest.warns(ConsentConfigWarning, match="'marketing' declares no cookies"):
        make_app(tmp_path, CONSENT_PURPOSES=["necessary", "marketing"])


def test_rule_16_a_label_missing_in_an_offered_language_fails_naming_purpose_and_language(
    tmp_path: Path,
) -> None:
    video = {
        "id": "video",
        "basis": "consent",
        "labels": {"en": "Video", "lv": "Video"},
        "descriptions": {"en": "Embedded videos", "lv": "Iegultie video", "ru": "Видео"},
        "cookies": ["_yt"],
    }
    with pytest.raises(ConfigurationError, match=r"'video' has no label in 'ru'"):
        make_app(tmp_path, CONSENT_PURPOSES=["necessary", video])


def test_a_site_with_only_exempt_purposes_asks_nothing_and_grants_them(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_PURPOSES=["necessary"])
    config = _config(app, "en")
    assert [(p["id"], p["required"]) for p in config["purposes"]] == [("necessary", True)]
    state = app.test_client().get("/consent/state").json
    assert state["purposes"] == {"necessary": True}


def test_the_default_language_is_english_and_the_built_in_languages_are_offered(
    tmp_path: Path,
) -> None:
    config = _config(_quick_start_app(tmp_path), "de")
    assert config["lang"] == "en" and config["languages"] == ["en", "lv", "ru"]


def test_a_site_own_language_may_leave_out_a_text_added_by_a_later_release(
    tmp_path: Path,
) -> None:
    from consent_sdk.texts import DEFAULT_TEXTS, OPTIONAL_TEXT_KEYS

    german = {k: f"[de] {k}" for k in DEFAULT_TEXTS["en"] if k not in OPTIONAL_TEXT_KEYS}
    app = _quick_start_app(
        tmp_path,
        CONSENT_LANGUAGES=("en", "de"),
        CONSENT_TEXTS={"de": german},
        CONSENT_PURPOSES=[
            {
                "id": "necessary",
                "labels": {"de": "Notwendig"},
                "descriptions": {"de": "Damit die Seite funktioniert."},
            },
            {
                "id": "analytics",
                "labels": {"de": "Statistik"},
                "descriptions": {"de": "Besuche zählen."},
                "cookies": ["_ga"],
            },
        ],
    )
    texts = _config(app, "de")["texts"]
    assert "receipt_link" not in texts and texts["accept_all"] == "[de] accept_all"
    assert _config(app, "en")["texts"]["receipt_link"] == "Your consent receipt"
