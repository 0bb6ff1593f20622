"""The ledger's signing keys: Ed25519, so anyone can verify with the public key alone.

Seals, purge tombstones and receipts are signed with ``CONSENT_RECEIPT_KEY``; the public keys
of ``CONSENT_RECEIPT_KEY_FALLBACKS`` stay published (and accepted) after a rotation, the way
``SECRET_KEY_FALLBACKS`` works for Flask's signed cookies. Key ids are RFC 7638 JWK
thumbprints.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..exceptions import ConfigurationError

log = logging.getLogger("consent_sdk")

DEFAULT_KEY_FILE = "consent-receipt-key.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def jwk(public: Ed25519PublicKey) -> dict[str, str]:
    """The public key as an RFC 8037 JWK (OKP, Ed25519), with its thumbprint as ``kid``."""
    x = b64url(_raw(public))
    thumbprint = b64url(
        hashlib.sha256(
            json.dumps(
                {"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True
            ).encode()
        ).digest()
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint, "alg": "EdDSA", "use": "sig"}


def public_from_jwk(key: dict[str, str]) -> Ed25519PublicKey:
    if key.get("kty") != "OKP" or key.get("crv") != "Ed25519" or "x" not in key:
        raise ValueError("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(unb64url(key["x"]))


def _load_pem(value: str | bytes, setting: str) -> Ed25519PrivateKey | Ed25519PublicKey:
    """A PEM (text) or the path of a PEM file: private or public, Ed25519 only."""
    text = value.encode() if isinstance(value, str) else value
    if b"-----BEGIN" not in text:
        path = Path(text.decode())
        if not path.is_file():
            raise ConfigurationError(f"{setting}: no PEM and no such file: {path}")
        text = path.read_bytes()
    try:
        if b"PRIVATE KEY" in text:
            key: object = serialization.load_pem_private_key(text, password=None)
        else:
            key = serialization.load_pem_public_key(text)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{setting}: not a readable PEM key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        raise ConfigurationError(f"{setting}: the key must be Ed25519, got {type(key).__name__}")
    return key


class Keys:
    """The current signing key and every public key that still verifies."""

    def __init__(
        self, private: Ed25519PrivateKey, fallbacks: Iterable[Ed25519PublicKey] = ()
    ) -> None:
        self._private = private
        self.current = jwk(private.public_key())
        self.kid = self.current["kid"]
        self._public = {self.kid: private.public_key()}
        for public in fallbacks:
            self._public.setdefault(jwk(public)["kid"], public)

    @classmethod
    def from_config(
        cls, key: str | bytes | None, fallbacks: Iterable[str | bytes], instance_path: str
    ) -> Keys:
        """``CONSENT_RECEIPT_KEY``, or a key generated once into the instance folder."""
        if key:
            private = _load_pem(key, "CONSENT_RECEIPT_KEY")
            if not isinstance(private, Ed25519PrivateKey):
                raise ConfigurationError("CONSENT_RECEIPT_KEY must be a private key.")
        else:
            private = _instance_key(Path(instance_path) / DEFAULT_KEY_FILE)
        publics = []
        for value in fallbacks:
            old = _load_pem(value, "CONSENT_RECEIPT_KEY_FALLBACKS")
            publics.append(old.public_key() if isinstance(old, Ed25519PrivateKey) else old)
        return cls(private, publics)

    @classmethod
    def verifying(cls, jwks: Iterable[dict[str, str]]) -> dict[str, Ed25519PublicKey]:
        """Public keys from a JWK set, by kid (what a third party verifies with)."""
        return {k["kid"]: public_from_jwk(k) for k in jwks}

    @property
    def public(self) -> dict[str, Ed25519PublicKey]:
        return dict(self._public)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [jwk(p) for p in self._public.values()]}

    def sign(self, data: bytes) -> tuple[str, str]:
        """(kid, base64url signature)."""
        return self.kid, b64url(self._private.sign(data))


def verify_signature(
    public: dict[str, Ed25519PublicKey], kid: str, data: bytes, signature: str
) -> bool:
    key = public.get(kid)
    if key is None:
        return False
    try:
        key.verify(unb64url(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def _instance_key(path: Path) -> Ed25519PrivateKey:
    """Read the generated key, or generate it (once, even with several workers starting)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            # A hard link appears whole or not at all: a worker starting beside us reads
            # either no file or the complete key, and the first one to link wins.
            os.link(tmp, path)
        except FileExistsError:
            pass
        else:
            log.warning(
                "consent_sdk generated its receipt signing key at %s: keep it (receipts and "
                "seals are verified with it) or set CONSENT_RECEIPT_KEY.",
                path,
            )
        finally:
            tmp.unlink()
    key = _load_pem(path.read_bytes(), str(path))
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} must hold an Ed25519 private key.")
    return key
