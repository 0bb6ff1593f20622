"""Many sites, one store (issue 17): two apps, ``CONSENT_SITE_ID`` "shop" and "blog", on the
same database (one SQLite file; one PostgreSQL schema) and with the same ``SECRET_KEY`` (the
worst case: one company, one secret). Each keeps its receipt signing key in its own instance
folder, as two deployments do.

Every path to the store is driven as a user drives it (the HTTP API, ``flask consent …``), and
each must keep to its own site: the visitor's state and history, receipts, export and stats,
erasure, retention, seal and verify, a replayed event id, and the signed cookie itself.

A consent id is minted per site (each site's own cookie). A release before cookies named their
site let blog adopt shop's consent id from shop's cookie; ``adopted_consent_id`` stores what it
did then, so that the per-site filters are tested on an id both sites hold.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer

from consent_sdk import requires_consent
from consent_sdk.testing import consent_cookie
from tests.conftest import consent_id_of, make_app

SECRET = "one-company-one-secret"
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
YEAR = 365 * 24 * 3600
GRANT = {"analytics": True, "marketing": True}
REFUSE: dict[str, bool] = {}


def _site(tmp_path: Path, site_id: str, url: str, **config: Any) -> Flask:
    """One site: its own instance folder (so its own receipt key), the shared store and secret,
    and a view only a visitor who granted analytics reaches."""
    app = make_app(
        tmp_path / site_id,
        CONSENT_SITE_ID=site_id,
        CONSENT_DATABASE_URI=url,
        SECRET_KEY=SECRET,
        **config,
    )

    @app.get("/tracked")
    @requires_consent("analytics")
    def tracked() -> str:
        return "tracked"

    return app


@dataclass
class Store:
    """The two sites and the database they share, read by hand as its owner would."""

    shop: Flask
    blog: Flask
    engine: sa.Engine

    def sql(self, statement: str, **params: Any) -> Any:
        with self.engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return result.all() if result.returns_rows else result.rowcount

    def rows(self, site: str) -> list[Any]:
        return list(
            self.sql("select * from consent_records where site_id = :s order by id", s=site)
        )


@pytest.fixture
def store(tmp_path: Path, store_url: str) -> Iterator[Store]:
    shared = Store(
        _site(tmp_path, "shop", store_url),
        _site(tmp_path, "blog", store_url),
        sa.create_engine(store_url),
    )
    yield shared
    shared.engine.dispose()
    for app in (shared.shop, shared.blog):
        with app.app_context():
            app.extensions["consent"].ledger.engine.dispose()


def cli(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["consent", *args])


def visitor(app: Flask, address: str = "192.0.2.10") -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address, HTTP_USER_AGENT=FIREFOX)
    return client


def body_of(response: Any) -> dict[str, Any]:
    body = response.json
    assert isinstance(body, dict), response.get_data(as_text=True)
    return body


def decide(
    client: FlaskClient, purposes: dict[str, bool], event_id: str | None = None
) -> dict[str, Any]:
    body = {"purposes": purposes, "event_id": event_id or str(uuid.uuid4())}
    response = client.post("/consent/state", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return body_of(response)


def state(client: FlaskClient) -> dict[str, Any]:
    return body_of(client.get("/consent/state"))


def token(client: FlaskClient) -> str:
    return str(client.get_cookie("consent").value)


def history(client: FlaskClient) -> list[dict[str, Any]]:
    response = client.get("/consent/history")
    assert response.status_code == 200
    return list(response.json["records"])


def receipt(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/consent/receipt.json", headers=NAVIGATE)
    assert response.status_code == 200, response.get_data(as_text=True)
    return body_of(response)


def adopted_consent_id(store: Store) -> tuple[FlaskClient, FlaskClient, str]:
    """A shop visitor, and the same person's blog decision stored under shop's consent id, as
    the release before stored it when blog honoured shop's cookie (blog then signed its own
    cookie with that id). Returns (shop client, blog client, the shared consent id)."""
    shop = visitor(store.shop)
    decide(shop, GRANT)
    shared = consent_id_of(store.shop, shop)
    blog = visitor(store.blog, "198.51.100.7")
    blog.set_cookie("consent", consent_cookie(store.blog, "analytics", consent_id=shared))
    decide(blog, REFUSE)
    assert {r.site_id for r in store.sql("select site_id from consent_records")} == {"shop", "blog"}
    assert {r.consent_id for r in store.sql("select consent_id from consent_records")} == {shared}
    return shop, blog, shared


# --- the visitor's state and history ---------------------------------------------------------


def test_each_site_answers_state_and_history_from_its_own_decisions(store: Store) -> None:
    shop, blog = visitor(store.shop), visitor(store.blog)
    decide(shop, GRANT)
    assert state(blog)["decided"] is False  # shop's decision is not blog's
    decide(blog, REFUSE)
    assert state(shop)["purposes"]["analytics"] is True
    assert state(blog)["purposes"]["analytics"] is False
    assert [r["site_id"] for r in history(shop)] == ["shop"]
    assert [r["site_id"] for r in history(blog)] == ["blog"]
    assert consent_id_of(store.shop, shop) != consent_id_of(store.blog, blog)


def test_history_shows_only_this_sites_records_of_a_consent_id_both_sites_hold(
    store: Store,
) -> None:
    shop, blog, shared = adopted_consent_id(store)
    assert [(r["site_id"], r["granted"]) for r in history(blog)] == [("blog", ["necessary"])]
    assert [r["site_id"] for r in history(shop)] == ["shop"]
    for app, site in ((store.shop, "shop"), (store.blog, "blog")):
        with app.app_context():
            own = app.extensions["consent"].manager.history(shared)
        assert [r["site_id"] for r in own] == [site]
        listed = cli(app, "history", shared)
        assert listed.exit_code == 0, listed.output
        assert [json.loads(line)["site_id"] for line in listed.output.splitlines()] == [site]


# --- the signed cookie -----------------------------------------------------------------------


def test_a_cookie_shop_signed_is_no_decision_on_blog(store: Store) -> None:
    """Same secret, same cookie name: a browser sends shop's cookie to blog when their paths
    or domains overlap (shop at ``/``, blog at ``/blog``), or a person copies it there. Blog
    must ask anew: no state, no gate, no history or receipt, no withdrawal recorded, and its
    own decision gets a consent id of its own."""
    shop = visitor(store.shop)
    decide(shop, GRANT)
    shop_id = consent_id_of(store.shop, shop)
    blog = visitor(store.blog)
    blog.set_cookie("consent", token(shop))

    assert state(blog) == state(visitor(store.blog))  # undecided, like a new visitor
    assert blog.get("/tracked").status_code == 403
    assert history(blog) == []
    assert blog.get("/consent/receipt.json", headers=NAVIGATE).status_code == 404
    assert blog.delete("/consent/state").status_code == 200
    assert store.rows("blog") == []  # no withdrawal recorded on blog under shop's id

    blog.set_cookie("consent", token(shop))
    decide(blog, {"analytics": True})
    assert [r.consent_id != shop_id for r in store.rows("blog")] == [True]
    assert consent_id_of(store.blog, blog) != shop_id
    # Shop still honours its own cookie, and blog's is nothing to shop either.
    assert shop.get("/tracked").status_code == 200
    stranger = visitor(store.shop)
    stranger.set_cookie("consent", token(blog))
    assert stranger.get("/tracked").status_code == 403
    assert state(stranger)["decided"] is False


def test_key_rotation_keeps_each_sites_cookies_and_their_binding(store: Store) -> None:
    shop, blog = visitor(store.shop), visitor(store.blog)
    decide(shop, GRANT)
    decide(blog, GRANT)
    for app in (store.shop, store.blog):
        app.config.update(SECRET_KEY="the-new-secret", SECRET_KEY_FALLBACKS=[SECRET])
    assert shop.get("/tracked").status_code == 200  # signed with the old key, still valid
    assert blog.get("/tracked").status_code == 200
    decide(shop, GRANT)  # signed with the new key now
    crossed = visitor(store.blog)
    crossed.set_cookie("consent", token(shop))
    assert crossed.get("/tracked").status_code == 403


def test_a_cookie_signed_before_cookies_named_their_site_still_counts_there(
    store: Store,
) -> None:
    """Compatibility: the release before signed ``{c, g, d, v, t}`` with no site. Such a
    cookie still counts, so an upgrade asks no visitor of a single site again (the example
    site sets ``CONSENT_SITE_ID="stepahead.lv"``); the next decision keeps the visitor's
    consent id and signs a cookie bound to the site, which the other site refuses."""
    old_id = str(uuid.uuid4())
    serializer = URLSafeSerializer(
        SECRET, salt="consent_sdk.cookie", signer_kwargs={"digest_method": hashlib.sha256}
    )
    old = serializer.dumps(
        {
            "c": old_id,
            "g": ["analytics", "marketing", "necessary", "preferences"],
            "d": [],
            "v": "1",
            "t": int(time.time()) - 3600,
        }
    )
    shop = visitor(store.shop)
    shop.set_cookie("consent", str(old))
    assert state(shop)["decided"] is True
    assert shop.get("/tracked").status_code == 200
    decide(shop, {"analytics": True})
    assert consent_id_of(store.shop, shop) == old_id
    assert [r.consent_id for r in store.rows("shop")] == [old_id]
    crossed = visitor(store.blog)
    crossed.set_cookie("consent", token(shop))
    assert crossed.get("/tracked").status_code == 403


# --- a replayed event id ---------------------------------------------------------------------


def test_an_event_id_recorded_on_shop_is_refused_on_blog_and_leaks_nothing(
    store: Store,
) -> None:
    """Event ids are unique in the store (one table), and the widget makes a new one per
    decision, so a real visitor of blog never sends one of shop's. One sent there anyway (a
    bug, or someone who saw it) is a 409 ``event_id_conflict`` from every blog browser,
    including the one holding shop's cookie: nothing is stored or signed, no cookie is set, the
    answer names neither shop's consent id nor shop's choice, and blog's state is unchanged.
    Shop's own retry of it is still answered with its record (stored once)."""
    shop = visitor(store.shop)
    event_id = str(uuid.uuid4())
    granted = decide(shop, GRANT, event_id)
    shop_id = consent_id_of(store.shop, shop)
    mine = visitor(store.blog)
    decide(mine, REFUSE)
    holding_shops_cookie = visitor(store.blog)
    holding_shops_cookie.set_cookie("consent", token(shop))
    before = {"shop": store.rows("shop"), "blog": store.rows("blog")}

    senders = {"new": visitor(store.blog), "shop's cookie": holding_shops_cookie, "own": mine}
    for name, client in senders.items():
        own_state = state(client)
        answers = [client.post("/consent/state", json={"purposes": GRANT, "event_id": event_id})]
        if name == "own":  # a withdrawal is recorded only for a browser with a cookie of blog's
            answers.append(client.delete("/consent/state", json={"event_id": event_id}))
        for answer in answers:
            body = answer.get_data(as_text=True)
            assert answer.status_code == 409, (name, body)
            assert body_of(answer)["error"] == "event_id_conflict"
            assert "Set-Cookie" not in answer.headers, name
            assert shop_id not in body and "purposes" not in body_of(answer)
        assert state(client) == own_state, name
    assert {"shop": store.rows("shop"), "blog": store.rows("blog")} == before

    assert decide(shop, GRANT, event_id) == granted
    assert len(store.rows("shop")) == 1


