"""Google Consent Mode v2 ordering (rule 20) and Global Privacy Control (rule 19)."""

from __future__ import annotations

from typing import Any

from tests.browser.widget import BANNER, data_layer, history, ran, wait_delivered

TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
)


def index(layer: list[Any], pred: Any) -> int:
    return next(i for i, e in enumerate(layer) if pred(e))


def is_consent(kind: str) -> Any:
    return lambda e: isinstance(e, list) and e[:2] == ["consent", kind]


def is_event(name: str) -> Any:
    return lambda e: isinstance(e, dict) and e.get("event") == name


def test_rule_20_default_before_any_tag_update_after_each_choice(site: Any, page: Any) -> None:
    server = site(CONSENT_GOOGLE_CONSENT_MODE=True)
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    layer = data_layer(page)
    default = index(layer, is_consent("default"))
    assert default == 0
    assert layer[0][2] == {**dict.fromkeys(TYPES, "denied"), "security_storage": "granted"}
    # The page's tag in <head>, gated on "necessary" (how a Google tag runs in advanced mode).
    assert default < index(layer, is_event("page_tag"))
    assert not any(is_consent("update")(e) for e in layer)  # nothing decided yet

    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(page)
    page.wait_for_function("() => (window.ran || []).length == 3")
    layer = data_layer(page)
    update = index(layer, is_consent("update"))
    assert layer[update][2] == dict.fromkeys(TYPES, "granted")
    assert update < index(layer, is_event("analytics_tag"))
    assert update < index(layer, is_event("marketing_tag"))
    assert update < index(layer, is_event("consent_update"))

    page.evaluate("ConsentSDK.save({analytics: true})")
    updates = [e for e in data_layer(page) if is_consent("update")(e)]
    assert len(updates) == 2
    assert updates[1][2]["analytics_storage"] == "granted"
    assert updates[1][2]["ad_storage"] == "denied"


def test_rule_20_returning_visitor_update_comes_right_after_the_default(
    site: Any, page: Any
) -> None:
    server = site(CONSENT_GOOGLE_CONSENT_MODE=True)
    page.goto(server.url + "/")
    page.evaluate("ConsentSDK.save({analytics: true})")
    wait_delivered(page)
    page.reload()
    page.wait_for_function("() => (window.ran || []).length == 2")
    layer = data_layer(page)
    assert is_consent("default")(layer[0])
    assert is_consent("update")(layer[1])  # before the page's first tag
    assert layer[1][2]["analytics_storage"] == "granted"
    assert layer[1][2]["ad_storage"] == "denied"
    assert index(layer, is_event("page_tag")) > 1


def test_rule_20_no_consent_mode_pushes_when_it_is_off(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    assert not any(isinstance(e, list) for e in data_layer(page))


GPC_SCRIPT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


def gpc_page(new_page: Any, header: bool = True, script: bool = True) -> Any:
    page = new_page(extra_http_headers={"Sec-GPC": "1"} if header else {})
    if script:
        page.context.add_init_script(GPC_SCRIPT)
    return page


def test_rule_19_gpc_starts_marketing_refused_and_the_banner_says_so(
    site: Any, new_page: Any
) -> None:
    server = site()
    # The signal seen only by the page (navigator.globalPrivacyControl).
    page = gpc_page(new_page, header=False)
    page.goto(server.url + "/")
    banner = page.locator(BANNER)
    assert "Global Privacy Control" in banner.inner_text()
    assert page.evaluate("ConsentSDK.has('marketing')") is False
    assert ran(page) == []
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    wait_delivered(page)
    [record] = history(page)
    assert record["gpc"] is True
    assert "marketing" in record["refused"]


def test_rule_19_a_sec_gpc_header_is_recorded_with_the_decision(site: Any, new_page: Any) -> None:
    # The page is the same for every visitor, so the header is not reflected into it; a
    # browser that sends it also exposes navigator.globalPrivacyControl. The server records it.
    server = site()
    page = gpc_page(new_page, script=False)
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    wait_delivered(page)
    [record] = history(page)
    assert record["gpc"] is True


def test_rule_19_an_explicit_choice_wins_over_gpc(site: Any, new_page: Any) -> None:
    server = site()
    page = gpc_page(new_page)
    page.goto(server.url + "/")
    assert "Global Privacy Control" in page.locator(BANNER).inner_text()
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(page)
    page.wait_for_function("() => (window.ran || []).length == 3")
    [record] = history(page)
    assert record["gpc"] is True
    assert "marketing" in record["granted"]
    page.reload()
    assert page.evaluate("ConsentSDK.has('marketing')") is True


def test_rule_19_no_gpc_notice_without_the_signal(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    assert "Global Privacy Control" not in page.locator(BANNER).inner_text()
