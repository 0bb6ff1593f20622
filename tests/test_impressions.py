"""Banner impressions (issue 18): ``POST /consent/impressions`` counts page views that showed
the banner, per site, UTC day, language and policy version, without any cookie, on SQLite and
PostgreSQL; bad input, foreign pages and floods count nothing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask

from consent_sdk.impressions import Funnel, Shown, count, funnel, shown
from consent_sdk.impressions.funnel import recount
from consent_sdk.ledger import migrate, rollup
from tests.conftest import make_app

URL = "/consent/impressions"
VERSION = "2026-11"


def site(tmp_path: Path, store_url: str, **config: Any) -> Flask:
    settings: dict[str, Any] = {
        "CONSENT_DATABASE_URI": store_url,
        "CONSENT_LANGUAGES": ("lv", "en", "ru"),
        "CONSENT_DEFAULT_LANGUAGE": "lv",
        "CONSENT_POLICY_VERSION": VERSION,
    }
    return make_app(tmp_path, **{**settings, **config})


def beacon(client: Any, body: Any, **kwargs: Any) -> Any:
    """What the widget sends: the JSON as text/plain (no CORS preflight)."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="text/plain;charset=UTF-8", **kwargs)


def today() -> date:
    return datetime.now(UTC).date()


def counted(app: Flask, site_id: str = "default") -> dict[tuple[date, str, str], int]:
    with app.app_context():
        ledger = app.extensions["consent"].ledger
        return shown(ledger, site=site_id, since=date(2000, 1, 1), until=date(9999, 1, 1)).rows


def stored_rows(app: Flask) -> list[dict[str, Any]]:
    """The table as it is, every column: what the count keeps about a page view."""
    with app.app_context():
        engine = app.extensions["consent"].ledger.engine
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select * from consent_impressions")).mappings()
        return [dict(r) for r in rows]


def test_each_page_view_is_counted_per_day_language_and_policy_version(
    tmp_path: Path, store_url: str
) -> None:
    app = site(tmp_path, store_url)
    client = app.test_client()
    for _ in range(3):
        answer = beacon(client, {"language": "lv", "policy_version": VERSION})
        assert answer.status_code == 204 and answer.data == b""
    assert beacon(client, {"language": "en", "policy_version": VERSION, "count": 4}).status_code
    assert client.post(URL, json={"language": "ru", "policy_version": VERSION}).status_code == 204

    day = today()
    assert counted(app) == {
        (day, "en", VERSION): 4,
        (day, "lv", VERSION): 3,
        (day, "ru", VERSION): 1,
    }
    # Nothing but the key and the count is stored: no address, browser, id or time.
    assert {frozenset(r) for r in stored_rows(app)} == {
        frozenset({"site_id", "day", "language", "policy_version", "shown"})
    }
    # The next policy version is counted apart.
    newer = site(tmp_path, store_url, CONSENT_POLICY_VERSION="2027-01")
    assert beacon(newer.test_client(), {"language": "lv", "policy_version": "2027-01"}).status_code
    assert counted(newer)[(day, "lv", "2027-01")] == 1
    assert counted(newer)[(day, "lv", VERSION)] == 3


