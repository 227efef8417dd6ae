"""The node's key pair files: Ed25519 (our own proofs and signatures) and RSA-2048 (Mastodon)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

ED25519_FILE = "ed25519.pem"
RSA_FILE = "rsa.pem"


@dataclass(frozen=True)
class NodeKeys:
    ed25519: ed25519.Ed25519PrivateKey
    rsa: rsa.RSAPrivateKey


def _write_private(path: Path, key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created 0600 from the first byte: never world-readable, not even for an instant.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def generate_keys(keys_dir: Path) -> NodeKeys:
    """Create both key files; refuses to overwrite existing ones."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys = NodeKeys(
        ed25519=ed25519.Ed25519PrivateKey.generate(),
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    _write_private(keys_dir / ED25519_FILE, keys.ed25519)
    _write_private(keys_dir / RSA_FILE, keys.rsa)
    return keys


def load_keys(keys_dir: Path) -> NodeKeys:
    """Read both key files; a missing or wrong file is a clear error, not a traceback."""
    loaded = {}
    for name, expected in (
        (ED25519_FILE, ed25519.Ed25519PrivateKey),
        (RSA_FILE, rsa.RSAPrivateKey),
    ):
        path = keys_dir / name
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise KeyFileError(f"key file {path} is missing") from None
        except ValueError as exc:
            raise KeyFileError(
                f"key file {path} is not a readable PEM private key: {exc}"
            ) from None
        if not isinstance(key, expected):
            raise KeyFileError(f"key file {path} holds the wrong kind of key")
        loaded[name] = key
    return NodeKeys(ed25519=loaded[ED25519_FILE], rsa=loaded[RSA_FILE])


def rotate_keys(keys_dir: Path, now: int) -> NodeKeys:
    """Replace both key pairs; the old files move to keys/retired/ (kept, never served)."""
    retired = keys_dir / "retired"
    retired.mkdir(mode=0o700, exist_ok=True)
    for name in (ED25519_FILE, RSA_FILE):
        current = keys_dir / name
        if current.exists():
            current.rename(retired / f"{now}-{name}")
    keys = NodeKeys(
        ed25519=ed25519.Ed25519PrivateKey.generate(),
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    _write_private(keys_dir / ED25519_FILE, keys.ed25519)
    _write_private(keys_dir / RSA_FILE, keys.rsa)
    return keys


def fingerprint(keys: NodeKeys) -> str:
    """A short identity of the public keys, to notice a rotation."""
    raw = keys.ed25519.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ) + keys.rsa.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(raw).hexdigest()[:32]


class KeyFileError(RuntimeError):
    """A key file is missing or unreadable."""
