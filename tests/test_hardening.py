"""Issue 16: what a hostile or broken client, or a broken database, must not do to the API.

Non-UTF-8 cookies, broken chunked bodies, a store outage, OPTIONS on gated views, what page
scripts can read (no consent id, no event id), rate limits on writes, paging of the history,
security headers, the OpenAPI enums, and the message behind an untrusted TLS proxy. Cases
werkzeug's test client cannot make (raw bytes, broken chunked framing) go over a real socket
to a werkzeug server in a thread.
"""

from __future__ import annotations

import hashlib
import json
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string

from consent_sdk import ConfigurationError, StoreUnavailable, consent_given, requires_consent
from consent_sdk.config import DEFAULTS
from consent_sdk.testing import consent_cookie
from tests.conftest import PURPOSES, LiveServer, consent_id_of, default_store, make_app

BANNER_PAGE = "<!doctype html><html lang='en'><head>{{ consent_banner() }}</head><body>hi</body>"


def site(tmp_path: Path, **config: Any) -> Flask:
    """``make_app`` plus a page with the banner and a gated view, as a host site has them."""
    app = make_app(tmp_path, **config)

    @app.get("/")
    def home() -> str:
        return render_template_string(BANNER_PAGE)

    @app.get("/gated")
    @requires_consent("analytics")
    def gated() -> str:
        return "granted"

    return app


def raw_request(server: LiveServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as it is on a socket of its own; the status, headers and body back."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def _records(app: Flask) -> int:
    with app.app_context(), app.extensions["consent"].ledger.engine.connect() as conn:
        return int(conn.execute(sa.text("select count(*) from consent_records")).scalar_one())


# --- 1. a cookie that is not UTF-8 --------------------------------------------------------


@pytest.mark.parametrize("beside", ["other=\xff\xfe", 'quoted="\\377"', "x=caf\xe9"])
def test_a_non_utf8_cookie_beside_a_valid_consent_cookie_breaks_nothing(
    tmp_path: Path, beside: str
) -> None:
    app = site(tmp_path)
    token = consent_cookie(app, "analytics")
    client = app.test_client(use_cookies=False)  # the header as given, no cookie jar
    cookie = {"Cookie": f"{beside}; consent={token}"}
    assert client.get("/", headers=cookie).status_code == 200
    assert client.get("/gated", headers=cookie).text == "granted"
    state = client.get("/consent/state", headers=cookie)
    assert state.status_code == 200 and state.json["purposes"]["analytics"] is True
    assert client.get("/consent/history", headers=cookie).status_code == 200
    posted = client.post("/consent/state", json={"purposes": {}}, headers=cookie)
    assert posted.status_code == 200 and posted.json["purposes"]["analytics"] is False
    withdrawn = client.delete("/consent/state", headers=cookie)
    assert withdrawn.status_code == 200 and withdrawn.json["decided"] is False


def test_a_consent_cookie_that_is_not_utf8_is_no_decision(tmp_path: Path) -> None:
    app = site(tmp_path)
    token = consent_cookie(app, "analytics")
    client = app.test_client(use_cookies=False)
    cookie = {"Cookie": f"consent={token[:-3]}\xff\xfe\xe9"}
    assert client.get("/", headers=cookie).status_code == 200
    assert client.get("/gated", headers=cookie).status_code == 403
    assert client.get("/consent/state", headers=cookie).json["decided"] is False
    assert client.get("/consent/history", headers=cookie).json["records"] == []
    assert client.delete("/consent/state", headers=cookie).status_code == 200
    assert _records(app) == 0  # an unreadable cookie withdraws nothing
    assert client.post("/consent/state", json={"purposes": {}}, headers=cookie).status_code == 200


def test_raw_non_utf8_bytes_in_the_cookie_header_over_a_real_socket(
    tmp_path: Path, live_server: Callable[[Flask], LiveServer]
) -> None:
    app = site(tmp_path)
    token = consent_cookie(app, "analytics").encode()
    server = live_server(app)
    for path in (b"/", b"/gated", b"/consent/state", b"/consent/history"):
        status, _, body = raw_request(
            server,
            b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Cookie: junk=\xff\xc3\x28; consent=" + token + b"\r\n\r\n",
        )
        assert status == 200, (path, body)
    status, _, body = raw_request(
        server,
        b"GET /consent/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Cookie: junk=\xff; consent=" + token + b"\r\n\r\n",
    )
    assert json.loads(body)["purposes"]["analytics"] is True


# --- 2. a broken chunked body -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\n{}\r\n0\r\n\r\n",  # a chunk size that is not hex
        b'3\r\n{"pur\r\n0\r\n\r\n',  # 3 bytes announced, 5 sent: no CRLF where it must be
        b"-1\r\n{}\r\n0\r\n\r\n",  # a negative size
    ],
)
def test_a_malformed_chunked_body_is_a_400_json_not_a_500(
    tmp_path: Path, live_server: Callable[[Flask], LiveServer], body: bytes
) -> None:
    app = site(tmp_path)
    server = live_server(app)
    status, headers, answer = raw_request(
        server,
        b"POST /consent/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
    )
    assert status == 400, answer
    assert headers["content-type"] == "application/json"
    assert json.loads(answer)["error"] == "invalid_request"
    assert "set-cookie" not in headers
    assert _records(app) == 0