def test_counting_reads_no_cookie_and_sets_none(tmp_path: Path, store_url: str) -> None:
    app = site(tmp_path, store_url)
    decided = app.test_client()
    assert decided.post("/consent/state", json={"purposes": {"analytics": True}}).status_code == 200
    assert decided.get_cookie("consent") is not None
    fresh = app.test_client()
    body = {"language": "en", "policy_version": VERSION}

    answers = [beacon(decided, body), beacon(fresh, body)]
    answers.append(beacon(fresh, body, headers={"Cookie": "consent=forged; consent_choice=%7B%7D"}))

    for answer in answers:
        assert answer.status_code == 204
        assert "Set-Cookie" not in answer.headers
        assert "Cookie" not in answer.headers.get("Vary", "")
    # The same effect whoever sent it: one more page view each, nothing else.
    assert counted(app) == {(today(), "en", VERSION): 3}
    assert fresh.get_cookie("consent") is None
    consent_id = decided.get_cookie("consent").value
    assert consent_id not in json.dumps(stored_rows(app), default=str)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"language": "de", "policy_version": VERSION}, 400, "language"),
        ({"policy_version": VERSION}, 400, "language"),
        ({"language": "lv"}, 400, "policy_version"),
        ({"language": "lv", "policy_version": "2025-01"}, 409, "policy_version"),
        ({"language": "lv", "policy_version": VERSION, "count": 0}, 400, "count"),
        ({"language": "lv", "policy_version": VERSION, "count": 21}, 400, "count"),
        ({"language": "lv", "policy_version": VERSION, "count": "x"}, 400, "count"),
        ({"language": "lv", "policy_version": VERSION, "count": "3"}, 400, "count"),
        ({"language": "lv", "policy_version": VERSION, "count": True}, 400, "count"),
        ({"language": "lv", "policy_version": VERSION, "count": 2.5}, 400, "count"),
        ({"language": "lv", "policy_version": VERSION, "visitor": "v1"}, 400, "visitor"),
        ("not json", 400, "body"),
        ("", 400, "body"),
        ("[1, 2]", 400, "body"),
        ("[" * 5000, 400, "body"),
        ('{"language": "lv", "policy_version": "' + "x" * 600 + '"}', 400, "body"),
    ],
)
def test_bad_input_is_a_json_error_naming_the_problem_and_counts_nothing(
    tmp_path: Path, store_url: str, body: Any, status: int, field: str
) -> None:
    app = site(tmp_path, store_url)
    answer = beacon(app.test_client(), body)
    assert answer.status_code == status, answer.json
    assert answer.mimetype == "application/json"
    assert field in answer.json["fields"], answer.json
    assert answer.json["message"]
    assert counted(app) == {}


def test_a_body_of_another_type_is_refused(tmp_path: Path, store_url: str) -> None:
    app = site(tmp_path, store_url)
    form = app.test_client().post(URL, data={"language": "lv", "policy_version": VERSION})
    assert form.status_code == 400 and "body" in form.json["fields"]
    assert counted(app) == {}


def test_a_page_of_another_origin_counts_nothing(tmp_path: Path, store_url: str) -> None:
    app = site(tmp_path, store_url, CONSENT_TRUSTED_ORIGINS=["https://shop.example.com"])
    client = app.test_client()
    body = {"language": "lv", "policy_version": VERSION}

    foreign = beacon(client, body, headers={"Origin": "https://evil.example"})
    by_referer = beacon(client, body, headers={"Referer": "https://evil.example/page"})

    for answer in (foreign, by_referer):
        assert answer.status_code == 403 and answer.json["error"] == "forbidden_origin"
    assert counted(app) == {}
    assert beacon(client, body, headers={"Origin": "http://localhost"}).status_code == 204
    assert beacon(client, body, headers={"Origin": "https://shop.example.com"}).status_code == 204
    assert counted(app) == {(today(), "lv", VERSION): 2}


