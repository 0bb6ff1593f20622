"""Fair and accessible: equal buttons, nothing pre-ticked, keyboard, axe-core, small screens."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.widget import (
    AXE,
    BANNER,
    DIALOG,
    contrast,
    history,
    open_dialog,
    wait_delivered,
)

CHOICES = ("accept-all", "reject-all", "customize")
STYLE_KEYS = ("fontWeight", "fontSize", "fontFamily", "color", "backgroundColor", "borderColor")


def button_styles(page: Any, scope: str, actions: tuple[str, ...]) -> list[dict[str, Any]]:
    return list(
        page.evaluate(
            """([scope, actions]) => actions.map(a => {
                const el = document.querySelector(`${scope} [data-consent-action="${a}"]`);
                const s = getComputedStyle(el), r = el.getBoundingClientRect();
                return {w: r.width, h: r.height, tag: el.tagName, fontWeight: s.fontWeight,
                        fontSize: s.fontSize, fontFamily: s.fontFamily, color: s.color,
                        backgroundColor: s.backgroundColor, borderColor: s.borderTopColor};
            })""",
            [scope, list(actions)],
        )
    )


@pytest.mark.parametrize("width", [1280, 320])
def test_rule_02_reject_all_is_as_prominent_as_accept_all(site: Any, page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 720})
    server = site()
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    accept, reject, choose = button_styles(page, BANNER, CHOICES)

    for other in (reject, choose):
        assert other["tag"] == "BUTTON"  # reject is a button, not a link in the text
        assert abs(other["w"] - accept["w"]) < 1
        assert abs(other["h"] - accept["h"]) < 1
        for key in STYLE_KEYS:
            assert other[key] == accept[key], key
    assert contrast(accept["color"], accept["backgroundColor"]) >= 4.5
    # One click each, on the first layer.
    page.click(f'{BANNER} [data-consent-action="reject-all"]')
    wait_delivered(page)
    assert history(page)[0]["action"] == "reject_all"


def test_rule_02_dialog_buttons_are_equal_too(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    open_dialog(page, f'{BANNER} [data-consent-action="customize"]')
    styles = button_styles(page, DIALOG, ("accept-all", "reject-all", "save"))
    for other in styles[1:]:
        assert abs(other["w"] - styles[0]["w"]) < 1
        assert abs(other["h"] - styles[0]["h"]) < 1
        for key in STYLE_KEYS:
            assert other[key] == styles[0][key], key


def toggles(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll(
                '[data-consent-ui="dialog"] input[type=checkbox]')].map(
                i => [i.id.replace('csdk-p-', ''), [i.checked, i.disabled]]))"""
        )
    )


