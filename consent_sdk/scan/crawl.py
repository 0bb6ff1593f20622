"""Which pages a scan visits: the URLs given, or a same-origin crawl from them.

The crawl follows ``<a href>`` links found on each page before any choice, breadth first,
staying on the start URL's origin, until ``max_pages`` pages are scanned.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from urllib.parse import urldefrag, urlsplit

from .errors import ScanError

NOT_PAGES = (
    ".pdf", ".zip", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".css",
    ".js", ".json", ".xml", ".txt", ".csv", ".mp4", ".webm", ".mp3", ".woff", ".woff2",
)  # fmt: skip
"""Link targets the crawl does not open: files, not pages."""


def origin(url: str) -> str:
    """``"http://127.0.0.1:5000/a?b"`` -> ``"http://127.0.0.1:5000"`` (default ports dropped)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def start_urls(urls: Iterable[str], *, crawl: bool) -> list[str]:
    """The URLs as given, checked: http(s) with a host, and one origin when crawling."""
    checked: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 (a bad port raises here)
        except ValueError:
            raise ScanError(f"{url!r} has an invalid port") from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ScanError(
                f"{url!r} is not an http(s) URL: give the page's full address, e.g. "
                "http://127.0.0.1:5000/"
            )
        checked.append(urldefrag(url).url)
    if not checked:
        raise ScanError("give at least one URL to scan")
    if crawl:
        home = origin(checked[0])
        for url in checked[1:]:
            if origin(url) != home:
                raise ScanError(
                    f"--crawl stays on one origin, {home}, and {url} is on {origin(url)}: "
                    "scan another site in a run of its own"
                )
    return list(dict.fromkeys(checked))


def same_origin_links(links: Iterable[str], home: str) -> list[str]:
    """The page links worth following: same origin, http(s), no fragment, not a file."""
    out: list[str] = []
    for link in links:
        url = urldefrag(link).url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or origin(url) != home:
            continue
        if parts.path.lower().endswith(NOT_PAGES):
            continue
        out.append(url)
    return out


class Frontier:
    """The pages still to scan, breadth first, each once, at most ``max_pages`` in all."""

    def __init__(self, urls: list[str], *, crawl: bool, max_pages: int) -> None:
        if max_pages < 1:
            raise ScanError("--max-pages must be at least 1")
        self.crawl = crawl
        self.max_pages = max_pages if crawl else len(urls)
        self.home = origin(urls[0])
        self._queue = deque(urls)
        self._seen = set(urls)
        self.taken = 0

    def __iter__(self) -> Frontier:
        return self

    def __next__(self) -> str:
        if self.taken >= self.max_pages or not self._queue:
            raise StopIteration
        self.taken += 1
        return self._queue.popleft()

    def found(self, links: Iterable[str]) -> None:
        """Links on a scanned page: queued when crawling."""
        if not self.crawl:
            return
        for url in same_origin_links(links, self.home):
            if url not in self._seen:
                self._seen.add(url)
                self._queue.append(url)

    def not_a_page(self) -> None:
        """The last page taken turned out not to be a page: it does not count."""
        self.taken -= 1
