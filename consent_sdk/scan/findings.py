"""What the scan concludes: each cookie's declared purpose, and the violations and warnings.

Pure functions over the observations (``observe``) and the app's ``CONSENT_PURPOSES``: no
browser here, so the rules are testable on their own and the same for the CLI and
``consent_sdk.testing.scan``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..config import ConsentConfig
from .observe import NO_CONSENT_PHASES, PHASE_TITLES, PageRecord, PhaseRecord

WIDGET_STORAGE = frozenset({"consent_sdk.pending"})
"""The widget's own localStorage key (its queue of decisions not yet acknowledged)."""


@dataclass(frozen=True, slots=True)
class DeclaredPurpose:
    id: str
    required: bool
    cookies: tuple[str, ...]
    """Names and ``*`` patterns, as in ``CONSENT_PURPOSES``."""


def _glob(pattern: str) -> re.Pattern[str]:
    """``"_ga_*"`` -> ``^_ga_.*$``, as the widget matches the cookies it deletes."""
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


@dataclass(frozen=True)
class Declarations:
    """The purposes a site declares and the cookie names each covers.

    ``own`` are the SDK's cookies (the consent cookie and its choice cookie): strictly
    necessary whatever the purposes list, since every decision sets them.
    """

    purposes: tuple[DeclaredPurpose, ...]
    own: frozenset[str] = frozenset()
    trusted_origins: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: ConsentConfig) -> Declarations:
        """The declarations of an app: ``app.extensions["consent"].config``."""
        return cls(
            purposes=tuple(DeclaredPurpose(p.id, p.required, p.cookies) for p in config.purposes),
            own=frozenset({config.cookie_name, config.choice_cookie_name}),
            trusted_origins=config.trusted_origins,
        )

    @cached_property
    def _patterns(self) -> list[tuple[re.Pattern[str], DeclaredPurpose]]:
        return [(_glob(c), p) for p in self.purposes for c in p.cookies if "*" in c]

    def purpose_of(self, name: str) -> DeclaredPurpose | None:
        """The purpose declaring cookie ``name``: an exact name first, then the first
        pattern in the purposes' order; the SDK's own cookies are the exempt purpose's."""
        for p in self.purposes:
            if name in p.cookies:
                return p
        if name in self.own:
            return next((p for p in self.purposes if p.required), None)
        return next((p for rx, p in self._patterns if rx.match(name)), None)

    def exempt(self, name: str) -> bool:
        """Whether cookie (or storage key) ``name`` may exist without consent."""
        if name in self.own:
            return True
        purpose = self.purpose_of(name)
        return purpose is not None and purpose.required


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation or warning, naming the page, the phase and the cookie or request."""

    severity: str
    """``"violation"`` (fails the scan) or ``"warning"``."""
    kind: str
    page: str
    phase: str | None
    subject: str
    """The cookie's or storage key's name, the request's URL, the script, the pattern."""
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "kind": self.kind,
            "page": self.page,
            "phase": self.phase,
            "subject": self.subject,
            "message": self.message,
        }


