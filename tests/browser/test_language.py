"""Which language the banner speaks: the one the site chose on the server, else the page's
<html lang> when the site offers it, else the site's default (never the browser's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.widget import BANNER, build_app

HEADINGS = {
    "en": "Cookies on this site",
    "lv": "Sīkfaili šajā vietnē",
    "ru": "Файлы cookie на этом сайте",
}


def banner_language(page: Any) -> tuple[str, str]:
    """The banner's heading and its lang attribute."""
    banner = page.locator(BANNER)
    return banner.locator("h2").inner_text(), str(banner.get_attribute("lang"))


def config_requests(page: Any) -> list[str]:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/consent/config" in r.url else None)
    return requests


def test_language_given_to_consent_banner_wins_over_html_lang(site: Any, page: Any) -> None:
    server = site("fixed-lang.html", lang="lv", CONSENT_DEFAULT_LANGUAGE="lv")
    requests = config_requests(page)
    page.goto(server.url + "/")
    assert page.evaluate("document.documentElement.lang") == "lv"
    assert banner_language(page) == (HEADINGS["en"], "en")
    page.wait_for_load_state("networkidle")
    assert requests == []  # no switch to the page's language was even tried


def test_language_selector_wins_over_html_lang(tmp_path: Path, live_server: Any, page: Any) -> None:
    app = build_app(tmp_path, "plain.html", lang="lv", CONSENT_DEFAULT_LANGUAGE="en")
    app.extensions["consent"].manager.language_selector(lambda: "ru")
    server = live_server(app)
    page.goto(server.url + "/")
    assert banner_language(page) == (HEADINGS["ru"], "ru")


def test_flask_babel_locale_wins_over_html_lang(
    tmp_path: Path, live_server: Any, page: Any
) -> None:
    flask_babel = pytest.importorskip("flask_babel")
    app = build_app(tmp_path, "plain.html", lang="lv", CONSENT_DEFAULT_LANGUAGE="en")
    flask_babel.Babel(app, locale_selector=lambda: "ru")
    server = live_server(app)
    page.goto(server.url + "/")
    assert banner_language(page) == (HEADINGS["ru"], "ru")


def test_html_lang_is_used_when_the_server_did_not_choose(site: Any, page: Any) -> None:
    server = site("plain.html", lang="lv", CONSENT_DEFAULT_LANGUAGE="en")
    requests = config_requests(page)
    page.goto(server.url + "/")
    assert banner_language(page) == (HEADINGS["lv"], "lv")
    assert [u.removeprefix(server.url) for u in requests] == ["/consent/config?lang=lv"]


def test_page_without_a_language_gets_the_default_not_the_browsers(
    site: Any, new_page: Any
) -> None:
    server = site("nolang.html", CONSENT_DEFAULT_LANGUAGE="en")
    page = new_page(locale="ru-RU")
    page.goto(server.url + "/")
    assert page.evaluate("navigator.language") == "ru-RU"
    assert banner_language(page) == (HEADINGS["en"], "en")
