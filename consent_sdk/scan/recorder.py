"""What one browser context did: requests to other origins, failed loads, and every cookie
set, by a ``Set-Cookie`` header or by a script, with who set it.

Who set a cookie comes from the ``Set-Cookie`` headers of the responses, or from a wrapper
around ``document.cookie`` installed before any page script runs (the writing script is read
from the stack).
"""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .crawl import origin
from .findings import Declarations
from .observe import CookieSeen, PhaseRecord, RequestSeen

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Request, Response

COOKIE_WRITES = """
(() => {
  const d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  if (!d || !d.set || window.__consentScanWrites) return;
  const log = [];
  Object.defineProperty(window, '__consentScanWrites', { value: log });
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true,
    enumerable: d.enumerable,
    get() { return d.get.call(this); },
    set(v) {
      try {
        const s = String(v);
        const frames = (new Error().stack || '').split('\\n').slice(2);
        const hit = frames.map(f => /(https?:\\/\\/[^\\s()]+?):\\d+:\\d+/.exec(f)).find(Boolean);
        const head = s.split(';', 1)[0];  // the value is not kept, only the name and attributes
        const cookie = head.split('=', 1)[0] + s.slice(head.length);
        log.push({ cookie, at: Date.now(), script: hit ? hit[1] : null, page: location.href });
      } catch (e) { /* the write itself must never fail because of the scan */ }
      d.set.call(this, v);
    },
  });
})();
"""
"""Records every ``document.cookie`` write with the script that made it (from the stack)."""

STORAGE = "() => [Object.keys(localStorage).sort(), Object.keys(sessionStorage).sort()]"


@dataclass(frozen=True, slots=True)
class _Write:
    """A cookie being set, by a Set-Cookie header or by a script: when, who, how."""

    at: float
    name: str
    who: str
    attrs: dict[str, str]
    host: str


