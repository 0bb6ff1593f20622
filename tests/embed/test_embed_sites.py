"""``CONSENT_SITES`` at start-up: what a site inherits from the service, and every mistake
failing then with a message that names the site and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consent_sdk import ConfigurationError
from tests.embed.conftest import SITES, service_app

LANDING = SITES["landing"]


def site(tmp_path: Path, **entry: Any) -> Any:
    """The ``landing`` site of a service whose CONSENT_SITES has only it, with ``entry``."""
    app = service_app(tmp_path, {"landing": entry})
    return app.extensions["consent_embed"].sites["landing"].config


def test_a_site_inherits_the_services_settings_but_its_policy_link(tmp_path: Path) -> None:
    cfg = site(tmp_path, origins=["https://landing.example.test"], policy_url="/privacy")
    assert cfg.site_id == "landing"
    assert cfg.languages == ("en", "lv", "ru")
    assert [p.id for p in cfg.purposes] == ["necessary", "preferences", "analytics", "marketing"]
    assert cfg.by_id["analytics"].cookies == ("_sa_id", "_ga", "_ga_*", "_gid")
    # The service's session and consent cookies are not on the site; the record is.
    assert cfg.by_id["necessary"].cookies == ("consent_record",)
    assert cfg.policy_url_for("en") == "/privacy"


def test_a_sites_texts_go_over_the_services(tmp_path: Path) -> None:
    app = service_app(
        tmp_path,
        {"landing": {**LANDING, "texts": {"en": {"accept_all": "Yes"}}}},
        CONSENT_TEXTS={"en": {"accept_all": "OK", "reject_all": "No thanks"}},
    )
    texts = app.extensions["consent_embed"].sites["landing"].config.texts["en"]
    assert (texts["accept_all"], texts["reject_all"]) == ("Yes", "No thanks")
    assert app.extensions["consent"].config.texts["en"]["accept_all"] == "OK"


def test_a_sites_own_necessary_purpose_keeps_its_cookies_and_the_record(tmp_path: Path) -> None:
    cfg = site(
        tmp_path,
        **{**LANDING, "purposes": [{"id": "necessary", "cookies": ["wp_session"]}]},
    )
    assert cfg.by_id["necessary"].cookies == ("wp_session", "consent_record")


def test_the_sites_default_language_falls_back_to_its_first(tmp_path: Path) -> None:
    cfg = site(tmp_path, origins=["https://a.example.test"], policy_url="/p", languages=["ru"])
    assert (cfg.languages, cfg.default_language) == (("ru",), "ru")


@pytest.mark.parametrize(
    ("sites", "message"),
    [
        (["landing"], "CONSENT_SITES must map a site id"),
        ({"Landing Page": LANDING}, "a site id is 1-63 lower-case letters"),
        ({"service": LANDING}, "the service's own CONSENT_SITE_ID is 'service'"),
        ({"landing": {**LANDING, "color": "red"}}, "unknown keys ['color']"),
        ({"landing": {"origins": ["https://a.test"]}}, "needs 'policy_url'"),
        ({"landing": {**LANDING, "origins": []}}, "needs 'origins'"),
        ({"landing": {**LANDING, "origins": "https://a.test"}}, "needs 'origins'"),
        ({"landing": {**LANDING, "origins": ["*"]}}, "no wildcard"),
        ({"landing": {**LANDING, "origins": ["https://*.a.test"]}}, "no wildcard"),
        ({"landing": {**LANDING, "origins": ["https://a.test/page"]}}, "with no path"),
        ({"landing": {**LANDING, "origins": ["a.test"]}}, "an origin is 'https://host'"),
        ({"landing": {**LANDING, "origins": ["ftp://a.test"]}}, "an origin is 'https://host'"),
        (
            {"landing": LANDING, "blog": {**LANDING, "origins": ["http://127.0.0.1:8001"]}},
            "'http://127.0.0.1:8001' is listed by both 'landing' and 'blog'",
        ),
        (
            {"landing": {**LANDING, "policy_url": "javascript:alert(1)"}},
            "CONSENT_SITES['landing']: CONSENT_POLICY_URL 'javascript:alert(1)'",
        ),
        (
            {"landing": {**LANDING, "languages": ["lv", "de"]}},
            "CONSENT_SITES['landing']: CONSENT_PURPOSES entry 'necessary' has no label in 'de'",
        ),
        (
            {"landing": {**LANDING, "purposes": ["necessary", "tracking"]}},
            "CONSENT_SITES['landing']: CONSENT_PURPOSES entry 'tracking' is invalid",
        ),
        (
            {"landing": {**LANDING, "max_age": 500 * 86400}},
            "CONSENT_SITES['landing']: CONSENT_MAX_AGE is 500 days",
        ),
    ],
)
def test_a_mistake_fails_at_start_up_naming_the_site(
    tmp_path: Path, sites: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        service_app(tmp_path, sites)
    assert message in str(info.value)


def test_an_app_without_sites_serves_no_embed_api(tmp_path: Path) -> None:
    client = service_app(tmp_path, {}).test_client()
    assert client.get("/consent/sites/landing/config").status_code == 404
    assert client.get("/consent/embed.js").status_code == 404
