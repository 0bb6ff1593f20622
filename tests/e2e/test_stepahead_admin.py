"""The example site's owner signs in and sees the consent dashboard, in Chromium, under the
site's own CSP; signed out, the dashboard sends them back to the sign-in form."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import BANNER, Site
from tests.e2e.test_stepahead_site import axe_violations

EMAIL = "owner@stepahead.lv"
PASSWORD = "a long enough password"


def test_the_owner_signs_in_to_the_dashboard_and_out_again(site: Site, visitors: Any) -> None:
    made = site.app.test_cli_runner().invoke(
        args=["create-admin", EMAIL], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert made.exit_code == 0, made.output
    visitor = visitors()
    visitor.open("/")
    visitor.decide("accept-all")
    owner = visitors()
    page = owner.page
    owner.open("/consent/admin/?lang=en")
    assert page.url.startswith(site.url + "/admin/login?next=")
    page.locator(BANNER).wait_for()
    page.wait_for_timeout(300)  # the banner's entry animation
    assert axe_violations(page) == []
    page.fill("#admin-email", EMAIL)
    page.fill("#admin-password", PASSWORD)
    page.click("form.contact-form button[type=submit]")
    page.wait_for_load_state("load")
    assert page.url.startswith(site.url + "/consent/admin/")
    assert page.locator("h1").inner_text() == "Consent dashboard"
    assert page.locator("#decisions").inner_text() == "1"  # the visitor's "accept all"
    assert "Accepted all 100.0 %" in page.locator("#c-choices").inner_text()
    assert axe_violations(page) == []

    owner.open("/admin/")
    assert page.locator("#admin-email").inner_text() == EMAIL
    page.click("form[action^='/admin/logout'] button")
    page.wait_for_load_state("load")
    owner.open("/consent/admin/")
    assert page.url.startswith(site.url + "/admin/login")
    assert owner.csp_violations() == []
