"""Make the README's screenshots: the banner and the preferences dialog in lv, en and ru.

Run on demand from the repository root (needs the test extra's Playwright and Debian's
Chromium at /usr/bin/chromium; Playwright's own browser download is not used)::

    .venv/bin/python -m examples.stepahead.screenshots [--out docs/screenshots]

It serves the example site on a throw-away instance folder on 127.0.0.1 and writes
``banner-<lang>.png`` and ``dialog-<lang>.png`` (desktop, 1280x800) and
``mobile-banner-lv.png`` / ``mobile-dialog-lv.png`` (360x740), and ``debug-panel-en.png``
(the ``?debug=1`` panel after "accept all").
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from consent_sdk.scan.browser import CHROMIUM_ARGS

from . import create_app

CHROMIUM = os.environ.get("CONSENT_TEST_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 360, "height": 740}
BANNER = '[data-consent-ui="banner"]'
DIALOG = '[data-consent-ui="dialog"]'


@contextmanager
def serve() -> Iterator[str]:
    """The site on a free loopback port with its own temporary database; yields its URL."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "SECRET_KEY": "screenshots"})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)


def shoot(browser: Any, url: str, viewport: dict[str, int], banner: Path, dialog: Path) -> None:
    """A first visit: the banner as it appears, then the dialog behind "customize"."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(url)
        page.locator(BANNER).wait_for()
        page.wait_for_timeout(400)  # let the entry animation finish
        page.screenshot(path=str(banner))
        page.click(f'{BANNER} [data-consent-action="customize"]')
        page.locator(DIALOG).wait_for()
        page.wait_for_timeout(300)
        page.screenshot(path=str(dialog))
    finally:
        context.close()


def debug_panel(browser: Any, url: str, path: Path) -> None:
    """After "accept all": the debug panel with what ran and the Consent Mode calls."""
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(url)
        page.click(f'{BANNER} [data-consent-action="accept-all"]')
        page.wait_for_function(
            "() => ['tracker [analytics] 200', 'pixel [marketing] loaded'].every("
            "t => document.querySelector('#debug-ran').innerText.includes(t))"
        )
        page.frame_locator("iframe#video-embed").locator("#play").wait_for()
        page.wait_for_timeout(300)
        # The widget's floating settings button would sit on top of the panel's corner (hidden
        # through the CSSOM: the page's CSP refuses an injected stylesheet).
        page.evaluate(
            "() => document.querySelectorAll('.csdk-fab').forEach(e => e.style.display = 'none')"
        )
        page.locator("#debug-panel").screenshot(path=str(path))
    finally:
        context.close()


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log on the console

    with serve() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for lang in ("lv", "en", "ru"):
                shoot(
                    browser,
                    f"{base}/?lang={lang}",
                    DESKTOP,
                    out / f"banner-{lang}.png",
                    out / f"dialog-{lang}.png",
                )
            debug_panel(browser, f"{base}/?lang=en&debug=1", out / "debug-panel-en.png")
            shoot(
                browser,
                f"{base}/?lang=lv",
                MOBILE,
                out / "mobile-banner-lv.png",
                out / "mobile-dialog-lv.png",
            )
        finally:
            browser.close()
    for path in sorted(out.glob("*.png")):
        print(f"{path}  {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
