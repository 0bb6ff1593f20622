"""Revision 0006 (issue 20): a store of the release before gets the account links' table on
first use, every record kept, and the tables are then exactly what ``tables.py`` says."""

from __future__ import annotations

from pathlib import Path

from consent_sdk.ledger import migrate
from tests.accounts.accountsite import decide
from tests.ledger.conftest import Site
from tests.ledger.test_migrations import revision, schema_differences, store_at


def test_a_0005_store_gets_the_user_links_keeping_every_record(
    tmp_path: Path, store_url: str
) -> None:
    site = Site(tmp_path, store_url)
    try:
        store_at(store_url, "0005", 3).dispose()
        differences = {(d[0], getattr(d[1], "name", None)) for d in schema_differences(store_url)}
        assert ("add_table", "consent_user_links") in differences
        before = site.sql("select * from consent_records order by id")

        site.decide({"analytics": True})  # first use: upgraded to 0006

        assert revision(store_url) == [migrate.head()] == ["0006"]
        assert schema_differences(store_url) == []
        assert site.sql("select * from consent_records order by id")[:3] == before
        assert site.sql("select count(*) from consent_user_links") == [(0,)]
        assert site.cli("seal", "--grace", "0").exit_code == 0
        assert site.cli("verify").exit_code == 0
    finally:
        site.close()


def test_the_links_can_be_written_on_an_upgraded_store(tmp_path: Path, store_url: str) -> None:
    site = Site(tmp_path, store_url)
    try:
        manager = site.app.extensions["consent"].manager

        @site.app.post("/signin")
        def signin() -> str:
            manager.link_user("customer-7")
            return "ok"

        client = site.app.test_client()
        assert client.post("/signin").status_code == 200
        decide(client, analytics=True)
        assert site.sql("select count(*) from consent_user_links") == [(1,)]
    finally:
        site.close()
