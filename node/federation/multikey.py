"""FEP-521a Multikey: public keys as multibase (base58btc) strings with a multicodec prefix."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ALPHABET_INDEX = {char: index for index, char in enumerate(_ALPHABET)}

# Multicodec table codes; on the wire they are unsigned varints (0xed01 and 0x8524).
ED25519_PUB = 0xED
RSA_PUB = 0x1205
_ED25519_PREFIX = bytes([0xED, 0x01])
_RSA_PREFIX = bytes([0x85, 0x24])

# A multibase string names its base with its first character; "z" is base58btc.
_BASE58BTC = "z"

# An 8192-bit RSA key takes about 1,500 characters. Decoding base58 costs the square of the
# length, so a longer string (a remote document may hold a megabyte) is refused unread.
MAX_MULTIKEY_CHARS = 2_000


def base58btc_encode(data: bytes) -> str:
    """Encode bytes in base58 with the Bitcoin alphabet (no multibase prefix)."""
    # Leading zero bytes carry no numeric value, so base58 spells each one as "1".
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """Decode base58 with the Bitcoin alphabet; raise ValueError on a foreign character."""
    number = 0
    for char in text:
        try:
            number = number * 58 + _ALPHABET_INDEX[char]
        except KeyError:
            raise ValueError(f"{char!r} is not a base58btc character") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def _read_varint(data: bytes) -> tuple[int, int]:
    """Return (value, length) of the unsigned LEB128 varint at the start of data."""
    value = 0
    for index, byte in enumerate(data[:9]):  # multiformats caps varints at 9 bytes
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, index + 1
    raise ValueError("Multikey has a truncated multicodec prefix")


def encode_ed25519_multikey(public_key: Ed25519PublicKey) -> str:
    """Return the FEP-521a publicKeyMultibase of an Ed25519 key ("z6Mk...")."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _BASE58BTC + base58btc_encode(_ED25519_PREFIX + raw)


def encode_rsa_multikey(public_key: RSAPublicKey) -> str:
    """Return the FEP-521a publicKeyMultibase of an RSA key (PKCS#1 DER, prefix 0x8524)."""
    der = public_key.public_bytes(Encoding.DER, PublicFormat.PKCS1)
    return _BASE58BTC + base58btc_encode(_RSA_PREFIX + der)


def decode_multikey(value: str) -> Ed25519PublicKey | RSAPublicKey:
    """Parse a publicKeyMultibase into an Ed25519 or RSA public key; ValueError says why not."""
    if not isinstance(value, str) or not value:
        raise ValueError("Multikey must be a non-empty string")
    if value[0] != _BASE58BTC:
        raise ValueError(f"Multikey must be base58btc multibase (start with 'z'), not {value[0]!r}")
    if len(value) > MAX_MULTIKEY_CHARS:
        raise ValueError(f"Multikey is {len(value)} characters long, more than any key we take")
    data = base58btc_decode(value[1:])
    codec, offset = _read_varint(data)
    key_bytes = data[offset:]
    if codec == ED25519_PUB:
        if len(key_bytes) != 32:
            raise ValueError(f"Ed25519 Multikey must hold 32 bytes, not {len(key_bytes)}")
        return Ed25519PublicKey.from_public_bytes(key_bytes)
    if codec == RSA_PUB:
        try:
            key = load_der_public_key(key_bytes)
        except ValueError as exc:
            raise ValueError(f"RSA Multikey is not a valid PKCS#1 DER key: {exc}") from None
        if not isinstance(key, RSAPublicKey):
            raise ValueError("RSA Multikey does not hold an RSA key")
        # load_der_public_key also takes SubjectPublicKeyInfo; FEP-521a names PKCS#1 only.
        if key.public_bytes(Encoding.DER, PublicFormat.PKCS1) != key_bytes:
            raise ValueError("RSA Multikey must hold PKCS#1 DER, not another encoding")
        return key
    raise ValueError(f"Multikey uses unsupported multicodec 0x{codec:x} (want Ed25519 or RSA)")
