"""``flask consent scan`` on bad input: a clear message, exit 1, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.scan.sites import leaky_app

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def run_scan(app: Any, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["consent", "scan", *args])
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    return result


def test_an_unreachable_url_says_the_page_could_not_be_loaded(leaky: LiveServer) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    result = run_scan(leaky.app, url)
    assert result.exit_code == 1
    assert f"Error: {url} could not be loaded" in result.output
    assert "ERR_CONNECTION_REFUSED" in result.output
    assert "is the site running at" in result.output


def test_a_page_that_is_not_html_is_refused(leaky: LiveServer) -> None:
    result = run_scan(leaky.app, leaky.url + "/api")
    assert result.exit_code == 1
    assert f"{leaky.url}/api is not an HTML page (Content-Type: application/json)" in result.output


def test_a_missing_page_is_refused(leaky: LiveServer) -> None:
    result = run_scan(leaky.app, leaky.url + "/no-such-page")
    assert result.exit_code == 1
    assert "answered HTTP 404" in result.output


def test_crawl_refuses_a_url_of_another_origin(leaky: LiveServer, third_party: LiveServer) -> None:
    result = run_scan(leaky.app, "--crawl", leaky.url + "/clean", third_party.url + "/")
    assert result.exit_code == 1
    assert f"--crawl stays on one origin, {leaky.url}, and {third_party.url}/ is on" in (
        result.output
    )


@pytest.mark.parametrize("url", ["example.com/page", "ftp://127.0.0.1/", "http:///nohost"])
def test_something_that_is_not_a_page_address_is_refused(leaky: LiveServer, url: str) -> None:
    result = run_scan(leaky.app, url)
    assert result.exit_code == 1
    assert f"{url!r} is not an http(s) URL" in result.output


def test_no_browser_installed_says_how_to_install_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, leaky: LiveServer
) -> None:
    app = leaky_app(tmp_path, "http://127.0.0.1:9", CONSENT_SCAN_BROWSER=None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    result = run_scan(app, leaky.url + "/clean")
    assert result.exit_code == 1
    assert "no Chromium browser found for the scan" in result.output
    assert "apt-get install chromium" in result.output
    assert "--browser PATH or CONSENT_SCAN_BROWSER" in result.output


def test_a_wrong_browser_path_names_where_it_came_from(tmp_path: Path, leaky: LiveServer) -> None:
    result = run_scan(leaky.app, "--browser", "/nonexistent/chromium", leaky.url + "/clean")
    assert "--browser '/nonexistent/chromium' is not an executable file" in result.output
    app = leaky_app(tmp_path, "http://127.0.0.1:9", CONSENT_SCAN_BROWSER="/opt/no/chrome")
    result = run_scan(app, leaky.url + "/clean")
    assert "CONSENT_SCAN_BROWSER '/opt/no/chrome' is not an executable file" in result.output
    assert "apt-get install chromium" in result.output


def test_an_executable_that_is_not_a_browser_is_reported(leaky: LiveServer) -> None:
    result = run_scan(leaky.app, "--browser", "/bin/true", leaky.url + "/clean")
    assert result.exit_code == 1
    assert "could not start the browser '/bin/true'" in result.output


def test_max_pages_must_be_positive(leaky: LiveServer) -> None:
    result = leaky.app.test_cli_runner().invoke(
        args=["consent", "scan", "--crawl", "--max-pages", "0", leaky.url + "/clean"]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--max-pages'" in result.output


def flask_scan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, as a site's CI runs it."""
    env = {**os.environ, "SCAN_TEST_TMP": str(tmp_path)}
    return subprocess.run(
        [FLASK, "--app", "tests.scan.sites:cli_app()", "consent", "scan", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_command_line_exits_non_zero_naming_the_leak(tmp_path: Path, leaky: LiveServer) -> None:
    done = flask_scan(tmp_path, leaky.url + "/ga", leaky.url + "/typo")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    # The widget deletes the refused cookie when it starts, but the tag had set it already.
    assert (
        f"VIOLATION: cookie '_ga' of purpose 'analytics' before any choice (domain 127.0.0.1, "
        f"set by script {leaky.url}/assets/ga.js, deleted again before the end of the phase) "
        f"on {leaky.url}/ga"
    ) in done.stdout
    violations = [line for line in done.stdout.splitlines() if line.startswith("VIOLATION")]
    assert len(violations) == 3  # before any choice, after Reject all, after withdrawal
    assert all(line.endswith(f"on {leaky.url}/ga") for line in violations)
    # A gated tag whose purpose is misspelt never runs, even after Accept all.
    assert (
        f"WARNING: gated script {leaky.url}/assets/noop.js [analytic] never ran after Accept "
        f"all on {leaky.url}/typo"
    ) in done.stdout
    assert "FAILED: 3 violation(s)" in done.stdout


def test_the_command_line_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    done = flask_scan(tmp_path, url)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"Error: {url} could not be loaded" in done.stderr
