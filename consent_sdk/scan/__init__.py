"""``flask consent scan``: what a site's pages store and request, before and after a choice,
in a real browser, judged against the site's ``CONSENT_PURPOSES`` (docs/SCAN.md)."""

from __future__ import annotations

from .errors import ScanError as ScanError
from .findings import Declarations as Declarations
from .findings import Finding as Finding
from .findings import ScanResult as ScanResult
from .run import DEFAULT_MAX_PAGES as DEFAULT_MAX_PAGES
from .run import run as run
