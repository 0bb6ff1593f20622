"""The pseudonymous user reference: a keyed hash of the host's user id, never the id itself.

``user_ref = HMAC-SHA256(key, site id + NUL + user id)``, hex. The key is
``CONSENT_USER_KEY``; without it, one is derived from ``SECRET_KEY`` as
``HMAC-SHA256(SECRET_KEY, "consent_sdk.accounts.user_ref")``. The distinct salt keeps the
derived key apart from every other use of ``SECRET_KEY`` (the consent cookie's and the
session's signatures): knowing a user reference helps forge neither, and no signature made
with ``SECRET_KEY`` for another purpose is ever a user reference. The site id is hashed in so
that sites sharing one store and one key (tests/test_two_sites.py) get unrelated references
for the same customer: their rows cannot be joined on it.

A derived key changes with ``SECRET_KEY``: after a rotation the old key is in
``SECRET_KEY_FALLBACKS``, and export and erasure by user look under the references of every
key (``AccountKeys.all_refs``); new links use the newest. A site that rotates its secret
should set ``CONSENT_USER_KEY`` of its own, so that links outlive the rotation.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

DERIVATION_SALT = b"consent_sdk.accounts.user_ref"


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def derive_key(secret: str | bytes) -> bytes:
    """The user-reference key derived from ``SECRET_KEY`` (used when no ``CONSENT_USER_KEY``)."""
    return hmac.new(_bytes(secret), DERIVATION_SALT, hashlib.sha256).digest()


def user_ref(key: bytes, site_id: str, user_id: str) -> str:
    """The reference stored for ``user_id`` on ``site_id``: 64 hex digits, not reversible."""
    message = site_id.encode("utf-8") + b"\x00" + user_id.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class AccountKeys:
    """The newest key (new links) and the older ones (still found by export and erasure)."""

    keys: tuple[bytes, ...]

    @classmethod
    def from_config(
        cls,
        user_key: str | bytes | None,
        secret_key: str | bytes,
        secret_fallbacks: Sequence[str | bytes] = (),
    ) -> AccountKeys:
        if user_key is not None:
            return cls((_bytes(user_key),))
        return cls(tuple(derive_key(k) for k in (secret_key, *secret_fallbacks)))

    def ref(self, site_id: str, user_id: str) -> str:
        return user_ref(self.keys[0], site_id, user_id)

    def all_refs(self, site_id: str, user_id: str) -> list[str]:
        return list(dict.fromkeys(user_ref(k, site_id, user_id) for k in self.keys))
