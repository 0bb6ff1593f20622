"""The StepAhead example site, one journey per visitor story (issue 4), in Debian's Chromium.

Each journey runs for two visitors in two fresh browser contexts against the same server and
database: the second must see exactly what the first saw, so nothing leaks between visitors.
Test names cite the rules of docs/compliance.md they check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    BANNER,
    DIALOG,
    ESSENTIAL_COOKIES,
    FOOTER_SETTINGS,
    PLACEHOLDER,
    VIDEO,
    Site,
    Visitor,
)

Visitors = Callable[..., Visitor]
TWO_VISITORS = range(2)


def assert_nothing_gated(visitor: Visitor) -> None:
    """Rule 1: no gated request, no non-essential cookie, no gated code ran."""
    assert visitor.gated_requests() == []
    assert visitor.cookie_names() <= ESSENTIAL_COOKIES
    # Scripts see at most the readable choice cookie (the decision, no id); the signed consent
    # cookie is HttpOnly.
    assert visitor.document_cookies() <= {"consent_choice"}
    assert visitor.ran() == []


def assert_video_blocked(visitor: Visitor) -> None:
    video = visitor.page.locator(VIDEO)
    assert video.get_attribute("src") in (None, "about:blank")
    assert visitor.page.locator(PLACEHOLDER).is_visible()


def last_record(site: Site, visitor: Visitor) -> dict[str, Any]:
    return site.history(visitor.consent_id())[-1]


# --- 1 ------------------------------------------------------------------------------------


def test_rule_01_16_20_first_visit_latvian_banner_nothing_gated(
    site: Site, visitors: Visitors
) -> None:
    lv = site.texts("lv")["texts"]
    for _ in TWO_VISITORS:
        visitor = visitors()
        response = visitor.open("/")
        page = visitor.page

        # Latvian by default, whatever the browser's Accept-Language says (rule 16).
        assert page.locator("html").get_attribute("lang") == "lv"
        banner = page.locator(BANNER)
        banner.wait_for()
        assert lv["banner_title"] in banner.inner_text()
        assert banner.locator('[data-consent-action="reject-all"]').inner_text() == lv["reject_all"]

        visitor.quiet()
        assert_nothing_gated(visitor)
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0
        assert_video_blocked(visitor)

        # Consent Mode: the all-denied default is the very first gtag call (rule 20).
        first = visitor.gtag_calls()[0]
        assert first["command"] == "consent" and first["args"][0] == "default"
        assert {k for k, v in first["args"][1].items() if v != "denied"} == {"security_storage"}

        # Strict CSP on the page, and nothing on the page broke it.
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "object-src 'none'" in csp and "frame-ancestors 'self'" in csp
        assert visitor.csp_violations() == []

        # The analytics endpoint refuses a direct call without consent.
        answer = visitor.context.request.post(site.url + "/analytics/collect", data={"path": "/"})
        assert answer.status == 403
        assert answer.json() == {"error": "consent_required", "purposes": ["analytics"]}
    assert site.counts("pageview") == {}


# --- 2 ------------------------------------------------------------------------------------


def test_rule_01_10_12_reject_all_is_recorded_and_remembered(
    site: Site, visitors: Visitors
) -> None:
    ids = set()
    for _ in TWO_VISITORS:
        visitor = visitors()
        visitor.open("/")
        visitor.decide("reject-all")
        assert visitor.page.locator(BANNER).count() == 0

        record = last_record(site, visitor)
        ids.add(record["consent_id"])
        assert record["granted"] == ["necessary"]
        assert sorted(record["refused"]) == ["analytics", "marketing", "preferences"]
        assert (record["action"], record["source"], record["language"]) == (
            "reject_all",
            "banner",
            "lv",
        )

        # The next page: no banner again (rule 12), still nothing gated (rule 1).
        visitor.open("/services")
        visitor.quiet()
        assert visitor.page.locator(BANNER).count() == 0
        assert_nothing_gated(visitor)
        assert visitor.cookie_names() == {"consent", "consent_choice"}
        assert visitor.state()["decided"] is True
    assert len(ids) == 2  # each visitor has a consent id of their own
    # The records live next to the site's own tables, in the host's database (db=db).
    assert {"consent_records", "stepahead_counter", "stepahead_contact_message"} <= site.tables()
    assert site.counts("pageview") == {}


# --- 3 ------------------------------------------------------------------------------------


def test_rule_06_10_20_accept_all_runs_tracker_pixel_and_video(
    site: Site, visitors: Visitors
) -> None:
    for n in TWO_VISITORS:
        visitor = visitors()
        page = visitor.page
        visitor.open("/")
        with page.expect_response(lambda r: r.url.endswith("/analytics/collect")) as collected:
            visitor.decide("accept-all")
        assert collected.value.status == 200
        visitor.wait_tags("tracker", "pixel")

        # What the visitor notices: the video plays in place, the cookies exist.
        assert page.locator(VIDEO).get_attribute("src") == "/embed/video?lang=lv"
        frame = page.frame_locator(VIDEO)
        frame.locator("#play").wait_for()
        assert page.locator(PLACEHOLDER).is_hidden()
        assert {"_sa_id", "_sa_mkt"} <= visitor.document_cookies()
        # What the site owner notices: the page view and the pixel were counted.
        assert site.counts("pageview")["/"] == n + 1
        assert site.counts("pixel")["/"] == n + 1
        assert site.counts("visitor") == {"*": n + 1}

        record = last_record(site, visitor)
        assert sorted(record["granted"]) == ["analytics", "marketing", "necessary", "preferences"]
        assert record["refused"] == []
        assert (record["action"], record["source"]) == ("accept_all", "banner")

        # Consent Mode: an update granted everything after the default.
        commands = [(c["command"], (c["args"] or [None])[0]) for c in visitor.gtag_calls()]
        assert commands.index(("consent", "update")) > commands.index(("consent", "default"))

        # The policy page shows the visitor's own consent id and choices.
        visitor.open("/privacy")
        assert page.locator("#consent-id").inner_text() == record["consent_id"]
        for purpose in ("preferences", "analytics", "marketing"):
            choice = page.locator(f'#your-consent li[data-purpose="{purpose}"]')
            assert choice.get_attribute("data-granted") == "true"
        assert page.locator("#consent-history tbody tr").count() == 1

        # Changing the choice right there updates the page once it is recorded.
        page.click("#change-settings")
        page.locator(DIALOG).locator('input[data-consent-purpose="marketing"]').uncheck()
        visitor.decide("save", within=DIALOG)
        page.locator("#consent-history tbody tr").nth(1).wait_for()
        assert "marketing" in page.locator("#consent-history tbody tr").nth(1).inner_text()
        marketing = page.locator('#your-consent li[data-purpose="marketing"]')
        assert marketing.get_attribute("data-granted") == "false"
        assert page.locator("#consent-id").inner_text() == record["consent_id"]

        # A returning visitor: the stored choice reaches Consent Mode before the tag's config.
        commands = [(c["command"], (c["args"] or [None])[0]) for c in visitor.gtag_calls()]
        assert commands[:2] == [("consent", "default"), ("consent", "update")]
        assert commands.index(("consent", "update")) < commands.index(("config", "G-STEPAHEAD"))
        visitor.wait_tags("tracker", "pixel")
        assert visitor.csp_violations() == []
    assert site.counts("pageview") == {"/": 2, "/privacy": 2}


# --- 4 ------------------------------------------------------------------------------------


def test_rule_03_06_analytics_only_marketing_stays_blocked(site: Site, visitors: Visitors) -> None:
    for n in TWO_VISITORS:
        visitor = visitors()
        page = visitor.page
        visitor.open("/services")
        visitor.click("customize")
        dialog = page.locator(DIALOG)
        dialog.wait_for()
        # Nothing optional is pre-selected (rule 3).
        for purpose in ("preferences", "analytics", "marketing"):
            assert not dialog.locator(f'input[data-consent-purpose="{purpose}"]').is_checked()
        dialog.locator('input[data-consent-purpose="analytics"]').check()
        visitor.decide("save", within=DIALOG)
        visitor.wait_tags("tracker")

        record = last_record(site, visitor)
        assert sorted(record["granted"]) == ["analytics", "necessary"]
        assert sorted(record["refused"]) == ["marketing", "preferences"]
        assert (record["action"], record["source"]) == ("save", "settings")

        # Marketing stays blocked on this page and the next one.
        visitor.open("/")
        visitor.wait_tags("tracker")
        visitor.quiet()
        assert_video_blocked(visitor)
        gated = {path for _, path in visitor.gated_requests()}
        assert gated == {"/static/js/tracker.js", "/analytics/collect"}
        assert "_sa_id" in visitor.document_cookies()
        assert "_sa_mkt" not in visitor.cookie_names()
        assert visitor.ran() == ["tracker"]
        assert site.counts("pageview") == {"/services": n + 1, "/": n + 1}
        assert site.counts("pixel") == {}


# --- 5 ------------------------------------------------------------------------------------


def test_rule_08_09_withdraw_marketing_from_footer_on_another_page(
    site: Site, visitors: Visitors
) -> None:
    for _ in TWO_VISITORS:
        visitor = visitors()
        page = visitor.page
        visitor.open("/services")
        visitor.decide("accept-all")
        visitor.wait_tags("tracker", "pixel")
        assert "_sa_mkt" in visitor.document_cookies()

        # On another page, the footer's "Cookie settings" opens the choices (rule 8).
        visitor.open("/")
        visitor.wait_tags("tracker", "pixel")
        page.frame_locator(VIDEO).locator("#play").wait_for()
        page.click(FOOTER_SETTINGS)
        dialog = page.locator(DIALOG)
        dialog.wait_for()
        assert dialog.locator('input[data-consent-purpose="marketing"]').is_checked()
        dialog.locator('input[data-consent-purpose="marketing"]').uncheck()
        visitor.decide("save", within=DIALOG)

        # Rule 9: the cookie is gone, the video is back to its placeholder, a new record.
        assert "_sa_mkt" not in visitor.document_cookies()
        assert "_sa_mkt" not in visitor.cookie_names()
        assert "_sa_id" in visitor.document_cookies()
        assert_video_blocked(visitor)
        history = site.history(visitor.consent_id())
        assert [r["action"] for r in history] == ["accept_all", "save"]
        assert "marketing" in history[-1]["refused"] and "analytics" in history[-1]["granted"]

        # The next page: the pixel no longer runs, and its server-side gate refuses.
        visitor.requests.clear()
        visitor.open("/services")
        visitor.wait_tags("tracker")
        visitor.quiet()
        assert "/pixel" not in {path for _, path in visitor.requests}
        assert "/static/js/pixel.js" not in {path for _, path in visitor.requests}
        assert visitor.context.request.get(site.url + "/pixel?p=/").status == 403


# --- 6 ------------------------------------------------------------------------------------


def test_rule_11_policy_version_bump_asks_again(
    start_site: Callable[..., Site], site: Site, visitors: Visitors
) -> None:
    people = [visitors() for _ in TWO_VISITORS]
    for visitor in people:
        visitor.open("/")
        visitor.decide("accept-all")
        visitor.wait_tags("tracker", "pixel")

    bumped = start_site(CONSENT_POLICY_VERSION="2027-01")
    for visitor in people:
        visitor.site = bumped
        visitor.requests.clear()
        visitor.open("/")
        page = visitor.page
        page.locator(BANNER).wait_for()
        visitor.quiet()
        # The old choice no longer applies: nothing gated ran, its cookies were removed.
        assert visitor.gated_requests() == []
        assert visitor.state()["decided"] is False
        assert page.evaluate("ConsentSDK.has('analytics')") is False
        assert visitor.document_cookies() <= {"consent_choice"}  # of the old version: ignored
        assert_video_blocked(visitor)
        # ...and the server refuses too, although the browser still sends the old cookie.
        assert "consent" in visitor.cookie_names()
        answer = visitor.context.request.post(bumped.url + "/analytics/collect", data={"path": "/"})
        assert answer.status == 403

        visitor.decide("reject-all")
        assert last_record(bumped, visitor)["policy_version"] == "2027-01"


# --- 7 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_rule_07_16_banner_and_policy_in_english_and_russian(
    lang: str, site: Site, visitors: Visitors
) -> None:
    config = site.texts(lang)
    texts = config["texts"]
    for _ in TWO_VISITORS:
        visitor = visitors()
        page = visitor.page
        visitor.open(f"/?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        banner = page.locator(BANNER)
        banner.wait_for()
        assert texts["banner_title"] in banner.inner_text()
        assert (
            banner.locator('[data-consent-action="accept-all"]').inner_text()
            == (texts["accept_all"])
        )

        # Informed before choosing: the banner links the policy, in the same language (rule 7).
        banner.get_by_role("link", name=texts["policy_link"]).click()
        page.wait_for_url(f"**/privacy?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        expect(page.locator(BANNER)).to_be_visible()  # still no decision

        visitor.open(f"/privacy?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("#translation-notice").is_visible()
        assert page.locator("section.policy-section").count() == 10
        # The policy's cookie list is the banner's: same purposes, labels and cookies.
        rows = page.locator("#cookie-table tbody tr")
        assert rows.count() == len(config["purposes"])
        for purpose in config["purposes"]:
            row = page.locator(f'#cookie-table tr[data-purpose="{purpose["id"]}"]')
            assert purpose["label"] in row.inner_text()
            assert row.locator("code").all_inner_texts() == purpose["cookies"]
        page.click(FOOTER_SETTINGS)
        dialog = page.locator(DIALOG)
        dialog.wait_for()
        assert texts["dialog_title"] in dialog.inner_text()
        for purpose in config["purposes"]:
            assert purpose["label"] in dialog.inner_text()
            assert ", ".join(purpose["cookies"]) in dialog.inner_text()
        page.keyboard.press("Escape")

        # With preferences allowed, the language is remembered in the `lang` cookie.
        assert "lang" not in visitor.cookie_names()
        visitor.decide("accept-all")
        page.click(f'.site-nav a[href="/?lang={lang}"]')
        page.wait_for_load_state("load")
        assert "lang" in visitor.cookie_names()
        visitor.open("/")
        assert page.locator("html").get_attribute("lang") == lang
    # A new visitor with no cookies starts in Latvian again.
    fresh = visitors()
    fresh.open("/")
    assert fresh.page.locator("html").get_attribute("lang") == "lv"


# --- 8 ------------------------------------------------------------------------------------


def _reachable(page: Any, selector: str, to_end: bool = False) -> bool:
    """The element is inside the viewport and is what a tap at its centre would hit, once
    scrolled into view (``to_end``: the visitor scrolls to the end of the page)."""
    return bool(
        page.evaluate(
            """([sel, toEnd]) => {
                const el = document.querySelector(sel);
                if (toEnd) window.scrollTo(0, document.documentElement.scrollHeight);
                else el.scrollIntoView({block: 'center'});
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.left < -1 || r.top < -1 ||
                    r.right > innerWidth + 1 || r.bottom > innerHeight + 1) return false;
                const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return !!hit && (hit === el || el.contains(hit));
            }""",
            [selector, to_end],
        )
    )


@pytest.mark.parametrize(
    "name, viewport",
    [("mobile", {"width": 360, "height": 740}), ("desktop", {"width": 1280, "height": 800})],
)
def test_rule_02_05_17_banner_layout_on_mobile_and_desktop(
    name: str, viewport: dict[str, int], site: Site, visitors: Visitors
) -> None:
    for n in TWO_VISITORS:
        visitor = visitors(viewport=viewport)
        page = visitor.page
        visitor.open("/privacy")
        page.locator(BANNER).wait_for()
        page.wait_for_timeout(300)  # the banner's entry animation
        if n == 0:
            visitor.screenshot(f"{name}-banner")
            visitor.screenshot(f"{name}-banner-full", full_page=True)

        # Every banner button is in view and not covered (rules 2, 17).
        for action in ("accept-all", "reject-all", "customize"):
            assert _reachable(page, f'{BANNER} [data-consent-action="{action}"]'), action
        accept = page.locator(f'{BANNER} [data-consent-action="accept-all"]').bounding_box()
        reject = page.locator(f'{BANNER} [data-consent-action="reject-all"]').bounding_box()
        assert abs(accept["width"] - reject["width"]) <= 1
        assert abs(accept["height"] - reject["height"]) <= 1
        # The banner covers neither the policy links nor the page's own content (rule 5).
        assert _reachable(page, f"{BANNER} a[href='/privacy?lang=lv']")
        assert _reachable(page, '.site-nav a[href="/privacy?lang=lv"]')
        assert _reachable(page, "#footer-policy-link", to_end=True)
        assert _reachable(page, FOOTER_SETTINGS, to_end=True)
        assert _reachable(page, "#policy h1")

        visitor.click("customize")
        page.locator(DIALOG).wait_for()
        if n == 0:
            visitor.screenshot(f"{name}-dialog")
        for action in ("accept-all", "reject-all", "save"):
            assert _reachable(page, f'{DIALOG} [data-consent-action="{action}"]'), action
        visitor.decide("reject-all", within=DIALOG)
        assert page.locator(BANNER).count() == 0
        if n == 0:
            visitor.screenshot(f"{name}-decided")


# --- 9 ------------------------------------------------------------------------------------


def _tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("sel => document.activeElement.matches(sel)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the keyboard focus")


def test_rule_04_08_17_keyboard_only_journey(site: Site, visitors: Visitors) -> None:
    for _ in TWO_VISITORS:
        visitor = visitors()
        page = visitor.page
        visitor.open("/")
        page.locator(BANNER).wait_for()

        # Banner → "customize" → the dialog, all from the keyboard.
        _tab_to(page, f'{BANNER} [data-consent-action="customize"]')
        page.keyboard.press("Enter")
        page.locator(DIALOG).wait_for()
        assert page.evaluate(f"!!document.activeElement.closest('{DIALOG}')")
        _tab_to(page, 'input[data-consent-purpose="analytics"]')
        page.keyboard.press("Space")
        _tab_to(page, f'{DIALOG} [data-consent-action="save"]')
        page.keyboard.press("Enter")
        visitor.wait_recorded()
        visitor.wait_tags("tracker")
        assert page.locator(DIALOG).count() == 0
        assert sorted(last_record(site, visitor)["granted"]) == ["analytics", "necessary"]

        # The footer's settings button, then Escape: closing is not a decision (rule 4).
        records = len(site.history(visitor.consent_id()))
        _tab_to(page, FOOTER_SETTINGS)
        page.keyboard.press("Enter")
        page.locator(DIALOG).wait_for()
        page.keyboard.press("Escape")
        page.locator(DIALOG).wait_for(state="detached")
        assert page.evaluate("document.activeElement.id") == FOOTER_SETTINGS[1:]
        visitor.quiet(300)
        assert len(site.history(visitor.consent_id())) == records

        # Withdraw with one key press in the dialog: "reject all" (rule 8).
        page.keyboard.press("Enter")
        page.locator(DIALOG).wait_for()
        _tab_to(page, f'{DIALOG} [data-consent-action="reject-all"]')
        page.keyboard.press("Enter")
        visitor.wait_recorded()
        record = last_record(site, visitor)
        assert record["granted"] == ["necessary"] and record["source"] == "settings"
        assert "_sa_id" not in visitor.document_cookies()