def test_page_views_sent_at_once_from_many_threads_are_all_counted(
    tmp_path: Path, store_url: str
) -> None:
    app = site(tmp_path, store_url)
    counted(app)  # the store is made before the threads race to it

    def visitor(n: int) -> list[int]:
        client = app.test_client()
        body = {"language": ("lv", "en")[n % 2], "policy_version": VERSION, "count": 1 + n % 3}
        return [beacon(client, body).status_code for _ in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [s for answers in pool.map(visitor, range(16)) for s in answers]

    assert statuses == [204] * 160
    expected = {"lv": 0, "en": 0}
    for n in range(16):
        expected[("lv", "en")[n % 2]] += 10 * (1 + n % 3)
    day = today()
    assert counted(app) == {
        (day, "en", VERSION): expected["en"],
        (day, "lv", VERSION): expected["lv"],
    }


def test_impressions_are_limited_apart_from_decisions(tmp_path: Path, store_url: str) -> None:
    app = site(tmp_path, store_url, CONSENT_RATE_LIMIT="3/minute")
    client = app.test_client()
    body = {"language": "lv", "policy_version": VERSION}
    statuses = [beacon(client, body).status_code for _ in range(4)]
    assert statuses == [204, 204, 204, 429]
    refused = beacon(client, body)
    assert refused.json["error"] == "rate_limited" and int(refused.headers["Retry-After"]) > 0
    assert "impressions" in refused.json["message"]
    assert counted(app) == {(today(), "lv", VERSION): 3}
    # An undecided visitor's page views leave their decisions alone.
    assert client.post("/consent/state", json={"purposes": {}}).status_code == 200


def test_a_store_outage_is_a_503_with_retry_after(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'missing' / 'consent.db'}"
    app = make_app(tmp_path, CONSENT_DATABASE_URI=uri, CONSENT_RETRY_AFTER=7)
    version = app.extensions["consent"].config.policy_version
    answer = beacon(app.test_client(), {"language": "en", "policy_version": version})
    assert answer.status_code == 503
    assert answer.json["error"] == "store_unavailable"
    assert answer.headers["Retry-After"] == "7"
    assert "Set-Cookie" not in answer.headers


def test_a_period_is_read_per_day_language_and_version_for_its_site_only(
    tmp_path: Path, store_url: str
) -> None:
    app = site(tmp_path, store_url)
    start = date(2026, 11, 1)
    with app.app_context():
        ledger = app.extensions["consent"].ledger
        for offset, lang, version, n in [
            (0, "lv", "a", 2),
            (0, "en", "a", 1),
            (1, "lv", "a", 5),
            (1, "lv", "b", 3),
            (2, "ru", "b", 7),
            (3, "lv", "b", 11),  # the day after the period
        ]:
            count(
                ledger,
                site="default",
                language=lang,
                policy_version=version,
                n=n,
                day=start + timedelta(offset),
            )
        count(ledger, site="other", language="lv", policy_version="a", n=100, day=start)
        count(
            ledger, site="default", language="lv", policy_version="a", n=1, day=start - timedelta(1)
        )  # the day before

        got = shown(ledger, site="default", since=start, until=start + timedelta(3))
        engine = ledger.engine

    assert got.total == 18
    assert got.by_day == {start: 3, start + timedelta(1): 8, start + timedelta(2): 7}
    assert got.by_language == {"lv": 10, "en": 1, "ru": 7}
    assert got.by_policy_version == {"a": 8, "b": 10}
    assert got.rows[(start + timedelta(1), "lv", "b")] == 3
    # The same from an engine (a CLI, a job); an empty period is zero, not an error.
    assert shown(engine, site="default", since=start, until=start + timedelta(3)) == got
    empty = shown(engine, site="default", since=date(2020, 1, 1), until=date(2020, 2, 1))
    assert empty.total == 0 and empty.rows == {}


def test_a_new_store_gets_the_table_from_revision_0004(tmp_path: Path, store_url: str) -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert scripts.get_revision("0004").down_revision == "0003"
    app = site(tmp_path, store_url)
    with app.app_context():
        engine = app.extensions["consent"].ledger.engine
    with engine.connect() as conn:
        assert migrate.current(conn) == migrate.head()
    inspector = sa.inspect(engine)
    assert inspector.get_pk_constraint("consent_impressions")["constrained_columns"] == [
        "site_id",
        "day",
        "language",
        "policy_version",
    ]
    # Downgrading past 0004 drops the counts and keeps the records.
    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "0003")
    assert not sa.inspect(engine).has_table("consent_impressions")
    assert sa.inspect(engine).has_table("consent_records")


def test_the_openapi_document_describes_the_endpoint(tmp_path: Path, store_url: str) -> None:
    app = site(tmp_path, store_url)
    spec = app.test_client().get("/consent/openapi.json").json
    post = spec["paths"][URL]["post"]
    assert {"204", "400", "403", "409", "429", "503"} <= set(post["responses"])
    assert set(post["requestBody"]["content"]) == {"application/json", "text/plain"}
    props = spec["components"]["schemas"]["Impression"]["properties"]
    assert props["language"]["enum"] == ["lv", "en", "ru"]
    assert props["policy_version"]["enum"] == [VERSION]
    assert (props["count"]["minimum"], props["count"]["maximum"]) == (1, 20)


