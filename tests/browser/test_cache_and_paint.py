"""A page with the banner is the same for every visitor, so any cache may keep it; the widget
holds up neither the first paint nor a granted tag, and knows a returning visitor without asking.

Each test asserts what a visitor would notice: the banner (or not), which gated tags ran, what
the page and its responses carry, when the page painted, which requests were made.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import render_template
from flask_caching import Cache
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, Response, Route

from tests.browser.widget import (
    BANNER,
    PENDING,
    build_app,
    data_layer,
    history,
    ran,
    wait_delivered,
)
from tests.conftest import LiveServer, consent_id_of

PAGE = "cache-and-paint.html"
"""Gated analytics, a data-consent-recorded tag calling POST /collect, gated marketing."""
ACCEPT = f'{BANNER} [data-consent-action="accept-all"]'
REJECT = f'{BANNER} [data-consent-action="reject-all"]'
SETTINGS = '.csdk-fab [data-consent-action="settings"]'
TAGS_DONE = "() => (window.ran || []).length == 2 && window.collected == 200"
"""Every gated tag of PAGE has run: analytics and marketing, and collect.js got its answer."""
ALL_GRANTED = {
    "ad_storage": "granted",
    "ad_user_data": "granted",
    "ad_personalization": "granted",
    "analytics_storage": "granted",
    "functionality_storage": "granted",
    "personalization_storage": "granted",
}


def open_document(page: Page, url: str, *, reload: bool = False) -> Response:
    """Load (or reload) ``url`` and return the main document's response."""

    def is_document(r: Response) -> bool:
        return r.url == url and r.request.resource_type == "document"

    with page.expect_response(is_document) as info:
        if reload:
            page.reload()
        else:
            page.goto(url)
    return info.value


def is_consent(entry: Any, kind: str) -> bool:
    return isinstance(entry, list) and entry[:2] == ["consent", kind]


def tag_events(layer: list[Any]) -> list[int]:
    """Where the gated tags' own pushes are in the dataLayer."""
    names = {"page_tag", "analytics_tag", "marketing_tag"}
    return [i for i, e in enumerate(layer) if isinstance(e, dict) and e.get("event") in names]


def no_vary_cookie(response: Response) -> None:
    headers = response.all_headers()
    assert "cookie" not in headers.get("vary", "").lower(), headers
    assert "private" not in headers.get("cache-control", ""), headers
    assert "set-cookie" not in headers, headers


def cookie(page: Page, name: str) -> str:
    [value] = [c["value"] for c in page.context.cookies() if c["name"] == name]
    return value


# --- 1. Flask-Caching ----------------------------------------------------------------------


def cached_site(
    tmp_path: Path, live_server: Callable[[Any], LiveServer]
) -> tuple[LiveServer, Callable[[], None], list[str]]:
    """PAGE at ``/cached`` through Flask-Caching's ``@cache.cached``; Consent Mode on. Returns
    the server, a function that expires the cached page, and a log of the view's renders (one
    entry per cache miss)."""
    app = build_app(tmp_path, PAGE, CONSENT_GOOGLE_CONSENT_MODE=True)
    cache = Cache(app, config={"CACHE_TYPE": "SimpleCache"})
    renders: list[str] = []

    @app.get("/cached")
    @cache.cached(timeout=60)
    def cached_page() -> str:
        renders.append("render")
        return render_template(PAGE, lang="en", nonce=None)

    def expire() -> None:
        with app.app_context():
            cache.clear()

    return live_server(app), expire, renders


def assert_decided(page: Page) -> None:
    """No banner, the settings button, every gated tag ran (a site without Consent Mode)."""
    page.locator(SETTINGS).wait_for()
    page.wait_for_function(TAGS_DONE)
    assert page.locator(BANNER).count() == 0


