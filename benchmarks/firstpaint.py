"""What a consent widget costs a page's first paint: consent_sdk against two peers and no widget.

Run: .venv/bin/python benchmarks/firstpaint.py [--runs 30] [--json FILE] [--proxy nginx]
Needs the peers first: (cd benchmarks && npm ci --ignore-scripts)  (cookieconsent, klaro)

One article page in four variants, served by one Flask app on 127.0.0.1 (werkzeug in a thread;
with ``--proxy nginx`` behind nginx, which serves every file but the pages from its cache):

  none           no widget
  consent_sdk    {{ consent_banner() }} in <head>, a real ConsentManager (SQLite in a temp dir)
  cookieconsent  orestbida/cookieconsent v3 (vanilla-cookieconsent, dist umd js + css)
  klaro          klaro (dist/klaro.js, CSS included)

each with one gated analytics script (type="text/plain", the widget's own attribute). Every
load is cold (a fresh browser context, so no HTTP or code cache; ``--warm 2``: after two
unmeasured loads of the same page in that context, a visitor's third page view) in Debian's
Chromium, the variants interleaved (none, consent_sdk, cookieconsent, klaro, none, ...) at each CPU
throttling rate (CDP Emulation.setCPUThrottlingRate). Per load: FCP, LCP, CLS, long tasks,
when the banner first shows and when it has settled, the renderer's script time
(Performance.getMetrics ScriptDuration), and how long "Accept all" takes to run the gated tag.
The output is a Markdown table of medians with p25-p75, and ratios against the no-widget page.
``--variants`` also takes the what-ifs in ``PROBES``: the bare page with one empty script,
deferred, async, inline, or loaded after the first frame; or with the widget's own file as a
function never called (its fetch and parse without its run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import platform
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, abort, current_app, render_template, send_from_directory
from jinja2 import DictLoader
from werkzeug.serving import make_server

from consent_sdk.scan.browser import CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
CHROMIUM = os.environ.get("CONSENT_TEST_CHROMIUM", "/usr/bin/chromium")
PEERS = {  # URL prefix /peers/<package>/ -> benchmarks/node_modules/<package>/dist/
    "vanilla-cookieconsent": ("cookieconsent.umd.js", "cookieconsent.css"),
    "klaro": ("klaro.js",),
}
HERO = (960, 480)  # the article's image, generated at start, width/height set in the markup

# --- the host page ---------------------------------------------------------------------------

ARTICLE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>The tram that outlived three currencies - The Example Courier</title>
<style>
  body { margin: 0; font: 18px/1.6 Georgia, "Times New Roman", serif; color: #222 }
  header.site { display: flex; gap: 1.5rem; align-items: center; padding: .75rem 1.5rem;
    background: #123; color: #fff; font-family: system-ui, sans-serif }
  header.site b { font-size: 1.25rem; letter-spacing: .02em }
  header.site nav a { color: #cde; margin-right: 1rem; text-decoration: none }
  main { max-width: 48rem; margin: 0 auto; padding: 1rem 1.5rem 4rem }
  h1 { font-size: 2.25rem; line-height: 1.2; margin: 1.5rem 0 .5rem }
  .byline { color: #666; font: .875rem system-ui, sans-serif }
  .lead { font-size: 1.2rem }
  figure { margin: 1.5rem 0 }
  img.hero { display: block; width: 100%; height: auto; background: #ddd }
  figcaption { color: #666; font: .8rem system-ui, sans-serif }
  footer { border-top: 1px solid #ccc; padding: 1rem 1.5rem; font: .875rem system-ui, sans-serif }
</style>
{% block head %}{% endblock %}
</head>
<body>
<header class="site"><b>The Example Courier</b>
<nav><a href="/">News</a><a href="/">Business</a><a href="/">Culture</a><a href="/">Sport</a></nav>
</header>
<main>
<article>
<h1>The tram that outlived three currencies</h1>
<p class="byline">By A. Writer &middot; 12 minutes</p>
<p class="lead">Line 11 has run from the city centre to the seaside for well over a century.
Its cars have changed colour, owner and fare many times; its route has barely moved.</p>
<figure>
<img class="hero" src="/img/hero.png" width="{{ hero[0] }}" height="{{ hero[1] }}"
     alt="A tram crossing a bridge at dusk">
<figcaption>Evening service on the river bridge.</figcaption>
</figure>
<p>The first horse-drawn cars left the depot on a spring morning, carrying a handful of
passengers and a great deal of curiosity. Electrification followed within a decade, and with
it the overhead wires that still frame the view along the boulevard.</p>
<p>Every change of regime brought a new livery and a new ticket. Conductors learned to count
in roubles, then lats, then euros; the timetable, printed on the same cream card, kept its
quarter-hour rhythm through all of them.</p>
<p>Today's low-floor cars are quieter and carry three times as many people, yet regulars
still wait at the same corner kiosk and still complain, affectionately, about the curve
past the old market where every car slows to walking pace.</p>
<p>The city plans to extend the line by two stops next year. Whether the new stretch will
earn the same loyalty is anyone's guess; the old one took a hundred years.</p>
</article>
</main>
<footer><a href="/privacy">Privacy</a> &middot; <a href="#" data-consent-action="settings"
data-cc="show-preferencesModal">Cookie settings</a></footer>
{% block body_end %}{% endblock %}
</body>
</html>
"""

