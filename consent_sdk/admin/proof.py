"""Whether one record still proves what it says: checked against the seal it is in, alone.

``flask consent verify`` walks a site's whole chain; the record page cannot read millions of
rows to show one. So this checks what one record's proof rests on, in two indexed queries:
the seal whose range holds its id (as a receipt finds it), that seal as signed (its hash,
the Merkle root of its leaves, the Ed25519 signature), its link to the seal before, and the
record's content hash against its leaf. Erasure keeps the salted digest of the personal
fields, so an erased record verifies and is shown as erased besides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ..ledger import canonical as c
from ..ledger.keys import verify_signature
from ..ledger.store import Ledger
from ..ledger.tables import seals

STATUSES = (
    "intact",
    "unsealed",
    "altered",
    "not_in_seal",
    "seal_altered",
    "unknown_key",
    "chain_broken",
    "seal_missing",
)
"""What the page can say: sealed and intact, not sealed yet, or why the proof fails."""
SEAL_FIELDS = ("seq", "after_id", "last_id", "count", "root", "seal_hash", "kid", "sealed_at")


@dataclass(frozen=True)
class Proof:
    """One record's verification: its status, its content hash and the seal holding it."""

    status: str
    content_hash: str
    seal: dict[str, Any] | None = None
    sealed_hash: str | None = None
    """What the seal holds for this record (differs from ``content_hash`` when altered)."""

    @property
    def ok(self) -> bool:
        return self.status in ("intact", "unsealed")


def _covering(conn: sa.Connection, site: str, record_id: int) -> Mapping[Any, Any] | None:
    """The site's first seal ending at or after ``record_id`` (an index range)."""
    stmt = (
        sa.select(seals)
        .where(seals.c.site_id == site, seals.c.last_id >= record_id)
        .order_by(seals.c.last_id)
        .limit(1)
    )
    return conn.execute(stmt).mappings().first()


def _follows(conn: sa.Connection, seal: Mapping[Any, Any]) -> bool:
    """Whether ``seal`` is chained to the site's seal before it (the first, to genesis)."""
    if int(seal["seq"]) == 1:
        return bool(seal["prev_hash"] == c.GENESIS and int(seal["after_id"]) == 0)
    stmt = sa.select(seals.c.seal_hash, seals.c.last_id).where(
        seals.c.site_id == seal["site_id"], seals.c.seq == int(seal["seq"]) - 1
    )
    before = conn.execute(stmt).first()
    return bool(
        before is not None
        and before.seal_hash == seal["prev_hash"]
        and int(before.last_id) == int(seal["after_id"])
    )


def _holds(seal: Mapping[Any, Any], pairs: list[tuple[int, str]]) -> bool:
    """The seal's hash, count and root recomputed from what is stored."""
    values = {k: seal[k] for k in ("site_id", "seq", "after_id", "last_id", "count", "root")}
    values["prev_hash"] = seal["prev_hash"]
    return bool(
        c.seal_hash(values) == seal["seal_hash"]
        and len(pairs) == int(seal["count"])
        and c.merkle_root([c.leaf(i, h) for i, h in pairs]) == seal["root"]
    )


def _shown(seal: Mapping[Any, Any]) -> dict[str, Any]:
    out = {k: seal[k] for k in SEAL_FIELDS}
    sealed_at = out["sealed_at"]
    if isinstance(sealed_at, datetime) and sealed_at.tzinfo is None:
        out["sealed_at"] = sealed_at.replace(tzinfo=UTC)
    return out


def check(ledger: Ledger, public_keys: Mapping[Any, Any], row: Mapping[Any, Any]) -> Proof:
    """The proof of the stored ``row`` (as read from the table, salt included), with the
    seals checked against ``public_keys`` (the app's, old ones included)."""
    record_id = int(row["id"])
    content = c.content_hash(row)
    with ledger.engine.connect() as conn:
        seal = _covering(conn, str(row["site_id"]), record_id)
        if seal is None:
            return Proof("unsealed", content)
        if int(seal["after_id"]) >= record_id:
            # Seals follow one another without gaps: a later seal and none holding this id
            # means the one that held it was deleted.
            return Proof("seal_missing", content)
        follows = _follows(conn, seal)
    pairs = c.unpack_leaves(seal["leaves"])
    shown = _shown(seal)
    sealed = dict(pairs).get(record_id)
    if not _holds(seal, pairs):
        return Proof("seal_altered", content, shown, sealed)
    if seal["kid"] not in public_keys:
        return Proof("unknown_key", content, shown, sealed)
    signed = bytes.fromhex(seal["seal_hash"])
    if not verify_signature(dict(public_keys), seal["kid"], signed, seal["signature"]):
        return Proof("seal_altered", content, shown, sealed)
    if not follows:
        return Proof("chain_broken", content, shown, sealed)
    if sealed is None:
        return Proof("not_in_seal", content, shown, None)
    return Proof("intact" if sealed == content else "altered", content, shown, sealed)


def texts_match(shown: Mapping[Any, Any] | None, texts_hash: str) -> bool | None:
    """Whether the stored texts still hash to the record's ``texts_hash`` (None: no texts
    are stored under it)."""
    if shown is None:
        return None
    try:
        return c.texts_digest(shown) == texts_hash
    except (KeyError, TypeError):
        return False
