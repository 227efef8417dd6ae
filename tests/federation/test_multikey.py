"""FEP-521a Multikey encodings, checked against the FEP's own examples."""

import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, generate_private_key
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from node.federation.multikey import (
    base58btc_decode,
    base58btc_encode,
    decode_multikey,
    encode_ed25519_multikey,
    encode_rsa_multikey,
)

VECTORS = Path(__file__).parent / "vectors"
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_VECTORS = REPO_ROOT.parent / "shared" / "vectors"


def _fep_521a() -> tuple[list[str], list[dict]]:
    """The hex keys ("Given ... hex string") and expected Multikey objects of the feature file."""
    text = (VECTORS / "fep" / "fep-521a.feature").read_text()
    hex_keys = re.findall(r'as a hex string "([0-9a-f]+)"', text)
    objects = [json.loads(block) for block in re.findall(r'"""(.*?)"""', text, re.S)]
    return hex_keys, objects


def test_vector_copies_match_shared_originals():
    # Given the copies the suite reads, so it runs without ../shared
    copies = sorted(path for path in VECTORS.rglob("*") if path.is_file())
    assert copies, "tests/federation/vectors/ is empty"
    for copy in copies:
        data = copy.read_bytes()
        assert data, f"{copy} is empty"
        # Then, where the published originals sit beside the repo, each copy is byte-identical
        if SHARED_VECTORS.is_dir():
            original = SHARED_VECTORS / copy.relative_to(VECTORS)
            assert original.read_bytes() == data, f"{copy} differs from {original}"


def test_fep_521a_ed25519_key():
    hex_keys, objects = _fep_521a()
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_keys[0]))

    encoded = encode_ed25519_multikey(key)

    assert encoded == objects[0]["publicKeyMultibase"]
    assert encoded.startswith("z6Mk")
    decoded = decode_multikey(encoded)
    assert isinstance(decoded, Ed25519PublicKey)
    assert decoded.public_bytes(Encoding.Raw, PublicFormat.Raw).hex() == hex_keys[0]


def test_fep_521a_rsa_key():
    hex_keys, objects = _fep_521a()
    der = bytes.fromhex(hex_keys[1])
    key = load_der_public_key(der)
    assert isinstance(key, RSAPublicKey)

    encoded = encode_rsa_multikey(key)

    assert encoded == objects[1]["publicKeyMultibase"]
    # the multicodec prefix 0x1205 is on the wire as the varint bytes 85 24
    assert base58btc_decode(encoded[1:])[:2] == bytes([0x85, 0x24])
    decoded = decode_multikey(encoded)
    assert isinstance(decoded, RSAPublicKey)
    assert decoded.public_bytes(Encoding.DER, PublicFormat.PKCS1) == der


def test_w3c_key_pair_public_key_matches_private_key():
    key_pair = json.loads((VECTORS / "eddsa-jcs-2022" / "keyPair.json").read_text())
    private = base58btc_decode(key_pair["privateKeyMultibase"][1:])
    assert private[:2] == bytes([0x80, 0x26])  # multicodec ed25519-priv, 0x1300

    public = Ed25519PrivateKey.from_private_bytes(private[2:]).public_key()

    assert encode_ed25519_multikey(public) == key_pair["publicKeyMultibase"]


def test_rsa_round_trip_with_a_fresh_key():
    key = generate_private_key(public_exponent=65537, key_size=2048).public_key()

    decoded = decode_multikey(encode_rsa_multikey(key))

    assert isinstance(decoded, RSAPublicKey)
    assert decoded.public_numbers() == key.public_numbers()


@pytest.mark.parametrize(
    "data",
    [b"", b"\0", b"\0\0\x01", b"hello world", bytes(range(256)), b"\xff" * 40],
)
def test_base58btc_round_trip(data):
    assert base58btc_decode(base58btc_encode(data)) == data


def test_base58btc_known_values():
    # Bitcoin's alphabet: leading zero bytes become "1"
    assert base58btc_encode(b"hello world") == "StV1DL6CwTryKyV"
    assert base58btc_encode(b"\0\0\x01") == "112"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "non-empty string"),
        ("u6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "start with 'z'"),
        ("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2do0", "'0' is not a base58btc character"),
        ("z" + base58btc_encode(bytes([0xED, 0x01]) + b"\x02" * 31), "must hold 32 bytes, not 31"),
        ("z" + base58btc_encode(bytes([0xE7, 0x01]) + b"\x02" * 33), "unsupported multicodec 0xe7"),
        ("z" + base58btc_encode(bytes([0x85, 0x24]) + b"not der"), "not a valid PKCS#1 DER key"),
        ("z" + base58btc_encode(b"\xff\xff"), "truncated multicodec prefix"),
    ],
)
def test_decode_multikey_rejects_bad_input(value, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        decode_multikey(value)


def test_decode_multikey_rejects_rsa_key_in_spki_encoding():
    key = generate_private_key(public_exponent=65537, key_size=2048).public_key()
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

    with pytest.raises(ValueError, match="must hold PKCS#1 DER"):
        decode_multikey("z" + base58btc_encode(bytes([0x85, 0x24]) + spki))
