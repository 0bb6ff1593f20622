"""How a record becomes bytes to hash: one canonical serialisation, written down once.

Canonical JSON as RFC 8785 (JCS) defines it for the values a record holds (strings, integers,
booleans, null, arrays, objects): keys sorted, no whitespace, UTF-8, no escaping beyond what
JSON requires. Times are whole Unix seconds (integers), so SQLite's naive datetimes and
PostgreSQL's aware ones hash the same. Hashes are SHA-256, hex.

The Merkle tree follows RFC 6962 (Certificate Transparency): a leaf is
``SHA-256(0x00 || id as 8 bytes big-endian || content hash)``, a node
``SHA-256(0x01 || left || right)``; an odd node at the end of a level is carried up as is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .tables import PERSONAL_FIELDS

GENESIS = "0" * 64
"""The ``prev_hash`` of a site's first seal."""

CONTENT_FIELDS = (
    "event_id",
    "consent_id",
    "site_id",
    "granted",
    "refused",
    "policy_version",
    "texts_hash",
    "language",
    "source",
    "action",
    "gpc",
    "created_at",
    "expires_at",
    "retain_until",
)
"""What a record's content hash covers, beside the digest of its personal fields. The row id
is not in it (it is in the leaf), so a swap of two rows' ids is told apart from an edit."""


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON for plain JSON values."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, list | tuple):
        return sorted(value)
    return value


def personal_digest(row: Mapping[Any, Any]) -> str:
    """The digest of the personal fields, salted so that erasing them (and the salt) leaves a
    value nobody can turn back into a truncated IP by trying all of them."""
    if row.get("erased_at") is not None and row.get("personal_digest"):
        return str(row["personal_digest"])
    fields = {k: row.get(k) for k in PERSONAL_FIELDS}
    return sha256((row.get("salt") or "").encode() + canonical(fields))


def content_of(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The hashed content of a record, as it appears in a receipt."""
    content = {k: _plain(row[k]) for k in CONTENT_FIELDS}
    content["personal_digest"] = personal_digest(row)
    return content


def content_hash(row: Mapping[Any, Any]) -> str:
    return sha256(canonical(content_of(row)))


def hash_of_content(content: Mapping[Any, Any]) -> str:
    """``content_hash`` from a receipt's ``content`` (what a third party recomputes)."""
    return sha256(canonical(dict(content)))


def leaf(record_id: int, content_hex: str) -> bytes:
    return hashlib.sha256(
        b"\x00" + record_id.to_bytes(8, "big") + bytes.fromhex(content_hex)
    ).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> str:
    """The root of the leaves in order; an empty batch is never sealed."""
    level = list(leaves)
    while len(level) > 1:
        level = [
            _node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0].hex()


def merkle_path(leaves: Sequence[bytes], index: int) -> list[list[str]]:
    """The audit path of leaf ``index``: ``[side, sibling hex]`` from the leaf up, side being
    ``"L"`` when the sibling is on the left."""
    path: list[list[str]] = []
    level = list(leaves)
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(["L" if sibling < index else "R", level[sibling].hex()])
        level = [
            _node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
        index //= 2
    return path


def root_from_path(leaf_hash: bytes, path: Sequence[Sequence[str]]) -> str:
    node = leaf_hash
    for side, sibling in path:
        other = bytes.fromhex(sibling)
        node = _node(other, node) if side == "L" else _node(node, other)
    return node.hex()


def seal_hash(seal: Mapping[Any, Any]) -> str:
    """The hash that chains seals: it covers the batch's range, count, root and the hash of
    the seal before."""
    return sha256(
        canonical(
            {
                k: seal[k]
                for k in ("site_id", "seq", "after_id", "last_id", "count", "root", "prev_hash")
            }
        )
    )


def pack_leaves(pairs: Sequence[tuple[int, str]]) -> bytes:
    return b"".join(i.to_bytes(8, "big") + bytes.fromhex(h) for i, h in pairs)


def unpack_leaves(blob: bytes) -> list[tuple[int, str]]:
    return [
        (int.from_bytes(blob[i : i + 8], "big"), blob[i + 8 : i + 40].hex())
        for i in range(0, len(blob), 40)
    ]


def texts_digest(shown: Mapping[Any, Any]) -> str:
    """The ``texts_hash`` of stored banner texts (the same as ``ConsentConfig.texts_hash``),
    so a receipt's texts can be checked against the hash in each record."""
    return sha256(
        canonical(
            {
                "policy_version": shown["policy_version"],
                "policy_url": shown["policy_url"],
                "texts": shown["texts"],
                "purposes": [
                    [p["id"], p["basis"], p["label"], p["description"], list(p["cookies"])]
                    for p in shown["purposes"]
                ],
            }
        )
    )