NONE_PAGE = '{% extends "article.html" %}'

CONSENT_SDK_PAGE = """{% extends "article.html" %}
{% block head %}
{{ consent_banner() }}
<script type="text/plain" data-consent="analytics" src="/assets/analytics.js"></script>
{% endblock %}
"""

# cookieconsent v3 as its docs show it: the stylesheet in <head>, the script at the end of body.
COOKIECONSENT_CONFIG = {
    # Its default hides the banner from navigator.webdriver, which Playwright sets.
    "hideFromBots": False,
    "categories": {
        "necessary": {"enabled": True, "readOnly": True},
        "analytics": {"autoClear": {"cookies": [{"name": "_ga"}, {"name": "_gid"}]}},
        "marketing": {"autoClear": {"cookies": [{"name": "_fbp"}]}},
    },
    "language": {
        "default": "en",
        "translations": {
            "en": {
                "consentModal": {
                    "title": "Cookies on this site",
                    "description": (
                        "We use necessary cookies to make the site work. With your consent "
                        "we also use cookies for Analytics and Marketing. "
                        '<a href="/privacy">Privacy policy</a>'
                    ),
                    "acceptAllBtn": "Accept all",
                    "acceptNecessaryBtn": "Reject all",
                    "showPreferencesBtn": "Choose",
                },
                "preferencesModal": {
                    "title": "Cookie settings",
                    "acceptAllBtn": "Accept all",
                    "acceptNecessaryBtn": "Reject all",
                    "savePreferencesBtn": "Save choice",
                    "closeIconLabel": "Close",
                    "sections": [
                        {
                            "title": "Necessary",
                            "description": "Keep the site working and remember your choice.",
                            "linkedCategory": "necessary",
                        },
                        {
                            "title": "Analytics",
                            "description": "Count visits to see what readers use.",
                            "linkedCategory": "analytics",
                        },
                        {
                            "title": "Marketing",
                            "description": "Measure and personalise advertising.",
                            "linkedCategory": "marketing",
                        },
                    ],
                },
            }
        },
    },
}

COOKIECONSENT_PAGE = """{% extends "article.html" %}
{% block head %}
<link rel="stylesheet" href="/peers/vanilla-cookieconsent/cookieconsent.css">
<script type="text/plain" data-category="analytics" src="/assets/analytics.js"></script>
{% endblock %}
{% block body_end %}
<script src="/peers/vanilla-cookieconsent/cookieconsent.umd.js"></script>
<script>CookieConsent.run(CONFIG);</script>
{% endblock %}
""".replace("CONFIG", json.dumps(COOKIECONSENT_CONFIG))

# Klaro as its docs show it: a config object, then klaro.js with defer, in <head>.
KLARO_CONFIG = {
    "version": 1,
    "lang": "en",
    "acceptAll": True,
    "storageMethod": "cookie",
    "cookieName": "klaro",
    "translations": {
        "zz": {"privacyPolicyUrl": "/privacy"},
        "en": {
            "consentNotice": {
                "description": (
                    "We use necessary cookies to make the site work. With your consent we "
                    "also use cookies for {purposes}."
                ),
            },
            "ok": "Accept all",
            "decline": "Reject all",
            "purposes": {
                "functional": {"title": "Necessary"},
                "analytics": {"title": "Analytics"},
                "marketing": {"title": "Marketing"},
            },
            "session": {"description": "Keep the site working and remember your choice."},
            "analytics": {"description": "Count visits to see what readers use."},
            "marketing": {"description": "Measure and personalise advertising."},
        },
    },
    "services": [
        {"name": "session", "title": "Session", "purposes": ["functional"], "required": True},
        {
            "name": "analytics",
            "title": "Analytics",
            "purposes": ["analytics"],
            "cookies": ["_ga", "_gid"],
        },
        {"name": "marketing", "title": "Marketing", "purposes": ["marketing"], "cookies": ["_fbp"]},
    ],
}

