"""Retention: delete the records whose ``retain_until`` has passed, and say so verifiably.

Each chunk is one transaction that deletes its records and writes a signed tombstone naming
exactly the ids that transaction deleted (``DELETE ... RETURNING id``), so:

- a run killed halfway leaves whole chunks done and the rest untouched, and ``verify`` passes;
- two runs at once never delete a record twice or write two tombstones for it (the second
  run's ``DELETE`` finds the rows gone and returns nothing);
- running it again deletes nothing more: repeated runs equal one run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

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


def due(ledger: Ledger, now: datetime) -> int:
    with ledger.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(records).where(records.c.retain_until < now)
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
) -> PurgeResult:
    """Delete every record past its retention, ``chunk`` at a time."""
    now = now or datetime.fromtimestamp(int(time.time()), UTC)
    count = due(ledger, now)
    if dry_run or not count:
        return PurgeResult(0, count, dry_run)
    deleted = 0
    while True:
        with ledger.engine.begin() as conn:
            ids_query = (
                sa.select(records.c.id)
                .where(records.c.retain_until < now)
                .order_by(records.c.id)
                .limit(chunk)
            )
            if conn.dialect.name == "postgresql":
                # Concurrent purges take different rows instead of queueing on the same ones.
                ids_query = ids_query.with_for_update(skip_locked=True)
            gone = sorted(
                int(i)
                for i in conn.execute(
                    sa.delete(records)
                    .where(records.c.id.in_(ids_query.scalar_subquery()))
                    .returning(records.c.id)
                ).scalars()
            )
            if not gone:
                break
            row = {"record_ids": gone, "reason": "retention", "purged_at": now}
            kid, signature = keys.sign(tombstone_payload(row))
            conn.execute(purges.insert().values(**row, kid=kid, signature=signature))
        deleted += len(gone)
        if pause:
            time.sleep(pause)
    return PurgeResult(deleted, count, False)
