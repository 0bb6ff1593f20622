"""The ledger's tables, as SQLAlchemy Core tables on their own ``MetaData``.

Core rather than ORM models: the SDK writes one row per decision on the hot path and never
needs identity maps or sessions, and the same tables can be copied into a host app's
Flask-SQLAlchemy metadata without fighting it for a declarative base.

A change here is a new Alembic revision in ``ledger/migrations/versions`` too.
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
    # Personal fields: hashed into the record's seal with a salt of their own, so that
    # erasure can drop them (and the salt) and keep only their digest.
    sa.Column("ip_prefix", sa.String(45), nullable=True),
    sa.Column("browser", sa.String(64), nullable=True),
    sa.Column("salt", sa.String(32), nullable=True),
    sa.Column("personal_digest", sa.String(64), nullable=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    # Each site's records in id order (seal, verify); one site's period (export, dashboard).
    sa.Index("ix_consent_records_site_id_id", "site_id", "id"),
    sa.Index("ix_consent_records_site_id_created_at", "site_id", "created_at"),
)
"""One row per decision, never deleted before its retention ends (rule 10); only erasure
rewrites a row, and only its personal fields."""

texts = sa.Table(
    "consent_texts",
    metadata,
    sa.Column("texts_hash", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("content", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
"""Each version of the banner's texts, kept once by hash, so a record's hash can be read back."""

seals = sa.Table(
    "consent_seals",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("after_id", sa.BigInteger, nullable=False),
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    # (record id, content hash) of every sealed record, packed 40 bytes each: what lets
    # ``verify`` name the record that was altered, deleted, inserted or swapped.
    sa.Column("leaves", sa.LargeBinary, nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("seal_hash", sa.String(64), nullable=False),
    sa.Column("kid", sa.String(64), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
    sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("site_id", "seq", name="uq_consent_seals_site_seq"),
    # The seal holding a record (receipts) and each site's last seal (seal, verify).
    sa.Index("ix_consent_seals_site_id_last_id", "site_id", "last_id"),
)
"""A batch of one site's records, sealed by a Merkle root and chained to the batch before."""

purges = sa.Table(
    "consent_purges",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("record_ids", sa.JSON, nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kid", sa.String(64), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
)
"""Signed tombstones: which sealed records were deleted on purpose (retention ended)."""

user_links = sa.Table(
    "consent_user_links",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    # HMAC-SHA256 of the site id and the host's user id (consent_sdk/accounts.py): never the
    # user id itself.
    sa.Column("user_ref", sa.String(64), nullable=False),
    sa.Column("consent_id", sa.String(36), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("site_id", "user_ref", "record_id", name="uq_consent_user_links_record"),
    # A user's decisions (the gate of a signed-in visitor, export and erase by user).
    sa.Index("ix_consent_user_links_site_id_user_ref", "site_id", "user_ref"),
)
"""Which records a signed-in customer made (or adopted at sign-in): one row per record, so a
decision counts for an account only if it was made while signed in. Not sealed: erasure by
user deletes the rows, and the records they pointed at stay as they were proven."""

RECORD_FIELDS = tuple(c.name for c in records.columns if c.name != "id")
PERSONAL_FIELDS = ("ip_prefix", "browser")
