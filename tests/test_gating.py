"""Gating in Python and Jinja: @requires_consent, has_consent, current_consent, signals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, jsonify, render_template_string

from consent_sdk import (
    ConfigurationError,
    ConsentManager,
    ConsentRequired,
    UnknownPurposeError,
    current_consent,
    has_consent,
    requires_consent,
)
from consent_sdk.testing import consent_client, set_consent
from tests.conftest import SITE, banner_config, make_app


@pytest.fixture
def app(app: Flask) -> Flask:
    @app.route("/track", methods=["POST", "OPTIONS"])
    @requires_consent("analytics")
    def track() -> str:
        return "counted"

    @app.post("/both")
    @requires_consent("analytics", "marketing")
    def both() -> str:
        return "both"

    @app.get("/async")
    @requires_consent("marketing")
    async def async_view() -> str:
        return "async ok"

    @app.get("/page")
    def page() -> str:
        return render_template_string(
            "{% if has_consent('marketing') %}pixel{% else %}no-pixel{% endif %}"
            "|{{ current_consent.decided }}|{{ current_consent.consent_id }}"
        )

    @app.get("/py")
    def py() -> Any:
        return jsonify(
            analytics=has_consent("analytics"),
            necessary=has_consent("necessary"),
            granted=sorted(current_consent.granted),
        )

    return app


def test_gated_view_refuses_without_consent_with_the_missing_purposes(client: Any) -> None:
    response = client.post("/track")
    assert response.status_code == 403
    assert response.json == {"error": "consent_required", "purposes": ["analytics"]}


def test_gated_view_runs_once_consent_is_given_through_the_api(client: Any) -> None:
    client.post("/consent/state", json={"purposes": {"analytics": True}})
    assert client.post("/track").text == "counted"
    assert client.post("/both").json["purposes"] == ["marketing"]


def test_rule_09_gated_view_refuses_again_after_withdrawal(client: Any) -> None:
    client.post("/consent/state", json={"purposes": {"analytics": True}})
    client.delete("/consent/state")
    assert client.post("/track").status_code == 403


def test_refusal_is_an_html_page_for_browsers(client: Any) -> None:
    response = client.post("/track", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "analytics" in response.text


def test_options_passes_for_cors_preflights(client: Any) -> None:
    assert client.options("/track").status_code == 200


def test_async_views_are_gated(app: Flask) -> None:
    assert app.test_client().get("/async").status_code == 403
    assert consent_client(app, "marketing").get("/async").text == "async ok"


def test_refusal_handler_can_be_replaced(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", **SITE)
    consent = ConsentManager(app)

    @consent.consent_required_handler
    def ask(purposes: list[str]) -> Any:
        return {"please": purposes}, 451

    @app.get("/video")
    @requires_consent("marketing")
    def video() -> str:
        return "video"

    response = app.test_client().get("/video")
    assert response.status_code == 451 and response.json == {"please": ["marketing"]}


def test_refusal_can_be_caught_with_an_errorhandler(app: Flask) -> None:
    @app.errorhandler(ConsentRequired)
    def handle(error: ConsentRequired) -> Any:
        return {"missing": error.purposes}, 403

    assert app.test_client().post("/track").json == {"missing": ["analytics"]}


def test_unknown_purpose_on_a_view_fails_at_registration(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", **SITE)

    @app.get("/x")
    @requires_consent("analytcs")
    def x() -> str:
        return "x"

    with pytest.raises(ConfigurationError, match=r"view 'x' requires \['analytcs'\]"):
        ConsentManager(app)


def test_unknown_purpose_on_a_blueprint_registered_after_init_fails_only_that_view(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", **SITE)
    ConsentManager(app)
    late = Blueprint("late", __name__)

    @late.get("/late")
    @requires_consent("advertising")
    def late_view() -> str:
        return "late"

    @late.get("/fine")
    def fine() -> str:
        return "fine"

    app.register_blueprint(late)  # after init_app, as flaskr's factory does
    client = app.test_client()
    with caplog.at_level("ERROR"):
        assert client.get("/fine").text == "fine"
    # Logged before the first request is served, naming the view and the typo.
    assert "'late.late_view' requires ['advertising']" in caplog.text
    app.testing = False  # answer the error as a visitor would see it, not re-raise it
    assert client.get("/late").status_code == 500
    assert "requires unknown consent purposes ['advertising']" in caplog.text
    assert client.get("/fine").text == "fine"


@pytest.mark.parametrize("bad", [(), ("",), ("Analytics",), (1,)])
def test_requires_consent_rejects_malformed_names_at_import(bad: tuple[Any, ...]) -> None:
    with pytest.raises((TypeError, ValueError)):
        requires_consent(*bad)


def test_has_consent_and_current_consent_in_jinja(app: Flask) -> None:
    assert app.test_client().get("/page").text == "no-pixel|False|None"
    client = consent_client(app, "marketing", consent_id="abc")
    assert client.get("/page").text == "pixel|True|abc"


def test_has_consent_in_python(app: Flask) -> None:
    body = consent_client(app, "analytics").get("/py").json
    assert body == {"analytics": True, "necessary": True, "granted": ["analytics", "necessary"]}


def test_has_consent_with_an_unknown_purpose_raises(app: Flask) -> None:
    with app.test_request_context("/"), pytest.raises(UnknownPurposeError, match="analytcs"):
        has_consent("analytcs")


def test_testing_helper_rejects_unknown_purposes(app: Flask) -> None:
    with pytest.raises(ValueError, match="ads"):
        set_consent(app.test_client(), "ads")


def test_consent_banner_is_the_same_for_every_visitor_and_carries_no_state(app: Flask) -> None:
    @app.get("/banner")
    def banner() -> str:
        return render_template_string("<head>{{ consent_banner(lang='en', nonce='n0nce') }}</head>")

    consented = consent_client(app, "analytics")
    html = consented.get("/banner").text
    assert html == app.test_client().get("/banner", headers={"Sec-GPC": "1"}).text
    config = banner_config(consented, "/banner")
    assert config["lang"] == "en" and config["lang_fixed"] is True
    assert config["texts"]["accept_all"] == "Accept all"
    assert "state" not in config and "consent_id" not in json.dumps(config)
    # One tag: the script carries its stylesheet, so the page names no stylesheet at all.
    assert re.fullmatch(
        r'<head><script src="/consent/consent.js\?lang=en&amp;v=\w+" defer[^>]* nonce="n0nce">'
        r"</script></head>",
        html,
    )
    assert "css" not in config


def test_page_with_only_the_banner_stays_cacheable_one_reading_consent_is_private(
    app: Flask,
) -> None:
    def cacheable(template: str) -> Any:
        response = app.make_response(render_template_string(template))
        response.cache_control.public = True
        response.cache_control.max_age = 600
        return response

    app.add_url_rule("/cached", "cached", lambda: cacheable("{{ consent_banner() }}"))
    app.add_url_rule(
        "/personal",
        "personal",
        lambda: cacheable("{{ consent_banner() }}{% if has_consent('analytics') %}x{% endif %}"),
    )

    def own_headers() -> Any:
        response = app.make_response("x" if has_consent("analytics") else "y")
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = "no-store"
        return response

    app.add_url_rule("/own", "own", own_headers)
    app.add_url_rule("/bare", "bare", lambda: "x" if has_consent("analytics") else "y")
    client = consent_client(app, "analytics")
    cached = client.get("/cached")
    assert "Vary" not in cached.headers
    assert cached.headers["Cache-Control"] == "public, max-age=600"
    personal = client.get("/personal")
    assert "Cookie" in personal.headers["Vary"]
    assert "private" in personal.headers["Cache-Control"]
    assert "public" not in personal.headers["Cache-Control"]

    own = client.get("/own")
    assert own.headers["Vary"] == "Accept-Encoding, Cookie"
    assert own.headers["Cache-Control"] == "no-store"
    bare = client.get("/bare")
    assert bare.headers["Vary"] == "Cookie" and bare.headers["Cache-Control"] == "private"


def test_gated_views_answer_only_for_their_visitor(client: Any, app: Flask) -> None:
    refused = client.post("/track")
    allowed = consent_client(app, "analytics").post("/track")
    for response in (refused, allowed):
        assert "Cookie" in response.headers["Vary"]
        assert {"private", "no-store"} & set(response.cache_control.keys())


def test_consent_banner_language_argument_then_selector_then_default(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", **SITE)
    consent = ConsentManager(app)

    @app.get("/")
    def home() -> str:
        return render_template_string("{{ consent_banner() }}")

    @app.get("/ru")
    def russian() -> str:
        return render_template_string("{{ consent_banner(lang='ru') }}")

    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru,en;q=0.5"
    # No choice on the server: the default, and the widget may follow the page's <html lang>.
    # The browser's Accept-Language is not the page's language and is not used.
    config = banner_config(client, "/")
    assert (config["lang"], config["lang_fixed"]) == ("en", False)

    @consent.language_selector
    def pick() -> str:
        return "lv"

    config = banner_config(client, "/")
    assert (config["lang"], config["lang_fixed"]) == ("lv", True)
    config = banner_config(client, "/ru")
    assert (config["lang"], config["lang_fixed"]) == ("ru", True)


def test_texts_reach_the_widget_as_data_whatever_they_contain(tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script>"
    app = make_app(tmp_path, CONSENT_TEXTS={"en": {"banner_title": evil}})

    @app.get("/")
    def home() -> str:
        return render_template_string("{{ consent_banner() }}")

    client = app.test_client()
    assert "alert(1)" not in client.get("/").text
    assert banner_config(client, "/")["texts"]["banner_title"] == evil
