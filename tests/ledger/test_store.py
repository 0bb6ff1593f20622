"""The store on both databases: a new decision is new, a replay is not (issue 16: on
PostgreSQL every new decision was taken for a repeat, so no signal ever fired there)."""

from __future__ import annotations

import uuid
from typing import Any

from consent_sdk import consent_changed, consent_given, consent_withdrawn
from tests.ledger.conftest import Site


def test_signals_fire_once_per_new_decision_and_never_for_a_replay(site: Site) -> None:
    seen: list[tuple[str, list[str]]] = []

    def on(name: str) -> Any:
        def receiver(sender: Any, **kw: Any) -> None:
            assert sender is app
            seen.append((name, sorted(kw.get("purposes") or kw["state"].granted)))

        return receiver

    given, changed, withdrawn = on("given"), on("changed"), on("withdrawn")
    app = site.app
    with (
        consent_given.connected_to(given, app),
        consent_changed.connected_to(changed, app),
        consent_withdrawn.connected_to(withdrawn, app),
    ):
        client = app.test_client()
        event = str(uuid.uuid4())
        body = {"purposes": {"analytics": True, "marketing": True}, "event_id": event}
        assert client.post("/consent/state", json=body).status_code == 200
        assert client.post("/consent/state", json=body).status_code == 200  # a retry
        client.post("/consent/state", json={"purposes": {"analytics": True}})
        client.delete("/consent/state")
    assert seen == [
        ("given", ["analytics", "marketing", "necessary"]),
        ("changed", ["analytics", "necessary"]),
        ("withdrawn", ["marketing"]),
        ("changed", ["necessary"]),
        ("withdrawn", ["analytics"]),
    ]
    assert site.sql("select count(*) from consent_records")[0][0] == 3


def test_a_new_record_comes_back_with_its_id_and_without_its_salt(site: Site) -> None:
    _, consent_id = site.decide({"analytics": True})
    with site.app.app_context():
        (record,) = site.app.extensions["consent"].ledger.history(consent_id)
    assert record["id"] == site.ids()[0]
    assert "salt" not in record
    (salt,) = site.sql("select salt from consent_records")[0]
    assert salt and len(salt) == 32
