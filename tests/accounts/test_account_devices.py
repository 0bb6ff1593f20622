"""Two Chromium contexts are two devices of one signed-in customer (issue 20): a choice made
on one needs no banner on the other, and a withdrawal on one is refused by the server's gate
on the other at its next request."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.accounts.accountsite import shop
from tests.browser.widget import BANNER, DIALOG, history, wait_delivered

pytestmark = pytest.mark.browser

CUSTOMER = "klients@stepahead.lv"
PASSWORD = "correct horse battery"


def status(page: Any, path: str) -> int:
    """What the server answers the page's own request to ``path`` (a tag calling home)."""
    return int(page.evaluate(f"fetch('{path}').then(r => r.status)"))


def choice(context: Any) -> dict[str, Any]:
    [value] = [c["value"] for c in context.cookies() if c["name"] == "consent_choice"]
    parsed: dict[str, Any] = json.loads(unquote(value))
    return parsed


def sign_in(page: Any, url: str, who: str = "anna") -> None:
    page.goto(url)
    page.click(f"#sign-in-{who}")
    page.wait_for_load_state()
    page.goto(url)


@pytest.fixture
def device(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[], Any]]:
    contexts: list[Any] = []

    def open_device() -> Any:
        context = browser.new_context()
        contexts.append(context)
        return context.new_page()

    yield open_device
    report = getattr(request.node, "rep_call", None)
    for n, context in enumerate(contexts):
        if report is not None and report.failed:
            from tests.conftest import ARTIFACTS

            ARTIFACTS.mkdir(exist_ok=True)
            for page in context.pages:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-device{n}.png"))
        context.close()


def test_a_customers_choice_follows_them_to_another_device_and_so_does_a_withdrawal(
    tmp_path: Path, live_server: Any, device: Callable[[], Any]
) -> None:
    server = live_server(shop(tmp_path))
    url = server.url + "/"
    phone, laptop = device(), device()

    sign_in(phone, url)
    phone.wait_for_selector(BANNER)
    phone.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(phone)
    assert status(phone, "/marketing") == 200

    laptop.goto(url)
    laptop.wait_for_selector(BANNER)  # a new device, not signed in yet: asked
    sign_in(laptop, url)
    laptop.wait_for_selector('[data-consent-ui="fab"]')  # decided: the settings button
    assert laptop.locator(BANNER).count() == 0
    assert laptop.text_content("#marketing") == "marketing on"
    assert status(laptop, "/marketing") == 200
    assert laptop.evaluate("ConsentSDK.has('marketing')") is True

    # Withdraw marketing on the laptop, in the settings dialog.
    laptop.click('main [data-consent-action="settings"]')
    laptop.wait_for_selector(DIALOG)
    laptop.uncheck(f"{DIALOG} #csdk-p-marketing")
    laptop.click(f'{DIALOG} [data-consent-action="save"]')
    wait_delivered(laptop)
    assert status(laptop, "/marketing") == 403

    # The phone's next request: the gate refuses, and its cookies say so for its widget.
    assert status(phone, "/marketing") == 403
    assert "marketing" in choice(phone.context)["d"]
    phone.reload()
    assert phone.text_content("#marketing") == "marketing off"
    assert phone.evaluate("ConsentSDK.has('marketing')") is False
    assert [r["source"] for r in history(phone)] == ["banner", "account"]


def test_a_customers_records_are_never_seen_by_another_customer_or_anonymous_visitor(
    tmp_path: Path, live_server: Any, device: Callable[[], Any]
) -> None:
    server = live_server(shop(tmp_path))
    url = server.url + "/"
    anna = device()
    sign_in(anna, url)
    anna.click(f'{BANNER} [data-consent-action="accept-all"]')
    wait_delivered(anna)

    boris, anonymous = device(), device()
    sign_in(boris, url, "boris")
    anonymous.goto(url)
    for page in (boris, anonymous):
        page.wait_for_selector(BANNER)  # asked: Anna's choice is not theirs
        assert status(page, "/marketing") == 403
        assert history(page) == []
        assert page.text_content("#marketing") == "marketing off"
    assert [r["source"] for r in history(anna)] == ["banner"]


def test_accepting_the_banner_and_signing_in_at_once_on_the_example_site(
    tmp_path: Path, live_server: Any, device: Callable[[], Any]
) -> None:
    """The example site's customer sign-in, as its README tells a new user to try it. The
    widget sends a choice once the tags it starts have loaded (up to a second): signing in
    right after the click races the choice to the server. Either way it is the account's."""
    from tests.e2e.helpers import site_app

    app = site_app(tmp_path / "instance")
    made = app.test_cli_runner().invoke(
        args=["create-customer", CUSTOMER], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert made.exit_code == 0, made.output
    login = live_server(app).url + "/account/login?lang=en"

    def customer_signs_in(page: Any) -> None:
        page.fill("#customer-email", CUSTOMER)
        page.fill("#customer-password", PASSWORD)
        page.click("#customer-sign-in")
        page.wait_for_selector("#customer-sign-out")

    phone, laptop = device(), device()
    phone.goto(login)
    phone.click(f'{BANNER} [data-consent-action="accept-all"]')
    customer_signs_in(phone)  # at once, not waiting for the server's acknowledgement
    wait_delivered(phone)
    assert status(phone, "/pixel") == 200

    laptop.goto(login)
    laptop.wait_for_selector(BANNER)
    customer_signs_in(laptop)
    laptop.wait_for_selector('[data-consent-ui="fab"]')
    assert laptop.locator(BANNER).count() == 0
    assert status(laptop, "/pixel") == 200
