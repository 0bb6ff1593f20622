"""The scan's verdict from what it saw, without a browser: which cookie belongs to which
purpose, and which observations are violations or warnings."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from consent_sdk.scan import Declarations
from consent_sdk.scan.crawl import Frontier, origin, same_origin_links
from consent_sdk.scan.findings import judge
from consent_sdk.scan.observe import CookieSeen, PageRecord, PhaseRecord, RequestSeen
from tests.conftest import CHROMIUM, make_app

URL = "http://127.0.0.1:5000/"


@pytest.fixture
def declared(tmp_path: Path) -> Declarations:
    return Declarations.from_config(make_app(tmp_path).extensions["consent"].config)


def cookie(name: str, declared: Declarations, **kw: object) -> CookieSeen:
    purpose = declared.purpose_of(name)
    fields: dict[str, object] = {
        "domain": "127.0.0.1",
        "path": "/",
        "expires": None,
        "http_only": False,
        "secure": False,
        "same_site": "Lax",
        "set_by": "script",
        "purpose": purpose.id if purpose else None,
        **kw,
    }
    return CookieSeen(name, **fields)  # type: ignore[arg-type]


def page_with(phase: str, declared: Declarations, *names: str, **record: object) -> PageRecord:
    rec = PhaseRecord(phase, URL, cookies=[cookie(n, declared) for n in names])
    for key, value in record.items():
        setattr(rec, key, value)
    return PageRecord(URL, phases={phase: rec})


@pytest.mark.parametrize(
    ("name", "purpose"),
    [
        ("_ga", "analytics"),
        ("_ga_ABC123", "analytics"),  # "_ga_*"
        ("_gcl_au", "marketing"),
        ("lang", "preferences"),
        ("session", "necessary"),
        ("consent", "necessary"),  # the SDK's own cookies
        ("consent_choice", "necessary"),
        ("_gac", None),
        ("_ga_", "analytics"),  # "*" matches an empty run too, as in the widget
    ],
)
def test_cookies_map_to_the_purpose_that_declares_them(
    declared: Declarations, name: str, purpose: str | None
) -> None:
    found = declared.purpose_of(name)
    assert (found.id if found else None) == purpose


def test_only_strictly_necessary_cookies_may_exist_without_consent(
    declared: Declarations,
) -> None:
    found = judge([page_with("before", declared, "session", "consent", "_ga", "tracker")], declared)
    violations = {(f.subject, f.kind) for f in found if f.severity == "violation"}
    assert violations == {("_ga", "cookie_without_consent"), ("tracker", "undeclared_cookie")}


def test_after_accept_all_declared_cookies_are_fine_and_undeclared_ones_warn(
    declared: Declarations,
) -> None:
    found = judge([page_with("accepted", declared, "_ga", "_fbp", "tracker")], declared)
    assert not [f for f in found if f.severity == "violation"]
    (warning,) = [f for f in found if f.kind == "undeclared_cookie"]
    assert warning.subject == "tracker" and warning.phase == "accepted"
    assert "after Accept all: not declared in CONSENT_PURPOSES" in warning.message


def test_a_declared_cookie_left_after_a_withdrawal_is_a_violation(declared: Declarations) -> None:
    (violation,) = [
        f
        for f in judge([page_with("withdrawn", declared, "_fbp")], declared)
        if f.severity == "violation"
    ]
    assert violation.message.startswith("cookie '_fbp' of purpose 'marketing' after withdrawal")


def test_requests_elsewhere_count_only_without_consent(declared: Declarations) -> None:
    request = RequestSeen("http://127.0.0.1:9/p.gif", "GET", "image", URL)
    for phase, expected in (("before", 1), ("rejected", 1), ("withdrawn", 1), ("accepted", 0)):
        found = judge([page_with(phase, declared, third_party=[request])], declared)
        assert [f.kind for f in found if f.severity == "violation"] == [
            "third_party_request"
        ] * expected


def test_storage_keys_of_a_consent_purpose_are_violations_the_widget_queue_is_not(
    declared: Declarations,
) -> None:
    page = page_with("before", declared, local_storage=["consent_sdk.pending", "_ga", "theme"])
    found = judge([page], declared)
    assert {(f.subject, f.severity) for f in found if "storage" in f.kind} == {
        ("_ga", "violation"),
        ("theme", "warning"),
    }


def test_declarations_no_page_set_are_stale_warnings(declared: Declarations) -> None:
    found = judge([page_with("accepted", declared, "_ga", "_ga_X", "session")], declared)
    stale = {f.subject for f in found if f.kind == "never_set"}
    assert "_ga" not in stale and "_ga_*" not in stale and "session" not in stale
    assert {"_gid", "_fbp", "_gcl_*", "lang"} <= stale
    assert all(f.severity == "warning" for f in found)


def test_violations_come_first(declared: Declarations) -> None:
    found = judge([page_with("before", declared, "_ga")], declared)
    assert found[0].severity == "violation"
    assert found[-1].severity == "warning"


def test_the_crawl_follows_page_links_of_its_own_origin_once_within_max_pages() -> None:
    assert origin("HTTP://Example.COM:80/a?b") == "http://example.com"
    assert origin("https://127.0.0.1:8443/") == "https://127.0.0.1:8443"
    links = [
        URL + "services#top",
        "http://127.0.0.1:5001/elsewhere",
        "mailto:info@example.com",
        URL + "files/report.pdf",
        URL + "contact?lang=en",
    ]
    assert same_origin_links(links, origin(URL)) == [URL + "services", URL + "contact?lang=en"]
    frontier = Frontier([URL], crawl=True, max_pages=2)
    assert next(frontier) == URL
    frontier.found([*links, URL])
    assert list(frontier) == [URL + "services"]  # max_pages reached


def test_without_playwright_the_scan_says_what_to_install(
    declared: Declarations, monkeypatch: pytest.MonkeyPatch
) -> None:
    import consent_sdk.testing  # noqa: F401 (imports without Playwright)
    from consent_sdk.scan import ScanError, run

    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # "not installed"
    with pytest.raises(ScanError, match=r"pip install 'consent_sdk\[scan\]'"):
        run([URL], declared, browser=CHROMIUM)
