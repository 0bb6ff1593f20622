"""examples/nginx/consent.conf in front of a live app (issue 17: compression is the proxy's job).

The example file itself is run by a real nginx (Debian's, with its brotli filter module), with
only its ports, certificate and cache paths replaced, in front of a ``make_app`` app wrapped in
``ProxyFix(x_for=1, x_proto=1, x_host=1)`` as the file tells an operator to (and, to show why,
apps without it under werkzeug's server and gunicorn). Everything goes over
TLS to ``https://www.example.com:<port>``, from the visitor address 127.1.2.3 (a loopback
address other than the one nginx uses to reach the app), so that what the app records can only
have come from nginx's ``X-Forwarded-For``.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask, render_template_string
from werkzeug.middleware.proxy_fix import ProxyFix

from tests.conftest import LiveServer, consent_id_of, default_store, make_app
from tests.reliability.machinery import Gunicorn, free_port, wait_until

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "nginx" / "consent.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")
"""Debian's libnginx-mod-http-brotli-filter (.ci/run installs it with nginx-light)."""

HOST = "www.example.com"
VISITOR = "127.1.2.3"
IMMUTABLE = "public, max-age=31536000, immutable"
BR = "gzip, deflate, br"
PAGE = """<!doctype html><html lang="en"><head><title>Home</title>{{ consent_banner() }}</head>
<body><h1>Example Ltd</h1><p>{{ filler }}</p></body></html>"""


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Site:
    """nginx with the example config on an HTTPS and an HTTP port, and one visitor's cookies."""

    https_port: int
    http_port: int
    context: ssl.SSLContext
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    def fetch(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] = {},
        body: Any = None,
        source: str = VISITOR,
    ) -> Reply:
        """One request over TLS from ``source``, with exactly ``headers`` (no Accept-Encoding
        unless given) and the cookies this visitor was given so far."""
        raw = socket.create_connection(
            ("127.0.0.1", self.https_port), timeout=30, source_address=(source, 0)
        )
        conn = http.client.HTTPConnection(HOST, self.https_port, timeout=30)
        conn.sock = self.context.wrap_socket(raw, server_hostname=HOST)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", f"{HOST}:{self.https_port}")
            payload = None if body is None else json.dumps(body).encode()
            if payload is not None:
                conn.putheader("Content-Type", "application/json")
                conn.putheader("Content-Length", str(len(payload)))
            if self.cookies:
                conn.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders(payload)
            response = conn.getresponse()
            reply = Reply(response.status, response.msg, response.read())
        finally:
            conn.close()
        for cookie in reply.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            if value and "Max-Age=0" not in cookie:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return reply


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``HOST``: the file's ``ssl_certificate`` pair."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def render_example(
    backend: int, https_port: int, http_port: int, cert: Path, key: Path, cache: Path
) -> str:
    """The example with its ports and paths replaced; each must be found exactly once, so a
    change to the example that the test would not follow fails here."""
    text = EXAMPLE.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{backend};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("/etc/ssl/certs/www.example.com.pem", str(cert)),
        ("/etc/ssl/private/www.example.com.key", str(key)),
        ("/var/cache/nginx/consent", str(cache)),
    ):
        assert text.count(old) == 1, f"{EXAMPLE.name} no longer has {old!r} once"
        text = text.replace(old, new)
    listens = re.findall(r"^\s*listen\s+([^;]+);", text, flags=re.M)
    assert all(a.startswith("127.0.0.1:") for a in listens), listens
    return text


MAIN_CONF = """daemon off;
master_process off;
pid {root}/nginx.pid;
error_log {root}/error.log notice;
load_module {brotli};
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {root}/access.log;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/consent.conf;
}}
"""
"""What Debian's /etc/nginx/nginx.conf gives the file (modules, mime types, its http block),
with every path in the test's folder and one process in the foreground."""