# --- receipts --------------------------------------------------------------------------------


def test_a_receipt_holds_only_the_sites_own_records_signed_with_its_own_key(
    store: Store, tmp_path: Path
) -> None:
    shop, blog, shared = adopted_consent_id(store)
    for app in (store.shop, store.blog):
        assert cli(app, "seal", "--grace", "0").exit_code == 0
    for client, app, site in ((shop, store.shop, "shop"), (blog, store.blog, "blog")):
        document = receipt(client)
        records = document["receipt"]["records"]
        assert [r["content"]["site_id"] for r in records] == [site]
        assert [r["chain"]["seal"]["site_id"] for r in records] == [site]
        assert document["receipt"]["subject"]["consent_id"] == shared
        saved = tmp_path / f"{site}-receipt.json"
        saved.write_text(json.dumps(document))
        jwks = tmp_path / f"{site}-jwks.json"
        jwks.write_text(client.get("/consent/jwks.json").get_data(as_text=True))
        checked = cli(app, "verify-receipt", str(saved), "--jwks", str(jwks))
        assert checked.exit_code == 0, checked.output
        assert cli(app, "verify-receipt", str(saved)).exit_code == 0  # matches the ledger
        by_cli = json.loads(cli(app, "receipt", "--consent-id", shared).output)
        assert [r["content"]["site_id"] for r in by_cli["receipt"]["records"]] == [site]
    # Each site vouches for its own receipts only: shop's key does not check blog's.
    foreign = cli(store.shop, "verify-receipt", str(tmp_path / "blog-receipt.json"))
    assert foreign.exit_code == 1
    assert "not one of the published keys" in foreign.output


