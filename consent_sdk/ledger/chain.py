"""Sealing records into a hash chain per site, and walking it to find what was tampered with.

Sealing is a separate step (``flask consent seal``, e.g. from cron), never part of recording
a decision: inserts take no lock and do not wait for one. A seal covers one site's records
with ids in ``(after_id, last_id]``, in id order: their (id, content hash) pairs, the Merkle
root over them, and the hash of the site's previous seal; it is signed with the ledger's
Ed25519 key. A record is sealed only once it is ``grace`` seconds old, so that a decision
still being committed by another instance (which may hold a lower id) is never skipped.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from . import canonical as c
from .keys import Keys, verify_signature
from .store import Ledger, record_sites
from .tables import purges, records, seals

DEFAULT_BATCH = 1000
DEFAULT_GRACE = 60


@dataclass
class SealResult:
    site_id: str
    seq: int
    count: int
    last_id: int


def seal(
    ledger: Ledger,
    keys: Keys,
    *,
    batch: int = DEFAULT_BATCH,
    grace: float = DEFAULT_GRACE,
    now: float | None = None,
    sites: Iterable[str] | None = None,
) -> list[SealResult]:
    """Seal the records of ``sites`` (default: every site in the store) older than ``grace``
    seconds; returns the new seals.

    A site's seals are signed with ``keys``, so a site seals only its own chain when the sites
    of a store hold different keys (``flask consent seal`` does): sealing another's records
    would make that site's ``verify`` find seals it cannot check.

    Two sealers at once are safe: the second one's seal for the same (site, seq) is refused
    by the unique constraint and it moves on.
    """
    horizon = datetime.fromtimestamp((time.time() if now is None else now) - grace, UTC)
    done: list[SealResult] = []
    for site in _sites(ledger) if sites is None else sorted(set(sites)):
        while True:
            result = _seal_one(ledger, keys, site, batch, horizon)
            if result is None:
                break
            done.append(result)
    return done


def _sites(ledger: Ledger) -> list[str]:
    """Every site with a seal or a record.

    The records' sites are found one index probe per site (the least site id above the last
    one found, on ``ix_consent_records_site_id_id``), not by scanning: a site whose records
    all sit below another site's last seal and which has no seal yet is found too (a scan of
    the ids above the lowest seal missed it, so it was never sealed).
    """
    with ledger.engine.connect() as conn:
        found = set(conn.execute(sa.select(seals.c.site_id).distinct()).scalars())
        return sorted(found.union(record_sites(conn)))


def _last_seal(conn: sa.Connection, site: str) -> Mapping[Any, Any] | None:
    return (
        conn.execute(
            sa.select(seals).where(seals.c.site_id == site).order_by(seals.c.seq.desc()).limit(1)
        )
        .mappings()
        .first()
    )


def _seal_one(
    ledger: Ledger, keys: Keys, site: str, batch: int, horizon: datetime
) -> SealResult | None:
    with ledger.engine.connect() as conn:
        last = _last_seal(conn, site)
        after_id = int(last["last_id"]) if last else 0
        rows = (
            conn.execute(
                sa.select(records)
                .where(records.c.site_id == site, records.c.id > after_id)
                .order_by(records.c.id)
                .limit(batch)
            )
            .mappings()
            .all()
        )
    pairs: list[tuple[int, str]] = []
    for row in rows:
        created = row["created_at"]
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        if created > horizon:
            break  # newer ones wait: an older decision may still be committing
        pairs.append((int(row["id"]), c.content_hash(row)))
    if not pairs:
        return None
    values: dict[str, Any] = {
        "site_id": site,
        "seq": (int(last["seq"]) + 1) if last else 1,
        "after_id": after_id,
        "last_id": pairs[-1][0],
        "count": len(pairs),
        "root": c.merkle_root([c.leaf(i, h) for i, h in pairs]),
        "prev_hash": last["seal_hash"] if last else c.GENESIS,
    }
    values["seal_hash"] = c.seal_hash(values)
    values["kid"], values["signature"] = keys.sign(bytes.fromhex(values["seal_hash"]))
    values["leaves"] = c.pack_leaves(pairs)
    values["sealed_at"] = datetime.now(UTC)
    try:
        with ledger.engine.begin() as conn:
            conn.execute(seals.insert().values(**values))
    except sa.exc.IntegrityError:
        return None  # another sealer took this seq: let it go on
    return SealResult(site, values["seq"], len(pairs), values["last_id"])


# --- verify --------------------------------------------------------------------------------


@dataclass
class Break:
    """One thing ``verify`` found wrong; ``record_id`` names the record when there is one."""

    kind: str  # altered, deleted, inserted, reordered, seal_altered, seal_missing, ...
    site_id: str
    record_id: int | None
    detail: str

    def __str__(self) -> str:
        what = f"record {self.record_id}" if self.record_id is not None else "chain"
        return f"{self.site_id}: {what}: {self.kind}: {self.detail}"


@dataclass
class Report:
    sealed: int = 0
    seals: int = 0
    purged: int = 0
    unsealed: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def purged_ids(
    ledger: Ledger, keys: Mapping[Any, Any]
) -> tuple[set[int], dict[int, int], list[Break]]:
    """(record ids deleted on purpose, by tombstones whose signature holds; record id -> purge
    row of each tombstone whose signature does not; a break for each of those)."""
    ids: set[int] = set()
    unverified: dict[int, int] = {}
    broken: list[Break] = []
    with ledger.engine.connect() as conn:
        for row in conn.execute(sa.select(purges).order_by(purges.c.id)).mappings():
            payload = tombstone_payload(row)
            named = [int(i) for i in row["record_ids"]]
            if verify_signature(dict(keys), row["kid"], payload, row["signature"]):
                ids.update(named)
            else:
                unverified.update(dict.fromkeys(named, int(row["id"])))
                broken.append(
                    Break("tombstone_forged", "*", None, f"purge {row['id']}: bad signature")
                )
    return ids, unverified, broken


def tombstone_payload(row: Mapping[Any, Any]) -> bytes:
    purged_at = row["purged_at"]
    if purged_at.tzinfo is None:
        purged_at = purged_at.replace(tzinfo=UTC)
    return c.canonical(
        {
            "record_ids": sorted(int(i) for i in row["record_ids"]),
            "reason": row["reason"],
            "purged_at": int(purged_at.timestamp()),
        }
    )


def verify(
    ledger: Ledger, public_keys: Mapping[Any, Any], *, sites: Iterable[str] | None = None
) -> Report:
    """Walk the chains of ``sites`` (default: every site in the store); each break names its
    record where it can.

    Seals and tombstones are checked with ``public_keys``. Walking every site suits a store
    whose sites share their key. A site that signs with a key of its own walks its own chain
    (``flask consent verify`` does): tombstones have no site, so it checks only those naming
    a record sealed in its chain (ids are unique in the store). Another site's tombstone,
    signed with that site's key, names none of them; a forged one that hides a deletion here
    must name the deleted record, and is reported.
    """
    report = Report()
    purged, unverified, broken = purged_ids(ledger, public_keys)
    if sites is None:
        report.breaks.extend(broken)
        for site in _sites(ledger):
            _verify_site(ledger, public_keys, site, purged, {}, report)
        return report
    for site in sorted(set(sites)):
        _verify_site(ledger, public_keys, site, purged, unverified, report)
    return report


def _seals_of(ledger: Ledger, site: str) -> Iterator[Mapping[Any, Any]]:
    with ledger.engine.connect() as conn:
        yield from conn.execute(
            sa.select(seals).where(seals.c.site_id == site).order_by(seals.c.seq)
        ).mappings()


def _verify_site(
    ledger: Ledger,
    public_keys: Mapping[Any, Any],
    site: str,
    purged: set[int],
    unverified: Mapping[int, int],
    report: Report,
) -> None:
    """One site's chain. ``unverified``: record id -> tombstone with a bad signature naming
    it; those naming a record sealed here are this site's breaks."""
    forged: set[int] = set()
    prev_hash, prev_last, expected_seq = c.GENESIS, 0, 1
    for s in _seals_of(ledger, site):
        report.seals += 1
        seq = int(s["seq"])
        if seq != expected_seq:
            report.breaks.append(
                Break("seal_missing", site, None, f"seal {expected_seq} is gone (next is {seq})")
            )
        pairs = c.unpack_leaves(s["leaves"])
        if unverified:
            forged.update(unverified[i] for i, _ in pairs if i in unverified)
        values = {k: s[k] for k in ("site_id", "seq", "after_id", "last_id", "count", "root")}
        values["prev_hash"] = s["prev_hash"]
        if (
            c.seal_hash(values) != s["seal_hash"]
            or len(pairs) != s["count"]
            or c.merkle_root([c.leaf(i, h) for i, h in pairs]) != s["root"]
            or not verify_signature(
                dict(public_keys), s["kid"], bytes.fromhex(s["seal_hash"]), s["signature"]
            )
        ):
            report.breaks.append(Break("seal_altered", site, None, f"seal {seq} does not hold"))
        if s["prev_hash"] != prev_hash or int(s["after_id"]) != prev_last:
            report.breaks.append(
                Break("chain_broken", site, None, f"seal {seq} does not follow seal {seq - 1}")
            )
        _compare(ledger, site, s, pairs, purged, report)
        prev_hash, prev_last, expected_seq = s["seal_hash"], int(s["last_id"]), seq + 1
    with ledger.engine.connect() as conn:
        report.unsealed += int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(records)
                .where(records.c.site_id == site, records.c.id > prev_last)
            ).scalar_one()
        )
    for purge_id in sorted(forged):
        report.breaks.append(
            Break("tombstone_forged", site, None, f"purge {purge_id}: bad signature")
        )


