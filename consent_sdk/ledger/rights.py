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


def access(ledger: Ledger, consent_id: str, site: str | None = None) -> dict[str, Any]:
    """Everything stored about one consent id: its records (of ``site`` only, when given) and
    the texts each was shown.

    A consent id is minted per site (each site's own cookie), but a release before the
    cookie named its site let one site adopt another's id: a site answers for its records.
    """
    found = [r for r in ledger.history(consent_id) if site is None or r["site_id"] == site]
    shown = {r["texts_hash"]: ledger.texts(r["texts_hash"]) for r in found}
    return {"consent_id": consent_id, "records": found, "texts": shown}


def erase(
    ledger: Ledger, consent_id: str, *, now: datetime | None = None, site: str | None = None
) -> int:
    """Erase the personal fields of every record of ``consent_id`` (of ``site`` only, when
    given: the request came to that site, about its cookie); returns how many rows changed
    (0 when they were erased already)."""
    now = now or datetime.now(UTC)
    changed = 0
    where = [records.c.consent_id == consent_id, records.c.erased_at.is_(None)]
    if site is not None:
        where.append(records.c.site_id == site)
    with ledger.engine.begin() as conn:
        rows = conn.execute(sa.select(records).where(*where)).mappings().all()
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