@dataclass
class ScanResult:
    """Everything a scan saw and concluded. ``assert not scan(url).violations`` in a test."""

    pages: list[PageRecord]
    findings: list[Finding]
    declarations: Declarations
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Pages found by ``--crawl`` and not scanned, with the reason."""

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.violations

    def cookies(self, phase: str) -> set[str]:
        """Names of the cookies seen in ``phase`` on any page (``"accepted"``, ...)."""
        return {
            c.name
            for page in self.pages
            if phase in page.phases
            for c in page.phases[phase].cookies
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "purposes": [
                {"id": p.id, "required": p.required, "cookies": list(p.cookies)}
                for p in self.declarations.purposes
            ],
            "sdk_cookies": sorted(self.declarations.own),
            "pages": [page.to_dict() for page in self.pages],
            "skipped": [{"url": url, "reason": why} for url, why in self.skipped],
            "findings": [f.to_dict() for f in self.findings],
        }


def judge(pages: Iterable[PageRecord], declared: Declarations) -> list[Finding]:
    """The violations and warnings of the scanned pages, violations first.

    Violations: in a phase without consent (before a choice, after Reject all, after a
    withdrawal) a cookie or storage key that is not strictly necessary (a consent purpose's, or
    undeclared; the SDK's own are exempt), or a request to another origin. Warnings: an
    undeclared cookie after Accept all (the banner never named it), a gated script or iframe
    that stayed off or failed after Accept all, a phase that could not run as planned, and a
    declaration no scanned page ever set.
    """
    pages = list(pages)
    found: list[Finding] = []
    for page in pages:
        if not page.has_banner and any(not p.required for p in declared.purposes):
            found.append(
                Finding(
                    "warning",
                    "no_banner",
                    page.url,
                    None,
                    page.url,
                    "no consent banner appeared, so Reject all and Accept all were not tried "
                    "(is consent_banner() in the page's <head>?)",
                )
            )
        for record in page.phases.values():
            found += _judge_phase(page.url, record.phase, record, declared)
    seen = {c.name for page in pages for r in page.phases.values() for c in r.cookies}
    for purpose in declared.purposes:
        for pattern in purpose.cookies:
            rx = _glob(pattern)
            if not any(rx.match(name) for name in seen):
                found.append(
                    Finding(
                        "warning",
                        "never_set",
                        "",
                        None,
                        pattern,
                        f"{pattern!r} ({purpose.id}) is declared but no scanned page set it "
                        "in any phase: a stale declaration, or set on a page not scanned",
                    )
                )
    return sorted(found, key=lambda f: f.severity != "violation")


def _judge_phase(
    url: str, phase: str, record: PhaseRecord, declared: Declarations
) -> list[Finding]:
    when = PHASE_TITLES[phase]
    out: list[Finding] = []
    refusing = phase in NO_CONSENT_PHASES
    for cookie in record.cookies:
        if declared.exempt(cookie.name):
            continue
        gone = ", deleted again before the end of the phase" if cookie.removed else ""
        where = f"(domain {cookie.domain}, set by {cookie.set_by}{gone})"
        if cookie.purpose is None:
            message = f"cookie {cookie.name!r} {when}: not declared in CONSENT_PURPOSES {where}"
            out.append(
                Finding(
                    "violation" if refusing else "warning",
                    "undeclared_cookie",
                    url,
                    phase,
                    cookie.name,
                    message,
                )
            )
        elif refusing:
            message = f"cookie {cookie.name!r} of purpose {cookie.purpose!r} {when} {where}"
            out.append(
                Finding("violation", "cookie_without_consent", url, phase, cookie.name, message)
            )
    for kind, keys in (
        ("localStorage", record.local_storage),
        ("sessionStorage", record.session_storage),
    ):
        for key in keys:
            if key in WIDGET_STORAGE or declared.exempt(key):
                continue
            purpose = declared.purpose_of(key)
            if purpose is not None and refusing:
                out.append(
                    Finding(
                        "violation",
                        "storage_without_consent",
                        url,
                        phase,
                        key,
                        f"{kind} key {key!r} of purpose {purpose.id!r} {when}",
                    )
                )
            elif purpose is None:
                out.append(
                    Finding(
                        "warning",
                        "undeclared_storage",
                        url,
                        phase,
                        key,
                        f"{kind} key {key!r} {when}: not declared in CONSENT_PURPOSES",
                    )
                )
    if refusing:
        for req in record.third_party:
            out.append(
                Finding(
                    "violation",
                    "third_party_request",
                    url,
                    phase,
                    req.url,
                    f"request to another origin {when}: {req.method} {req.url} "
                    f"({req.resource_type}, from {req.initiator})",
                )
            )
    if phase == "accepted":
        for gated in record.inert_gated:
            out.append(
                Finding(
                    "warning",
                    "gated_never_ran",
                    url,
                    phase,
                    gated,
                    f"gated {gated} never ran {when}",
                )
            )
        for failed in record.failed:
            out.append(
                Finding(
                    "warning", "failed_load", url, phase, failed, f"{failed} failed to load {when}"
                )
            )
    for note in record.notes:
        out.append(Finding("warning", "phase_incomplete", url, phase, note, f"{when}: {note}"))
    return out
