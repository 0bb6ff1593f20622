"""The site's own tables. consent_sdk puts its consent records in the same database."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def _now() -> datetime:
    return datetime.now(UTC)


class ContactMessage(db.Model):  # type: ignore[name-defined,misc]
    """A message sent with the contact form (name, e-mail, message and when)."""

    __tablename__ = "stepahead_contact_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Counter(db.Model):  # type: ignore[name-defined,misc]
    """An aggregate count, e.g. ("pageview", "/services") or ("pixel", "/"); no visitor data."""

    __tablename__ = "stepahead_counter"
    __table_args__ = (UniqueConstraint("kind", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=0)


def increment(kind: str, path: str) -> int:
    """Add one to the ``kind`` counter of ``path`` and return the new count."""
    row = db.session.execute(
        select(Counter).where(Counter.kind == kind, Counter.path == path)
    ).scalar_one_or_none()
    if row is None:
        row = Counter(kind=kind, path=path, count=0)
        db.session.add(row)
    row.count += 1
    db.session.commit()
    return row.count


def counts(kind: str) -> dict[str, int]:
    """Every ``kind`` counter as {path: count}."""
    rows = db.session.execute(select(Counter).where(Counter.kind == kind)).scalars()
    return {row.path: row.count for row in rows}


class AdminUser(db.Model):  # type: ignore[name-defined,misc]
    """Someone who may see the consent dashboard: an e-mail and a password hash, no more.

    Made with ``flask --app examples.stepahead create-admin EMAIL``; the password is kept
    only as a werkzeug.security hash.
    """

    __tablename__ = "stepahead_admin_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Customer(db.Model):  # type: ignore[name-defined,misc]
    """A customer who may sign in to the shop side of the site (never the dashboard): an
    e-mail and a password hash. Kept apart from ``AdminUser``: another table, another session
    key, another sign-in form.

    Made with ``flask --app examples.stepahead create-customer EMAIL``; consent_sdk stores
    only a keyed hash of the customer's id (``consent.link_user``), never the id or e-mail.
    """

    __tablename__ = "stepahead_customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