@contextlib.contextmanager
def nginx_in_front_of(backend: int, root: Path) -> Iterator[Site]:
    """Start nginx with the example in front of the app on port ``backend``, and stop it;
    afterwards no process runs this nginx configuration."""
    root.mkdir()
    conf = root / "nginx.conf"
    cert, key = _certificate(root)
    https_port, http_port = free_port(), free_port()
    (root / "consent.conf").write_text(
        render_example(backend, https_port, http_port, cert, key, root / "cache")
    )
    conf.write_text(MAIN_CONF.format(root=root, brotli=BROTLI_MODULE))
    with contextlib.ExitStack() as stack:
        stderr = stack.enter_context(open(root / "stderr.log", "wb"))
        proc = subprocess.Popen(
            [NGINX, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")],
            stdout=stderr,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stack.callback(_stop, proc)

        def listening() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {proc.returncode}:\n{_logs(root)}")
            try:
                with socket.create_connection(("127.0.0.1", https_port), timeout=1):
                    return True
            except OSError:
                return False

        wait_until(listening, 30, f"nginx on port {https_port}")
        yield Site(https_port, http_port, ssl.create_default_context(cafile=str(cert)))
    assert not _processes_running(conf), "an nginx process outlived the test"
    alerts = [line for line in _logs(root).splitlines() if "[alert]" in line or "[emerg]" in line]
    assert not alerts, alerts


@contextlib.contextmanager
def live_behind_nginx(app: Flask, root: Path) -> Iterator[Site]:
    """``app`` on a live server (werkzeug's, threaded) with nginx in front of it."""
    server = LiveServer(app)
    try:
        with nginx_in_front_of(int(server.url.rsplit(":", 1)[1]), root) as site:
            yield site
    finally:
        server.stop()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (nginx's fast shutdown) to nginx's own process group, SIGKILL if it stays."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _logs(root: Path) -> str:
    """The end of what nginx wrote before and after reading its configuration."""
    logs = [root / "stderr.log", root / "error.log"]
    texts = [path.read_text(errors="replace") for path in logs if path.exists()]
    return "\n".join(t for t in texts if t)[-3000:]


def _processes_running(conf: Path) -> list[int]:
    """Processes whose command line names ``conf``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if str(conf).encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
    return found


def _site_app(tmp_path: Path, *, proxy_fix: bool) -> Flask:
    app = make_app(tmp_path, CONSENT_RECORD_IP=True)
    if proxy_fix:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=1, x_proto=1, x_host=1
        )

    @app.get("/")
    def home() -> str:
        return render_template_string(PAGE, filler="Cookies and consent. " * 40)

    return app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """The site as the example's comment says to set it up: ProxyFix, one proxy deep."""
    return _site_app(tmp_path, proxy_fix=True)


@pytest.fixture
def site(app: Flask, tmp_path: Path) -> Iterator[Site]:
    with live_behind_nginx(app, tmp_path / "nginx") as running:
        yield running


def unbrotli(data: bytes) -> bytes:
    """Brotli-decode with Node's zlib (no brotli decoder in the venv; .ci/run installs Node)."""
    script = (
        "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(0)))"
    )
    return subprocess.run(
        ["node", "-e", script], input=data, capture_output=True, check=True, timeout=60
    ).stdout


def widget_urls(site: Site) -> list[str]:
    """The URL the page links (the widget's script, its stylesheet inside), fetched through
    nginx like a browser."""
    page = site.fetch("GET", "/", {"Accept-Encoding": BR})
    assert page.status == 200
    assert page.header("Content-Encoding") == "br"
    html = unbrotli(page.body).decode()
    urls = re.findall(r'(?:href|src)="(/consent/consent\.(?:css|js)\?[^"]*)"', html)
    assert len(urls) == 1, html
    return [u.replace("&amp;", "&") for u in urls]


def on_demand_urls(app: Flask) -> list[str]:
    """The files a page may load later, as the config names them: the settings dialog's (on
    the first opening) and the stylesheet file (the receipt page's, and older browsers')."""
    config = app.test_client().get("/consent/config?lang=en").get_json()
    return [config["dialog"], config["css"]]


def identity_of(app: Flask, url: str) -> tuple[bytes, str]:
    """What the app itself answers for ``url`` to a client that takes no compression."""
    answer = app.test_client().get(url, headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200 and "Content-Encoding" not in answer.headers
    return answer.data, answer.headers["ETag"]


DECODERS: dict[str | None, Callable[[bytes], bytes]] = {
    "br": unbrotli,
    "gzip": gzip.decompress,
    None: lambda body: body,
}


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [(BR, "br"), ("br", "br"), ("gzip", "gzip"), ("gzip, deflate", "gzip"), (None, None)],
)
def test_the_widget_arrives_compressed_as_accepted_immutable_with_its_etag(
    app: Flask, site: Site, accept: str | None, encoding: str | None
) -> None:
    headers = {} if accept is None else {"Accept-Encoding": accept}
    for url in widget_urls(site) + on_demand_urls(app):
        identity, version_etag = identity_of(app, url)
        first = site.fetch("GET", url, headers)
        assert first.status == 200, url
        assert first.header("Content-Encoding") == encoding, url
        assert DECODERS[encoding](first.body) == identity, url
        if encoding is not None:  # the dialog's file, mostly texts, compresses least
            assert len(first.body) < len(identity) * 0.6, url
        assert first.header("Cache-Control") == IMMUTABLE, url
        assert "Accept-Encoding" in ", ".join(first.headers.get_all("Vary") or []), url
        etag = first.header("ETag") or ""
        expected = {
            "br": f"W/{version_etag}",  # nginx's own compression weakens the SDK's ETag
            "gzip": version_etag[:-1] + '-gzip"',  # the SDK's gzip -9 copy, passed through
            None: version_etag,
        }[encoding]
        assert etag == expected, url
        again = site.fetch("GET", url, {**headers, "If-None-Match": etag})
        assert again.status == 304 and again.body == b"", url
        # nginx answers the 304 before compressing, with the SDK's ETag unweakened.
        assert again.header("ETag") == etag.removeprefix("W/"), url
        assert site.fetch("GET", url, headers).header("X-Cache-Status") == "HIT", url


def test_one_cached_copy_serves_every_encoding_without_mixing_them(app: Flask, site: Site) -> None:
    """nginx keeps the immutable files; whatever order clients come in, each gets its own
    encoding, and once each kind of client has been seen the app is not asked again."""
    [url] = widget_urls(site)
    identity, _ = identity_of(app, url)
    clients = [
        (None, None),
        (BR, "br"),
        ("gzip;q=0, deflate", None),  # refuses gzip: the SDK parses the q-value
        ("gzip", "gzip"),
        (None, None),
        ("gzip, br", "br"),
        ("gzip", "gzip"),
        ("br", "br"),
    ]
    for repeat in (False, True):
        for accept, encoding in clients:
            answer = site.fetch("GET", url, {} if accept is None else {"Accept-Encoding": accept})
            assert answer.status == 200
            assert answer.header("Content-Encoding") == encoding, accept
            assert DECODERS[encoding](answer.body) == identity, accept
            if repeat:
                assert answer.header("X-Cache-Status") == "HIT", accept


def test_an_unversioned_widget_url_is_asked_of_the_app_each_time(site: Site) -> None:
    """``consent.js?lang=lv`` without ``v=`` answers ``no-cache``: nginx does not keep it, so a
    new release of the widget reaches the next page load."""
    url = "/consent/consent.js?lang=lv"
    for _ in range(2):
        answer = site.fetch("GET", url, {"Accept-Encoding": BR})
        assert answer.status == 200 and answer.header("Content-Encoding") == "br"
        assert answer.header("Cache-Control") == "no-cache"
        assert answer.header("X-Cache-Status") == "MISS"
        assert "Piekrist" in unbrotli(answer.body).decode()


def test_json_answers_are_compressed_by_nginx(app: Flask, site: Site) -> None:
    expected = app.test_client().get("/consent/config?lang=lv").json
    for accept, encoding in [(BR, "br"), ("gzip", "gzip"), (None, None)]:
        headers = {} if accept is None else {"Accept-Encoding": accept}
        answer = site.fetch("GET", "/consent/config?lang=lv", headers)
        assert answer.status == 200
        assert answer.header("Content-Encoding") == encoding, accept
        assert json.loads(DECODERS[encoding](answer.body)) == expected, accept
        assert "Accept-Encoding" in (answer.header("Vary") or ""), accept


def test_decisions_from_the_site_pass_and_from_another_origin_are_refused(site: Site) -> None:
    own = {"Origin": site.origin, "Accept-Encoding": BR}
    accepted = site.fetch("POST", "/consent/state", own, {"purposes": {"analytics": True}})
    assert accepted.status == 200, accepted.body
    assert accepted.header("Cache-Control") == "no-store"
    assert json.loads(unbrotli(accepted.body))["purposes"]["analytics"] is True
    cookies = {c.split("=", 1)[0]: c for c in accepted.headers.get_all("Set-Cookie") or []}
    assert "consent" in cookies, cookies
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax"):  # Secure: X-Forwarded-Proto
        assert attribute in cookies["consent"], cookies["consent"]

    # The cookie came through: the next answers are this visitor's, never a cached one.
    assert site.fetch("GET", "/consent/state").json()["purposes"]["analytics"] is True
    changed = site.fetch("POST", "/consent/state", own, {"purposes": {"analytics": False}})
    assert changed.status == 200 and changed.headers.get_all("Set-Cookie")
    assert site.fetch("GET", "/consent/state").json()["purposes"]["analytics"] is False

    foreign = {"Origin": "https://evil.example", "Accept-Encoding": BR}
    refused = site.fetch("POST", "/consent/state", foreign, {"purposes": {"analytics": True}})
    assert refused.status == 403
    assert json.loads(unbrotli(refused.body))["error"] == "forbidden_origin"
    assert refused.header("Set-Cookie") is None
    assert site.fetch("DELETE", "/consent/state", {"Origin": "https://evil.example"}).status == 403
    assert site.fetch("GET", "/consent/state").json()["purposes"]["analytics"] is False

    withdrawn = site.fetch("DELETE", "/consent/state", {"Origin": site.origin})
    assert withdrawn.status == 200 and withdrawn.json()["decided"] is False
    assert "consent" not in site.cookies
    assert site.fetch("GET", "/consent/state").json()["decided"] is False


def test_the_record_keeps_the_visitors_network_not_nginxs_nor_a_forged_one(
    app: Flask, site: Site
) -> None:
    forged = {"Origin": site.origin, "X-Forwarded-For": "203.0.113.9"}
    answer = site.fetch("POST", "/consent/state", forged, {"purposes": {"analytics": True}})
    assert answer.status == 200, answer.body
    with app.app_context():
        consent = app.extensions["consent"].manager
        [record] = consent.history(consent_id_of(app, site.cookies["consent"]))
    assert record["ip_prefix"] == "127.1.2.0"  # VISITOR's /24, from nginx's $remote_addr


def test_without_proxy_fix_decisions_are_refused_and_records_keep_nginxs_address(
    tmp_path: Path,
) -> None:
    """Why the example tells the operator to add ProxyFix."""
    app = _site_app(tmp_path, proxy_fix=False)
    with live_behind_nginx(app, tmp_path / "nginx") as site:
        refused = site.fetch("POST", "/consent/state", {"Origin": site.origin}, {"purposes": {}})
        assert refused.status == 403
        # The Host the browser sent reached the app, port included; only the scheme differs.
        assert refused.json()["expected"] == f"http://{HOST}:{site.https_port}"
        assert "ProxyFix" in refused.json()["message"]
        assert "Set-Cookie" not in refused.headers
        # A client that sends no Origin (not a browser page) is let through, from nginx's address.
        sent = site.fetch("POST", "/consent/state", {}, {"purposes": {"analytics": True}})
        assert sent.status == 200
        assert "Secure" not in (sent.header("Set-Cookie") or "")
        with app.app_context():
            consent = app.extensions["consent"].manager
            [record] = consent.history(consent_id_of(app, site.cookies["consent"]))
        assert record["ip_prefix"] == "127.0.0.0"


def test_under_gunicorn_without_proxy_fix_decisions_pass_but_keep_nginxs_address(
    tmp_path: Path,
) -> None:
    """gunicorn trusts ``X-Forwarded-Proto`` from 127.0.0.1 by itself (``forwarded_allow_ips``),
    so a forgotten ProxyFix goes unnoticed there: only the records show nginx's network."""
    store = default_store(tmp_path)
    env = {"CONSENT_DATABASE_URI": store, "CONSENT_RELIABILITY_INSTANCE": str(tmp_path / "i")}
    server = Gunicorn(env, tmp_path, workers=1)  # tests.reliability.serve: no ProxyFix
    try:
        with nginx_in_front_of(server.port, tmp_path / "nginx") as site:
            body = {"purposes": {"analytics": True}}
            sent = site.fetch("POST", "/consent/state", {"Origin": site.origin}, body)
            assert sent.status == 200, sent.body
            assert "Secure" in (sent.header("Set-Cookie") or "")
    finally:
        server.stop()
    engine = sa.create_engine(store)
    try:
        with engine.connect() as conn:
            prefixes = conn.execute(sa.text("select ip_prefix from consent_records")).scalars()
            assert list(prefixes) == ["127.0.0.0"]
    finally:
        engine.dispose()


def test_metrics_are_refused_to_visitors_and_http_is_sent_to_https(site: Site) -> None:
    assert site.fetch("GET", "/consent/metrics").status == 403
    local = site.fetch("GET", "/consent/metrics", source="127.0.0.1")
    assert local.status == 404 and local.json()["error"] == "not_found"  # the app's answer

    conn = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=30)
    try:
        conn.request("POST", "/consent/state?x=1", headers={"Host": HOST})
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/consent/state?x=1"
