"""A ready-made ``sign`` callable for ``PackWriter`` from an Ed25519 private key."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audits.packs.verify_standalone import key_fingerprint


class Ed25519Signer:
    """``signer(data) -> (key_id, signature)``, with ``key_id`` and ``public_key_pem`` to hand."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        public_key = private_key.public_key()
        self.key_id = key_fingerprint(public_key)
        self.public_key_pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> Ed25519Signer:
        key = serialization.load_pem_private_key(pem, password=password)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(key)

    def __call__(self, data: bytes) -> tuple[str, bytes]:
        return self.key_id, self._private_key.sign(data)
