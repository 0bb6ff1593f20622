"""A scan from start to end: the pages to visit, the browser, the phases, the verdict."""

from __future__ import annotations

from collections.abc import Iterable

from .browser import find_browser, launched
from .collect import Collector, NotAPage
from .crawl import Frontier, start_urls
from .errors import ScanError
from .findings import Declarations, ScanResult, judge
from .observe import PageRecord

DEFAULT_MAX_PAGES = 10


def run(
    urls: Iterable[str],
    declared: Declarations,
    *,
    crawl: bool = False,
    max_pages: int = DEFAULT_MAX_PAGES,
    browser: str | None = None,
    configured_browser: str | None = None,
    screenshots: bool = False,
) -> ScanResult:
    """Scan ``urls`` (or, with ``crawl``, their origin's pages, up to ``max_pages``).

    A URL given that cannot be scanned raises ``ScanError``; a page found by the crawl that
    cannot is listed in ``skipped``.
    """
    starts = start_urls(urls, crawl=crawl)
    executable = find_browser(browser, configured_browser)
    frontier = Frontier(starts, crawl=crawl, max_pages=max_pages)
    pages: list[PageRecord] = []
    skipped: list[tuple[str, str]] = []
    with launched(executable) as chromium:
        collector = Collector(chromium, declared, screenshots=screenshots)
        for url in frontier:
            try:
                page = collector.page(url)
            except ScanError as exc:
                if url in starts:
                    raise
                skipped.append((url, str(exc)))
                if isinstance(exc, NotAPage):
                    frontier.not_a_page()
                continue
            pages.append(page)
            frontier.found(page.links)
    return ScanResult(pages, judge(pages, declared), declared, skipped)
