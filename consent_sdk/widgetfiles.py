"""The widget's files as the blueprint serves them: read once, each under its content hash.

``consent.js?lang=en`` is the widget with that language's config bundled in: one request,
immutable under its hash, the same bytes for every visitor, so the page that loads it carries
nothing but two tags and stays cacheable by any cache. Without ``lang`` it is the bare widget,
which asks ``GET /config`` itself (a page not built with Flask).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
NAMES = ("consent.js", "consent.css")
CONFIG_NAME = "__CONSENT_CONFIG__"
"""The free name the widget reads its bundled config from (widget/src/config.js)."""
UNREAD = frozenset({"texts_hash"})
"""Config keys the widget never reads (it is in ``GET /config`` for the site's own use)."""
OPTIONAL = frozenset({"cookie_domain", "policy_url"})
"""Config keys the widget treats as absent when they are ``null``."""


def widget_config(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` as the bundle carries it: the full ``Config`` less what the widget does not
    read (``texts_hash``), ``null`` optional keys and each purpose's ``required: false`` (the
    widget reads a missing ``required`` as false). Every byte here is on a first visit."""
    out = {
        key: value
        for key, value in config.items()
        if key not in UNREAD and not (key in OPTIONAL and value is None)
    }
    if "purposes" in out:
        out["purposes"] = [
            {key: value for key, value in purpose.items() if key != "required" or value}
            for purpose in out["purposes"]
        ]
    return out


def _version(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:12]


class WidgetFiles:
    """Each widget file and its version, and the script bundled with a config."""

    def __init__(self) -> None:
        self.files = {name: (STATIC / name).read_bytes() for name in NAMES}
        self.versions = {name: _version(body) for name, body in self.files.items()}
        self._gzipped: dict[str, bytes] = {}

    def gzipped(self, body: bytes, version: str) -> bytes:
        """``body`` (whose content hash is ``version``) compressed with gzip -9, once per
        version: the same bytes for every request (no timestamp in the header)."""
        hit = self._gzipped.get(version)
        if hit is None:
            hit = self._gzipped[version] = gzip.compress(body, compresslevel=9, mtime=0)
        return hit

    def bundle(self, config: dict[str, Any]) -> tuple[bytes, str]:
        """The widget wrapped in a function whose argument is ``config`` (as ``widget_config``
        trims it); and its version."""
        data = json.dumps(
            widget_config(config), ensure_ascii=False, separators=(",", ":"), sort_keys=True
        )
        body = b"".join(
            [
                f"(function({CONFIG_NAME}){{".encode(),
                self.files["consent.js"],
                b"})(",
                data.encode(),
                b");",
            ]
        )
        return body, _version(body)
