"""The scan's one error: something the person running it must fix, said in one message."""

from __future__ import annotations

from ..exceptions import ConsentError


class ScanError(ConsentError):
    """The scan cannot run or cannot read a page: no browser, a page that does not load, an
    input outside what ``--crawl`` may follow. The CLI prints the message, no traceback."""
