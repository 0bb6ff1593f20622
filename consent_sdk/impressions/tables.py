"""The impressions table, on the ledger's ``MetaData`` so that the same migrations, checks and
host ``db=`` copies cover it (revision ``0004``)."""

from __future__ import annotations

import sqlalchemy as sa

from ..ledger.tables import metadata

KEY = ("site_id", "day", "language", "policy_version")
"""What a count is kept per: nothing that tells one visitor from another."""

impressions = sa.Table(
    "consent_impressions",
    metadata,
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("shown", sa.BigInteger, nullable=False),
    # The key is the upsert's conflict target and the index of a site's period (site, day).
    sa.PrimaryKeyConstraint(*KEY, name="pk_consent_impressions"),
)
"""How many page views showed the banner, per site, UTC day, language and policy version."""
