"""Banner impressions: how many page views showed the banner, per site, day, language, version.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Additive only: a new table, no record is touched. It holds counts, nothing about a visitor
(``consent_sdk.impressions``); its primary key is the upsert's conflict target and the index
the dashboard reads a site's period by.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_impressions",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("shown", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "site_id", "day", "language", "policy_version", name="pk_consent_impressions"
        ),
    )


def downgrade() -> None:
    """The counts go; every record stays."""
    op.drop_table("consent_impressions")
