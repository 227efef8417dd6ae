"""eddsa-jcs-2022 proofs against the W3C test vectors and the FEP-8b32 feature."""

import copy
import hashlib
import json
import re
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.federation.integrity_proofs import (
    ProofError,
    proof_verification_method,
    sign_document,
    verify_document,
)
from node.federation.multikey import base58btc_decode, base58btc_encode, decode_multikey

W3C = Path(__file__).parent / "vectors" / "eddsa-jcs-2022"
FEP_8B32 = Path(__file__).parent / "vectors" / "fep" / "fep-8b32.feature"


def _w3c_text(name: str) -> str:
    return (W3C / name).read_text()


def _w3c_json(name: str) -> dict:
    return json.loads(_w3c_text(name))


def _private_key(multibase: str) -> Ed25519PrivateKey:
    raw = base58btc_decode(multibase[1:])
    assert raw[:2] == bytes([0x80, 0x26]), "not a multicodec ed25519-priv key"
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


@pytest.fixture
def key_pair():
    pair = _w3c_json("keyPair.json")
    return _private_key(pair["privateKeyMultibase"]), decode_multikey(pair["publicKeyMultibase"])


@pytest.fixture
def fep_vector():
    """The FEP-8b32 scenario: document, secret key, time, key id and expected signed document."""
    text = FEP_8B32.read_text()
    blocks = [json.loads(block) for block in re.findall(r'"""(.*?)"""', text, re.S)]
    return {
        "document": blocks[0],
        "secret": re.search(r'Ed25519 secret key "(\w+)"', text)[1],
        "created": re.search(r'current time "([^"]+)"', text)[1],
        "key_id": re.search(r'Signing the document for key "([^"]+)"', text)[1],
        "signed": blocks[1],
        "actor": blocks[3],
    }


# --- the W3C vectors, one intermediate value at a time ------------------------------------------


def test_w3c_canonical_document():
    assert rfc8785.dumps(_w3c_json("unsigned.json")).decode() == _w3c_text("canonDocJCS.txt")


def test_w3c_canonical_proof_config():
    canonical = rfc8785.dumps(_w3c_json("proofConfigJCS.json")).decode()
    assert canonical == _w3c_text("proofCanonJCS.txt")


def test_w3c_hashes():
    doc_hash = hashlib.sha256(_w3c_text("canonDocJCS.txt").encode()).hexdigest()
    proof_hash = hashlib.sha256(_w3c_text("proofCanonJCS.txt").encode()).hexdigest()

    assert doc_hash == _w3c_text("docHashJCS.txt")
    assert proof_hash == _w3c_text("proofHashJCS.txt")
    # the proof hash comes first
    assert proof_hash + doc_hash == _w3c_text("combinedHashJCS.txt")


def test_w3c_signature(key_pair):
    private_key, _ = key_pair
    combined = bytes.fromhex(_w3c_text("combinedHashJCS.txt"))

    signature = private_key.sign(combined)

    assert signature.hex() == _w3c_text("sigHexJCS.txt")
    assert "z" + base58btc_encode(signature) == _w3c_text("sigBTC58JCS.txt")


def test_w3c_sign_document_reproduces_signed_vector(key_pair):
    private_key, _ = key_pair
    config = _w3c_json("proofConfigJCS.json")

    signed = sign_document(
        _w3c_json("unsigned.json"),
        private_key,
        config["verificationMethod"],
        created=config["created"],
    )

    assert signed == _w3c_json("signedJCS.json")
    assert signed["proof"]["proofValue"] == _w3c_text("sigBTC58JCS.txt")


def test_w3c_signed_vector_verifies(key_pair):
    _, public_key = key_pair
    signed = _w3c_json("signedJCS.json")

    verify_document(signed, public_key)

    assert proof_verification_method(signed) == (
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    )


# --- FEP-8b32 ----------------------------------------------------------------------------------


def test_fep_8b32_signing_gives_the_expected_proof(fep_vector):
    private_key = _private_key(fep_vector["secret"])

    signed = sign_document(
        fep_vector["document"], private_key, fep_vector["key_id"], created=fep_vector["created"]
    )

    assert signed == fep_vector["signed"]
    assert signed["proof"]["proofValue"] == (
        "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL"
    )
    # the document given to sign is not modified
    assert "proof" not in fep_vector["document"]


def test_fep_8b32_verifying_with_the_actors_multikey(fep_vector):
    signed = fep_vector["signed"]
    method = proof_verification_method(signed)
    entry = next(e for e in fep_vector["actor"]["assertionMethod"] if e["id"] == method)

    verify_document(signed, decode_multikey(entry["publicKeyMultibase"]))


def test_round_trip_with_a_fresh_key_and_default_created():
    private_key = Ed25519PrivateKey.generate()
    document = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Note", "x": 1}

    signed = sign_document(document, private_key, "https://a.example/actor#ed25519-key")

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", signed["proof"]["created"])
    assert signed["proof"]["@context"] == document["@context"]
    verify_document(signed, private_key.public_key())


