"""The visitor's rights, for the site owner: access (Art. 15) and erasure (Art. 17).

Erasure removes the personal fields (truncated IP, browser family) and the salt that hashed
them, and keeps their salted digest in the row: the record still proves what was decided and
shown (Art. 17(3)(e) lets the controller keep that for legal claims), and its seal still
verifies. It is the one update the ledger ever makes to a record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from .canonical import personal_digest
from .store import Ledger
from .tables import PERSONAL_FIELDS, records


def access(ledger: Ledger, consent_id: str) -> dict[str, Any]:
    """Everything stored about one consent id: its records and the texts each was shown."""
    found = ledger.history(consent_id)
    shown = {r["texts_hash"]: ledger.texts(r["texts_hash"]) for r in found}
    return {"consent_id": consent_id, "records": found, "texts": shown}


def erase(ledger: Ledger, consent_id: str, *, now: datetime | None = None) -> int:
    """Erase the personal fields of every record of ``consent_id``; returns how many rows
    changed (0 when they were erased already)."""
    now = now or datetime.now(UTC)
    changed = 0
    with ledger.engine.begin() as conn:
        rows = (
            conn.execute(
                sa.select(records).where(
                    records.c.consent_id == consent_id, records.c.erased_at.is_(None)
                )
            )
            .mappings()
            .all()
        )
        for row in rows:
            conn.execute(
                sa.update(records)
                .where(records.c.id == row["id"], records.c.erased_at.is_(None))
                .values(
                    personal_digest=personal_digest(row),
                    salt=None,
                    erased_at=now,
                    **{k: None for k in PERSONAL_FIELDS},
                )
            )
            changed += 1
    return changed
