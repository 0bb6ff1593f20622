"""Baseline: the tables of the release before the ledger (consent_records, consent_texts).

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Exactly what that release's ``metadata.create_all`` made, so a store it created is stamped
here and upgraded from here. The definitions are copied, not imported: this revision must
stay what it was when ``consent_sdk.ledger.tables`` moves on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""SQLite's rowid alias needs exactly INTEGER PRIMARY KEY; elsewhere ids are 64-bit."""


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("consent_id", sa.String(36), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("granted", sa.JSON, nullable=False),
        sa.Column("refused", sa.JSON, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("texts_hash", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("gpc", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_prefix", sa.String(45), nullable=True),
        sa.Column("browser", sa.String(64), nullable=True),
    )
    op.create_index("ix_consent_records_consent_id", "consent_records", ["consent_id"])
    op.create_index("ix_consent_records_retain_until", "consent_records", ["retain_until"])
    op.create_table(
        "consent_texts",
        sa.Column("texts_hash", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("consent_texts")
    op.drop_index("ix_consent_records_retain_until", table_name="consent_records")
    op.drop_index("ix_consent_records_consent_id", table_name="consent_records")
    op.drop_table("consent_records")