def returning_visitor(page: Page, url: str) -> None:
    """Accept all on ``url``, recorded by the server, every gated tag run."""
    page.goto(url)
    page.click(ACCEPT)
    wait_delivered(page)
    page.wait_for_function(TAGS_DONE)


def assert_known_as_decided(page: Page) -> None:
    """No banner, every gated tag ran, and Consent Mode's update came right after the default,
    before any tag's own push (rule 20)."""
    assert_decided(page)
    layer = data_layer(page)
    assert is_consent(layer[0], "default"), layer[:3]
    assert is_consent(layer[1], "update"), layer[:3]
    assert layer[1][2] == ALL_GRANTED
    assert tag_events(layer), layer
    assert min(tag_events(layer)) > 1, layer


def test_flask_caching_serves_one_page_to_every_visitor_without_leaking_a_choice(
    tmp_path: Path, live_server: Callable[[Any], LiveServer], new_page: Callable[..., Any]
) -> None:
    server, expire, renders = cached_site(tmp_path, live_server)
    url = server.url + "/cached"

    # Visitor A opens the cached page (a miss: it is rendered) and accepts everything.
    a: Page = new_page()
    pages = [open_document(a, url).body()]  # read now: a body is gone once the page navigates
    a.click(ACCEPT)
    wait_delivered(a)
    a.wait_for_function(TAGS_DONE)
    assert len(history(a)) == 1
    consent_id = consent_id_of(server.app, cookie(a, "consent"))
    secrets = {
        "A's consent id": consent_id,
        "A's signed cookie": cookie(a, "consent"),
        "A's choice cookie": cookie(a, "consent_choice"),
    }

    # The entry expires and A's next visit renders the page again, now for a decided visitor:
    # that is the copy the cache hands to everyone for the next 60 s.
    expire()
    responses = [open_document(a, url)]
    pages.append(responses[-1].body())
    assert_known_as_decided(a)

    # Visitor B, a fresh browser, gets A's copy from the cache.
    b: Page = new_page()
    received: list[Response] = []
    b.on("response", lambda r: received.append(r))
    responses.append(open_document(b, url))
    pages.append(responses[-1].body())
    b.locator(BANNER).wait_for()
    assert b.locator(ACCEPT).is_visible()
    b.wait_for_load_state("networkidle")
    assert ran(b) == []
    assert b.evaluate("window.collected") is None
    assert b.evaluate("ConsentSDK.has('analytics')") is False
    state = b.evaluate("ConsentSDK.get()")
    assert state["decided"] is False
    assert "consent_id" not in state  # page scripts never see one (design.md)
    layer = data_layer(b)
    assert is_consent(layer[0], "default")
    assert not any(is_consent(e, "update") for e in layer)
    assert b.context.cookies() == []
    assert b.evaluate("document.cookie") == ""
    assert received, "B received nothing"
    for response in received:
        raw = "\n".join(f"{h['name']}: {h['value']}" for h in response.headers_array())
        # A 204 (the banner's impression) has no body, and Chromium keeps none to read.
        body = b"" if response.status == 204 else response.body()
        raw += "\n" + body.decode("utf-8", "replace")
        for what, secret in secrets.items():
            assert secret not in raw, f"{what} reached visitor B in {response.url}"
        assert '"decided":true' not in raw.replace(" ", ""), f"a decided state in {response.url}"
        assert "set-cookie" not in response.all_headers(), response.url
    assert consent_id not in b.content()

    # A comes back to the cached page: known as decided at once.
    responses.append(open_document(a, url, reload=True))
    pages.append(responses[-1].body())
    assert_known_as_decided(a)

    # Two renders served all four visits; the copy holds nobody's state.
    assert renders == ["render", "render"]
    assert pages[0] == pages[1] == pages[2] == pages[3]
    for response in responses:
        no_vary_cookie(response)


# --- 2. The same bytes for everyone ------------------------------------------------------------


