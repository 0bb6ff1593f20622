"""One page, as a new visitor, in each phase: before a choice, after Reject all, after Accept
all, and after withdrawing that acceptance.

Every phase starts in a fresh browser context (no cookies, no storage). What the browser holds
is read at the end of a phase (and, for the choices, also right after the click, before the
reload that shows the page to a returning visitor), with every cookie set meanwhile
(``recorder``); requests are recorded as they happen.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .crawl import origin
from .errors import ScanError
from .findings import Declarations
from .observe import PageRecord, PhaseRecord
from .recorder import Recorder

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

BANNER = '[data-consent-ui="banner"]'
REJECT_ALL = f'{BANNER} [data-consent-action="reject-all"]'
ACCEPT_ALL = f'{BANNER} [data-consent-action="accept-all"]'
PENDING = "consent_sdk.pending"

LOAD_TIMEOUT = 30_000
BANNER_TIMEOUT = 5_000
RECORDED_TIMEOUT = 10_000
IDLE_TIMEOUT = 5_000
SETTLE_MS = 300
"""After the network is idle, time for the page's timers (a tag that writes a cookie a
moment after the click)."""

GATED_OFF = """
() => Array.from(document.querySelectorAll('script[type="text/plain"][data-consent],'
    + ' iframe[data-consent]'))
  .filter(el => el.tagName === 'SCRIPT' || !el.getAttribute('src')
    || el.getAttribute('src') === 'about:blank')
  .map(el => {
    const src = el.tagName === 'SCRIPT' ? el.getAttribute('src') : el.getAttribute('data-src');
    const where = src ? new URL(src, location.href).href : '(inline)';
    return `${el.tagName.toLowerCase()} ${where} [${el.getAttribute('data-consent')}]`;
  })
"""


class NotAPage(ScanError):
    """The URL answered, but not with an HTML page a visitor would see."""


@dataclass
class Collector:
    """Runs the phases of each page in ``browser`` against ``declared``."""

    browser: Browser
    declared: Declarations
    screenshots: bool = False

    def page(self, url: str) -> PageRecord:
        """Every phase of ``url``; ``NotAPage`` if it is not an HTML page, ``ScanError`` if it
        cannot be loaded at all."""
        from playwright.sync_api import Error

        page = PageRecord(url=url)
        try:
            self._before(page)
            if page.has_banner:
                self._rejected(page)
                self._accepted_and_withdrawn(page)
        except Error as exc:  # the page crashed, a reload timed out, ...
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise ScanError(f"{url}: the browser failed while scanning it ({reason})") from None
        return page

    def _open(self, url: str) -> tuple[Recorder, Page]:
        context = self.browser.new_context()
        recorder = Recorder(context, origin(url), self.declared)
        return recorder, context.new_page()

    def _load(self, page: Page, url: str) -> None:
        from playwright.sync_api import Error

        try:
            response = page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT)
        except Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
            raise ScanError(
                f"{url} could not be loaded ({reason}): is the site running at {origin(url)}?"
            ) from None
        if response is None:
            return
        kind = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
        if kind not in ("text/html", "application/xhtml+xml"):
            raise NotAPage(
                f"{url} is not an HTML page (Content-Type: {kind or 'none'}): scan the pages "
                "a visitor opens"
            )
        if response.status >= 400:
            raise NotAPage(f"{url} answered HTTP {response.status}: scan pages that exist")

    def _banner(self, page: Page) -> bool:
        try:
            page.wait_for_selector(BANNER, state="visible", timeout=BANNER_TIMEOUT)
        except Exception:
            return False
        return True

    def _finish(self, record: PhaseRecord, page: Page) -> None:
        if self.screenshots:
            try:
                record.screenshot = page.screenshot(type="jpeg", quality=70)
            except Exception:
                record.notes.append("no screenshot could be taken")

    def _before(self, result: PageRecord) -> None:
        recorder, page = self._open(result.url)
        try:
            record = PhaseRecord("before", result.url)
            recorder.start(record)
            self._load(page, result.url)
            result.has_banner = self._banner(page)
            _settle(page)
            recorder.snapshot(page)
            record.url = page.url
            try:
                result.links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            except Exception:
                result.links = []
            self._finish(record, page)
            result.phases["before"] = record
        finally:
            recorder.context.close()

    def _choose(self, result: PageRecord, phase: str, button: str) -> tuple[Recorder, Page]:
        """A new visitor on the page clicks ``button`` in the banner, then opens the page again;
        returns the still open context for more."""
        recorder, page = self._open(result.url)
        record = PhaseRecord(phase, result.url)
        result.phases[phase] = record
        try:
            recorder.start(PhaseRecord(phase, result.url))  # the first view is "before"
            self._load(page, result.url)
            self._banner(page)
            recorder.start(record, page)
            try:
                page.click(button, timeout=BANNER_TIMEOUT)
            except Exception:
                record.notes.append(f"the banner has no {button.split()[-1]} button to click")
                return recorder, page
            self._recorded(page, record)
            _settle(page)
            recorder.snapshot(page)
            page.reload(wait_until="load", timeout=LOAD_TIMEOUT)
            _settle(page)
            recorder.snapshot(page)
            record.url = page.url
        except BaseException:
            recorder.context.close()
            raise
        return recorder, page

    def _recorded(self, page: Page, record: PhaseRecord) -> None:
        try:
            page.wait_for_function(
                f"() => !localStorage.getItem({PENDING!r})", timeout=RECORDED_TIMEOUT
            )
        except Exception:
            record.notes.append(
                f"the server did not acknowledge the decision within {RECORDED_TIMEOUT // 1000} s"
            )

    def _rejected(self, result: PageRecord) -> None:
        recorder, page = self._choose(result, "rejected", REJECT_ALL)
        try:
            self._finish(result.phases["rejected"], page)
        finally:
            recorder.context.close()

    def _accepted_and_withdrawn(self, result: PageRecord) -> None:
        recorder, page = self._choose(result, "accepted", ACCEPT_ALL)
        try:
            accepted = result.phases["accepted"]
            try:
                accepted.inert_gated = page.evaluate(GATED_OFF)
            except Exception:
                accepted.notes.append("the gated content could not be read")
            self._finish(accepted, page)
            if accepted.notes:
                return
            withdrawn = PhaseRecord("withdrawn", result.url)
            result.phases["withdrawn"] = withdrawn
            recorder.start(PhaseRecord("withdrawn", result.url), page)
            try:
                page.evaluate("() => window.ConsentSDK.withdraw()")
            except Exception:
                withdrawn.notes.append("window.ConsentSDK.withdraw() is not available")
                return
            self._recorded(page, withdrawn)
            recorder.start(withdrawn, page)
            page.reload(wait_until="load", timeout=LOAD_TIMEOUT)
            _settle(page)
            recorder.snapshot(page)
            withdrawn.url = page.url
            self._finish(withdrawn, page)
        finally:
            recorder.context.close()


def _settle(page: Page) -> None:
    """Wait for the network to be quiet, then a moment for timers."""
    # A page that polls is never idle: what it did until the timeout is what is judged.
    with suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=IDLE_TIMEOUT)
    page.wait_for_timeout(SETTLE_MS)