KLARO_PAGE = """{% extends "article.html" %}
{% block head %}
<script>window.klaroConfig = CONFIG;</script>
<script defer src="/peers/klaro/klaro.js"></script>
<script type="text/plain" data-type="text/javascript" data-name="analytics"
        data-src="/assets/analytics.js"></script>
{% endblock %}
""".replace("CONFIG", json.dumps(KLARO_CONFIG))

# The gated "tag": records when it ran.
ANALYTICS_JS = "window.ranAt = performance.now();"


@dataclass(frozen=True)
class Variant:
    name: str
    template: str
    banner: str | None  # the widget's first-layer element
    accept: str | None  # its "Accept all" button
    needs: tuple[str, ...] = ()  # files under node_modules it loads
    external: bool = False  # a what-if that loads /assets/empty.js: wait for it to run


VARIANTS = [
    Variant("none", NONE_PAGE, None, None),
    Variant(
        "consent_sdk",
        CONSENT_SDK_PAGE,
        '[data-consent-ui="banner"]',
        '[data-consent-ui="banner"] [data-consent-action="accept-all"]',
    ),
    Variant(
        "cookieconsent",
        COOKIECONSENT_PAGE,
        "#cc-main .cm",
        '#cc-main .cm [data-role="all"]',
        ("vanilla-cookieconsent/dist/cookieconsent.umd.js",),
    ),
    Variant(
        "klaro",
        KLARO_PAGE,
        "#klaro .cookie-notice:not(.cookie-notice-hidden)",
        "#klaro .cookie-notice .cm-btn-success",
        ("klaro/dist/klaro.js",),
    ),
]


# What-ifs, not in the default run (--variants none,empty_defer,...): what any external script
# in <head> costs the first paint, against a script in the page (the same for every visitor, so
# a CSP hash could allow it) that loads the external one only after the first frame.
EMPTY_JS = "window.ranAt = window.ranAt || performance.now();"


def _probe(name: str, head: str, external: bool = True) -> Variant:
    """The bare page with ``head`` in its <head>; ``external``: it loads /assets/empty.js."""
    page = '{% extends "article.html" %}{% block head %}' + head + "{% endblock %}"
    return Variant(name, page, None, None, external=external)


PROBES = [
    _probe("empty_defer", '<script defer src="/assets/empty.js"></script>'),
    _probe("empty_async", '<script async src="/assets/empty.js"></script>'),
    _probe("inline_only", "<script>window.booted = performance.now();</script>", external=False),
    # The widget's own bytes (consent.js?lang=en as served, uncompressed) in a function that is
    # never called: what fetching and parsing its file costs without running any of it.
    _probe("widget_bytes_defer", '<script defer src="/assets/widget-bytes.js"></script>'),
    _probe(
        "inline_then_after_frame",
        "<script>requestAnimationFrame(function () { setTimeout(function () {"
        " var s = document.createElement('script'); s.src = '/assets/empty.js';"
        " document.head.appendChild(s) }) })</script>",
    ),
]


