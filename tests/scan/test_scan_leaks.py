"""Pages built to leak, scanned once with ``flask consent scan --json --html``: each leak is a
violation naming the cookie or request and the phase, and the scan exits non-zero."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer

LEAKS = ("/ga", "/server-cookie", "/third-party", "/reset-after-reject")


@dataclass
class Scanned:
    exit_code: int
    report: dict[str, Any]
    html: str
    output: str
    base: str

    def findings(self, path: str, severity: str = "violation") -> list[dict[str, Any]]:
        url = self.base + path
        return [
            f for f in self.report["findings"] if f["page"] == url and f["severity"] == severity
        ]

    def phases_of(self, path: str, subject: str, severity: str = "violation") -> set[str]:
        return {f["phase"] for f in self.findings(path, severity) if f["subject"] == subject}

    def page(self, path: str) -> dict[str, Any]:
        return next(p for p in self.report["pages"] if p["url"] == self.base + path)


@pytest.fixture(scope="module")
def scanned(leaky: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    html = tmp_path_factory.mktemp("report") / "scan.html"
    urls = [leaky.url + path for path in LEAKS]
    result = leaky.app.test_cli_runner().invoke(
        args=["consent", "scan", *urls, "--json", "--html", str(html)]
    )
    return Scanned(
        result.exit_code, json.loads(result.stdout), html.read_text(), result.output, leaky.url
    )


def test_a_leaky_site_fails_the_scan(scanned: Scanned) -> None:
    assert scanned.exit_code == 1
    assert scanned.report["ok"] is False
    assert scanned.report["violations"] > 0
    assert "Traceback" not in scanned.output
    assert [p["url"] for p in scanned.report["pages"]] == [scanned.base + p for p in LEAKS]


def test_an_ungated_analytics_script_setting_ga_is_a_violation_in_every_state_without_consent(
    scanned: Scanned,
) -> None:
    assert scanned.phases_of("/ga", "_ga") == {"before", "rejected", "withdrawn"}
    before = next(f for f in scanned.findings("/ga") if f["phase"] == "before")
    assert before["kind"] == "cookie_without_consent"
    assert "'_ga' of purpose 'analytics' before any choice" in before["message"]
    assert f"set by script {scanned.base}/assets/ga.js" in before["message"]
    # After Accept all, _ga is a declared analytics cookie: allowed.
    assert scanned.phases_of("/ga", "_ga", "warning") == set()


def test_an_undeclared_cookie_set_by_the_server_is_a_violation_naming_the_request(
    scanned: Scanned,
) -> None:
    assert scanned.phases_of("/server-cookie", "visitor_id") == {"before", "rejected", "withdrawn"}
    before = next(f for f in scanned.findings("/server-cookie") if f["phase"] == "before")
    assert before["kind"] == "undeclared_cookie"
    assert "not declared in CONSENT_PURPOSES" in before["message"]
    assert f"set by GET {scanned.base}/server-cookie" in before["message"]
    # Accepting everything does not cover a cookie the banner never named: a warning.
    assert scanned.phases_of("/server-cookie", "visitor_id", "warning") == {"accepted"}
    (cookie,) = [
        c
        for c in scanned.page("/server-cookie")["phases"]["before"]["cookies"]
        if c["name"] == "visitor_id"
    ]
    assert cookie["http_only"] is True
    assert cookie["domain"] == "127.0.0.1"
    assert cookie["path"] == "/"
    assert cookie["expires"] is not None
    assert cookie["purpose"] is None


def test_a_third_party_request_before_consent_is_a_violation_naming_the_url(
    scanned: Scanned, third_party: LiveServer
) -> None:
    pixel = f"{third_party.url}/pixel.gif"
    assert "before" in scanned.phases_of("/third-party", pixel)
    finding = next(f for f in scanned.findings("/third-party") if f["phase"] == "before")
    assert finding["kind"] == "third_party_request"
    assert f"request to another origin before any choice: GET {pixel} (image" in finding["message"]
    # The page sets no cookie that needs consent: its only violations are the request.
    assert {f["kind"] for f in scanned.findings("/third-party")} == {"third_party_request"}


def test_a_cookie_set_again_after_reject_all_is_a_violation_of_that_phase(
    scanned: Scanned,
) -> None:
    assert "rejected" in scanned.phases_of("/reset-after-reject", "_fbp")
    assert "before" not in scanned.phases_of("/reset-after-reject", "_fbp")
    rejected = next(
        f
        for f in scanned.findings("/reset-after-reject")
        if f["phase"] == "rejected" and f["subject"] == "_fbp"
    )
    assert "'_fbp' of purpose 'marketing' after Reject all" in rejected["message"]
    assert f"script {scanned.base}/assets/reset.js" in rejected["message"]


def test_the_json_report_lists_cookies_storage_and_requests_per_phase(scanned: Scanned) -> None:
    page = scanned.page("/ga")
    assert list(page["phases"]) == ["before", "rejected", "accepted", "withdrawn"]
    accepted = {c["name"]: c for c in page["phases"]["accepted"]["cookies"]}
    assert {"_ga", "consent", "consent_choice"} <= set(accepted)
    assert accepted["consent"]["http_only"] is True
    assert accepted["consent"]["purpose"] == "necessary"
    assert accepted["consent"]["set_by"] == f"POST {scanned.base}/consent/state"
    for phase in page["phases"].values():
        assert {"local_storage", "session_storage", "third_party"} <= set(phase)
    assert scanned.report["sdk_cookies"] == ["consent", "consent_choice"]


def test_the_html_report_is_one_file_with_a_screenshot_of_each_phase(
    scanned: Scanned, tmp_path: Path
) -> None:
    html = scanned.html
    assert "FAILED" in html
    for name in ("_ga", "visitor_id", "_fbp", "pixel.gif"):
        assert name in html
    sources = re.findall(r"src='([^']*)'", html)
    assert len(sources) == 4 * len(LEAKS)  # every phase of every page
    assert all(s.startswith("data:image/jpeg;base64,") for s in sources)
    assert base64.b64decode(sources[0].split(",", 1)[1])[:2] == b"\xff\xd8"  # a JPEG
    assert "<script" not in html and "<link" not in html  # nothing loaded from elsewhere
