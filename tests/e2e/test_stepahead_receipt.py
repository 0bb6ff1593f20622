"""The visitor's receipt in a real browser: from the policy page to a verified download."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from consent_sdk.ledger import receipts
from consent_sdk.ledger.keys import Keys
from tests.e2e.helpers import Site, Visitor

Visitors = Callable[..., Visitor]


def test_rule_10_18_visitor_opens_and_downloads_their_receipt_which_verifies(
    site: Site, visitors: Visitors, tmp_path: Path
) -> None:
    visitor = visitors()
    page = visitor.page
    visitor.open("/?lang=en")
    visitor.click("accept-all")
    page.wait_for_function("() => !localStorage.getItem('consent_sdk.pending')")
    visitor.open("/privacy?lang=en")
    page.wait_for_selector("#consent-history-block:not([hidden])")
    page.click("#consent-receipt")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Your consent receipt"
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "Analytics" in rows.first.inner_text()

    with page.expect_download() as download_info:
        page.click("a[download]")
    saved = tmp_path / "receipt.json"
    download_info.value.save_as(saved)
    document = json.loads(saved.read_text())
    jwks = json.loads(page.request.get(site.url + "/consent/jwks.json").text())
    checked = receipts.verify(document, Keys.verifying(jwks["keys"]))
    assert checked["records"][0]["content"]["action"] == "accept_all"

    # A script on the page cannot read it: it names the visitor's consent id.
    status = page.evaluate(
        "fetch('/consent/receipt.json', {credentials: 'include'}).then(r => r.status)"
    )
    assert status == 403

    # Nor through a window it opens: the receipt's opener policy cuts the handle off.
    visitor.open("/privacy?lang=en")
    with visitor.context.expect_page() as popup_info:
        page.evaluate("window.receiptWindow = window.open('/consent/receipt?lang=en')")
    popup = popup_info.value
    popup.wait_for_load_state("load")
    assert popup.locator("h1").inner_text() == "Your consent receipt"
    seen = page.evaluate(
        """() => { try { return receiptWindow.closed ? 'cut off' : receiptWindow.document.title }
                   catch (e) { return 'cut off' } }"""
    )
    assert seen == "cut off"