def hero_png(width: int, height: int) -> bytes:
    """A dusk sky over two ranges of hills, as a PNG (no external request, no dependency)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    far = [
        int(height * (0.55 + 0.08 * math.sin(x / 97) + 0.03 * math.sin(x / 23)))
        for x in range(width)
    ]
    near = [
        int(height * (0.72 + 0.06 * math.sin(x / 61 + 2) + 0.02 * math.sin(x / 13)))
        for x in range(width)
    ]
    raw = bytearray()
    for y in range(height):
        t = y / height
        sky = bytes((int(40 + 200 * t), int(60 + 90 * t), int(140 - 40 * t)))
        hill = bytes((int(60 - 30 * t), int(90 - 40 * t), int(80 - 30 * t)))
        ground = bytes((int(30 - 10 * t), int(50 - 20 * t), int(45 - 15 * t)))
        raw.append(0)
        for x in range(width):
            raw += ground if y >= near[x] else hill if y >= far[x] else sky
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 6))
        + chunk(b"IEND", b"")
    )


def build_app(instance: Path) -> tuple[Flask, dict[str, str]]:
    """The host site; returns it and the variants that could not be set up, with the reason."""
    app = Flask(__name__, instance_path=str(instance / "instance"))
    app.config.update(
        SECRET_KEY="firstpaint-benchmark",
        CONSENT_DATABASE_URI=f"sqlite:///{instance / 'consent.db'}",
        CONSENT_CONTROLLER={"name": "Example Ltd", "contact": "privacy@example.test"},
        CONSENT_POLICY_URL="/privacy",
        CONSENT_PURPOSES=[
            "necessary",
            {"id": "analytics", "cookies": ["_ga", "_ga_*", "_gid"]},
            {"id": "marketing", "cookies": ["_fbp"]},
        ],
    )
    app.jinja_loader = DictLoader(
        {"article.html": ARTICLE} | {f"{v.name}.html": v.template for v in VARIANTS + PROBES}
    )
    broken: dict[str, str] = {}
    try:
        from consent_sdk import ConsentManager

        ConsentManager(app)
    except Exception as exc:  # the build may be mid-change: measure the others
        broken["consent_sdk"] = f"ConsentManager failed: {exc!r}"
    for variant in VARIANTS:
        for need in variant.needs:
            if not (NODE_MODULES / need).is_file():
                broken[variant.name] = (
                    f"missing {NODE_MODULES / need}: run (cd benchmarks && npm ci --ignore-scripts)"
                )
    hero = hero_png(*HERO)

    @app.get("/<name>")
    def page(name: str) -> str:
        if name not in {v.name for v in VARIANTS + PROBES}:
            abort(404)
        return render_template(f"{name}.html", hero=HERO)

    @app.get("/img/hero.png")
    def image() -> Response:
        return Response(hero, mimetype="image/png")

    @app.get("/assets/empty.js")
    def empty() -> Response:
        return Response(EMPTY_JS, mimetype="text/javascript")

    @app.get("/assets/widget-bytes.js")
    def widget_bytes() -> Response:
        body, _ = current_app.extensions["consent"].bundle("en")
        return Response(
            b"(function () {" + body + b"});" + EMPTY_JS.encode(), mimetype="text/javascript"
        )

    @app.get("/assets/analytics.js")
    def analytics() -> Response:
        return Response(ANALYTICS_JS, mimetype="text/javascript")

    @app.get("/peers/<package>/<name>")
    def peer(package: str, name: str) -> Response:
        if name not in PEERS.get(package, ()):
            abort(404)
        return send_from_directory(NODE_MODULES / package / "dist", name)

    @app.get("/privacy")
    def privacy() -> str:
        return "<!doctype html><title>Privacy</title><h1>Privacy policy</h1>"

    return app, broken


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


NGINX_CONF = """daemon off;
master_process off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    proxy_cache_path {root}/cache levels=1:2 keys_zone=assets:1m max_size=64m use_temp_path=off;
    upstream app {{
        server 127.0.0.1:{backend};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        # The pages: from the app, every load.
        location / {{
            proxy_pass http://app;
        }}
        # Every file a page loads (the widget's, the peers', the image, the tag): from nginx's
        # cache after the warm-up, as a site behind a reverse proxy or a CDN serves them.
        location ~ ^/(consent/consent|img/|assets/|peers/) {{
            proxy_cache assets;
            proxy_cache_valid 200 1d;
            proxy_cache_key "$request_uri $http_accept_encoding";
            proxy_ignore_headers Cache-Control Expires;
            proxy_pass http://app;
        }}
    }}
}}
"""
"""``--proxy nginx``: nginx on 127.0.0.1 in front of the app, the files cached (one process)."""


@contextmanager
def behind_nginx(base: str, root: Path) -> Iterator[str]:
    """``base`` (the app) behind nginx; yields nginx's URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    root.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, backend=base.rsplit(":", 1)[1], port=port))
    proc = subprocess.Popen(
        [nginx, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def listening() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited: {(root / 'error.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    try:
        deadline = time.monotonic() + 30
        while not listening():
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen on port {port}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- what the page measures ------------------------------------------------------------------

# Installed with context.add_init_script, so it runs before any script of the page. The
# banner probe runs once per animation frame: "visible" = in the DOM, non-zero box, not
# visibility:hidden, opacity (its own times its ancestors') > 0; "settled" = opacity 1 and
# no running animation or transition on it, its ancestors or its descendants. It starts only
# once the banner's selector matches (a MutationObserver, in every variant, the bare page's
# too): a requestAnimationFrame loop from the page's start changed how Chromium ran the page's
# first frame, so that at 4x the bare page with the loop had a long task before FCP in 26 of
# 40 loads, and without it in 5 of 40 (benchmarks/README.md, 2026-12-08).
OBSERVERS = """
(() => {
  if (window !== window.top) return;
  const SELECTOR = __SELECTOR__;
  const m = window.__fp = {fcp: null, lcp: null, lcpElement: null, cls: 0, longTasks: 0,
                           longTaskMs: 0, longTaskSpans: [], bannerVisible: null,
                           bannerSettled: null};
  // Resolved once FCP, LCP and (with a banner) banner settled are in: the harness waits on it
  // with one evaluate, so no polling and none of Playwright's own scripts run in the page
  // while it loads (wait_for_function's injected script was a 13 ms task at 1x, 50 at 4x).
  let done;
  const ready = new Promise(resolve => { done = resolve });
  const check = () => {
    if (m.fcp !== null && m.lcp !== null && (!SELECTOR || m.bannerSettled !== null)) done(true);
  };
  window.__fpReady = ms => Promise.race([ready, new Promise(r => setTimeout(r, ms, false))]);
  const observe = (type, fn) => {
    try { new PerformanceObserver(l => l.getEntries().forEach(fn)).observe({type, buffered: true}) }
    catch (e) { m.errors = (m.errors || []).concat(type + ': ' + e) }
  };
  const describe = el => !el ? null : el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  observe('paint', e => { if (e.name === 'first-contentful-paint') m.fcp = e.startTime; check() });
  observe('largest-contentful-paint', e => {
    m.lcp = e.startTime;
    m.lcpElement = describe(e.element);
    check();
  });
  let win = 0, first = 0, last = -1e9;  // CLS: the largest session window (1 s gap, 5 s cap)
  observe('layout-shift', e => {
    if (e.hadRecentInput) return;
    if (e.startTime - last < 1000 && e.startTime - first < 5000) win += e.value;
    else { win = e.value; first = e.startTime }
    last = e.startTime;
    m.cls = Math.max(m.cls, win);
  });
  observe('longtask', e => {
    m.longTasks += 1;
    m.longTaskMs += e.duration;
    m.longTaskSpans.push([e.startTime, e.duration]);
  });
  const related = (a, b) => a === b || a.contains(b) || b.contains(a);
  const probe = () => {
    const el = document.querySelector(SELECTOR);
    if (el) {
      const box = el.getBoundingClientRect();
      let opacity = 1;
      for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
        opacity *= parseFloat(getComputedStyle(n).opacity);
      }
      const shown = box.width > 0 && box.height > 0 && opacity > 0
        && getComputedStyle(el).visibility !== 'hidden';
      const now = performance.now();
      if (shown && m.bannerVisible === null) m.bannerVisible = now;
      const moving = () => document.getAnimations().some(a => a.playState === 'running'
        && a.effect && a.effect.target && related(a.effect.target, el));
      if (shown && opacity === 1 && !moving()) {
        m.bannerSettled = now;
        check();
        return;
      }
    }
    if (performance.now() < 30000) requestAnimationFrame(probe);
  };
  const started = new MutationObserver(() => {
    if (SELECTOR && document.querySelector(SELECTOR)) {
      started.disconnect();
      requestAnimationFrame(probe);
    }
  });
  started.observe(document, {childList: true, subtree: true, attributes: true});
})();
"""

READY = "ms => window.__fp ? window.__fpReady(ms) : false"

COLLECT = """() => {
  const resources = performance.getEntriesByType('resource');
  const nav = performance.getEntriesByType('navigation')[0];
  return Object.assign({}, window.__fp, {
    scriptRan: window.ranAt === undefined ? null : window.ranAt,
    requests: resources.length + 1,
    bytes: resources.reduce((s, r) => s + r.encodedBodySize, nav ? nav.encodedBodySize : 0),
    responseStart: nav ? nav.responseStart : null,
    domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
    load: nav ? nav.loadEventEnd : null,
  });
}"""

# The click is dispatched inside the page, so t0 and the tag's ranAt share one clock.
ACCEPT = """async (selector) => {
  const button = document.querySelector(selector);
  if (!button) throw new Error('no Accept all button: ' + selector);
  const t0 = performance.now();
  button.click();
  while (window.ranAt === undefined) {
    if (performance.now() - t0 > 15000) throw new Error('the gated tag did not run within 15 s');
    await new Promise(r => setTimeout(r, 1));
  }
  return window.ranAt - t0;
}"""

TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
ACCEPT_AFTER_MS = 500
"""How long after its banner has settled (and the load's figures are read) Accept all is clicked."""


@dataclass
class Load:
    variant: str
    rate: float
    round: int = -1  # the loads of one round (every variant once, one rate) ran back to back
    loadavg: float | None = None  # the machine's 1-minute load average as the load started
    fcp: float | None = None
    lcp: float | None = None
    lcp_element: str | None = None
    cls: float | None = None
    long_tasks: int | None = None
    long_task_ms: float | None = None
    long_task_spans: list[tuple[float, float]] = field(default_factory=list)  # (start, duration)
    # Those that end after FCP: not the page's own first frame, which the bare page has too.
    late_long_tasks: int | None = None
    banner_visible: float | None = None
    banner_settled: float | None = None
    script_ms: float | None = None
    accept_to_tag: float | None = None
    script_ran: float | None = None  # the what-ifs: when /assets/empty.js ran
    requests: int | None = None
    kb: float | None = None
    response_start: float | None = None
    dom_content_loaded: float | None = None
    load: float | None = None
    build: str | None = None  # consent_sdk's built files when this load ran
    extra: dict[str, float] = field(default_factory=dict)


def measure(
    browser: Browser, base: str, variant: Variant, rate: float, timeout: float, warm: int = 0
) -> Load:
    """One load of ``variant`` at CPU throttling ``rate``, then Accept all: cold, or after
    ``warm`` unthrottled loads of the same page in the same context (the HTTP cache holds every
    file; from the second, Chromium keeps the scripts' compiled code too)."""
    context = browser.new_context()
    try:
        context.add_init_script(OBSERVERS.replace("__SELECTOR__", json.dumps(variant.banner)))
        page = context.new_page()
        for _ in range(warm):
            page.goto(f"{base}/{variant.name}", wait_until="load", timeout=timeout)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        page.goto(f"{base}/{variant.name}", wait_until="load", timeout=timeout)
        if not page.evaluate(READY, timeout):
            state = page.evaluate("() => window.__fp")
            waited = (
                f"FCP, LCP and banner {variant.banner!r} settled" if variant.banner else "FCP, LCP"
            )
            raise RuntimeError(f"no {waited} in {timeout:g} ms: {json.dumps(state)}")
        page.evaluate(TWO_FRAMES)  # let the last paint's LCP / layout-shift entries arrive
        if variant.external:
            page.wait_for_function("() => window.ranAt !== undefined", timeout=timeout)
        m: dict[str, Any] = page.evaluate(COLLECT)
        metrics = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
        load = Load(
            variant=variant.name,
            rate=rate,
            fcp=m["fcp"],
            lcp=m["lcp"],
            lcp_element=m["lcpElement"],
            cls=m["cls"],
            long_tasks=m["longTasks"],
            long_task_ms=m["longTaskMs"],
            long_task_spans=[(start, duration) for start, duration in m["longTaskSpans"]],
            late_long_tasks=sum(
                1 for start, duration in m["longTaskSpans"] if start + duration > m["fcp"] + 1
            ),
            banner_visible=m["bannerVisible"],
            banner_settled=m["bannerSettled"],
            script_ms=metrics.get("ScriptDuration", math.nan) * 1000,
            script_ran=m["scriptRan"] if variant.external else None,
            requests=m["requests"],
            kb=m["bytes"] / 1024,
            response_start=m["responseStart"],
            dom_content_loaded=m["domContentLoaded"],
            load=m["load"],
            extra={
                k + "_ms": metrics[k] * 1000
                for k in ("TaskDuration", "LayoutDuration", "RecalcStyleDuration")
                if k in metrics
            },
        )
        if variant.name == "consent_sdk":
            load.build = " ".join(widget_build().values())
        if variant.accept:
            # A visitor reads before clicking: the click comes once the page is idle, the same
            # time after the banner has settled for every variant (a click two frames after the
            # banner also measures whatever the page still does at start-up).
            page.wait_for_timeout(ACCEPT_AFTER_MS)
            load.accept_to_tag = page.evaluate(ACCEPT, variant.accept)
        return load
    finally:
        context.close()


# --- statistics and output -------------------------------------------------------------------

METRICS: list[tuple[str, str, Callable[[float], str]]] = [
    ("fcp", "FCP ms", lambda v: f"{v:.0f}"),
    ("lcp", "LCP ms", lambda v: f"{v:.0f}"),
    ("cls", "CLS", lambda v: f"{v:.3f}"),
    ("long_tasks", "long tasks", lambda v: f"{v:g}"),
    ("long_task_ms", "long-task ms", lambda v: f"{v:.0f}"),
    ("late_long_tasks", "loads with a long task after FCP", lambda v: f"{v:g}"),
    ("banner_visible", "banner visible ms", lambda v: f"{v:.0f}"),
    ("banner_settled", "banner settled ms", lambda v: f"{v:.0f}"),
    ("script_ms", "script ms", lambda v: f"{v:.1f}"),
    ("accept_to_tag", "accept → tag ms", lambda v: f"{v:.0f}"),
    ("script_ran", "external script ran ms", lambda v: f"{v:.0f}"),
    ("kb", "KB", lambda v: f"{v:.0f}"),
]


def summary(values: list[float]) -> dict[str, float] | None:
    values = sorted(v for v in values if v is not None and not math.isnan(v))
    if not values:
        return None
    if len(values) > 1:
        p25, _, p75 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        p25 = p75 = values[0]
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p25": p25,
        "p75": p75,
        "min": values[0],
        "max": values[-1],
    }


def summarize(loads: list[Load], variants: list[str], rates: list[float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rate in rates:
        per: dict[str, Any] = {}
        for name in variants:
            mine = [x for x in loads if x.variant == name and x.rate == rate]
            per[name] = {key: summary([getattr(x, key) for x in mine]) for key, _, _ in METRICS}
            per[name]["lcp_elements"] = sorted({x.lcp_element or "?" for x in mine})
            per[name]["late_long_task_loads"] = sum(1 for x in mine if x.late_long_tasks)
        base = per.get("none", {})
        none = {x.round: x for x in loads if x.variant == "none" and x.rate == rate}
        for name in variants:
            mine = [x for x in loads if x.variant == name and x.rate == rate]
            for key in ("fcp", "lcp"):
                # Ratio of the medians, and the ratios within each round (the loads of a round
                # ran seconds apart, so a machine slowing down over the run cancels out).
                med, ref = per[name][key], base.get(key)
                per[name][key + "_ratio"] = med["median"] / ref["median"] if med and ref else None
                per[name][key + "_paired"] = summary(
                    [
                        getattr(x, key) / getattr(none[x.round], key)
                        for x in mine
                        if x.round in none and getattr(x, key) and getattr(none[x.round], key)
                    ]
                )
        out[f"{rate:g}x"] = per
    return out


def table(summaries: dict[str, Any], variants: list[str]) -> str:
    # A column no load measured (the what-ifs' "external script ran" in a default run) is left out.
    metrics = [
        m
        for m in METRICS
        if any(per[name][m[0]] is not None for per in summaries.values() for name in variants)
        or m[0] in ("fcp", "lcp")
    ]
    head = ["CPU", "variant", "FCP ms", "FCP ×none", "LCP ms", "LCP ×none"]
    head += [label for key, label, _ in metrics if key not in ("fcp", "lcp")]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|",
    ]
    for rate, per in summaries.items():
        for name in variants:
            cells = [rate, name]
            for key, _, fmt in metrics:
                s = per[name][key]
                if s is None:
                    cells.append("–")
                elif key == "late_long_tasks":  # a median of 0 would hide one load in three
                    cells.append(f"{per[name]['late_long_task_loads']} of {s['n']}")
                elif s["n"] == 1 or s["p25"] == s["p75"]:
                    cells.append(fmt(s["median"]))
                else:
                    cells.append(f"{fmt(s['median'])} ({fmt(s['p25'])}–{fmt(s['p75'])})")
                if key in ("fcp", "lcp"):
                    r = per[name][key + "_paired"]
                    cells.append(
                        "–" if r is None else f"{r['median']:.2f} ({r['p25']:.2f}–{r['p75']:.2f})"
                    )
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def widget_build() -> dict[str, str]:
    """sha256 (12 hex) of consent_sdk's built files, to tell which build a run measured (the
    consent_sdk imported: another tree's with PYTHONPATH=<tree>)."""
    import consent_sdk

    static = Path(consent_sdk.__file__).parent / "static"
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:12]
        for f in sorted(static.glob("consent.*"))
    }


def machine(browser_version: str) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "chromium": browser_version,
    }


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30, help="cold loads per variant and rate")
    parser.add_argument("--rates", default="1,4", help="CPU throttling rates, comma-separated")
    parser.add_argument(
        "--variants",
        default=",".join(v.name for v in VARIANTS),
        help="comma-separated; also the what-ifs " + ",".join(v.name for v in PROBES),
    )
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded loads per variant first")
    parser.add_argument("--timeout", type=float, default=20_000, help="ms per wait")
    parser.add_argument(
        "--pause", type=float, default=0.1, help="seconds between loads (old renderers exit)"
    )
    parser.add_argument("--json", metavar="FILE", help="write every load and the summary here")
    parser.add_argument(
        "--warm",
        type=int,
        default=0,
        help="loads of the same page before each measured one, in its context (0: cold; 2: the"
        " HTTP cache and the compiled scripts warm, a visitor's third page view)",
    )
    parser.add_argument(
        "--proxy",
        choices=("none", "nginx"),
        default="none",
        help="nginx: the pages through nginx, every file from its cache (needs nginx)",
    )
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    chosen = [v for v in VARIANTS + PROBES if v.name in args.variants.split(",")]
    if not chosen:
        parser.error(f"no known variant in {args.variants!r}")

    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    loads: list[Load] = []
    errors: dict[str, list[str]] = {v.name: [] for v in chosen}
    with tempfile.TemporaryDirectory(prefix="firstpaint-") as tmp:
        app, broken = build_app(Path(tmp))
        for name, why in broken.items():
            if name in errors:
                errors[name].append(why)
                print(f"{name}: skipped: {why}", file=sys.stderr)
        active = [v for v in chosen if v.name not in broken]
        failing_in_a_row = {v.name: 0 for v in active}
        with ExitStack() as stack:
            base = stack.enter_context(serve(app))
            if args.proxy == "nginx":
                base = stack.enter_context(behind_nginx(base, Path(tmp) / "nginx"))
            p = stack.enter_context(sync_playwright())
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            info = machine(browser.version)
            info["loadavg_start"] = os.getloadavg()
            info["consent_sdk_build_start"] = widget_build()
            print(
                f"Chromium {info['chromium']}, {info['cores']} cores ({info['cpu']}), "
                f"load average {info['loadavg_start'][0]:.1f}; "
                f"{args.runs} runs x {len(active)} variants x rates {args.rates}",
                file=sys.stderr,
            )

            def one(variant: Variant, rate: float, round_: int | None) -> None:
                if failing_in_a_row[variant.name] >= 3:
                    return
                time.sleep(args.pause)
                loadavg = os.getloadavg()[0]
                try:
                    load = measure(browser, base, variant, rate, args.timeout, args.warm)
                except Exception as exc:
                    failing_in_a_row[variant.name] += 1
                    message = f"{rate:g}x: {type(exc).__name__}: {exc}".splitlines()[0][:500]
                    errors[variant.name].append(message)
                    print(f"{variant.name}: {message}", file=sys.stderr)
                    if os.environ.get("FIRSTPAINT_TRACEBACK"):
                        traceback.print_exc()
                    if failing_in_a_row[variant.name] == 3:
                        print(f"{variant.name}: 3 failures in a row, giving up", file=sys.stderr)
                    return
                failing_in_a_row[variant.name] = 0
                if round_ is not None:
                    load.round, load.loadavg = round_, loadavg
                    loads.append(load)

            for _ in range(args.warmup):
                for variant in active:
                    one(variant, 1, None)
            for i in range(args.runs):
                for rate in rates:
                    for variant in active:
                        one(variant, rate, i)
                print(
                    f"run {i + 1}/{args.runs} done ({time.monotonic() - started:.0f} s)",
                    file=sys.stderr,
                )
            browser.close()
            info["loadavg_end"] = os.getloadavg()
            info["consent_sdk_build_end"] = widget_build()

    names = [v.name for v in chosen]
    summaries = summarize(loads, names, rates)
    print(
        f"\n{args.runs} {f'loads after {args.warm} warm-up loads' if args.warm else 'cold loads'}"
        f" per variant and CPU rate, medians (p25–p75), times in ms "
        f"from navigation start; ×none = this load / the no-widget load of the same round, "
        f"median (p25–p75).\n"
    )
    print(table(summaries, names))
    print()
    elements = {
        f"{label} {name}": ", ".join(per[name]["lcp_elements"])
        for label, per in summaries.items()
        for name in names
        if per[name]["fcp"] is not None
    }
    if len(set(elements.values())) == 1:
        print(f"LCP element: {next(iter(elements.values()))} in every measured load")
    else:
        for key, element in elements.items():
            print(f"LCP element, {key}: {element}")
    build = info["consent_sdk_build_start"]
    print(f"consent_sdk build: {', '.join(f'{k} {v}' for k, v in build.items())}")
    if info["consent_sdk_build_end"] != build:
        print("warning: consent_sdk/static changed during the run; figures mix two builds")
    failed = {name: msgs for name, msgs in errors.items() if msgs}
    for name, msgs in failed.items():
        print(f"\n{name}: {len(msgs)} failed load(s); first: {msgs[0]}")
    print(
        f"\nChromium {info['chromium']} on {info['cores']} cores ({info['cpu']}); load average "
        f"{info['loadavg_start'][0]:.1f} at start, {info['loadavg_end'][0]:.1f} at end; "
        f"{time.monotonic() - started:.0f} s"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "command": " ".join(sys.argv),
                    "machine": info,
                    "runs": args.runs,
                    "warm": args.warm,
                    "rates": rates,
                    "variants": names,
                    "summary": summaries,
                    "errors": errors,
                    "loads": [vars(x) for x in loads],
                },
                indent=2,
            )
        )
    # Failing at times is reported above; failing every load is an error.
    return 1 if any(not any(x.variant == name for x in loads) for name in names) else 0


if __name__ == "__main__":
    sys.exit(main())