# --- erasure ---------------------------------------------------------------------------------


def test_erasure_on_one_site_leaves_the_other_sites_records(store: Store) -> None:
    """A request for erasure comes to a site about the consent id in its cookie: that site
    erases its own records of it. Blog's record under the same id (adopted from shop's cookie
    by the release before) keeps its fields, and both chains still verify."""
    _, _, shared = adopted_consent_id(store)
    only_shop = visitor(store.shop, "192.0.2.99")
    decide(only_shop, GRANT)
    for app in (store.shop, store.blog):
        assert cli(app, "seal", "--grace", "0").exit_code == 0

    elsewhere = cli(store.blog, "erase", "--consent-id", consent_id_of(store.shop, only_shop))
    assert elsewhere.exit_code == 1
    assert "no records for consent id" in elsewhere.output
    erased = cli(store.shop, "erase", "--consent-id", shared)
    assert erased.exit_code == 0, erased.output
    assert "erased the personal fields of 1 records" in erased.output

    [blogs] = store.rows("blog")
    assert (blogs.ip_prefix, blogs.browser, blogs.erased_at) == ("198.51.100.0", "Firefox", None)
    fields = [(r.consent_id == shared, r.ip_prefix, r.browser) for r in store.rows("shop")]
    assert fields == [(True, None, None), (False, "192.0.2.0", "Firefox")]
    for app in (store.shop, store.blog):
        verified = cli(app, "verify")
        assert verified.exit_code == 0, verified.output
    # What blog gives out about that id (Art. 15) is its own record, unerased.
    exported = json.loads(cli(store.blog, "export", "--consent-id", shared).output)
    assert [(r["site_id"], r["browser"]) for r in exported["records"]] == [("blog", "Firefox")]


