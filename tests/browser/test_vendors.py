"""The vendors' consent APIs in Chromium, in the order the widget calls them: Google Consent
Mode v2 (window.dataLayer), Microsoft UET (window.uetq) and Microsoft Clarity (clarity.q)."""

from __future__ import annotations

from typing import Any

from tests.browser.widget import BANNER, data_layer, ran, wait_delivered

VENDORS = {
    "CONSENT_GOOGLE_CONSENT_MODE": True,
    "CONSENT_MICROSOFT_UET": True,
    "CONSENT_MICROSOFT_CLARITY": True,
}
GOOGLE_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
)


def consent_calls(page: Any) -> list[list[Any]]:
    """gtag() calls in window.dataLayer (Arguments objects, as lists); events left out."""
    return [e for e in data_layer(page) if isinstance(e, list)]


def uetq(page: Any) -> list[Any]:
    """window.uetq as it is: UET's queue takes flat pushes ('consent', 'default', {...})."""
    return list(page.evaluate("window.uetq || []"))


def clarity(page: Any) -> list[list[Any]]:
    """The calls queued by the clarity() stub (Arguments objects, as lists)."""
    return list(
        page.evaluate("((window.clarity && window.clarity.q) || []).map(a => Array.from(a))")
    )


def test_first_visit_pushes_the_defaults_only(site: Any, page: Any) -> None:
    server = site("vendors.html", **VENDORS)
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    assert consent_calls(page) == [
        [
            "consent",
            "default",
            {**dict.fromkeys(GOOGLE_TYPES, "denied"), "security_storage": "granted"},
        ]
    ]
    assert uetq(page) == ["consent", "default", {"ad_storage": "denied"}]
    # Clarity has no default: nothing is called, so nothing is queued for it.
    assert clarity(page) == []
    assert ran(page) == []


def test_accept_all_updates_every_vendor_before_the_tags_run(site: Any, page: Any) -> None:
    server = site("vendors.html", **VENDORS)
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(page)
    page.wait_for_function("() => (window.ran || []).length == 1")

    calls = consent_calls(page)
    assert [c[:2] for c in calls] == [["consent", "default"], ["consent", "update"]]
    assert calls[1][2] == dict.fromkeys(GOOGLE_TYPES, "granted")
    assert uetq(page) == [
        "consent",
        "default",
        {"ad_storage": "denied"},
        "consent",
        "update",
        {"ad_storage": "granted"},
    ]
    assert clarity(page) == [
        ["consentv2", {"ad_Storage": "granted", "analytics_Storage": "granted"}]
    ]
    # The gated tag ran after every vendor had its update.
    [seen] = page.evaluate("window.atTag")
    assert {**seen, "dataLayer": 0} == {"dataLayer": 0, "uetq": 6, "clarity": 1}
    layer = data_layer(page)
    update = next(i for i, e in enumerate(layer) if isinstance(e, list) and e[1] == "update")
    assert update < seen["dataLayer"]

    # Every later choice is an update too.
    page.evaluate("ConsentSDK.save({analytics: true})")
    assert consent_calls(page)[-1][2]["ad_storage"] == "denied"
    assert consent_calls(page)[-1][2]["analytics_storage"] == "granted"
    assert uetq(page)[-3:] == ["consent", "update", {"ad_storage": "denied"}]
    assert clarity(page)[-1] == [
        "consentv2",
        {"ad_Storage": "denied", "analytics_Storage": "granted"},
    ]