def test_page_with_the_banner_is_byte_identical_for_decided_undecided_and_gpc_visitors(
    site: Any, new_page: Callable[..., Any]
) -> None:
    server = site(PAGE, CONSENT_GOOGLE_CONSENT_MODE=True)
    url = server.url + "/"

    decided: Page = new_page()
    decided.goto(url)
    decided.click(ACCEPT)
    wait_delivered(decided)
    as_decided = open_document(decided, url, reload=True)
    assert "consent=" in (as_decided.request.all_headers().get("cookie") or "")
    decided.locator(SETTINGS).wait_for()

    undecided: Page = new_page()
    as_undecided = open_document(undecided, url)
    assert "cookie" not in as_undecided.request.all_headers()
    undecided.locator(BANNER).wait_for()

    gpc: Page = new_page(extra_http_headers={"Sec-GPC": "1"})
    as_gpc = open_document(gpc, url)
    assert as_gpc.request.all_headers().get("sec-gpc") == "1"
    gpc.locator(BANNER).wait_for()

    bodies = [r.body() for r in (as_decided, as_undecided, as_gpc)]
    assert bodies[0] == bodies[1], "decided and undecided visitors got different pages"
    assert bodies[1] == bodies[2], "a Sec-GPC: 1 visitor got a different page"
    for response in (as_decided, as_undecided, as_gpc):
        no_vary_cookie(response)


# --- 3. First paint ------------------------------------------------------------------------


class Held:
    """Requests that ``page.route`` holds back (neither fulfilled nor failed) until released."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.pending: list[Route] = []
        self.released = False

    def hold(self, route: Route) -> None:
        if self.released:
            route.continue_()
        else:
            self.routes.append(route)
            self.pending.append(route)

    def wait(self, page: Page, count: int = 1, timeout: float = 5.0) -> None:
        """Until ``count`` requests are held (route handlers run while the page waits)."""
        deadline = time.monotonic() + timeout
        while len(self.routes) < count and time.monotonic() < deadline:
            page.wait_for_timeout(50)

    def release(self) -> None:
        """Let every held request (and any later one) go on to the server."""
        self.released = True
        while self.pending:
            with contextlib.suppress(PlaywrightError):
                self.pending.pop(0).continue_()


@pytest.fixture
def held(page: Page) -> Iterator[Held]:
    """Released after the test whatever happened, before the page is screenshotted and closed."""
    holder = Held()
    yield holder
    holder.release()


HOLD_S = 2.0
FIRST_PAINT = """() => {
    const fcp = performance.getEntriesByType('paint')
        .find(e => e.name == 'first-contentful-paint')
    return fcp ? fcp.startTime : null
}"""


def test_widget_held_back_does_not_delay_the_first_paint(site: Any, page: Page, held: Held) -> None:
    server = site(PAGE)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(urlsplit(r.url).path))
    page.route("**/consent/consent.js*", held.hold)

    started = time.monotonic()
    page.goto(server.url + "/", wait_until="commit")
    # While the widget is held, the page's own content is parsed and painted.
    page.locator("h1").wait_for(state="visible", timeout=HOLD_S * 1000 * 0.75)
    page.wait_for_function("() => document.readyState != 'loading'", timeout=HOLD_S * 1000 * 0.75)
    painted_at = page.wait_for_function(FIRST_PAINT, timeout=HOLD_S * 1000 * 0.75).json_value()
    assert time.monotonic() - started < HOLD_S
    assert [urlsplit(r.request.url).path for r in held.routes] == [
        "/consent/consent.js",
    ], "the widget was not requested (or not held)"
    assert page.evaluate("document.readyState") == "interactive"
    assert page.evaluate("typeof window.ConsentSDK") == "undefined"

    page.wait_for_timeout(max(0.0, HOLD_S - (time.monotonic() - started)) * 1000)
    released_at = page.evaluate("performance.now()")
    assert painted_at < released_at - 500, (painted_at, released_at)
    held.release()

    # Released: the banner shows and works.
    page.locator(BANNER).wait_for()
    assert ran(page) == []
    page.click(REJECT)
    wait_delivered(page)
    assert page.locator(BANNER).count() == 0
    page.locator(SETTINGS).wait_for()
    [record] = history(page)
    assert record["action"] == "reject_all"
    assert ran(page) == []
    # The script is the widget's one file: its stylesheet came inside it, with no request.
    assert requested.count("/consent/consent.js") == 1, requested
    assert not [p for p in requested if p.endswith(".css")], requested


FRAMES = """until => {
    if (window !== window.top) return;
    // What each rendered frame shows, noted just before it paints, until the widget's UI
    // (`until`) is in one: the page's content, the widget's UI and stylesheet, the dataLayer
    // (Consent Mode calls by their kind, events by name) and the gated tags that ran.
    const frames = window.frames_seen = [];
    const note = () => {
        frames.push({
            content: !!document.querySelector('h1'),
            widget: !!document.querySelector(until),
            stylesheet: document.adoptedStyleSheets.length > 0,
            layer: Array.from(window.dataLayer || [], e => e[0] == 'consent' ? e[1] : e.event),
            ran: (window.ran || []).length,
        });
        if (!frames[frames.length - 1].widget) requestAnimationFrame(note);
    };
    requestAnimationFrame(note);
}"""


def frames_until(page: Page, selector: str) -> None:
    """Note every frame of the next page load until ``selector`` is in one (``frames``)."""
    page.add_init_script(f"({FRAMES})({json.dumps(selector)})")


def frames(page: Page) -> list[dict[str, Any]]:
    """The frames noted, once the last one shows the widget's UI."""
    page.wait_for_function("() => (window.frames_seen || []).some(f => f.widget)")
    return list(page.evaluate("window.frames_seen"))


