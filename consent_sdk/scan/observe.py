"""What the browser saw on one page in one phase: cookies, storage keys, requests elsewhere.

Plain data, filled in by ``collect`` and judged by ``findings``; ``to_dict`` is the JSON
report's shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PHASES = ("before", "rejected", "accepted", "withdrawn")
"""The states a visitor's browser is examined in, in the order the scan runs them."""

PHASE_TITLES = {
    "before": "before any choice",
    "rejected": "after Reject all",
    "accepted": "after Accept all",
    "withdrawn": "after withdrawal",
}

NO_CONSENT_PHASES = frozenset({"before", "rejected", "withdrawn"})
"""Phases in which only strictly necessary cookies, and no third-party requests, may exist."""


@dataclass(frozen=True, slots=True)
class CookieSeen:
    """A cookie in the visitor's browser at the end of a phase (``context.cookies()``)."""

    name: str
    domain: str
    path: str
    expires: float | None
    """Unix time; None for a session cookie."""
    http_only: bool
    secure: bool
    same_site: str
    set_by: str
    """``"GET http://…/path"`` (a Set-Cookie response header), ``"script http://…/x.js"``,
    ``"inline script on http://…/"``, or ``"script"`` when the writer is not known."""
    purpose: str | None = None
    """The declared purpose its name matches; None if undeclared."""
    removed: bool = False
    """Set during the phase and gone by its end (deleted by the widget, the page or the
    server): it was stored, and sent with requests, meanwhile."""


@dataclass(frozen=True, slots=True)
class RequestSeen:
    """A request to an origin other than the site's."""

    url: str
    method: str
    resource_type: str
    initiator: str
    """The frame's URL that made it."""


@dataclass(slots=True)
class PhaseRecord:
    """One phase of one page: what was stored and what was requested elsewhere."""

    phase: str
    url: str
    cookies: list[CookieSeen] = field(default_factory=list)
    local_storage: list[str] = field(default_factory=list)
    session_storage: list[str] = field(default_factory=list)
    third_party: list[RequestSeen] = field(default_factory=list)
    inert_gated: list[str] = field(default_factory=list)
    """Gated scripts and iframes still switched off at the end (``script src [purpose]``)."""
    failed: list[str] = field(default_factory=list)
    """Same-page script, frame or document loads that failed (``url (reason)``)."""
    notes: list[str] = field(default_factory=list)
    """What went wrong in the phase itself (no banner, a decision not recorded in time)."""
    screenshot: bytes | None = None
    """JPEG of the viewport at the end of the phase (only when asked for)."""

    @property
    def title(self) -> str:
        return PHASE_TITLES[self.phase]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("screenshot")
        out["title"] = self.title
        return out


@dataclass(slots=True)
class PageRecord:
    """Every phase of one page, in the order they ran."""

    url: str
    phases: dict[str, PhaseRecord] = field(default_factory=dict)
    has_banner: bool = True
    links: list[str] = field(default_factory=list)
    """Links found on the page before any choice (for ``--crawl``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "has_banner": self.has_banner,
            "phases": {name: p.to_dict() for name, p in self.phases.items()},
        }
