"""The StepAhead example site scans clean: nothing before a choice or after Reject all but
the SDK's own cookies, its declared cookies after Accept all, none left after a withdrawal."""

from __future__ import annotations

import re

from consent_sdk.scan.crawl import origin
from consent_sdk.testing import scan
from tests.conftest import LiveServer


def phase_cookies(output: str) -> dict[str, set[str]]:
    """The text report's cookie names per phase title (one page scanned)."""
    found: dict[str, set[str]] = {}
    current = ""
    for line in output.splitlines():
        if re.match(r"^  \S.*:$", line):
            current = line.strip().rstrip(":")
            found[current] = set()
        elif line.startswith("    cookie ") and current:
            found[current].add(line.split()[1])
    return found


def test_the_example_site_scans_clean_and_the_report_lists_its_cookies_per_phase(
    example: LiveServer,
) -> None:
    result = example.app.test_cli_runner().invoke(args=["consent", "scan", example.url + "/"])
    assert result.exit_code == 0, result.output
    assert "passed: 0 violation(s)" in result.output
    assert phase_cookies(result.output) == {
        "before any choice": set(),
        "after Reject all": {"consent", "consent_choice"},
        "after Accept all": {"consent", "consent_choice", "_sa_id", "_sa_mkt", "lang"},
        "after withdrawal": set(),
    }
    # Who set them: the server's answer to the decision, and the tags the widget started.
    assert "consent (necessary) 127.0.0.1/ until " in result.output
    assert f"set by POST {example.url}/consent/state" in result.output
    assert "_sa_id (analytics) 127.0.0.1/ until " in result.output
    assert f"set by script {example.url}/static/js/tracker.js" in result.output
    assert f"set by script {example.url}/static/js/pixel.js" in result.output
    assert "VIOLATION" not in result.output


def test_the_testing_helper_crawls_the_example_site_and_finds_nothing_to_fix(
    example: LiveServer,
) -> None:
    result = scan(example.url + "/", "/contact?lang=en", app=example.app, crawl=True, max_pages=3)
    assert not result.violations, [v.message for v in result.violations]
    urls = [page.url for page in result.pages]
    assert urls[:2] == [example.url + "/", example.url + "/contact?lang=en"]
    assert len(urls) == 3 and urls[2] not in urls[:2]  # one more page, found by the crawl
    assert all(origin(url) == example.url for url in urls)
    # The contact form's session cookie is strictly necessary: there before any choice, fine.
    contact = result.pages[1].phases["before"]
    assert [(c.name, c.purpose) for c in contact.cookies] == [("session", "necessary")]
    assert {"_sa_id", "_sa_mkt"} <= result.cookies("accepted")
    assert result.cookies("before") <= {"session"}
    assert result.cookies("withdrawn") <= {"session"}
    # Declared cookies the example's stand-in tags never set are stale declarations: warnings.
    stale = {w.subject for w in result.warnings if w.kind == "never_set"}
    assert {"_ga", "_gid", "_fbp"} <= stale
    assert "_sa_id" not in stale and "session" not in stale