# --- rejections --------------------------------------------------------------------------------


def _fep_signed(fep_vector) -> dict:
    return copy.deepcopy(fep_vector["signed"])


def _fep_public_key(fep_vector):
    return _private_key(fep_vector["secret"]).public_key()


def _tamper_content(doc):
    doc["object"]["content"] = "Hello world!"


def _tamper_number(doc):
    doc["object"]["location"]["latitude"] = 25.273963


def _tamper_created(doc):
    doc["proof"]["created"] = "2023-02-24T23:36:39Z"


def _tamper_added_field(doc):
    doc["to"] = ["https://www.w3.org/ns/activitystreams#Public"]


def _tamper_verification_method(doc):
    doc["proof"]["verificationMethod"] = "https://evil.example/users/mallory#ed25519-key"


@pytest.mark.parametrize(
    "tamper",
    [
        _tamper_content,
        _tamper_number,
        _tamper_created,
        _tamper_added_field,
        _tamper_verification_method,
    ],
)
def test_tampered_document_fails(fep_vector, tamper):
    signed = _fep_signed(fep_vector)
    tamper(signed)

    with pytest.raises(ProofError, match="proof signature does not verify with key"):
        verify_document(signed, _fep_public_key(fep_vector))


def test_wrong_key_fails(fep_vector):
    reason = "does not verify with key https://server.example/users/alice#ed25519-key"
    with pytest.raises(ProofError, match=re.escape(reason)):
        verify_document(_fep_signed(fep_vector), Ed25519PrivateKey.generate().public_key())


def _drop_proof(doc):
    del doc["proof"]


def _proof_set(doc):
    doc["proof"] = [doc["proof"]]


def _wrong_type(doc):
    doc["proof"]["type"] = "Ed25519Signature2020"


def _wrong_cryptosuite(doc):
    doc["proof"]["cryptosuite"] = "eddsa-rdfc-2022"


def _wrong_purpose(doc):
    doc["proof"]["proofPurpose"] = "authentication"


def _bad_created(doc):
    doc["proof"]["created"] = "yesterday"


def _not_multibase(doc):
    doc["proof"]["proofValue"] = "u" + doc["proof"]["proofValue"][1:]


def _not_base58(doc):
    doc["proof"]["proofValue"] = doc["proof"]["proofValue"][:-1] + "0"


def _short_signature(doc):
    doc["proof"]["proofValue"] = doc["proof"]["proofValue"][:-10]


def _context_mismatch(doc):
    doc["@context"] = ["https://www.w3.org/ns/activitystreams"]


def _huge_integer(doc):
    doc["object"]["likes"] = 2**53 + 1


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_drop_proof, "document has no proof"),
        (_proof_set, "proof set; only a single proof is supported"),
        (_wrong_type, "proof type is 'Ed25519Signature2020', expected 'DataIntegrityProof'"),
        (_wrong_cryptosuite, "proof cryptosuite is 'eddsa-rdfc-2022', expected 'eddsa-jcs-2022'"),
        (_wrong_purpose, "proof purpose is 'authentication', expected 'assertionMethod'"),
        (_bad_created, "proof created 'yesterday' is not an XSD dateTime"),
        (_not_multibase, "proofValue is missing or not base58btc multibase"),
        (_not_base58, "proofValue is not base58btc: '0' is not a base58btc character"),
        (_short_signature, "an Ed25519 signature has 64"),
        (_context_mismatch, "proof @context does not match the document's @context"),
        (_huge_integer, "document cannot be canonicalised (RFC 8785): an integer is outside ±2^53"),
    ],
)
def test_malformed_proof_is_refused_with_a_reason(fep_vector, tamper, reason):
    signed = _fep_signed(fep_vector)
    tamper(signed)

    with pytest.raises(ProofError, match=re.escape(reason)) as caught:
        verify_document(signed, _fep_public_key(fep_vector))
    assert caught.value.reason == str(caught.value)


def test_document_context_may_extend_the_proof_context(fep_vector):
    # W3C "Verify Proof" step 4: the document's @context need only start with the proof's
    signed = _fep_signed(fep_vector)
    signed["@context"] = [*signed["@context"], "https://w3id.org/security/multikey/v1"]

    verify_document(signed, _fep_public_key(fep_vector))


def test_signing_refuses_integers_beyond_2_53():
    with pytest.raises(ProofError, match=re.escape("an integer is outside ±2^53")):
        sign_document({"n": 2**53 + 1}, Ed25519PrivateKey.generate(), "https://a.example/k")


def test_signing_refuses_an_already_signed_document(fep_vector):
    with pytest.raises(ProofError, match="document already carries a proof"):
        sign_document(
            fep_vector["signed"], _private_key(fep_vector["secret"]), fep_vector["key_id"]
        )


def test_proof_verification_method_needs_a_proof():
    with pytest.raises(ProofError, match="document has no proof"):
        proof_verification_method({"type": "Create"})
    with pytest.raises(ProofError, match="proof has no verificationMethod"):
        proof_verification_method({"proof": {"type": "DataIntegrityProof"}})