def test_rule_03_no_purpose_is_pre_ticked(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    open_dialog(page, f'{BANNER} [data-consent-action="customize"]')
    assert toggles(page) == {
        "necessary": [True, True],  # shown as always on, cannot be switched off
        "preferences": [False, False],
        "analytics": [False, False],
        "marketing": [False, False],
    }
    assert "Always on" in page.locator(DIALOG).inner_text()
    # Saving untouched toggles grants nothing.
    page.click(f'{DIALOG} [data-consent-action="save"]')
    wait_delivered(page)
    assert history(page)[0]["granted"] == ["necessary"]
    # Reopened, the toggles show the visitor's own choice, and only that.
    page.evaluate("ConsentSDK.save({preferences: true})")
    open_dialog(page, '.csdk-fab [data-consent-action="settings"]')
    assert toggles(page)["preferences"] == [True, False]
    assert toggles(page)["analytics"] == [False, False]


def focused(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => { const el = document.activeElement;
                return {action: el.getAttribute('data-consent-action'), id: el.id,
                        tag: el.tagName, inDialog: !!el.closest('[data-consent-ui="dialog"]'),
                        inBanner: !!el.closest('[data-consent-ui="banner"]'),
                        outline: getComputedStyle(el).outlineStyle} }"""
        )
    )


def test_rule_17_keyboard_only_walk(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()

    # The banner comes first in the tab order: policy link, then the three choices.
    page.keyboard.press("Tab")
    assert focused(page)["inBanner"] and focused(page)["tag"] == "A"
    assert focused(page)["outline"] != "none"  # visible focus
    walk = []
    for _ in range(3):
        page.keyboard.press("Tab")
        walk.append(focused(page)["action"])
    assert walk == ["accept-all", "reject-all", "customize"]
    assert focused(page)["outline"] != "none"

    # Enter opens the dialog and moves focus into it; Tab stays inside, both ways.
    page.keyboard.press("Enter")
    dialog = page.locator(DIALOG)
    assert dialog.get_attribute("role") == "dialog"
    assert dialog.get_attribute("aria-modal") == "true"
    label = page.locator(f"#{dialog.get_attribute('aria-labelledby')}").inner_text()
    assert label == "Cookie settings"
    assert focused(page)["inDialog"]
    for _ in range(12):
        page.keyboard.press("Tab")
        assert focused(page)["inDialog"]
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        assert focused(page)["inDialog"]

    # Escape closes without a decision (rule 4) and gives focus back to "Choose".
    page.keyboard.press("Escape")
    assert dialog.count() == 0
    assert focused(page)["action"] == "customize"
    expect(page.locator(BANNER)).to_be_visible()

    # Reopen, switch analytics on with Space, save with Enter.
    page.keyboard.press("Enter")
    while focused(page)["id"] != "csdk-p-analytics":
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    while focused(page)["action"] != "save":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    wait_delivered(page)
    # Focus is not lost: it lands on the settings button, which reopens the dialog.
    assert focused(page)["action"] == "settings"
    page.keyboard.press("Enter")
    assert page.locator(DIALOG).is_visible()
    page.keyboard.press("Escape")
    [record] = history(page)
    assert sorted(record["granted"]) == ["analytics", "necessary"]


def axe(page: Any) -> list[dict[str, Any]]:
    assert AXE.exists(), "run `npm ci` in widget/ (axe-core is a devDependency)"
    if not page.evaluate("!!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => { const r = await axe.run();
            return {passes: r.passes.length,
                    violations: r.violations.map(
                        v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))} }"""
    )
    assert result["passes"] > 10  # axe really looked at the page
    violations: list[dict[str, Any]] = result["violations"]
    return violations


@pytest.mark.parametrize("width", [1280, 320])
def test_rule_17_axe_core_finds_no_violation(site: Any, page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 720})
    server = site()
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    page.wait_for_timeout(300)  # let the entry animation finish
    assert axe(page) == []  # banner and placeholder
    page.click(f'{BANNER} [data-consent-action="customize"]')
    assert axe(page) == []  # dialog
    page.click(f'{DIALOG} [data-consent-action="accept-all"]')
    wait_delivered(page)
    assert axe(page) == []  # settings button, loaded iframe


def test_rule_05_17_usable_at_320_px_and_200_percent_zoom(site: Any, new_page: Any) -> None:
    server = site()
    # 200 % zoom of a 1280x720 window is a 640x360 CSS-pixel viewport; 320 px is the reflow width.
    for width, height in ((320, 568), (640, 360)):
        page = new_page(viewport={"width": width, "height": height})
        page.goto(server.url + "/")
        banner = page.locator(BANNER)
        box = banner.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        # Not a wall: the banner leaves most of the page in view (rule 5).
        assert box["height"] <= 0.6 * height + 1
        assert page.get_by_role("heading", name="Consent test page").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # Every choice can be reached and used (scrolled into view inside the banner if needed).
        page.click(f'{BANNER} [data-consent-action="customize"]')
        dbox = page.locator(DIALOG).bounding_box()
        assert dbox["width"] <= width and dbox["height"] <= height
        page.click(f'{DIALOG} [data-consent-action="reject-all"]')
        wait_delivered(page)


def test_rule_17_banner_appears_settled_without_motion(site: Any, new_page: Any) -> None:
    # No fade or slide: the banner is final the moment it appears (nothing for reduced motion
    # to turn off, nothing to wait for).
    server = site()
    for motion in ("reduce", "no-preference"):
        page = new_page(reduced_motion=motion)
        page.goto(server.url + "/")
        settled = page.eval_on_selector(
            BANNER,
            "el => getComputedStyle(el).animationName == 'none' && !el.getAnimations().length"
            " && getComputedStyle(el).opacity == '1'",
        )
        assert settled


def test_rule_17_banner_is_a_labelled_live_region(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    region = page.get_by_role("region", name="Cookies on this site")
    assert region.get_attribute("data-consent-ui") == "banner"
    assert region.get_attribute("aria-live") == "polite"
