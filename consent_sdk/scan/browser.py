"""Finding and launching the Chromium the scan drives (Debian's, through Playwright).

Playwright's own browser download does not work on a closed network, and a site's CI usually
has a distribution Chromium: the scan uses an executable given by ``--browser``,
``CONSENT_SCAN_BROWSER``, or the first Chromium on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .errors import ScanError

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless flags that keep Chromium off the network except for the pages it is sent to."""

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: `apt-get install chromium`) or give the path of a "
    "Chromium executable with --browser PATH or CONSENT_SCAN_BROWSER"
)


def find_browser(given: str | None = None, configured: str | None = None) -> str:
    """The Chromium executable to drive: ``given`` (``--browser``), else ``configured``
    (``CONSENT_SCAN_BROWSER``), else the first of ``CANDIDATES`` on ``PATH``."""
    for source, path in (("--browser", given), ("CONSENT_SCAN_BROWSER", configured)):
        if path:
            found = shutil.which(path) or (path if os.path.isfile(path) else None)
            if found is None or not os.access(found, os.X_OK):
                raise ScanError(f"{source} {path!r} is not an executable file: {INSTALL_HINT}")
            return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ScanError(f"no Chromium browser found for the scan: {INSTALL_HINT}")


@contextmanager
def launched(executable: str) -> Iterator[Browser]:
    """A headless Chromium at ``executable``, closed on exit."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise ScanError(
            "the scan drives a browser through Playwright, which is not installed: "
            "pip install 'consent_sdk[scan]' (or pip install playwright)"
        ) from None
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, headless=True
            )
        except Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise ScanError(
                f"could not start the browser {executable!r} ({first}): {INSTALL_HINT}"
            ) from None
        try:
            yield browser
        finally:
            browser.close()
