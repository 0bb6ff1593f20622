"""The widget's files as the blueprint serves them: read once, each under its content hash.

``consent.js?lang=en`` is the widget with that language's config bundled in: one request,
immutable under its hash, the same bytes for every visitor, so the page that loads it carries
nothing but one tag and stays cacheable by any cache. Without ``lang`` it is the bare widget,
which asks ``GET /config`` itself (a page not built with Flask).

The settings dialog is a file of its own, ``consent-dialog.js?lang=en``, which the widget loads
the first time a visitor opens the dialog: what only the dialog shows (the purposes'
descriptions and legal bases, the required purposes' cookies, the dialog's texts, the receipt
link) is bundled there and left out of the widget's bundle, so a first visit does not download
it.

Each script carries its own stylesheet (the build puts its text in it), so a page makes no
request for either stylesheet; ``consent.css`` is a file as well, for the receipt page and for
sites that style pages of their own like the banner.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
NAMES = ("consent.js", "consent.css", "consent-dialog.js")
CONFIG_NAME = "__CONSENT_CONFIG__"
"""The free name the widget reads its bundled config from (widget/src/config.js)."""
DIALOG_NAME = "__CONSENT_DIALOG__"
"""The free name the dialog's file reads what it shows from (widget/src/dialog.js)."""
DIALOG_TEXTS = frozenset(
    {"always_on", "basis_label", "close", "cookies_label", "dialog_text", "dialog_title"}
    | {"receipt_link", "save"}
)
"""Texts only the settings dialog shows (and every ``basis_*``): in its file, not the widget's."""
DIALOG_PURPOSE_KEYS = ("description", "basis")
"""What only the dialog shows of each purpose."""
REQUIRED_DIALOG_KEYS = ("cookies",)
"""What only the dialog reads of a required purpose: its cookies are listed there, and the
widget, which deletes the cookies of refused purposes, never refuses a required one."""
UNREAD = frozenset({"texts_hash", "css"})
"""Config keys the widget never reads (they are in ``GET /config`` for the site's own use)."""
OPTIONAL = frozenset({"cookie_domain", "policy_url"})
"""Config keys the widget treats as absent when they are ``null``."""


def widget_config(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` as the bundle carries it: the full ``Config`` less what the widget does not
    read (``texts_hash``, ``css``), ``null`` optional keys, each purpose's ``required: false``
    (the widget reads a missing ``required`` as false) and what only the dialog shows. Every
    byte here is on a first visit."""
    out = {
        key: value
        for key, value in config.items()
        if key not in UNREAD and not (key in OPTIONAL and value is None)
    }
    if "purposes" in out:
        out["purposes"] = [
            {
                key: value
                for key, value in purpose.items()
                if (key != "required" or value) and key not in _dialog_keys(purpose)
            }
            for purpose in out["purposes"]
        ]
    if "texts" in out:
        out["texts"] = {k: v for k, v in out["texts"].items() if not _dialog_text(k)}
    out.pop("receipt_url", None)
    return out


def dialog_config(config: dict[str, Any]) -> dict[str, Any]:
    """What the dialog's file carries of ``config``: what ``widget_config`` leaves out."""
    return {
        "receipt_url": config.get("receipt_url"),
        "texts": {k: v for k, v in config["texts"].items() if _dialog_text(k)},
        "purposes": {
            p["id"]: {key: p[key] for key in _dialog_keys(p) if key in p}
            for p in config["purposes"]
        },
    }


def _dialog_keys(purpose: dict[str, Any]) -> tuple[str, ...]:
    """The keys of ``purpose`` that only the dialog reads."""
    return DIALOG_PURPOSE_KEYS + (REQUIRED_DIALOG_KEYS if purpose.get("required") else ())


def _dialog_text(key: str) -> bool:
    return key in DIALOG_TEXTS or key.startswith("basis_")


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
        return self._wrap("consent.js", CONFIG_NAME, widget_config(config))

    def dialog_bundle(self, config: dict[str, Any]) -> tuple[bytes, str]:
        """The dialog's file with what it shows of ``config`` (``dialog_config``); and its
        version."""
        return self._wrap("consent-dialog.js", DIALOG_NAME, dialog_config(config))

    def _wrap(self, name: str, argument: str, data: dict[str, Any]) -> tuple[bytes, str]:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        body = b"".join(
            [f"(function({argument}){{".encode(), self.files[name], b"})(", text.encode(), b");"]
        )
        return body, _version(body)
