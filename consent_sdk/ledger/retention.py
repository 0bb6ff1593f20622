"""Retention: delete the records whose ``retain_until`` has passed, and say so verifiably.

Each chunk is one transaction that deletes its records and writes a signed tombstone naming
exactly the ids that transaction deleted (``DELETE ... RETURNING id``), so:

- a run killed halfway leaves whole chunks done and the rest untouched, and ``verify`` passes;
- two runs at once never delete a record twice or write two tombstones for it (the second
  run's ``DELETE`` finds the rows gone and returns nothing);
- running it again deletes nothing more: repeated runs equal one run;
- the dashboard's rollup loses the purged records it had counted in the same transaction
  (``rollup.forget``), so its counts equal a recount of the records left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from . import rollup
from .chain import tombstone_payload
from .keys import Keys
from .store import Ledger
from .tables import purges, records

DEFAULT_CHUNK = 500


@dataclass
class PurgeResult:
    deleted: int
    due: int
    dry_run: bool


def _past(now: datetime, site: str | None) -> sa.ColumnElement[bool]:
    """The records past their retention, of ``site`` only when given."""
    if site is None:
        return records.c.retain_until < now
    return sa.and_(records.c.site_id == site, records.c.retain_until < now)


def due(ledger: Ledger, now: datetime, site: str | None = None) -> int:
    """How many records of ``site`` (default: every site) are past their retention."""
    with ledger.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(records).where(_past(now, site))
            ).scalar_one()
        )


def purge(
    ledger: Ledger,
    keys: Keys,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    chunk: int = DEFAULT_CHUNK,
    pause: float = 0.0,
    site: str | None = None,
) -> PurgeResult:
    """Delete every record of ``site`` (default: every site) past its retention, ``chunk``
    at a time.

    The tombstones are signed with ``keys``: a site whose key is its own purges only its own
    records (``flask consent purge`` does), or the other site's ``verify`` would find its
    records deleted under a tombstone it cannot check.
    """
    now = now or datetime.fromtimestamp(int(time.time()), UTC)
    count = due(ledger, now, site)
    if dry_run or not count:
        return PurgeResult(0, count, dry_run)
    deleted = 0
    while True:
        with ledger.engine.begin() as conn:
            ids_query = (
                sa.select(records.c.id).where(_past(now, site)).order_by(records.c.id).limit(chunk)
            )
            if conn.dialect.name == "postgresql":
                # Concurrent purges take different rows instead of queueing on the same ones.
                ids_query = ids_query.with_for_update(skip_locked=True)
            deleted_rows = (
                conn.execute(
                    sa.delete(records)
                    .where(records.c.id.in_(ids_query.scalar_subquery()))
                    .returning(*(records.c[name] for name in rollup.COUNTED))
                )
                .mappings()
                .all()
            )
            if not deleted_rows:
                break
            gone = sorted(int(r["id"]) for r in deleted_rows)
            rollup.forget(conn, deleted_rows)
            row = {"record_ids": gone, "reason": "retention", "purged_at": now}
            kid, signature = keys.sign(tombstone_payload(row))
            conn.execute(purges.insert().values(**row, kid=kid, signature=signature))
        deleted += len(gone)
        if pause:
            time.sleep(pause)
    return PurgeResult(deleted, count, False)
