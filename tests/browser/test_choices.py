"""Each choice does exactly what it says, is recorded on the server, and is remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.widget import (
    BANNER,
    DIALOG,
    build_app,
    cookie_names,
    history,
    open_dialog,
    ran,
    wait_delivered,
)
from tests.conftest import consent_id_of

SETTINGS = '.csdk-fab [data-consent-action="settings"]'


def choose(page: Any, action: str) -> None:
    page.click(f'{BANNER} [data-consent-action="{action}"]')
    wait_delivered(page)


def test_rule_06_accept_all_runs_everything_in_document_order(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    choose(page, "accept-all")

    page.wait_for_function("() => (window.ran || []).length == 3")
    assert ran(page) == ["analytics", "inline", "marketing"]
    assert page.locator("iframe[data-consent]").get_attribute("src") == "/embed"
    assert page.locator('[data-consent-ui="placeholder"]').is_hidden()
    assert page.locator(BANNER).count() == 0
    expect(page.locator(SETTINGS)).to_be_visible()
    [record] = history(page)
    assert record["action"] == "accept_all"
    assert record["source"] == "banner"
    assert sorted(record["granted"]) == ["analytics", "marketing", "necessary", "preferences"]
    assert record["refused"] == []
    assert page.evaluate("ConsentSDK.has('marketing')") is True
    # Once: granting again does not run anything a second time.
    page.evaluate("ConsentSDK.save({analytics: true, marketing: true})")
    page.evaluate("ConsentSDK.acceptAll()")
    wait_delivered(page)
    assert ran(page) == ["analytics", "inline", "marketing"]


def test_rule_06_reject_all_runs_nothing_and_is_recorded(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    choose(page, "reject-all")

    assert ran(page) == []
    assert page.locator("iframe[data-consent]").get_attribute("src") is None
    [record] = history(page)
    assert record["action"] == "reject_all"
    assert record["granted"] == ["necessary"]
    assert sorted(record["refused"]) == ["analytics", "marketing", "preferences"]
    # Only the consent cookies exist, nothing a tag set: the signed HttpOnly one, and the
    # readable one that carries the decision and nothing that identifies the visitor.
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert sorted(cookies) == ["consent", "consent_choice"]
    assert cookies["consent"]["httpOnly"] and not cookies["consent_choice"]["httpOnly"]
    assert cookie_names(page) == {"consent_choice"}
    consent_id = consent_id_of(server.app, cookies["consent"]["value"])
    assert consent_id not in page.evaluate("document.cookie")
    # Nor does any answer of the API tell the page's scripts.
    assert consent_id not in page.evaluate(
        "Promise.all(['/consent/state', '/consent/history'].map(u => fetch(u).then(r => r.text())))"
        ".then(texts => texts.join(' ') + JSON.stringify(ConsentSDK.get()))"
    )


def test_rule_06_saving_one_purpose_grants_only_that_one(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="customize"]')
    page.check(f"{DIALOG} #csdk-p-analytics")
    page.click(f'{DIALOG} [data-consent-action="save"]')
    wait_delivered(page)

    page.wait_for_function("() => (window.ran || []).length == 2")
    assert ran(page) == ["analytics", "inline"]
    assert page.locator("iframe[data-consent]").get_attribute("src") is None
    assert page.locator(DIALOG).count() == 0
    [record] = history(page)
    assert (record["action"], record["source"]) == ("save", "settings")
    assert sorted(record["granted"]) == ["analytics", "necessary"]
    assert sorted(record["refused"]) == ["marketing", "preferences"]
    assert page.evaluate("[ConsentSDK.has('analytics'), ConsentSDK.has('marketing')]") == [
        True,
        False,
    ]


def test_rule_12_reload_keeps_the_choice(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    choose(page, "reject-all")
    page.reload()
    page.locator(SETTINGS).wait_for()
    assert page.locator(BANNER).count() == 0
    assert ran(page) == []

    # A grant is remembered the same way, and gated code runs again on the next page.
    page.evaluate("ConsentSDK.save({analytics: true})")
    wait_delivered(page)
    page.reload()
    page.wait_for_function("() => (window.ran || []).length == 2")
    assert ran(page) == ["analytics", "inline"]
    assert page.locator(BANNER).count() == 0
    assert len(history(page)) == 2


def test_rule_08_09_reopen_and_reject_deletes_declared_cookies(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    choose(page, "accept-all")
    page.wait_for_function("() => (window.ran || []).length == 3")
    page.evaluate("document.cookie = '_gcl_aw=x; path=/'; document.cookie = 'own=1; path=/'")
    assert {"_sa_id", "_ga_TEST", "_sa_mkt", "_gcl_aw"} <= cookie_names(page)

    # The page's own footer link opens the settings too (rule 8).
    page.click('main [data-consent-action="settings"]')
    page.locator(DIALOG).wait_for()
    page.click(f'{DIALOG} [data-consent-action="reject-all"]')
    wait_delivered(page)

    assert cookie_names(page) == {"own", "consent_choice"}
    frame = page.locator("iframe[data-consent]")
    assert frame.get_attribute("src") == "about:blank"
    expect(page.locator('[data-consent-ui="placeholder"]')).to_be_visible()
    records = history(page)
    assert [r["action"] for r in records] == ["accept_all", "reject_all"]
    assert records[-1]["granted"] == ["necessary"]

    page.reload()
    page.locator(SETTINGS).wait_for()
    assert ran(page) == []
    assert cookie_names(page) == {"own", "consent_choice"}


def test_rule_09_withdraw_from_the_api_forgets_the_decision(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    choose(page, "accept-all")
    page.wait_for_function("() => (window.ran || []).length == 3")
    consent_id = consent_id_of(
        server.app, next(c["value"] for c in page.context.cookies() if c["name"] == "consent")
    )
    page.evaluate("ConsentSDK.withdraw()")
    wait_delivered(page)

    expect(page.locator(BANNER)).to_be_visible()
    assert not {"_sa_id", "_ga_TEST", "_sa_mkt"} & cookie_names(page)
    assert page.context.cookies() == []  # the consent cookie is cleared too
    with server.app.app_context():
        records = server.app.extensions["consent"].ledger.history(consent_id)
    assert [r["action"] for r in records] == ["accept_all", "withdraw"]
    assert records[-1]["granted"] == ["necessary"]
    page.reload()
    expect(page.locator(BANNER)).to_be_visible()
    assert ran(page) == []
    assert page.evaluate("ConsentSDK.get().decided") is False


def test_rule_11_new_policy_version_asks_again(tmp_path: Path, live_server: Any, page: Any) -> None:
    first = live_server(build_app(tmp_path, CONSENT_POLICY_VERSION="2026-11"))
    page.goto(first.url + "/")
    choose(page, "accept-all")
    page.reload()
    page.locator(SETTINGS).wait_for()
    assert page.locator(BANNER).count() == 0

    # Same SECRET_KEY and database, a new policy version: the stored consent no longer counts.
    second = live_server(build_app(tmp_path, CONSENT_POLICY_VERSION="2026-12"))
    page.goto(second.url + "/")
    expect(page.locator(BANNER)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert ran(page) == []
    assert not {"_sa_id", "_ga_TEST", "_sa_mkt"} & cookie_names(page)


def test_rule_06_placeholder_button_grants_just_its_purpose(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.click('[data-consent-ui="placeholder"] [data-consent-action="enable"]')
    wait_delivered(page)
    page.wait_for_function("() => (window.ran || []).length == 1")
    assert ran(page) == ["marketing"]
    assert page.locator("iframe[data-consent]").get_attribute("src") == "/embed"
    [record] = history(page)
    assert sorted(record["granted"]) == ["marketing", "necessary"]


def test_rule_06_gated_tag_reaching_a_server_gated_endpoint_is_let_in_on_first_accept(
    site: Any, page: Any
) -> None:
    server = site("server-gated.html")
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="accept-all"]')
    page.wait_for_function("() => window.collected !== undefined")
    assert page.evaluate("window.collected") == 200


def test_change_event_listeners_and_data_layer_see_every_change(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.evaluate(
        """() => {
            window.seen = [];
            document.addEventListener('consent:change',
                e => seen.push(['event', e.detail.purposes]));
            ConsentSDK.on('change', s => seen.push(['on', s.purposes]));
            window.recorded = [];
            document.addEventListener('consent:recorded', e => recorded.push(e.detail));
        }"""
    )
    page.evaluate("ConsentSDK.acceptAll()")
    wait_delivered(page)
    page.evaluate("ConsentSDK.rejectAll()")
    wait_delivered(page)
    seen = page.evaluate("seen")
    assert [kind for kind, _ in seen] == ["on", "event", "on", "event"]
    assert seen[0][1]["marketing"] is True
    assert seen[2][1]["marketing"] is False
    pushes = page.evaluate("dataLayer.filter(e => e.event === 'consent_update')")
    assert [p["consent"]["analytics"] for p in pushes] == [True, False]
    records = history(page)
    assert [r["source"] for r in records] == ["api", "api"]
    # consent:recorded tells the page once the server holds the decision (with its dates; the
    # consent id stays in the HttpOnly cookie: no answer of the API names it).
    page.wait_for_function("() => window.recorded.length > 0")
    last = page.evaluate("recorded[recorded.length - 1]")
    assert last["given_at"] == records[-1]["created_at"]
    assert not last.get("consent_id")
    assert last["purposes"]["marketing"] is False
    assert page.evaluate("ConsentSDK.get().given_at") == last["given_at"]


def test_rule_08_settings_button_on_every_page_after_a_decision(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    assert page.locator(SETTINGS).count() == 0
    choose(page, "reject-all")
    page.goto(server.url + "/?next")
    open_dialog(page, SETTINGS)
    assert page.locator(DIALOG).is_visible()


def test_bare_script_without_a_bundled_config_asks_the_api(site: Any, page: Any) -> None:
    server = site("noblock.html")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url.removeprefix(server.url)))
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    assert "/consent/config" in requests
    assert ran(page) == []
    choose(page, "accept-all")
    page.wait_for_function("() => (window.ran || []).length == 1")
    page.reload()
    page.locator(SETTINGS).wait_for()
    assert page.locator(BANNER).count() == 0
    assert len(history(page)) == 1


def test_rule_06_a_script_needing_two_purposes_waits_for_both(site: Any, page: Any) -> None:
    server = site("multi.html")
    page.goto(server.url + "/")
    page.evaluate("ConsentSDK.save({analytics: true})")
    wait_delivered(page)
    assert ran(page) == []
    page.evaluate("ConsentSDK.save({analytics: true, marketing: true})")
    page.wait_for_function("() => (window.ran || []).length == 1")


def test_rule_11_expired_consent_asks_again(site: Any, page: Any) -> None:
    server = site(CONSENT_MAX_AGE=4)  # seconds; the server stores whole seconds
    page.goto(server.url + "/")
    choose(page, "accept-all")
    page.reload()
    page.locator(SETTINGS).wait_for()
    assert page.locator(BANNER).count() == 0
    page.wait_for_timeout(4500)
    page.reload()
    expect(page.locator(BANNER)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert ran(page) == []


def test_rule_01_06_gated_content_added_later_is_gated_too(site: Any, page: Any) -> None:
    server = site("plain.html")
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    add = """() => {
        const s = document.createElement('script');
        s.type = 'text/plain';
        s.setAttribute('data-consent', 'analytics');
        s.src = '/assets/analytics.js';
        const f = document.createElement('iframe');
        f.setAttribute('data-consent', 'marketing');
        f.setAttribute('data-src', '/embed');
        f.title = 'Late embed';
        document.querySelector('main').append(s, f);
    }"""
    page.evaluate(add)
    placeholder = page.locator('[data-consent-ui="placeholder"]')
    placeholder.wait_for()
    assert ran(page) == []
    choose(page, "accept-all")
    page.wait_for_function("() => (window.ran || []).length == 1")
    page.evaluate(add)  # added after the decision: runs at once
    page.wait_for_function("() => (window.ran || []).length == 2")
    assert page.locator("iframe[data-consent]").evaluate_all(
        "fs => fs.map(f => f.getAttribute('src'))"
    ) == ["/embed", "/embed"]


def test_rule_10_settings_dialog_links_the_visitor_receipt(site: Any, page: Any) -> None:
    server = site()
    page.goto(server.url + "/")
    page.click(f'{BANNER} [data-consent-action="customize"]')
    # Before a decision there is nothing to prove: no receipt link.
    assert page.locator(f"{DIALOG} a[href*='/consent/receipt']").count() == 0
    page.click(f'{DIALOG} [data-consent-action="reject-all"]')
    wait_delivered(page)
    page.click(SETTINGS)
    link = page.locator(f"{DIALOG} a[href*='/consent/receipt']")
    assert link.inner_text() == "Your consent receipt"
    link.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Your consent receipt"
    assert "reject_all" in page.locator("tbody").inner_text()
