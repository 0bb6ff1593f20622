"""The account links in the store: which records a signed-in customer made.

No Flask here: the signed-in gate (``follow``), the CLI (``export --user``, ``erase --user``)
and ``purge`` use it alike. A row ties one record to a user reference; an account's decision
is the newest of its rows' records that is not a copy (``source`` ``account``, written when an
account's decision was applied to another browser).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ..ledger import rights
from ..ledger.store import Ledger
from ..ledger.tables import records, user_links

ACCOUNT = "account"
"""The ``source`` of a record that applied an account's decision to one of its browsers."""


@dataclass(frozen=True, slots=True)
class Decision:
    """An account's newest decision, as the signed-in gate compares it with a cookie."""

    record_id: int
    event_id: str
    consent_id: str
    granted: frozenset[str]
    policy_version: str
    action: str | None
    language: str
    created_at: int

    @property
    def withdrawn(self) -> bool:
        return self.action == "withdraw"

    @classmethod
    def of(cls, row: Any) -> Decision:
        created = row["created_at"]
        if isinstance(created, datetime) and created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        return cls(
            record_id=int(row["id"]),
            event_id=str(row["event_id"]),
            consent_id=str(row["consent_id"]),
            granted=frozenset(row["granted"]),
            policy_version=str(row["policy_version"]),
            action=row["action"],
            language=str(row["language"]),
            created_at=int(created.timestamp()),
        )


_DECISION_COLUMNS = (
    records.c.id,
    records.c.event_id,
    records.c.consent_id,
    records.c.granted,
    records.c.policy_version,
    records.c.action,
    records.c.language,
    records.c.created_at,
)


class AccountLinks:
    """One site's account links in a ledger's store."""

    def __init__(self, ledger: Ledger, site_id: str) -> None:
        self.ledger = ledger
        self.site_id = site_id
        self._latest_query = (
            sa.select(*_DECISION_COLUMNS)
            .select_from(user_links.join(records, records.c.id == user_links.c.record_id))
            .where(
                user_links.c.site_id == sa.bindparam("site"),
                user_links.c.user_ref == sa.bindparam("ref"),
                records.c.site_id == sa.bindparam("site"),
                records.c.source != ACCOUNT,
            )
            .order_by(records.c.created_at.desc(), records.c.id.desc())
            .limit(1)
        )

    def latest(self, ref: str) -> Decision | None:
        """The account's newest own decision on this site (one indexed query), or None."""
        params = {"site": self.site_id, "ref": ref}

        def read(engine: sa.Engine) -> Any:
            with engine.connect() as conn:
                return conn.execute(self._latest_query, params).mappings().first()

        row = self.ledger._retrying(read)
        return Decision.of(row) if row is not None else None

    def browser_decision(self, consent_id: str, given_at: int) -> Decision | None:
        """The record a browser's cookie stands for: its consent id's newest record, if it is
        the browser's own decision (not an account's copy) of the cookie's very second."""
        query = (
            sa.select(*_DECISION_COLUMNS, records.c.source)
            .where(records.c.site_id == self.site_id, records.c.consent_id == consent_id)
            .order_by(records.c.created_at.desc(), records.c.id.desc())
            .limit(1)
        )

        def read(engine: sa.Engine) -> Any:
            with engine.connect() as conn:
                return conn.execute(query).mappings().first()

        row = self.ledger._retrying(read)
        if row is None or row["source"] == ACCOUNT:
            return None
        found = Decision.of(row)
        return found if found.created_at == given_at else None

    def add(self, ref: str, consent_id: str, record_id: int, at: datetime) -> None:
        """Make a record the account's; nothing if it is already."""
        values = {
            "site_id": self.site_id,
            "user_ref": ref,
            "consent_id": consent_id,
            "record_id": record_id,
            "linked_at": at,
        }
        engine = self.ledger.engine
        dialect = engine.dialect.name
        with engine.begin() as conn:
            if dialect in ("sqlite", "postgresql"):
                from sqlalchemy.dialects import postgresql, sqlite

                insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
                conn.execute(insert(user_links).values(**values).on_conflict_do_nothing())
                return
            try:
                with conn.begin_nested():
                    conn.execute(user_links.insert().values(**values))
            except sa.exc.IntegrityError:
                pass

    def rows(self, refs: Sequence[str]) -> list[dict[str, Any]]:
        """The account's links on this site (under any of its references), oldest first."""
        query = (
            sa.select(user_links)
            .where(user_links.c.site_id == self.site_id, user_links.c.user_ref.in_(list(refs)))
            .order_by(user_links.c.id)
        )
        with self.ledger.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def consent_ids(self, refs: Sequence[str]) -> list[str]:
        """Every consent id (browser) the account decided on or was applied to, in order."""
        return list(dict.fromkeys(str(r["consent_id"]) for r in self.rows(refs)))

    def access(self, refs: Sequence[str]) -> dict[str, Any] | None:
        """Everything stored about one account on this site (Art. 15): its browsers' records
        and texts (as ``rights.access`` gives them per consent id) and its links; None when
        the account has none."""
        links = self.rows(refs)
        if not links:
            return None
        found: list[dict[str, Any]] = []
        texts: dict[str, Any] = {}
        for consent_id in dict.fromkeys(str(r["consent_id"]) for r in links):
            one = rights.access(self.ledger, consent_id, self.site_id)
            found += one["records"]
            texts.update(one["texts"])
        found.sort(key=lambda r: r["id"])
        return {
            "user_refs": sorted({str(r["user_ref"]) for r in links}),
            "consent_ids": list(dict.fromkeys(str(r["consent_id"]) for r in links)),
            "links": [
                {
                    "consent_id": r["consent_id"],
                    "record_id": r["record_id"],
                    "linked_at": r["linked_at"],
                }
                for r in links
            ],
            "records": found,
            "texts": texts,
        }

    def erase(self, refs: Sequence[str]) -> tuple[list[str], int]:
        """Erase the personal fields of every record of the account's browsers on this site
        and delete its links; returns (the consent ids, how many records changed). The
        records' proof stays: erasure keeps each one's salted digest, so the seals verify."""
        consent_ids = self.consent_ids(refs)
        changed = sum(rights.erase(self.ledger, c, site=self.site_id) for c in consent_ids)
        with self.ledger.engine.begin() as conn:
            conn.execute(
                sa.delete(user_links).where(
                    user_links.c.site_id == self.site_id, user_links.c.user_ref.in_(list(refs))
                )
            )
        return consent_ids, changed


def prune(ledger: Ledger, sites: Iterable[str] | None = None) -> int:
    """Delete the links whose record is gone (purged at the end of its retention): a link
    lives no longer than the record it points at. Returns how many were deleted."""
    gone = ~sa.exists().where(records.c.id == user_links.c.record_id)
    stmt = sa.delete(user_links).where(gone)
    if sites is not None:
        stmt = stmt.where(user_links.c.site_id.in_(list(sites)))
    with ledger.engine.begin() as conn:
        return int(conn.execute(stmt).rowcount or 0)
