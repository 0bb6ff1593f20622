"""The sites the scan tests scan: pages built to leak, each in one way, and a third party.

Each leaky page has the banner and the test purposes of ``tests.conftest`` (``_ga`` is
analytics, ``_fbp`` marketing); ``visitor_id`` is declared nowhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, jsonify, render_template_string

from tests.conftest import CHROMIUM, make_app

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{ title }}</title>
  {{ consent_banner() }}
  {{ head | safe }}
</head>
<body><h1>{{ title }}</h1>{{ body | safe }}</body>
</html>"""

ASSETS = {
    # An analytics tag placed without data-consent: it runs on every page view, at once.
    "ga.js": "document.cookie = '_ga=GA1.1.42.1700000000; path=/; max-age=63072000';",
    # A tag that keeps its cookie alive: whenever consent changes (also to "refused") it
    # writes it again, after the widget has deleted the refused purposes' cookies.
    "reset.js": (
        "document.addEventListener('consent:change', () => setTimeout(() => {"
        " document.cookie = '_fbp=fb.1.1700000000.42; path=/; max-age=7776000' }, 50));"
    ),
}

ASSETS["noop.js"] = "window.noop = true;"

PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def leaky_app(tmp_path: Path, third_party: str, **config: object) -> Flask:
    """Four pages that leak (``/ga``, ``/server-cookie``, ``/third-party``,
    ``/reset-after-reject``), one whose gated tag names a purpose that does not exist
    (``/typo``), a clean one (``/clean``) and a JSON endpoint (``/api``).
    ``third_party`` is the origin of another server the third-party page loads from."""
    config.setdefault("CONSENT_SCAN_BROWSER", CHROMIUM)
    app = make_app(tmp_path, **config)

    def page(title: str, head: str = "", body: str = "") -> str:
        return render_template_string(PAGE, title=title, head=head, body=body)

    @app.get("/clean")
    def clean() -> str:
        return page("Clean")

    @app.get("/ga")
    def ga() -> str:
        return page("Ungated analytics", head='<script src="/assets/ga.js"></script>')

    @app.get("/server-cookie")
    def server_cookie() -> Response:
        response = Response(page("Undeclared server cookie"), mimetype="text/html")
        response.set_cookie("visitor_id", "v-42", max_age=3600, httponly=True)
        return response

    @app.get("/third-party")
    def third() -> str:
        return page("Third party", body=f'<img src="{third_party}/pixel.gif" alt="">')

    @app.get("/reset-after-reject")
    def reset() -> str:
        return page("Re-set after Reject all", head='<script src="/assets/reset.js"></script>')

    @app.get("/typo")
    def typo() -> str:
        tag = '<script type="text/plain" data-consent="analytic" src="/assets/noop.js"></script>'
        return page("Misspelt purpose", head=tag)

    @app.get("/assets/<name>")
    def asset(name: str) -> Response:
        return Response(ASSETS[name], mimetype="text/javascript")

    @app.get("/api")
    def api() -> Response:
        return jsonify(ok=True)

    return app


def third_party_app() -> Flask:
    """Another origin (another port on 127.0.0.1): an ad server's pixel."""
    app = Flask("third_party")

    @app.get("/pixel.gif")
    def pixel() -> Response:
        return Response(PIXEL_GIF, mimetype="image/gif")

    return app


def cli_app() -> Flask:
    """For ``flask --app "tests.scan.sites:cli_app()"``: the leaky site's configuration (the
    scan reads its purposes; the pages are served by the test's own live server)."""
    return leaky_app(Path(os.environ["SCAN_TEST_TMP"]), "http://127.0.0.1:9")
