"""The index of one site's records by time: an export of a site's day, the dashboard's period.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

Without it, ``export --site S --since D --until D+1`` and the dashboard's overview read the
whole table (a parallel sequential scan at a million records) to keep a few thousand rows.
Additive only: no row is touched. Building it reads the table once; on PostgreSQL the
upgrade's transaction holds a lock that blocks writes (not reads) meanwhile, which at
millions of records is seconds to a minute: upgrade in a quiet moment.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_consent_records_site_id_created_at", "consent_records", ["site_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_consent_records_site_id_created_at", table_name="consent_records")
