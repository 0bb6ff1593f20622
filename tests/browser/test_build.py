"""The committed widget is what widget/src builds to, fits its budget, and stays CSP-clean."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "widget"
STATIC = ROOT / "consent_sdk" / "static"
BUILT = ("consent.js", "consent.css")
"""The widget, which carries its stylesheet, and the stylesheet as a file (not loaded by pages)."""
BUDGET = 6 * 1024
EMBED = "embed.js"
"""The embed build (docs/EMBED.md): the same sources with EMBED true, under the same budget."""
DIALOG = ("consent-dialog.js",)
"""The settings dialog's own file (its stylesheet inside), loaded when a visitor opens it."""


@pytest.fixture(scope="module")
def npm() -> str:
    found = shutil.which("npm")
    assert found, "node and npm are needed to build the widget"
    assert (WIDGET / "node_modules" / "esbuild").is_dir(), "run `npm ci` in widget/ first"
    return found


def test_committed_static_files_match_a_fresh_build(npm: str, tmp_path: Path) -> None:
    subprocess.run(
        [npm, "run", "--silent", "build", "--", "--outdir", str(tmp_path)],
        cwd=WIDGET,
        check=True,
        capture_output=True,
    )
    for name in (*BUILT, *DIALOG, EMBED):
        fresh = (tmp_path / name).read_bytes()
        assert fresh == (STATIC / name).read_bytes(), (
            f"consent_sdk/static/{name} is stale: run `npm run build` in widget/ and commit it"
        )


@pytest.mark.parametrize("name", ["consent.js", EMBED])
def test_widget_fits_the_size_budget(name: str) -> None:
    """What a page loads of the widget is its script alone, the stylesheet inside it."""
    body = (STATIC / name).read_bytes()
    total = len(gzip.compress(body, compresslevel=9))
    assert total <= BUDGET, f"{name} is {total} bytes gzip -9, the budget is {BUDGET}"
    assert b".csdk-banner{" in body, "the stylesheet is not in the script"


def test_size_script_reports_every_file(npm: str) -> None:
    out = subprocess.run(
        ["node", str(ROOT / "benchmarks" / "size.mjs"), "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = json.loads(out)
    assert [f["name"] for f in report["files"]] == ["consent.js"]
    assert report["css_file"]["name"].startswith("consent.css")
    assert [f["name"] for f in report["embed_files"]] == [EMBED]
    assert report["total"]["gzip"] <= report["budget"]
    assert {t["name"].rsplit(" ", 1)[1] for t in report["texts"]} == {"lv", "en", "ru"}


FORBIDDEN = {
    "innerHTML / outerHTML / insertAdjacentHTML / document.write": re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write"
    ),
    "inline style (CSP style-src)": re.compile(r"\.style\b|['\"]style['\"]|cssText"),
    "eval-like code (CSP unsafe-eval)": re.compile(r"\beval\(|new Function|setTimeout\(['\"`]"),
    "inline event handler attribute": re.compile(r"setAttribute\(\s*['\"]on"),
}


@pytest.mark.parametrize("rule", sorted(FORBIDDEN))
def test_widget_source_never_parses_html_or_needs_unsafe_csp(rule: str) -> None:
    pattern = FORBIDDEN[rule]
    hits = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted((WIDGET / "src").glob("*.js"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("//")
    ]
    assert hits == []
