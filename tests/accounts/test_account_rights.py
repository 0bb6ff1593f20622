"""A customer's rights by their user id (issue 20): ``flask consent export --user`` and
``erase --user`` find every browser of the account by the same keyed hash, erasure removes
the links, and the ledger still verifies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import Result
from flask import Flask

from consent_sdk.schemas import RECORD_SOURCES
from tests.accounts.accountsite import ANNA, BORIS, decide, rows, shop, sign_in
from tests.conftest import consent_id_of


def cli(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["consent", *args])


def two_browsers_and_a_stranger(app: Flask) -> tuple[Any, Any, Any]:
    phone, laptop, boris = app.test_client(), app.test_client(), app.test_client()
    for client in (phone, laptop, boris):
        client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) "
        client.environ_base["HTTP_USER_AGENT"] += "Gecko/20100101 Firefox/120.0"
    sign_in(phone)
    decide(phone, analytics=True, marketing=True)
    sign_in(laptop)
    decide(laptop, marketing=False)
    assert phone.get("/marketing").status_code == 403  # followed: one more account record
    sign_in(boris, "boris")
    decide(boris, analytics=True)
    return phone, laptop, boris


def test_export_by_user_gives_every_browser_of_the_account_and_nothing_of_others(
    tmp_path: Path,
) -> None:
    app = shop(tmp_path)
    phone, laptop, boris = two_browsers_and_a_stranger(app)

    result = cli(app, "export", "--user", ANNA)

    assert result.exit_code == 0, result.output
    account = json.loads(result.output)
    assert account["consent_ids"] == [consent_id_of(app, phone), consent_id_of(app, laptop)]
    assert [
        (r["source"], r["consent_id"] == account["consent_ids"][0]) for r in account["records"]
    ] == [("banner", True), ("account", False), ("banner", False), ("account", True)]
    assert consent_id_of(app, boris) not in result.output
    assert ANNA not in result.output  # only its keyed hash
    assert all(t is not None for t in account["texts"].values())


def test_erase_by_user_erases_every_browser_removes_the_links_and_the_ledger_verifies(
    tmp_path: Path,
) -> None:
    app = shop(tmp_path)
    phone, laptop, boris = two_browsers_and_a_stranger(app)
    assert cli(app, "seal", "--grace", "0").exit_code == 0

    result = cli(app, "erase", "--user", ANNA)

    assert result.exit_code == 0, result.output
    assert "erased the personal fields of 4 records of 2 browsers" in result.output
    ids = (consent_id_of(app, phone), consent_id_of(app, laptop))
    erased = rows(
        app, "select consent_id, browser, ip_prefix, erased_at is not null from consent_records"
    )
    assert all(b is None and ip is None and e for c, b, ip, e in erased if c in ids)
    assert [b for c, b, _ip, _e in erased if c == consent_id_of(app, boris)] == ["Firefox"]
    assert rows(app, "select count(*) from consent_user_links") == [(1,)]  # Boris's
    verified = cli(app, "verify")
    assert verified.exit_code == 0, verified.output
    assert "the ledger verifies" in verified.output
    assert cli(app, "seal", "--grace", "0").exit_code == 0
    assert cli(app, "verify").exit_code == 0
    # The account's past is forgotten; the browsers keep their own cookies.
    assert cli(app, "export", "--user", ANNA).exit_code == 1
    assert laptop.get("/marketing").status_code == 403
    assert phone.get("/consent/state").json["decided"] is True


def test_export_and_erase_by_an_unknown_user_say_so_in_one_line(tmp_path: Path) -> None:
    app = shop(tmp_path)
    two_browsers_and_a_stranger(app)
    for command in ("export", "erase"):
        result = cli(app, command, "--user", "nobody@example.test")
        assert result.exit_code == 1
        assert result.output.strip() == "Error: no records for that user"
    both = cli(app, "erase", "--user", BORIS, "--consent-id", "x")
    assert both.exit_code == 2 and "give --consent-id or --user, not both" in both.output
    assert cli(app, "erase").exit_code == 2
    assert rows(app, "select count(*) from consent_user_links")[0][0] == 5


def test_the_api_and_its_openapi_name_the_account_source(tmp_path: Path) -> None:
    app = shop(tmp_path)
    phone, laptop, _ = two_browsers_and_a_stranger(app)
    spec = app.test_client().get("/consent/openapi.json").json
    assert spec["components"]["schemas"]["Record"]["properties"]["source"]["enum"] == list(
        RECORD_SOURCES
    )
    assert "account" in RECORD_SOURCES
    records = phone.get("/consent/history").json["records"]
    assert [r["source"] for r in records] == ["banner", "account"]
    # A visitor cannot claim the source themselves: only the server writes it.
    sent = laptop.post("/consent/state", json={"purposes": {}, "source": "account"})
    assert sent.status_code == 400 and "source" in sent.json["fields"]


def test_the_dashboard_names_the_account_source_in_every_language() -> None:
    from consent_sdk.admin.texts import TEXTS

    assert {lang: t["source_account"] for lang, t in TEXTS.items()} == {
        "en": "Customer account",
        "lv": "Klienta konts",
        "ru": "Учётная запись клиента",
    }
