"""Consent that follows a signed-in customer: which records each account made.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Additive only: a new table, no record is touched. A row ties one record to a keyed hash of
the host's user id (``consent_sdk.accounts``), never the user id itself; the index is the one
the signed-in gate, ``export --user`` and ``erase --user`` read an account's rows by.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "consent_user_links",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("user_ref", sa.String(64), nullable=False),
        sa.Column("consent_id", sa.String(36), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "site_id", "user_ref", "record_id", name="uq_consent_user_links_record"
        ),
    )
    op.create_index(
        "ix_consent_user_links_site_id_user_ref", "consent_user_links", ["site_id", "user_ref"]
    )


def downgrade() -> None:
    """The links go (signed-in customers stop following their account); every record stays."""
    op.drop_index("ix_consent_user_links_site_id_user_ref", table_name="consent_user_links")
    op.drop_table("consent_user_links")
