"""Receipts: the visitor's own, signed, checkable by anyone with the public key alone."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consent_sdk.ledger import receipts
from consent_sdk.ledger.canonical import texts_digest
from consent_sdk.ledger.keys import Keys
from tests.ledger.conftest import Site

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _receipt(site: Site, client: Any) -> dict[str, Any]:
    response = client.get("/consent/receipt.json", headers=NAVIGATE)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return dict(response.json)


def _write(tmp_path: Path, name: str, value: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return str(path)


def test_rule_10_a_genuine_receipt_verifies_with_the_public_key_alone(
    site: Site, tmp_path: Path
) -> None:
    client, consent_id = site.decide({"analytics": True})
    site.decide({"analytics": False, "marketing": True}, client)
    assert site.cli("seal", "--grace", "0").exit_code == 0
    site.decide({"preferences": True}, client)  # a third, not sealed yet
    document = _receipt(site, client)
    receipt = document["receipt"]
    assert receipt["subject"]["consent_id"] == consent_id
    assert [r["content"]["granted"] for r in receipt["records"]] == [
        ["analytics", "necessary"],
        ["marketing", "necessary"],
        ["necessary", "preferences"],
    ]
    assert [r["chain"]["status"] for r in receipt["records"]] == ["sealed", "sealed", "unsealed"]
    # What the visitor was shown is in it, and matches the hash in each record.
    texts_hash = receipt["records"][0]["content"]["texts_hash"]
    shown = receipt["texts"][texts_hash]
    assert texts_digest(shown) == texts_hash
    assert [p["id"] for p in shown["purposes"]] == [
        "necessary",
        "preferences",
        "analytics",
        "marketing",
    ]

    jwks = site.app.test_client().get("/consent/jwks.json")
    assert jwks.headers["Content-Type"] == "application/jwk-set+json"
    public = Keys.verifying(jwks.json["keys"])
    assert receipts.verify(document, public)["receipt_id"] == receipt["receipt_id"]

    file = _write(tmp_path, "receipt.json", document)
    keys_file = _write(tmp_path, "jwks.json", jwks.json)
    alone = site.cli("verify-receipt", file, "--jwks", keys_file)
    assert alone.exit_code == 0, alone.output
    assert "(3 records) is authentic" in alone.output
    matched = site.cli("verify-receipt", file)
    assert matched.exit_code == 0 and "matches the ledger" in matched.output


def test_rule_10_a_forged_or_edited_receipt_fails_with_a_clear_message(
    site: Site, tmp_path: Path
) -> None:
    client, _ = site.decide({"analytics": False})
    assert site.cli("seal", "--grace", "0").exit_code == 0
    document = _receipt(site, client)

    # The visitor "upgrades" their refusal to a grant in the signed payload.
    payload = json.loads(base64.urlsafe_b64decode(document["payload"] + "=="))
    payload["records"][0]["content"]["granted"] = ["analytics", "necessary"]
    edited = {k: v for k, v in document.items() if k != "receipt"}
    edited["payload"] = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    readable = {**document, "receipt": payload}
    # Re-signed end to end with a key of the forger's own: consistent, but not ours.
    forged = receipts.sign(payload, Keys(Ed25519PrivateKey.generate()))

    for name, bad, message in [
        ("edited", edited, "the signature does not match"),
        ("readable", readable, "the readable copy differs"),
        ("forged", forged, "not one of the published keys"),
        ("junk", {"hello": "world"}, "not a consent receipt"),
    ]:
        result = site.cli("verify-receipt", _write(tmp_path, f"{name}.json", bad))
        assert result.exit_code == 1, (name, result.output)
        assert "receipt NOT authentic" in result.output and message in result.output, name


def test_rule_10_an_authentic_receipt_no_longer_matching_the_ledger_is_reported(
    site: Site, tmp_path: Path
) -> None:
    client, consent_id = site.decide({"analytics": True})
    assert site.cli("seal", "--grace", "0").exit_code == 0
    file = _write(tmp_path, "r.json", _receipt(site, client))
    site.sql(
        "update consent_records set granted = '[\"necessary\"]' where consent_id = :c", c=consent_id
    )
    result = site.cli("verify-receipt", file)
    assert result.exit_code == 1
    assert "differs from the receipt" in result.output
    assert "authentic but does not match the ledger" in result.output


def test_rule_18_only_the_browser_holding_the_cookie_gets_its_receipt(site: Site) -> None:
    client, consent_id = site.decide({"analytics": True})
    stranger = site.app.test_client()
    answer = stranger.get(f"/consent/receipt.json?consent_id={consent_id}", headers=NAVIGATE)
    assert answer.status_code == 404 and answer.json["error"] == "no_receipt"
    assert consent_id not in stranger.get("/consent/receipt", headers=NAVIGATE).get_data(
        as_text=True
    )
    # A script on the page (fetch, or a frame) may not read it: it names the consent id.
    for headers in (
        {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
        {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},
    ):
        refused = client.get("/consent/receipt.json", headers=headers)
        assert refused.status_code == 403 and refused.json["error"] == "navigation_only"
    page = client.get("/consent/receipt", headers=NAVIGATE)
    assert page.status_code == 200
    assert consent_id in page.get_data(as_text=True)
    assert page.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_receipt_page_speaks_the_visitor_language(site: Site) -> None:
    client, _ = site.decide({"analytics": True})
    page = client.get("/consent/receipt?lang=lv", headers=NAVIGATE).get_data(as_text=True)
    assert '<html lang="lv">' in page and "Jūsu piekrišanas apliecinājums" in page
    assert "recorded, not sealed yet" not in page and "vēl nav aizzīmogots" in page


def test_old_public_keys_stay_published_and_verify_after_a_rotation(
    tmp_path: Path, store_url: str
) -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    before = Site(tmp_path / "before", store_url, CONSENT_RECEIPT_KEY=_pem(old))
    client, _ = before.decide({"analytics": True})
    assert before.cli("seal", "--grace", "0").exit_code == 0
    document = _receipt(before, client)
    after = Site(
        tmp_path / "after",
        store_url,
        CONSENT_RECEIPT_KEY=_pem(new),
        CONSENT_RECEIPT_KEY_FALLBACKS=[_pem(old)],
    )
    keys = after.app.test_client().get("/consent/jwks.json").json["keys"]
    assert len(keys) == 2
    file = _write(tmp_path, "old.json", document)
    result = after.cli("verify-receipt", file)
    assert result.exit_code == 0, result.output
    # Seals made with the old key still verify; new seals use the new one.
    after.decide({"marketing": True})
    assert after.cli("seal", "--grace", "0").exit_code == 0
    assert after.cli("verify").exit_code == 0
    before.close()
    after.close()