# --- export and stats ------------------------------------------------------------------------


def _jsonl(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_export_and_stats_keep_to_the_site_unless_asked_for_another_or_all(
    store: Store,
) -> None:
    """Without ``--site`` a command works on its own site, as every view does: the sites ask
    for different things, so mixing their grant rates means nothing. ``--site`` picks another
    site, ``--all-sites`` takes the whole store (e.g. a company-wide audit)."""
    for n in range(2):
        decide(visitor(store.shop, f"192.0.2.{n + 1}"), {"analytics": True})
    decide(visitor(store.blog), REFUSE)

    def sites_of(*args: str) -> list[str]:
        return [r["site_id"] for r in _jsonl(cli(store.shop, "export", "--format", "jsonl", *args))]

    assert sites_of() == ["shop", "shop"]
    assert sites_of("--site", "blog") == ["blog"]
    assert sorted(sites_of("--all-sites")) == ["blog", "shop", "shop"]
    csv = cli(store.blog, "export")
    assert csv.exit_code == 0 and len(csv.output.splitlines()) == 2  # header + blog's one
    both = cli(store.shop, "export", "--site", "blog", "--all-sites")
    assert both.exit_code == 2 and "not both" in both.output

    def figures(app: Flask, *args: str) -> dict[str, Any]:
        result = cli(app, "stats", *args)
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    shop, blog = figures(store.shop), figures(store.blog)
    assert (shop["decisions"], shop["grant_rate"]["analytics"]) == (2, 1.0)
    assert (blog["decisions"], blog["grant_rate"]["analytics"]) == (1, 0.0)
    whole = figures(store.blog, "--all-sites")
    assert (whole["decisions"], whole["grant_rate"]["analytics"]) == (3, round(2 / 3, 4))


# --- seal and verify -------------------------------------------------------------------------


def test_each_site_seals_and_verifies_its_own_chain(store: Store) -> None:
    """Each site signs its seals with its own key: sealing shop must not seal blog's records
    (blog could not check those seals), verifying blog walks blog's chain only, and tampering
    is reported by the site whose record it is, never by the other."""
    for n in range(4):
        decide(visitor(store.shop if n % 2 == 0 else store.blog), {"analytics": n < 2})
    sealed = cli(store.shop, "seal", "--grace", "0")
    assert sealed.exit_code == 0, sealed.output
    assert "shop: seal 1: 2 records" in sealed.output and "blog:" not in sealed.output
    pending = cli(store.blog, "verify")
    assert pending.exit_code == 0, pending.output
    assert "0 sealed records intact in 0 seals" in pending.output
    assert "2 not sealed yet" in pending.output

    assert "blog: seal 1: 2 records" in cli(store.blog, "seal", "--grace", "0").output
    decide(visitor(store.blog), GRANT)
    decide(visitor(store.shop), GRANT)
    for app, site in ((store.shop, "shop"), (store.blog, "blog")):
        again = cli(app, "seal", "--grace", "0")
        assert f"{site}: seal 2: 1 records" in again.output, again.output
        verified = cli(app, "verify")
        assert verified.exit_code == 0, verified.output
        assert "3 sealed records intact in 2 seals" in verified.output

    altered = {}
    for app, site in ((store.blog, "blog"), (store.shop, "shop")):
        altered[site] = store.rows(site)[0].id
        store.sql("update consent_records set action = 'forged' where id = :i", i=altered[site])
        broken = cli(app, "verify")
        assert broken.exit_code == 1
        assert broken.output.count("BROKEN") == 1  # its own record, not the other site's
        assert f"BROKEN {site}: record {altered[site]}: altered" in broken.output
        if site == "blog":
            assert cli(store.shop, "verify").exit_code == 0, "blog's tampering broke shop"


# --- retention -------------------------------------------------------------------------------


def test_each_site_purges_only_its_own_records_and_both_still_verify(store: Store) -> None:
    """Both sites keep records for the same time; when it has passed, shop's purge deletes
    shop's records only (its tombstone is signed with shop's key, which blog cannot check),
    and blog's records wait for blog's own purge."""
    with time_machine.travel(1_700_000_000, tick=False):
        for n in range(2):
            decide(visitor(store.shop, f"192.0.2.{n + 1}"), GRANT)
            decide(visitor(store.blog, f"198.51.100.{n + 1}"), REFUSE)
        for app in (store.shop, store.blog):
            assert cli(app, "seal", "--grace", "0").exit_code == 0
    with time_machine.travel(1_700_000_000 + 6 * YEAR + 1, tick=False):
        assert "would delete 2 records" in cli(store.shop, "purge", "--dry-run").output
        assert "deleted 2 records" in cli(store.shop, "purge").output
        assert store.rows("shop") == [] and len(store.rows("blog")) == 2
        for app, purged in ((store.shop, 2), (store.blog, 0)):
            verified = cli(app, "verify")
            assert verified.exit_code == 0, verified.output
            assert f"{purged} purged by retention" in verified.output
        assert "deleted 2 records" in cli(store.blog, "purge").output
        assert store.rows("blog") == []
        for app in (store.shop, store.blog):
            verified = cli(app, "verify")
            assert verified.exit_code == 0, verified.output
            assert "2 purged by retention" in verified.output
