"""The dashboard's rollup: daily counts per site and key, answers to banners, watermarks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Additive only: three new tables (the counts, the answers to banners, the watermarks), no record
is touched. They start empty (every site's watermark at 0), so the dashboard reads the records
as before until the first ``flask consent seal`` (or ``flask consent rollup``) counts them; at
millions of records that first run takes minutes, in batches, with no lock on the records.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEY = (
    "site_id",
    "day",
    "policy_version",
    "language",
    "source",
    "action",
    "gpc",
    "granted",
    "refused",
)


def upgrade() -> None:
    op.create_table(
        "consent_daily_counts",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("gpc", sa.Boolean, nullable=False),
        sa.Column("granted", sa.Text, nullable=False),
        sa.Column("refused", sa.Text, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name="pk_consent_daily_counts"),
    )
    op.create_table(
        "consent_daily_answers",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "site_id",
            "day",
            "language",
            "policy_version",
            "outcome",
            name="pk_consent_daily_answers",
        ),
    )
    op.create_table(
        "consent_rollup_marks",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("last_id", sa.BigInteger, nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """The counts go; every record stays (the dashboard can recount them)."""
    op.drop_table("consent_rollup_marks")
    op.drop_table("consent_daily_answers")
    op.drop_table("consent_daily_counts")
