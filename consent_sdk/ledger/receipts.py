"""Consent receipts: the visitor's proof of what they decided and were shown, signed so that
anyone can check it with the published public key alone.

A receipt is a JWS in the flattened JSON serialisation (RFC 7515 §7.2.2), ``alg`` EdDSA
(RFC 8037), ``kid`` the key's JWK thumbprint; its payload is the canonical JSON of the
receipt. ``receipt`` beside the JWS fields is a readable copy that verifiers ignore (and
``verify`` checks equals the payload). Each record carries its hashed content and, once
sealed, its Merkle audit path and the signed seal it belongs to: a third party recomputes the
content hash, the leaf, the root and checks the seal's signature, without the site.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from . import canonical as c
from .keys import Keys, b64url, unb64url, verify_signature
from .store import Ledger
from .tables import records, seals

SCHEMA = "consent_sdk.receipt/1"
TYP = "consent-receipt+jws"


def _seal_for(conn: sa.Connection, site: str, record_id: int) -> Mapping[Any, Any] | None:
    """The seal whose range holds ``record_id``: the first at or after it (an index range)."""
    seal = (
        conn.execute(
            sa.select(seals)
            .where(seals.c.site_id == site, seals.c.last_id >= record_id)
            .order_by(seals.c.last_id)
            .limit(1)
        )
        .mappings()
        .first()
    )
    return seal if seal is not None and seal["after_id"] < record_id else None


def _chain(seal: Mapping[Any, Any] | None, record_id: int) -> dict[str, Any]:
    if seal is None:
        return {"status": "unsealed"}
    pairs = c.unpack_leaves(seal["leaves"])
    index = next((n for n, (i, _) in enumerate(pairs) if i == record_id), None)
    if index is None:
        return {"status": "unsealed"}
    return {
        "status": "sealed",
        "leaf_index": index,
        "path": c.merkle_path([c.leaf(i, h) for i, h in pairs], index),
        "seal": {
            k: seal[k]
            for k in (
                "site_id",
                "seq",
                "after_id",
                "last_id",
                "count",
                "root",
                "prev_hash",
                "seal_hash",
                "kid",
                "signature",
            )
        },
    }


def build(
    ledger: Ledger,
    keys: Keys,
    consent_id: str,
    *,
    controller: str,
    policy_url: str | None,
    now: datetime | None = None,
    site: str | None = None,
) -> dict[str, Any] | None:
    """The signed receipt of every decision of ``consent_id`` (None when it has none); of
    ``site``'s decisions only, when given.

    A site signs for its own records: one that adopted another site's consent id (from that
    site's cookie, before cookies named their site) must not hand out the other's records.
    """
    where = [records.c.consent_id == consent_id]
    if site is not None:
        where.append(records.c.site_id == site)
    with ledger.engine.connect() as conn:
        rows = (
            conn.execute(sa.select(records).where(*where).order_by(records.c.id)).mappings().all()
        )
        if not rows:
            return None
        entries = []
        texts: dict[str, Any] = {}
        for row in rows:
            record_id = int(row["id"])
            content = c.content_of(row)
            if row["texts_hash"] not in texts:
                texts[row["texts_hash"]] = ledger.texts(row["texts_hash"])
            entries.append(
                {
                    "record_id": record_id,
                    "content": content,
                    "content_hash": c.hash_of_content(content),
                    "chain": _chain(_seal_for(conn, row["site_id"], record_id), record_id),
                }
            )
    issued = now or datetime.now(UTC)
    receipt = {
        "schema": SCHEMA,
        "receipt_id": str(uuid.uuid4()),
        "issued_at": int(issued.timestamp()),
        "controller": controller,
        "policy_url": policy_url,
        "subject": {"consent_id": consent_id},
        "records": entries,
        "texts": texts,
    }
    return sign(receipt, keys)


def sign(receipt: Mapping[Any, Any], keys: Keys) -> dict[str, Any]:
    protected = b64url(c.canonical({"alg": "EdDSA", "kid": keys.kid, "typ": TYP}))
    payload = b64url(c.canonical(dict(receipt)))
    _, signature = keys.sign(f"{protected}.{payload}".encode("ascii"))
    return {"payload": payload, "protected": protected, "signature": signature, "receipt": receipt}


class ReceiptError(ValueError):
    """Why a receipt is not authentic, in one line."""


def verify(document: Any, public_keys: Mapping[Any, Any]) -> dict[str, Any]:
    """Check a receipt with public keys only; returns its payload or raises ReceiptError."""
    if not isinstance(document, Mapping) or not all(
        isinstance(document.get(k), str) for k in ("payload", "protected", "signature")
    ):
        raise ReceiptError(
            "not a consent receipt: expected a JWS with payload, protected, signature"
        )
    try:
        header = json.loads(unb64url(document["protected"]))
        payload_bytes = unb64url(document["payload"])
        receipt = json.loads(payload_bytes)
    except (ValueError, UnicodeDecodeError):
        raise ReceiptError("the receipt's JWS parts are not base64url JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        raise ReceiptError("the receipt is not signed with EdDSA")
    kid = str(header.get("kid"))
    if kid not in public_keys:
        raise ReceiptError(f"signed with key {kid!r}, which is not one of the published keys")
    signing_input = f"{document['protected']}.{document['payload']}".encode("ascii")
    if not verify_signature(dict(public_keys), kid, signing_input, document["signature"]):
        raise ReceiptError("the signature does not match: the receipt was altered or forged")
    if "receipt" in document and document["receipt"] != receipt:
        raise ReceiptError("the readable copy differs from the signed payload")
    if not isinstance(receipt, dict) or receipt.get("schema") != SCHEMA:
        raise ReceiptError("the payload is not a consent_sdk receipt")
    try:
        texts = receipt.get("texts") or {}
        for entry in receipt["records"]:
            _verify_entry(entry, texts, public_keys)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, ReceiptError):
            raise
        raise ReceiptError(f"the receipt is malformed ({type(exc).__name__}: {exc})") from None
    return receipt


def _verify_entry(
    entry: Mapping[Any, Any], texts: Mapping[Any, Any], public_keys: Mapping[Any, Any]
) -> None:
    rid = entry["record_id"]
    content = entry["content"]
    if c.hash_of_content(content) != entry["content_hash"]:
        raise ReceiptError(f"record {rid}: its content does not match its hash")
    shown = texts.get(content["texts_hash"])
    if shown is not None and c.texts_digest(shown) != content["texts_hash"]:
        raise ReceiptError(f"record {rid}: the texts shown do not match their hash")
    chain = entry["chain"]
    if chain["status"] != "sealed":
        return
    seal = chain["seal"]
    leaf = c.leaf(int(rid), entry["content_hash"])
    if c.root_from_path(leaf, chain["path"]) != seal["root"]:
        raise ReceiptError(f"record {rid}: its audit path does not lead to the seal's root")
    if c.seal_hash(seal) != seal["seal_hash"] or not verify_signature(
        dict(public_keys), seal["kid"], bytes.fromhex(seal["seal_hash"]), seal["signature"]
    ):
        raise ReceiptError(f"record {rid}: seal {seal['seq']} is not authentic")


def check_against_ledger(ledger: Ledger, receipt: Mapping[Any, Any]) -> list[str]:
    """Where an authentic receipt and today's ledger differ (empty: they match)."""
    problems = []
    with ledger.engine.connect() as conn:
        for entry in receipt["records"]:
            rid = int(entry["record_id"])
            row = conn.execute(sa.select(records).where(records.c.id == rid)).mappings().first()
            if row is None:
                problems.append(f"record {rid} is no longer in the ledger (purged or deleted)")
                continue
            if c.content_hash(row) != entry["content_hash"]:
                problems.append(f"record {rid} in the ledger differs from the receipt")
            chain = entry["chain"]
            if chain["status"] == "sealed":
                seal = chain["seal"]
                stored = conn.execute(
                    sa.select(seals.c.seal_hash).where(
                        seals.c.site_id == seal["site_id"], seals.c.seq == seal["seq"]
                    )
                ).scalar_one_or_none()
                if stored != seal["seal_hash"]:
                    problems.append(f"seal {seal['seq']} in the ledger differs from the receipt")
    return problems