def test_banner_is_drawn_after_the_first_frame_the_consent_mode_default_before_it(
    site: Any, page: Page
) -> None:
    server = site(PAGE, CONSENT_GOOGLE_CONSENT_MODE=True)
    frames_until(page, BANNER)
    page.goto(server.url + "/")
    seen = frames(page)

    # The page's first frame has its own content and nothing of the widget: no banner, its
    # stylesheet not applied, not even the tag gated on "necessary" started. The widget's
    # script runs before that frame (its default is in the dataLayer) or, when Chromium paints
    # before the deferred script has run, after it. The banner comes once it is presented.
    first = seen[0]
    assert first["content"] and not first["widget"] and not first["stylesheet"], seen
    assert first["layer"] in ([], ["default"]), seen
    assert seen[-1]["stylesheet"], seen

    # The default came first, before that tag's own push (its file may load after the banner
    # shows); nothing was decided.
    page.wait_for_function("() => (window.dataLayer || []).some(e => e.event == 'page_tag')")
    layer = data_layer(page)
    assert is_consent(layer[0], "default"), layer
    assert not any(is_consent(e, "update") for e in layer), layer
    assert tag_events(layer) and min(tag_events(layer)) > 0, layer
    assert ran(page) == []


def test_returning_visitor_update_comes_before_the_first_frame_the_tags_after_it(
    site: Any, page: Page
) -> None:
    server = site(PAGE, CONSENT_GOOGLE_CONSENT_MODE=True)
    returning_visitor(page, server.url + "/")

    frames_until(page, SETTINGS)
    page.reload()
    seen = frames(page)
    # The stored choice reached Consent Mode in the script's own task, right after the default
    # (rule 20): the first frame that has the default has both. The page's first frame has
    # nothing of the widget and no gated tag, and every tag's push comes after the update.
    first = next(f for f in seen if f["layer"])
    assert first["layer"][:2] == ["default", "update"], seen
    assert not seen[0]["widget"] and seen[0]["ran"] == 0, seen
    assert "page_tag" not in seen[0]["layer"], seen
    assert_known_as_decided(page)  # every tag's push after the update


