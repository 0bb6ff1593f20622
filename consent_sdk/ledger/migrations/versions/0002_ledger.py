"""The ledger: salted personal fields, erasure, the per-site index, seals and purges.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Additive only, so every record is kept as it was: the new columns are nullable, and a record
written before them (no ``salt``) hashes with an empty salt (``canonical.personal_digest``),
so it can be sealed and verified like a new one. ``ADD COLUMN`` of a nullable column rewrites
no rows on SQLite or PostgreSQL; the index is the only step that reads the whole table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""SQLite's rowid alias needs exactly INTEGER PRIMARY KEY; elsewhere ids are 64-bit."""


def upgrade() -> None:
    op.add_column("consent_records", sa.Column("salt", sa.String(32), nullable=True))
    op.add_column("consent_records", sa.Column("personal_digest", sa.String(64), nullable=True))
    op.add_column(
        "consent_records", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_consent_records_site_id_id", "consent_records", ["site_id", "id"])
    op.create_table(
        "consent_seals",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("after_id", sa.BigInteger, nullable=False),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("leaves", sa.LargeBinary, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("seal_hash", sa.String(64), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("site_id", "seq", name="uq_consent_seals_site_seq"),
    )
    op.create_index("ix_consent_seals_site_id_last_id", "consent_seals", ["site_id", "last_id"])
    op.create_table(
        "consent_purges",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("record_ids", sa.JSON, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    """Drops what the ledger added, seals and personal digests included: the records the
    release before can read are kept."""
    op.drop_table("consent_purges")
    op.drop_table("consent_seals")
    op.drop_index("ix_consent_records_site_id_id", table_name="consent_records")
    with op.batch_alter_table("consent_records") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("personal_digest")
        batch.drop_column("salt")