def test_returning_visitor_update_comes_right_after_the_default(site: Any, page: Any) -> None:
    server = site("vendors.html", **VENDORS)
    page.goto(server.url + "/")
    page.evaluate("ConsentSDK.save({analytics: true})")
    wait_delivered(page)
    page.reload()
    page.wait_for_function("() => (window.atTag || []).length == 1")

    layer = data_layer(page)
    assert layer[0][:2] == ["consent", "default"]
    assert layer[1][:2] == ["consent", "update"]
    assert layer[1][2]["analytics_storage"] == "granted"
    assert layer[1][2]["ad_storage"] == "denied"
    assert uetq(page) == [
        "consent",
        "default",
        {"ad_storage": "denied"},
        "consent",
        "update",
        {"ad_storage": "denied"},
    ]
    assert clarity(page) == [
        ["consentv2", {"ad_Storage": "denied", "analytics_Storage": "granted"}]
    ]
    # The gated tag saw all of it already (defaults, updates, and the consent_update event).
    [seen] = page.evaluate("window.atTag")
    assert seen["uetq"] == 6 and seen["clarity"] == 1
    assert seen["dataLayer"] >= 2
    assert ran(page) == []  # marketing stays refused


def test_google_options_set_commands_then_default_then_regions(site: Any, page: Any) -> None:
    server = site(
        "vendors.html",
        CONSENT_GOOGLE_CONSENT_MODE={
            "types": {"ad_storage": "marketing", "analytics_storage": "analytics"},
            "wait_for_update": 500,
            "url_passthrough": True,
            "ads_data_redaction": True,
            "regions": {
                "ES,DE": {"analytics_storage": "denied"},
                "US-CA": {"ad_storage": "granted", "analytics_storage": "granted"},
            },
        },
    )
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    denied = {"ad_storage": "denied", "analytics_storage": "denied"}
    assert consent_calls(page) == [
        ["set", "url_passthrough", True],
        ["set", "ads_data_redaction", True],
        ["consent", "default", {**denied, "security_storage": "granted", "wait_for_update": 500}],
        ["consent", "default", {**denied, "region": ["ES", "DE"]}],
        [
            "consent",
            "default",
            {"ad_storage": "granted", "analytics_storage": "granted", "region": ["US-CA"]},
        ],
    ]
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    assert consent_calls(page)[-1] == ["consent", "update", denied]


def test_a_type_mapped_to_an_exempt_purpose_is_granted_from_the_start(site: Any, page: Any) -> None:
    server = site(
        "vendors.html",
        CONSENT_GOOGLE_CONSENT_MODE={
            "functionality_storage": "necessary",
            "ad_storage": "marketing",
        },
        CONSENT_MICROSOFT_UET={"ad_storage": "necessary"},
    )
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    assert consent_calls(page) == [
        [
            "consent",
            "default",
            {
                "functionality_storage": "granted",
                "ad_storage": "denied",
                "security_storage": "granted",
            },
        ]
    ]
    assert uetq(page) == ["consent", "default", {"ad_storage": "granted"}]
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    wait_delivered(page)
    # Refusing everything cannot refuse what is strictly necessary.
    assert consent_calls(page)[-1][2] == {
        "functionality_storage": "granted",
        "ad_storage": "denied",
    }
    assert uetq(page)[-3:] == ["consent", "update", {"ad_storage": "granted"}]


def test_clarity_queue_is_kept_when_clarity_defined_it_first(site: Any, page: Any) -> None:
    # Clarity's own snippet ran first (its stub, with a call queued): the widget queues after it.
    page.add_init_script(
        "window.clarity = function () { (window.clarity.q = window.clarity.q || [])"
        ".push(arguments) }; clarity('set', 'page', 'home')"
    )
    server = site("vendors.html", CONSENT_MICROSOFT_CLARITY=True)
    page.goto(server.url + "/")
    page.evaluate("ConsentSDK.acceptAll()")
    assert clarity(page) == [
        ["set", "page", "home"],
        ["consentv2", {"ad_Storage": "granted", "analytics_Storage": "granted"}],
    ]


def test_no_vendor_call_when_none_is_configured(site: Any, page: Any) -> None:
    server = site("vendors.html")
    page.goto(server.url + "/")
    page.evaluate("ConsentSDK.acceptAll()")
    wait_delivered(page)
    assert consent_calls(page) == []
    assert page.evaluate("[typeof window.uetq, typeof window.clarity]") == [
        "undefined",
        "undefined",
    ]