COOKIE_READS = """() => {
    // Each read of document.cookie, with when it happened.
    if (window !== window.top) return;
    const own = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
    window.cookie_reads = [];
    Object.defineProperty(Document.prototype, 'cookie', {
        configurable: true,
        get() { window.cookie_reads.push(performance.now()); return own.get.call(this) },
        set(value) { own.set.call(this, value) },
    });
}"""


AT_DOM_CONTENT_LOADED = """document.addEventListener('DOMContentLoaded', () => {
    // What the page holds once the deferred widget has run, before the first frame.
    window.at_dcl = {
        cookie_reads: (window.cookie_reads || []).length,
        layer: Array.from(window.dataLayer || [], e => e.event),
        ran: (window.ran || []).length,
        widget: !!document.querySelector('[data-consent-ui]'),
    };
})"""


def test_choice_cookie_is_read_after_the_first_frame_where_nothing_acts_on_it_before(
    site: Any, page: Page
) -> None:
    """No vendor API and no dataLayer: nothing on the page can act on a stored choice before the
    gated content does, so the page's first cookie read (it waits on the browser) is not in the
    widget's task before the first frame; the visitor is still known as decided."""
    server = site(PAGE)
    returning_visitor(page, server.url + "/")

    page.add_init_script(f"({COOKIE_READS})()")
    page.add_init_script(AT_DOM_CONTENT_LOADED)
    page.reload()
    page.wait_for_function("() => window.at_dcl")
    at_dcl = page.evaluate("window.at_dcl")
    assert at_dcl == {"cookie_reads": 0, "layer": [], "ran": 0, "widget": False}, at_dcl
    assert_decided(page)
    assert page.evaluate("window.cookie_reads.length") >= 1
    assert ran(page) == ["analytics", "marketing"]


def test_page_code_gets_the_stored_choice_on_demand_before_the_widget_reads_it(
    site: Any, page: Page
) -> None:
    """ConsentSDK answers a page's script at DOMContentLoaded (before the first frame, before the
    widget has read its cookie) with the visitor's stored choice, not the undecided state."""
    server = site(PAGE)
    returning_visitor(page, server.url + "/")

    page.add_init_script(f"({COOKIE_READS})()")
    page.add_init_script(
        """document.addEventListener('DOMContentLoaded', () => {
            window.early = {
                reads_before: window.cookie_reads.length,
                has: ConsentSDK.has('analytics'),
                decided: ConsentSDK.get().decided,
                marketing: ConsentSDK.get().purposes.marketing,
            };
        })"""
    )
    page.reload()
    page.wait_for_function("() => window.early")
    early = page.evaluate("window.early")
    assert early == {"reads_before": 0, "has": True, "decided": True, "marketing": True}, early
    assert_decided(page)


def test_a_page_with_a_data_layer_gets_the_stored_choice_before_the_first_frame(
    site: Any, page: Page
) -> None:
    """A tag manager's snippet made a dataLayer before the widget ran: a returning visitor's
    consent_update is in it once the widget's script has run (DOMContentLoaded, before the
    first frame), before any gated tag's push."""
    server = site(PAGE)
    returning_visitor(page, server.url + "/")

    page.add_init_script("window.dataLayer = window.dataLayer || []")
    page.add_init_script(AT_DOM_CONTENT_LOADED)
    page.reload()
    page.wait_for_function("() => window.at_dcl")
    at_dcl = page.evaluate("window.at_dcl")
    assert at_dcl == {"cookie_reads": 0, "layer": ["consent_update"], "ran": 0, "widget": False}
    assert_decided(page)
    layer = data_layer(page)
    assert layer[0]["event"] == "consent_update" and layer[0]["consent"]["analytics"], layer
    assert tag_events(layer) and min(tag_events(layer)) > 0, layer


