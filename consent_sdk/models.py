"""The consent tables, as SQLAlchemy Core tables on their own ``MetaData``.

Core rather than ORM models: the SDK writes one row per decision on the hot path and never
needs identity maps or sessions, and the same tables can be copied into a host app's
Flask-SQLAlchemy metadata without fighting it for a declarative base.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

records = sa.Table(
    "consent_records",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("consent_id", sa.String(36), nullable=False, index=True),
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
    sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("ip_prefix", sa.String(45), nullable=True),
    sa.Column("browser", sa.String(64), nullable=True),
)
"""One row per decision, never updated: grants, refusals and withdrawals alike (rule 10)."""

texts = sa.Table(
    "consent_texts",
    metadata,
    sa.Column("texts_hash", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("content", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
"""Each version of the banner's texts, kept once by hash, so a record's hash can be read back."""

RECORD_FIELDS = tuple(c.name for c in records.columns if c.name != "id")