def _compare(
    ledger: Ledger,
    site: str,
    s: Mapping[Any, Any],
    pairs: list[tuple[int, str]],
    purged: set[int],
    report: Report,
) -> None:
    """The records in the seal's range against its leaves, naming each difference."""
    with ledger.engine.connect() as conn:
        rows = {
            int(r["id"]): c.content_hash(r)
            for r in conn.execute(
                sa.select(records)
                .where(
                    records.c.site_id == site,
                    records.c.id > s["after_id"],
                    records.c.id <= s["last_id"],
                )
                .order_by(records.c.id)
            ).mappings()
        }
    expected = dict(pairs)
    by_hash = {h: i for i, h in pairs}
    for record_id, sealed_hash in pairs:
        found = rows.get(record_id)
        if found is None:
            if record_id in purged:
                report.purged += 1
            else:
                report.breaks.append(
                    Break("deleted", site, record_id, f"sealed in seal {s['seq']}")
                )
        elif found != sealed_hash:
            other = by_hash.get(found)
            if other is not None and other != record_id:
                report.breaks.append(
                    Break("reordered", site, record_id, f"holds the content of record {other}")
                )
            else:
                report.breaks.append(
                    Break("altered", site, record_id, f"differs from seal {s['seq']}")
                )
        else:
            report.sealed += 1
    for record_id in sorted(set(rows) - set(expected)):
        report.breaks.append(
            Break("inserted", site, record_id, f"not in seal {s['seq']} that covers its id")
        )