ON_STORAGE_READ = """note => {
    // Call note() on every read of window.localStorage (the page's own reads included).
    const own = o => Object.getOwnPropertyDescriptor(o, 'localStorage');
    const get = (own(window) || own(Window.prototype)).get;
    Object.defineProperty(window, 'localStorage', {
        configurable: true,
        get() { note(); return get.call(window) },
    });
}"""

STORAGE_READS = f"""() => {{
    // Each read of window.localStorage, numbered by the frames painted before it.
    if (window !== window.top) return;
    let painted = 0;
    const count = () => {{ painted++; requestAnimationFrame(count) }};
    requestAnimationFrame(count);
    window.storage_reads = [];
    ({ON_STORAGE_READ})(() => window.storage_reads.push(painted));
}}"""


def test_a_pending_decision_is_read_after_the_first_frame_and_before_any_gated_tag(
    site: Any, page: Page
) -> None:
    """The queue's first read waits on the browser (a few ms), so it is not on the first
    frame's path; a decision still waiting for the server reaches Consent Mode and the page
    before any gated tag starts."""
    server = site(PAGE, CONSENT_GOOGLE_CONSENT_MODE=True)
    page.route(
        "**/consent/state",
        lambda r: (
            r.fulfill(status=503, body="down") if r.request.method == "POST" else r.continue_()
        ),
    )
    page.goto(server.url + "/")
    page.click(ACCEPT)
    page.wait_for_function("() => (window.ran || []).length == 2")
    assert page.evaluate(f"localStorage.getItem('{PENDING}')")

    page.add_init_script(f"({STORAGE_READS})()")
    frames_until(page, SETTINGS)
    page.reload()
    seen = frames(page)
    page.wait_for_function("() => (window.ran || []).length == 2")
    reads = page.evaluate("window.storage_reads")
    assert reads and min(reads) >= 1, reads  # none before the first frame
    # Undecided by its cookie (the server never answered), decided by the pending Accept all:
    # the update for it comes before any gated tag's push, and the tags ran.
    first = seen[0]
    assert first["layer"] in ([], ["default"]) and first["ran"] == 0, seen
    layer = data_layer(page)
    updates = [i for i, e in enumerate(layer) if is_consent(e, "update")]
    assert updates and updates[0] < min(tag_events(layer)), layer
    assert layer[updates[0]][2]["analytics_storage"] == "granted", layer
    assert page.locator(BANNER).count() == 0


PAINTED_WHEN = f"""() => {{
    // The paint entries the browser had reported (the first paint presented) at the widget's
    // first read of the pending queue, when its stylesheet was adopted, and when the banner was
    // inserted.
    if (window !== window.top) return;
    const painted = () => performance.getEntriesByType('paint').map(e => e.name);
    const seen = window.painted_when = {{}};
    ({ON_STORAGE_READ})(() => {{ seen.storage ||= painted() }});
    const sheets = Object.getOwnPropertyDescriptor(Document.prototype, 'adoptedStyleSheets');
    Object.defineProperty(document, 'adoptedStyleSheets', {{
        configurable: true,
        get() {{ return sheets.get.call(document) }},
        set(v) {{ seen.stylesheet ||= painted(); sheets.set.call(document, v) }},
    }});
    new MutationObserver(() => {{
        if (document.querySelector('[data-consent-ui="banner"]')) seen.banner ||= painted();
    }}).observe(document, {{ childList: true, subtree: true }});
}}"""


def test_the_widgets_work_waits_until_the_first_paint_has_been_presented(
    site: Any, page: Page
) -> None:
    """Right after the first frame's rendering, the browser is still presenting it (on a
    phone's few cores, work started then delays the page's first paint): the queue's read, the
    stylesheet and the banner come only once the browser has reported the first paint."""
    server = site(PAGE, CONSENT_GOOGLE_CONSENT_MODE=True)
    page.add_init_script(f"({PAINTED_WHEN})()")
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    seen = page.evaluate("window.painted_when")
    assert set(seen) == {"storage", "stylesheet", "banner"}, seen
    for step, entries in seen.items():
        assert "first-contentful-paint" in entries, (step, seen)


