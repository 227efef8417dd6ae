"""FEP-8b32 object integrity proofs: W3C Data Integrity with the eddsa-jcs-2022 cryptosuite."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from node.federation.multikey import base58btc_decode, base58btc_encode

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"

# XML Schema 1.1 dateTime, which the W3C spec requires of `created`.
_XSD_DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", re.ASCII)


class ProofError(ValueError):
    """A document's integrity proof is missing, malformed or does not verify."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _canonicalise(value: Any, what: str) -> bytes:
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError as exc:
        # Numbers past 2^53 cannot round-trip through other JSON stacks, so no signer can
        # agree with us on their bytes: refuse rather than sign something unverifiable.
        raise ProofError(
            f"{what} cannot be canonicalised (RFC 8785): an integer is outside ±2^53 ({exc})"
        ) from None
    except rfc8785.CanonicalizationError as exc:
        raise ProofError(f"{what} cannot be canonicalised (RFC 8785): {exc}") from None


def _hash_data(proof_config: dict[str, Any], unsecured: dict[str, Any]) -> bytes:
    """SHA-256(JCS(proof config)) || SHA-256(JCS(document)), the bytes Ed25519 signs."""
    proof_hash = hashlib.sha256(_canonicalise(proof_config, "proof")).digest()
    document_hash = hashlib.sha256(_canonicalise(unsecured, "document")).digest()
    return proof_hash + document_hash


def _now_xsd() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_document(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str | None = None,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """Return a copy of document with an eddsa-jcs-2022 `proof`; the input is left untouched."""
    if "proof" in document:
        raise ProofError("document already carries a proof; sign the unsecured document")
    if created is None:
        created = _now_xsd()
    elif not _XSD_DATETIME.fullmatch(created):
        raise ProofError(f"created {created!r} is not an XSD dateTime")
    proof_config: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    # FEP-8b32: the proof repeats the document's @context, so the proof is signed with it.
    if "@context" in document:
        proof_config["@context"] = document["@context"]
    signature = private_key.sign(_hash_data(proof_config, document))
    proof = {**proof_config, "proofValue": "z" + base58btc_encode(signature)}
    return {**document, "proof": proof}


def _proof_of(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ProofError("document is not a JSON object")
    proof = document.get("proof")
    if proof is None:
        raise ProofError("document has no proof")
    if isinstance(proof, list):
        raise ProofError("document carries a proof set; only a single proof is supported")
    if not isinstance(proof, dict):
        raise ProofError("proof is not a JSON object")
    return proof


def proof_verification_method(document: dict[str, Any]) -> str:
    """Return the proof's verificationMethod, so the caller can fetch the key before verifying."""
    method = _proof_of(document).get("verificationMethod")
    if not isinstance(method, str) or not method:
        raise ProofError("proof has no verificationMethod")
    return method


def verify_document(
    document: dict[str, Any],
    public_key: Ed25519PublicKey,
    proof_purpose: str = "assertionMethod",
) -> None:
    """Check document's eddsa-jcs-2022 proof against public_key; raise ProofError if it fails."""
    proof = _proof_of(document)
    if proof.get("type") != PROOF_TYPE:
        raise ProofError(f"proof type is {proof.get('type')!r}, expected {PROOF_TYPE!r}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(
            f"proof cryptosuite is {proof.get('cryptosuite')!r}, expected {CRYPTOSUITE!r}"
        )
    if proof.get("proofPurpose") != proof_purpose:
        raise ProofError(
            f"proof purpose is {proof.get('proofPurpose')!r}, expected {proof_purpose!r}"
        )
    created = proof.get("created")
    if created is not None and not (isinstance(created, str) and _XSD_DATETIME.fullmatch(created)):
        raise ProofError(f"proof created {created!r} is not an XSD dateTime")
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        raise ProofError("proofValue is missing or not base58btc multibase")
    try:
        signature = base58btc_decode(proof_value[1:])
    except ValueError as exc:
        raise ProofError(f"proofValue is not base58btc: {exc}") from None
    if len(signature) != 64:
        raise ProofError(f"proofValue holds {len(signature)} bytes, an Ed25519 signature has 64")

    unsecured = {key: value for key, value in document.items() if key != "proof"}
    proof_config = {key: value for key, value in proof.items() if key != "proofValue"}
    if "@context" in proof_config:
        # W3C eddsa-jcs-2022 "Verify Proof" step 4: the document's @context must start with
        # the proof's, and the document is then hashed under the proof's @context.
        proof_context = _as_list(proof_config["@context"])
        document_context = _as_list(unsecured.get("@context"))
        if document_context[: len(proof_context)] != proof_context:
            raise ProofError("proof @context does not match the document's @context")
        unsecured["@context"] = proof_config["@context"]
    elif "@context" in unsecured:
        # "Proof Configuration" step 4: the proof config always takes the document's @context.
        proof_config["@context"] = unsecured["@context"]

    try:
        public_key.verify(signature, _hash_data(proof_config, unsecured))
    except InvalidSignature:
        raise ProofError(
            f"proof signature does not verify with key {proof.get('verificationMethod')}"
        ) from None


def _as_list(context: Any) -> list[Any]:
    if context is None:
        return []
    return context if isinstance(context, list) else [context]
