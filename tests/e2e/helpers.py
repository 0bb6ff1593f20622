"""What the StepAhead journeys share: the site under test and a visitor with a network log."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import inspect

from examples.stepahead import create_app
from examples.stepahead.models import counts, db
from tests.conftest import consent_id_of

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SECRET = "e2e-secret-key-for-the-stepahead-journeys"

BANNER = '[data-consent-ui="banner"]'
DIALOG = '[data-consent-ui="dialog"]'
PLACEHOLDER = '[data-consent-ui="placeholder"]'
FOOTER_SETTINGS = "#footer-cookie-settings"
VIDEO = "iframe#video-embed"

# Every URL that only a consented purpose may cause the browser to request.
GATED_PATHS = frozenset(
    {"/static/js/tracker.js", "/static/js/pixel.js", "/analytics/collect", "/pixel", "/embed/video"}
)
# The cookies of the strictly necessary purpose (the site's session and the consent cookie).
ESSENTIAL_COOKIES = frozenset({"session", "consent", "consent_choice"})


def site_app(instance: Path, **config: Any) -> Flask:
    """The example site as the tests serve it: its own instance folder (SQLite + records)."""
    return create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET, **config})


def site_with_user(instance: Path, kind: str, email: str, password: str) -> Flask:
    """The example site with one ``kind`` ("admin" or "customer") made as its README says:
    ``flask create-<kind> EMAIL``, the password prompted twice (the e-mail given in capitals,
    stored in lower case)."""
    app = site_app(instance)
    made = app.test_cli_runner().invoke(
        args=[f"create-{kind}", email.upper()], input=f"{password}\n{password}\n"
    )
    assert made.exit_code == 0, made.output
    assert f"created {kind} {email}" in made.output
    return app


@dataclass
class Site:
    """The served example site and what its owner can look at: records and counters."""

    app: Flask
    url: str
    server: Any

    def history(self, consent_id: str) -> list[dict[str, Any]]:
        with self.app.app_context():
            records: list[dict[str, Any]] = self.app.extensions["stepahead"]["consent"].history(
                consent_id
            )
        return records

    def counts(self, kind: str) -> dict[str, int]:
        with self.app.app_context():
            return counts(kind)

    def tables(self) -> set[str]:
        """The tables in the site's one SQLite file (its own and consent_sdk's)."""
        with self.app.app_context():
            return set(inspect(db.engine).get_table_names())

    def texts(self, lang: str) -> dict[str, Any]:
        with self.app.test_request_context(f"/?lang={lang}"):
            config: dict[str, Any] = self.app.extensions["stepahead"]["consent"].public_config(lang)
        return config


@dataclass
class Visitor:
    """One browser context (one person) with one page and everything it requested."""

    context: Any
    site: Site
    page: Any = None
    requests: list[tuple[str, str]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append((r.method, urlsplit(r.url).path)))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    # --- acting ---------------------------------------------------------------------------

    def open(self, path: str) -> Any:
        response = self.page.goto(self.site.url + path)
        self.page.wait_for_load_state("load")
        return response

    def click(self, action: str, within: str = BANNER) -> None:
        self.page.click(f'{within} [data-consent-action="{action}"]')

    def decide(self, action: str, within: str = BANNER) -> None:
        """Click a choice and wait until the server has recorded it."""
        self.click(action, within)
        self.wait_recorded()

    def wait_recorded(self) -> None:
        self.page.wait_for_function("() => !localStorage.getItem('consent_sdk.pending')")
        # The server's answer dates the decision (it names no consent id: scripts never see it).
        self.page.wait_for_function("() => window.ConsentSDK && ConsentSDK.get().given_at")

    def wait_tags(self, *tags: str) -> None:
        """Wait until the named gated tags ran and got their answers."""
        self.page.wait_for_function(
            """tags => tags.every(tag => ((window.stepahead || {}).ran || []).some(
                   r => r.tag === tag && !['waiting', 'sent'].includes(r.status)))""",
            arg=list(tags),
        )

    def quiet(self, ms: int = 600) -> None:
        """Give anything that would wrongly run time to show itself."""
        self.page.wait_for_timeout(ms)

    # --- observing ------------------------------------------------------------------------

    def gated_requests(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.requests if p in GATED_PATHS]

    def cookie_names(self) -> set[str]:
        return {c["name"] for c in self.context.cookies()}

    def document_cookies(self) -> set[str]:
        raw: str = self.page.evaluate("document.cookie")
        return {part.split("=", 1)[0] for part in raw.split("; ") if part}

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.page.evaluate("ConsentSDK.get()")
        return state

    def consent_id(self) -> str:
        """The consent id in the visitor's signed (HttpOnly) cookie, as the server reads it."""
        [value] = [c["value"] for c in self.context.cookies() if c["name"] == "consent"]
        return consent_id_of(self.site.app, value)

    def ran(self) -> list[str]:
        tags: list[str] = self.page.evaluate("((window.stepahead || {}).ran || []).map(r => r.tag)")
        return tags

    def gtag_calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self.page.evaluate(
            "window.gtagStandIn ? gtagStandIn.calls : []"
        )
        return calls

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if re.search("Content Security Policy", line)]

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"stepahead-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path