def test_a_well_formed_chunked_body_is_accepted(
    tmp_path: Path, live_server: Callable[[Flask], LiveServer]
) -> None:
    server = live_server(site(tmp_path))
    body = b'{"purposes": {"analytics": true}}'
    status, _, answer = raw_request(
        server,
        b"POST /consent/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}".encode()
        + b"\r\n"
        + body
        + b"\r\n0\r\n\r\n",
    )
    assert status == 200, answer
    assert json.loads(answer)["purposes"]["analytics"] is True


def test_deeply_nested_json_is_still_a_400(client: Any) -> None:
    body = '{"purposes": ' + "[" * 2000 + "]" * 2000 + "}"
    response = client.post("/consent/state", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


# --- 3. the store is down -----------------------------------------------------------------

DOWN = {
    "postgres_nobody_listens": "postgresql+psycopg://postgres@127.0.0.1:1/x",
    "sqlite_cannot_be_opened": "sqlite:///{tmp}/no/such/folder/consent.db",
}


def _assert_unavailable(response: Any, retry_after: str = "5") -> None:
    assert response.status_code == 503, response.data
    assert response.mimetype == "application/json"
    assert response.json["error"] == "store_unavailable"
    assert response.json["message"]
    assert "127.0.0.1" not in response.text and "sqlite" not in response.text
    assert response.headers["Retry-After"] == retry_after
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("uri", DOWN.values(), ids=DOWN.keys())
def test_a_store_outage_is_a_503_with_retry_after_and_pages_still_work(
    tmp_path: Path, uri: str
) -> None:
    app = site(tmp_path, CONSENT_DATABASE_URI=uri.format(tmp=tmp_path))
    given: list[Any] = []
    client = app.test_client()
    with consent_given.connected_to(lambda sender, **kw: given.append(kw), app):
        _assert_unavailable(client.post("/consent/state", json={"purposes": {"analytics": True}}))
        client.set_cookie("consent", consent_cookie(app, "analytics"))
        _assert_unavailable(client.delete("/consent/state"))
        _assert_unavailable(client.get("/consent/history"))
    assert given == []
    # The cookie the visitor had is untouched: the withdrawal was not recorded.
    assert client.get_cookie("consent") is not None
    # Pages, gated views and the widget's reads never touch the database.
    assert client.get("/").status_code == 200
    assert client.get("/gated").text == "granted"
    assert client.get("/consent/state").json["purposes"]["analytics"] is True
    assert client.get("/consent/config").status_code == 200
    assert app.test_client().get("/gated").status_code == 403


def test_retry_after_is_configurable(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        CONSENT_DATABASE_URI=DOWN["postgres_nobody_listens"],
        CONSENT_RETRY_AFTER=17,
    )
    _assert_unavailable(app.test_client().post("/consent/state", json={"purposes": {}}), "17")
    assert DEFAULTS["CONSENT_RETRY_AFTER"] == 5


def test_after_an_outage_nothing_half_written_remains(tmp_path: Path) -> None:
    """The SQLite file's folder is missing, then made: the decisions refused while it was
    missing left no record and no texts; the one accepted after it is there once."""
    folder = tmp_path / "later"
    uri = f"sqlite:///{folder / 'consent.db'}"
    app = make_app(tmp_path, CONSENT_DATABASE_URI=uri)
    client = app.test_client()
    for _ in range(2):
        _assert_unavailable(client.post("/consent/state", json={"purposes": {"analytics": True}}))
    assert not folder.exists()
    folder.mkdir()
    event_id = str(uuid.uuid4())
    answer = client.post("/consent/state", json={"purposes": {}, "event_id": event_id})
    assert answer.status_code == 200
    engine = sa.create_engine(uri)
    with engine.connect() as conn:
        records = conn.execute(sa.text("select event_id from consent_records")).all()
        texts = conn.execute(sa.text("select count(*) from consent_texts")).scalar_one()
    engine.dispose()
    assert [r[0] for r in records] == [event_id] and texts == 1


@pytest.mark.parametrize(
    "error",
    [
        sa.exc.OperationalError("insert", {}, Exception("server closed the connection")),
        sa.exc.InterfaceError("connect", {}, Exception("connection already closed")),
        sa.exc.DisconnectionError("dropped"),
        sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    ],
    ids=["operational", "interface", "disconnection", "pool_timeout"],
)
def test_connection_level_errors_are_503(
    app: Flask, client: Any, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def fail(*_: Any, **__: Any) -> Any:
        raise error

    monkeypatch.setattr(app.extensions["consent"].ledger, "record", fail)
    monkeypatch.setattr(app.extensions["consent"].ledger, "history", fail)
    _assert_unavailable(client.post("/consent/state", json={"purposes": {}}))
    client.set_cookie("consent", consent_cookie(app, "analytics"))
    _assert_unavailable(client.get("/consent/history"))
    assert StoreUnavailable(5).code == 503


@pytest.mark.parametrize(
    "error",
    [
        sa.exc.IntegrityError("insert", {}, Exception("duplicate key")),
        sa.exc.ProgrammingError("select", {}, Exception("syntax error")),
    ],
    ids=["integrity", "programming"],
)
def test_bugs_are_not_disguised_as_an_outage(
    app: Flask, client: Any, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def fail(*_: Any, **__: Any) -> Any:
        raise error

    monkeypatch.setattr(app.extensions["consent"].ledger, "record", fail)
    with pytest.raises(type(error)):  # TESTING propagates it: in production, a 500
        client.post("/consent/state", json={"purposes": {}})


# --- 4. OPTIONS on a gated view -----------------------------------------------------------


def test_options_never_runs_a_gated_view_without_consent(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    ran: list[str] = []

    @app.route("/own-options", methods=["GET", "OPTIONS"])
    @requires_consent("analytics")
    def own_options() -> str:
        ran.append("own")
        return "the view's own answer"

    @app.get("/automatic")
    @requires_consent("analytics")
    def automatic() -> str:
        ran.append("automatic")
        return "ran"

    client = app.test_client()
    for path in ("/own-options", "/automatic"):
        answer = client.options(path)
        assert answer.status_code == 200
        assert "GET" in answer.headers["Allow"] and answer.text == ""
    assert ran == []
    client.set_cookie("consent", consent_cookie(app, "analytics"))
    assert client.options("/own-options").text == "the view's own answer"
    assert ran == ["own"]


# --- 5. what page scripts can read --------------------------------------------------------


def test_state_and_history_tell_scripts_no_consent_id_and_no_event_id(
    app: Flask, client: Any
) -> None:
    event_ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    answers = [
        client.post("/consent/state", json={"purposes": {"analytics": True}, "event_id": e})
        for e in event_ids
    ]
    consent_id = consent_id_of(app, client)
    answers += [client.get("/consent/state"), client.get("/consent/history")]
    for answer in answers:
        assert answer.status_code == 200
        assert "consent_id" not in answer.json
        for secret in (consent_id, *event_ids):
            assert secret not in answer.text
    history = answers[-1].json
    assert set(history) == {"records", "older"}
    refs = [r["reference"] for r in history["records"]]
    assert refs == [hashlib.sha256(e.encode()).hexdigest()[:12] for e in event_ids]
    for record in history["records"]:
        assert "event_id" not in record and "consent_id" not in record
    withdrawn = client.delete("/consent/state")
    assert "consent_id" not in withdrawn.json and consent_id not in withdrawn.text
    with app.app_context():  # the site's own Python still has them
        stored = app.extensions["consent"].manager.history(consent_id)
    assert [r["event_id"] for r in stored][:2] == event_ids


def test_openapi_state_and_record_schemas_carry_no_ids(client: Any) -> None:
    schemas = client.get("/consent/openapi.json").json["components"]["schemas"]
    assert "consent_id" not in schemas["State"]["properties"]
    assert "consent_id" not in schemas["History"]["properties"]
    assert not {"consent_id", "event_id"} & set(schemas["Record"]["properties"])
    assert "reference" in schemas["Record"]["properties"]


# --- 6. rate limits on writes and paging of the history -----------------------------------


def test_writes_are_limited_per_client_and_reads_are_not(tmp_path: Path) -> None:
    app = site(tmp_path, CONSENT_RATE_LIMIT="3/minute")
    client = app.test_client()
    statuses = [client.post("/consent/state", json={"purposes": {}}).status_code for _ in range(2)]
    statuses.append(client.delete("/consent/state").status_code)  # withdrawals count too
    refused = client.post("/consent/state", json={"purposes": {"analytics": True}})
    assert statuses == [200, 200, 200] and refused.status_code == 429
    assert refused.mimetype == "application/json"
    assert refused.json["error"] == "rate_limited" and refused.json["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in refused.headers
    assert client.delete("/consent/state").status_code == 429
    assert _records(app) == 3  # two decisions and one withdrawal
    # The widget's reads and the site's pages are not counted.
    for path in ("/consent/state", "/consent/config", "/consent/consent.js", "/consent/history"):
        assert [client.get(path).status_code for _ in range(10)] == [200] * 10, path
    assert client.get("/").status_code == 200
    # Another client has its own budget.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert other.post("/consent/state", json={"purposes": {}}).status_code == 200


def test_the_default_limit_is_30_a_minute(tmp_path: Path) -> None:
    assert DEFAULTS["CONSENT_RATE_LIMIT"] == "30/minute;300/hour"
    assert DEFAULTS["CONSENT_RATE_LIMIT_STORAGE_URI"] == "memory://"
    app = make_app(tmp_path, CONSENT_RATE_LIMIT=DEFAULTS["CONSENT_RATE_LIMIT"])
    client = app.test_client()
    statuses = [client.post("/consent/state", json={"purposes": {}}).status_code for _ in range(31)]
    assert statuses == [200] * 30 + [429]


def test_the_limit_can_be_switched_off(tmp_path: Path) -> None:
    client = make_app(tmp_path, CONSENT_RATE_LIMIT=None).test_client()
    statuses = [client.post("/consent/state", json={"purposes": {}}).status_code for _ in range(40)]
    assert statuses == [200] * 40


def test_instances_sharing_redis_share_one_budget(tmp_path: Path) -> None:
    """Two app instances (as behind a load balancer) count one client's writes together."""
    shared = {
        "CONSENT_RATE_LIMIT": "3/minute",
        "CONSENT_RATE_LIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "CONSENT_SITE_ID": f"test-{uuid.uuid4()}",  # keys of their own on a shared Redis
        "CONSENT_DATABASE_URI": default_store(tmp_path),
    }
    one, two = (make_app(tmp_path / name, **shared).test_client() for name in ("one", "two"))
    statuses = [
        client.post("/consent/state", json={"purposes": {}}).status_code
        for client in (one, two, one, two, one)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    refused = two.post("/consent/state", json={"purposes": {}})
    assert refused.json["error"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1


def test_an_unreachable_limit_storage_does_not_block_decisions(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(
        tmp_path,
        CONSENT_RATE_LIMIT="1/minute",
        CONSENT_RATE_LIMIT_STORAGE_URI="redis://127.0.0.1:1",
    )
    client = app.test_client()
    assert [client.post("/consent/state", json={"purposes": {}}).status_code for _ in range(2)] == [
        200,
        200,
    ]
    assert "rate limit storage failed" in caplog.text


@pytest.mark.parametrize(
    "setting",
    [
        {"CONSENT_RATE_LIMIT": "lots"},
        {"CONSENT_RATE_LIMIT": 30},
        {"CONSENT_RATE_LIMIT": "3/minute", "CONSENT_RATE_LIMIT_STORAGE_URI": "nosuch://x"},
        {"CONSENT_RETRY_AFTER": 0},
    ],
)
def test_bad_limit_settings_fail_at_start_up(tmp_path: Path, setting: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=list(setting)[-1]):
        make_app(tmp_path, **setting)


def test_history_comes_a_page_at_a_time(app: Flask, client: Any) -> None:
    event_ids = [str(uuid.uuid4()) for _ in range(5)]
    for n, event_id in enumerate(event_ids):
        body = {"purposes": {"analytics": n % 2 == 0}, "event_id": event_id}
        assert client.post("/consent/state", json=body).status_code == 200
    refs = [hashlib.sha256(e.encode()).hexdigest()[:12] for e in event_ids]

    def page(query: str) -> tuple[list[str], str | None]:
        body = client.get("/consent/history" + query).json
        return [r["reference"] for r in body["records"]], body["older"]

    assert page("") == (refs, None)  # default 50: everything, oldest first
    assert page("?limit=2") == (refs[3:], refs[3])
    assert page(f"?limit=2&before={refs[3]}") == (refs[1:3], refs[1])
    assert page(f"?limit=2&before={refs[1]}") == (refs[:1], None)
    assert page(f"?before={refs[0]}") == ([], None)
    for bad in ("?limit=0", "?limit=201", "?limit=x", "?before=short", "?before=0123456789ab"):
        answer = client.get("/consent/history" + bad)
        assert answer.status_code == 400, bad
        assert answer.json["error"] == "invalid_request" and answer.json["fields"], bad
    assert client.get("/consent/history?limit=200").status_code == 200


def test_openapi_documents_the_history_pages_and_the_write_errors(client: Any) -> None:
    spec = client.get("/consent/openapi.json").json
    history = spec["paths"]["/consent/history"]["get"]
    params = {p["name"]: p["schema"] for p in history["parameters"]}
    assert params["limit"]["default"] == 50 and params["limit"]["maximum"] == 200
    assert "before" in params
    for method in ("post", "delete"):
        responses = spec["paths"]["/consent/state"][method]["responses"]
        assert {"400", "403", "429", "503"} <= set(responses)
        assert "Retry-After" in responses["429"]["headers"]
        assert "Retry-After" in responses["503"]["headers"]


# --- 7. headers ---------------------------------------------------------------------------


def test_every_answer_of_the_api_is_nosniff(app: Flask, client: Any) -> None:
    answers = [
        client.get(path)
        for path in (
            "/consent/consent.js",
            "/consent/consent.css",
            "/consent/config",
            "/consent/state",
            "/consent/history",
            "/consent/openapi.json",
            "/consent/history?limit=0",
        )
    ]
    answers += [
        client.post("/consent/state", json={"purposes": {}}),
        client.post("/consent/state", json={"purposes": {"nope": True}}),
        client.post("/consent/state", json={}, headers={"Origin": "https://evil.example"}),
        client.delete("/consent/state"),
    ]
    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.request.path


def test_state_and_history_are_never_stored_by_a_cache(client: Any) -> None:
    for answer in (
        client.get("/consent/state"),
        client.post("/consent/state", json={"purposes": {}}),
        client.get("/consent/history"),
        client.delete("/consent/state"),
    ):
        assert answer.headers["Cache-Control"] == "no-store", answer.request.path


# --- 8. the OpenAPI document names the purposes and languages -----------------------------


def test_openapi_lists_the_purposes_and_languages_as_enums(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_LANGUAGES=("lv", "en"), CONSENT_DEFAULT_LANGUAGE="lv")
    client = app.test_client()
    schemas = client.get("/consent/openapi.json").json["components"]["schemas"]
    purposes = schemas["Decision"]["properties"]["purposes"]
    ids = [p if isinstance(p, str) else p["id"] for p in PURPOSES]
    assert sorted(purposes["properties"]) == sorted(ids)
    assert purposes["additionalProperties"] is False
    for name in ("Decision", "Withdrawal"):
        assert schemas[name]["properties"]["language"]["enum"] == ["lv", "en", None]
    # Every request the spec calls valid is accepted.
    body = {
        "purposes": {p: True for p in purposes["properties"]},
        "language": schemas["Decision"]["properties"]["language"]["enum"][0],
        "source": schemas["Decision"]["properties"]["source"]["enum"][0],
        "action": schemas["Decision"]["properties"]["action"]["enum"][0],
        "event_id": str(uuid.uuid4()),
        "gpc": False,
    }
    assert client.post("/consent/state", json=body).status_code == 200
    assert client.delete("/consent/state", json={"language": "en"}).status_code == 200


# --- 9. behind a TLS proxy that is not trusted --------------------------------------------


def test_a_scheme_only_mismatch_names_the_untrusted_tls_proxy_and_proxyfix(client: Any) -> None:
    answer = client.post(
        "/consent/state",
        json={"purposes": {}},
        headers={"Origin": "https://www.example.com"},
        base_url="http://www.example.com",
    )
    assert answer.status_code == 403 and answer.json["error"] == "forbidden_origin"
    message = answer.json["message"]
    for part in ("only the scheme differs", "TLS proxy", "werkzeug's ProxyFix", "x_proto=1"):
        assert part in message, part
    # Another host is not called a proxy problem of the scheme.
    other = client.post(
        "/consent/state",
        json={"purposes": {}},
        headers={"Origin": "https://evil.example"},
        base_url="http://www.example.com",
    )
    assert other.status_code == 403 and "only the scheme" not in other.json["message"]