@dataclass
class Recorder:
    """Listens to one browser context: responses (their Set-Cookie), requests elsewhere,
    failed loads, cookie writes; and remembers who last set each cookie.

    A phase's cookies are every cookie set during it, also one deleted again before its end
    (an ungated tag's cookie that the widget then deletes was stored, and sent, meanwhile).
    """

    context: BrowserContext
    home: str
    declared: Declarations
    record: PhaseRecord | None = None
    responses: list[tuple[float, Response]] = field(default_factory=list)
    writers: dict[str, str] = field(default_factory=dict)
    cookies: dict[tuple[str, str, str], CookieSeen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.context.add_init_script(COOKIE_WRITES)
        self.context.on("request", self._request)
        self.context.on("response", self._response)
        self.context.on("requestfailed", self._failed)

    def start(self, record: PhaseRecord, page: Page | None = None) -> None:
        """From now on, requests and cookies belong to ``record`` (what ``page`` did until
        now belongs to the record before)."""
        if page is not None:
            self._harvest(page)
        self.record = record
        self.cookies = {}

    def _own(self, url: str) -> bool:
        return origin(url) == self.home or origin(url) in self.declared.trusted_origins

    def _request(self, request: Request) -> None:
        url = request.url
        if self.record is None or not url.startswith(("http:", "https:", "ws:", "wss:")):
            return
        if not self._own(url):
            try:
                initiator = request.frame.url
            except Exception:  # a service worker's request has no frame
                initiator = "a worker"
            self.record.third_party.append(
                RequestSeen(url, request.method, request.resource_type, initiator)
            )

    def _response(self, response: Response) -> None:
        self.responses.append((time.time() * 1000, response))
        if self.record is not None and response.status >= 400 and self._watched(response.request):
            self.record.failed.append(f"{response.url} (HTTP {response.status})")

    def _failed(self, request: Request) -> None:
        reason = request.failure or "failed"
        if self.record is not None and self._watched(request) and "ERR_ABORTED" not in reason:
            self.record.failed.append(f"{request.url} ({reason})")

    def _watched(self, request: Request) -> bool:
        """Same-site scripts and frames: what a gated tag loads."""
        return request.resource_type in ("script", "document") and self._own(request.url)

    def _writes(self, page: Page) -> list[_Write]:
        """Cookies set since the last look, oldest first: Set-Cookie headers and scripts."""
        writes: list[_Write] = []
        responses, self.responses = self.responses, []
        for at, response in responses:
            try:
                headers = response.headers_array()
            except Exception:  # the response is gone (its page navigated away)
                continue
            for header in headers:
                if header["name"].lower() == "set-cookie":
                    name, attrs = _parse(header["value"])
                    who = f"{response.request.method} {response.url}"
                    writes.append(
                        _Write(at, name, who, attrs, urlsplit(response.url).hostname or "")
                    )
        for frame in page.frames:
            try:
                logged: list[dict[str, Any]] = frame.evaluate(
                    "() => (window.__consentScanWrites || []).splice(0)"
                )
            except Exception:  # a frame being replaced, or of an opaque origin
                continue
            for w in logged:
                script, where = w["script"], str(w["page"]).split("#")[0]
                who = (
                    "script"
                    if not script
                    else f"inline script on {script}"
                    if script == where
                    else f"script {script}"
                )
                name, attrs = _parse(w["cookie"])
                writes.append(
                    _Write(float(w["at"]), name, who, attrs, urlsplit(where).hostname or "")
                )
        return sorted(writes, key=lambda w: w.at)

    def _harvest(self, page: Page) -> None:
        """Note who set which cookie; a cookie set in this phase is the phase's, for now as
        deleted again (a look at the browser's cookies then says whether it is still there)."""
        for w in self._writes(page):
            expires = _expires(w.attrs)
            if expires is not None and expires <= time.time():
                continue  # a deletion
            self.writers[w.name] = w.who
            if self.record is None or any(k[0] == w.name for k in self.cookies):
                continue
            domain = w.attrs.get("domain", w.host)
            seen = self._seen(
                w.name,
                domain=domain if domain.startswith(".") or domain == w.host else "." + domain,
                path=w.attrs.get("path", "/"),
                expires=expires,
                http_only="httponly" in w.attrs,
                secure="secure" in w.attrs,
                same_site=w.attrs.get("samesite", ""),
            )
            self.cookies[(seen.name, seen.domain, seen.path)] = replace(seen, removed=True)

    def _seen(self, name: str, **fields: Any) -> CookieSeen:
        purpose = self.declared.purpose_of(name)
        fallback = "a response not seen by the scan" if fields["http_only"] else "script"
        return CookieSeen(
            name=name,
            set_by=self.writers.get(name, fallback),
            purpose=purpose.id if purpose else None,
            **fields,
        )

    def snapshot(self, page: Page) -> None:
        """Add what the browser holds now, and what was set since the last look, to the
        current record."""
        assert self.record is not None
        self._harvest(page)
        present = {}
        for c in self.context.cookies():
            expires = c.get("expires", -1)
            seen = self._seen(
                c.get("name", ""),
                domain=c.get("domain", ""),
                path=c.get("path", "/"),
                expires=None if expires is None or expires < 0 else float(expires),
                http_only=bool(c.get("httpOnly")),
                secure=bool(c.get("secure")),
                same_site=str(c.get("sameSite", "")),
            )
            present[(seen.name, seen.domain, seen.path)] = seen
        for key, seen in list(self.cookies.items()):
            if key not in present and not any(k[0] == key[0] for k in present):
                self.cookies[key] = replace(seen, removed=True)
            elif key not in present:
                del self.cookies[key]  # the same cookie, seen more exactly now
        self.cookies.update(present)
        self.record.cookies = sorted(self.cookies.values(), key=lambda k: (k.name, k.domain))
        try:
            local, session = page.evaluate(STORAGE)
        except Exception:  # storage refused (an opaque origin)
            local, session = [], []
        self.record.local_storage = sorted({*self.record.local_storage, *local})
        self.record.session_storage = sorted({*self.record.session_storage, *session})


def _parse(cookie: str) -> tuple[str, dict[str, str]]:
    """``"a=1; Path=/; HttpOnly"`` -> ``("a", {"path": "/", "httponly": ""})`` (no value)."""
    head, *rest = cookie.split(";")
    attrs: dict[str, str] = {}
    for attr in rest:
        key, _, val = attr.strip().partition("=")
        if key:
            attrs[key.lower()] = val.strip()
    return head.split("=", 1)[0].strip(), attrs


def _expires(attrs: dict[str, str]) -> float | None:
    """When a cookie with these attributes expires (Max-Age wins over Expires); None: at
    the end of the session."""
    if "max-age" in attrs:
        with suppress(ValueError):
            return time.time() + int(attrs["max-age"])
    if "expires" in attrs:
        with suppress(TypeError, ValueError):
            return parsedate_to_datetime(attrs["expires"]).timestamp()
    return None