# --- 4. Accept all starts the tags at once -----------------------------------------------------


def test_accept_all_starts_gated_tags_before_the_server_answers_recorded_ones_after(
    site: Any, page: Page, held: Held
) -> None:
    server = site(PAGE)
    log: list[tuple[str, str, str]] = []

    def hold_posts(route: Route) -> None:
        if route.request.method == "POST":
            held.hold(route)
        else:
            route.continue_()

    def on_request(r: Request) -> None:
        log.append(("request", r.method, urlsplit(r.url).path))

    def on_response(r: Response) -> None:
        log.append(("response", r.request.method, urlsplit(r.url).path))

    page.route("**/consent/state", hold_posts)
    page.on("request", on_request)
    page.on("response", on_response)
    page.goto(server.url + "/")

    clicked = time.monotonic()
    page.click(ACCEPT)
    # At once, while the decision is still on its way: banner gone, ordinary gated tags run.
    page.wait_for_function("() => (window.ran || []).includes('analytics')", timeout=1000)
    assert page.locator(BANNER).count() == 0
    page.wait_for_function("() => (window.ran || []).length == 2", timeout=1000)
    assert ran(page) == ["analytics", "marketing"]
    assert page.evaluate("ConsentSDK.has('analytics')") is True
    # Sent once the tags have loaded (a second at the latest).
    held.wait(page)
    assert len(held.routes) == 1, "the decision was not sent (or not held)"

    page.wait_for_timeout(max(0.0, 1.5 - (time.monotonic() - clicked)) * 1000)
    # The tag that calls a server-gated endpoint still waits for the record.
    assert ("request", "POST", "/collect") not in log
    assert page.evaluate("window.collected") is None
    held.release()

    page.wait_for_function("() => window.collected !== undefined")
    assert page.evaluate("window.collected") == 200
    answered = log.index(("response", "POST", "/consent/state"))
    assert log.index(("request", "POST", "/collect")) > answered, log
    [record] = history(page)
    assert record["action"] == "accept_all"


def test_accept_all_requests_the_tags_before_it_sends_the_decision(site: Any, page: Page) -> None:
    server = site(PAGE)
    requests: list[tuple[str, str]] = []
    page.goto(server.url + "/")
    page.locator(BANNER).wait_for()
    page.on("request", lambda r: requests.append((r.method, urlsplit(r.url).path)))
    page.click(ACCEPT)
    wait_delivered(page)
    page.wait_for_function(TAGS_DONE)
    # The ordinary tag is asked for first (in the click's own task), the decision after it; the
    # tag that calls a server-gated endpoint only once the server has recorded the decision.
    post = requests.index(("POST", "/consent/state"))
    assert requests.index(("GET", "/assets/analytics.js")) < post, requests
    assert requests.index(("GET", "/assets/collect.js")) > post, requests
    assert ran(page) == ["analytics", "marketing"]


# --- 5. A returning visitor is known without asking --------------------------------------------


def test_returning_visitor_is_known_without_a_request_to_the_api(site: Any, page: Page) -> None:
    server = site(PAGE)
    returning_visitor(page, server.url + "/")

    paths: list[str] = []
    page.on("request", lambda r: paths.append(urlsplit(r.url).path))
    page.reload()
    page.locator(SETTINGS).wait_for()
    page.wait_for_function(TAGS_DONE)
    page.wait_for_load_state("networkidle")
    assert page.locator(BANNER).count() == 0
    assert ran(page) == ["analytics", "marketing"]
    assert page.evaluate("ConsentSDK.get().decided") is True
    assert "/" in paths and "/collect" in paths, paths
    api = [p for p in paths if p in ("/consent/state", "/consent/config")]
    assert api == [], f"the widget asked the API on a returning visit: {api}"
