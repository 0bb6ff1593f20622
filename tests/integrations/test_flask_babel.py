"""A site translated with Flask-Babel: the banner speaks the locale Babel selected.

The site's ``locale_selector`` picks the language (here from ``?lang=``); ``consent_banner()``
needs no ``lang`` argument, and the banner keeps Babel's choice even when the page's
``<html lang>`` says something else. A locale the banner does not offer leaves the choice to
the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, render_template_string, request
from flask_babel import Babel

from consent_sdk import ConsentManager
from consent_sdk.texts import DEFAULT_TEXTS
from tests.browser.widget import BANNER
from tests.integrations.helpers import banner_config, host_app

PAGE = """<!doctype html>
<html lang="lv">
<head><meta charset="utf-8"><title>Sākums</title>{{ consent_banner() }}</head>
<body><main><h1>Sākums</h1></main></body>
</html>"""


def create_app(tmp_path: Path, *, selector: bool = True, **config: Any) -> Flask:
    # The SDK's own default is Latvian here, so English can only come from Babel.
    app = host_app(tmp_path, CONSENT_DEFAULT_LANGUAGE="lv", **config)
    if selector:
        Babel(app, locale_selector=lambda: request.args.get("lang"))
    else:
        Babel(app)
    ConsentManager(app)

    @app.get("/")
    def home() -> str:
        return render_template_string(PAGE)

    return app


def test_rule_16_banner_follows_babels_locale_selector(tmp_path: Path) -> None:
    client = create_app(tmp_path).test_client()
    config = banner_config(client, "/?lang=ru")
    assert config["lang"] == "ru"
    assert config["lang_fixed"] is True
    assert config["texts"]["accept_all"] == DEFAULT_TEXTS["ru"]["accept_all"]


def test_rule_16_a_regional_babel_locale_uses_its_language(tmp_path: Path) -> None:
    client = create_app(tmp_path).test_client()
    config = banner_config(client, "/?lang=en_GB")
    assert (config["lang"], config["lang_fixed"]) == ("en", True)


def test_rule_16_a_locale_the_banner_does_not_offer_leaves_it_to_the_page(
    tmp_path: Path,
) -> None:
    client = create_app(tmp_path).test_client()
    config = banner_config(client, "/?lang=de")
    # The default language, not fixed: the widget switches to <html lang> if offered.
    assert (config["lang"], config["lang_fixed"]) == ("lv", False)


def test_rule_16_without_a_selector_babels_default_locale_is_used(tmp_path: Path) -> None:
    client = create_app(tmp_path, selector=False).test_client()
    config = banner_config(client, "/")
    assert (config["lang"], config["lang_fixed"]) == ("en", True)

    client = create_app(tmp_path, selector=False, BABEL_DEFAULT_LOCALE="ru").test_client()
    assert banner_config(client, "/")["lang"] == "ru"


def test_rule_16_banner_is_russian_on_a_latvian_page_when_babel_says_ru(
    tmp_path: Path, live_server: Any, page: Any
) -> None:
    server = live_server(create_app(tmp_path))
    page.goto(server.url + "/?lang=ru")

    banner = page.locator(BANNER)
    banner.wait_for()
    ru = DEFAULT_TEXTS["ru"]
    assert banner.get_attribute("lang") == "ru"
    assert banner.locator('[data-consent-action="accept-all"]').inner_text() == ru["accept_all"]
    assert banner.locator('[data-consent-action="reject-all"]').inner_text() == ru["reject_all"]
    assert ru["banner_title"] in banner.inner_text()