def test_the_funnel_counts_answers_to_the_banner_and_what_led_to_nothing(
    tmp_path: Path, store_url: str
) -> None:
    app = site(tmp_path, store_url)
    a, b, c, d, e, f = (app.test_client() for _ in range(6))

    def impress(client: Any, version: str = VERSION) -> None:
        assert beacon(client, {"language": "lv", "policy_version": version}).status_code == 204

    def decide(client: Any, action: str | None, source: str, **purposes: bool) -> None:
        body: dict[str, Any] = {"purposes": purposes, "source": source, "language": "lv"}
        if action:
            body["action"] = action
        assert client.post("/consent/state", json=body).status_code == 200

    impress(a)
    decide(a, "accept_all", "banner", analytics=True, marketing=True, preferences=True)
    impress(b)
    impress(b)  # a second page view before choosing
    decide(b, "save", "settings", analytics=True)  # "Customize" from the banner
    impress(c)
    decide(c, "reject_all", "banner")
    decide(c, "save", "settings", analytics=True)  # decided: a change of mind, no banner
    impress(d)  # leaves
    impress(e)
    decide(e, "reject_all", "gpc")  # made by the server: answers no page view
    assert a.delete("/consent/state").status_code == 200
    impress(a)  # withdrawn: asked again
    decide(a, "accept_all", "banner", analytics=True, marketing=True, preferences=True)
    impress(f)
    decide(f, None, "api", analytics=True)  # the site's own button, while the banner shows
    # A new policy version asks C again; C's answer answers that banner.
    newer = site(tmp_path, store_url, CONSENT_POLICY_VERSION="2027-01")
    c2 = newer.test_client()
    c2.set_cookie("consent", c.get_cookie("consent").value)
    impress(c2, "2027-01")
    decide(c2, "reject_all", "banner")

    day = today()
    with app.app_context():
        got = funnel(
            app.extensions["consent"].ledger, site="default", since=day, until=day + timedelta(1)
        )
    assert got.shown.total == 9
    assert got.answered == {"accept_all": 2, "reject_all": 2, "custom": 2}
    assert got.nothing == 3  # B's first page view, D's, E's
    assert got.rows == {
        (day, "lv", VERSION): {"accept_all": 2, "reject_all": 1, "custom": 2},
        (day, "lv", "2027-01"): {"accept_all": 0, "reject_all": 1, "custom": 0},
    }
    # Rolled up (twice: once), then more records after the watermark: the dashboard's funnel
    # (rollup + tail) equals the recount of every record at each step.
    ledger = app.extensions["consent"].ledger
    period: dict[str, Any] = {"site": "default", "since": day, "until": day + timedelta(1)}
    assert recount(ledger, **period) == got
    rollup.run(ledger, grace=0)
    rollup.run(ledger, grace=0)
    assert funnel(ledger, **period) == got == recount(ledger, **period)
    late = app.test_client()
    impress(late)
    decide(late, "reject_all", "banner")
    rolled_and_tail = funnel(ledger, **period)
    assert rolled_and_tail == recount(ledger, **period)
    assert rolled_and_tail.answered == {"accept_all": 2, "reject_all": 3, "custom": 2}
    rollup.run(ledger, grace=0)
    assert funnel(ledger, **period) == rolled_and_tail
    # Another site's records and impressions are not this one's.
    with app.app_context():
        other = funnel(
            app.extensions["consent"].ledger, site="other", since=day, until=day + timedelta(1)
        )
    assert other.shown.total == 0 and sum(other.answered.values()) == 0


def test_lost_impressions_make_nothing_zero_not_negative() -> None:
    lost = Funnel(shown=Shown("s", date(2026, 1, 1), date(2026, 1, 2), total=1))
    lost.answered["accept_all"] = 2
    assert lost.nothing == 0
