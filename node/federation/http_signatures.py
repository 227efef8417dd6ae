"""HTTP message signatures: draft-cavage-12 (what Mastodon sends) and RFC 9421, sign and verify.

Verification is split in two so a caller can fetch the key asynchronously in between:
`parse_signature` does every check that needs no key (coverage, clock, body digest) and
`verify_parsed` checks the signature bytes once the key is known.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from node.federation.structured_fields import (
    KEY,
    Item,
    Params,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialise_bare,
    serialise_inner_list,
    serialise_item,
)

# Mastodon's window: a Date up to 65 minutes old or 60 minutes ahead is accepted.
DEFAULT_MAX_AGE = timedelta(minutes=65)
DEFAULT_MAX_FUTURE = timedelta(minutes=60)

# Mastodon insists on a signed digest for these even when the body is empty.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "rsa-sha512", "hs2019"})
_RFC9421_ALGORITHMS = frozenset({"ed25519", "rsa-v1_5-sha256", "rsa-pss-sha512"})
_DIGEST_ALGORITHMS = {"sha-256": "sha256", "sha-512": "sha512"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SignatureError(ValueError):
    """A request's HTTP signature is missing, malformed, stale or does not verify."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """A signature that passed every check not needing the key; hand it to `verify_parsed`."""

    scheme: Literal["cavage", "rfc9421"]
    key_id: str
    algorithm: str | None  # as the signer stated it; None when it left the key to decide
    signature: bytes
    signing_base: bytes  # the exact bytes the signature covers
    covered: tuple[str, ...]  # header names / component identifiers, lower-case
    created: datetime | None  # `created` parameter, or the signed Date header
    label: str | None = None  # RFC 9421 only


# --- body digests -------------------------------------------------------------------------------


def digest_header(body: bytes) -> str:
    """Return a draft-cavage `Digest` value: "SHA-256=<base64>"."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """Return an RFC 9530 `Content-Digest` value: "sha-256=:<base64>:"."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def check_body_digest(headers: Mapping[str, str], body: bytes | None) -> None:
    """Check whichever of Digest / Content-Digest is present against the raw body bytes."""
    if not _check_digests(_normalise_headers(headers), body or b""):
        raise SignatureError("Request has neither a Digest nor a Content-Digest header")


def _check_digests(fields: dict[str, str], body: bytes) -> bool:
    """Check every digest header present; return whether there was one."""
    computed: dict[str, bytes] = {}  # hash a large body once even if both headers ask

    def matches(algorithm: str, expected: bytes) -> bool:
        if algorithm not in computed:
            computed[algorithm] = hashlib.new(_DIGEST_ALGORITHMS[algorithm], body).digest()
        return hmac.compare_digest(computed[algorithm], expected)

    found = False
    if (value := fields.get("content-digest")) is not None:
        found = True
        try:
            members = parse_dictionary(value)
        except StructuredFieldError as exc:
            raise SignatureError(f"Content-Digest header is malformed: {exc}") from None
        offered = {
            name: item[0]
            for name, item in members.items()
            if name in _DIGEST_ALGORITHMS and isinstance(item[0], bytes)
        }
        if not offered:
            raise SignatureError("Content-Digest header has no sha-256 or sha-512 value")
        if not all(matches(name, digest) for name, digest in offered.items()):
            raise SignatureError("Content-Digest does not match the body")
    if (value := fields.get("digest")) is not None:
        found = True
        offered = {}
        for part in value.split(","):
            name, _, encoded = part.strip().partition("=")
            if name.lower() in _DIGEST_ALGORITHMS:
                try:
                    offered[name.lower()] = base64.b64decode(encoded, validate=True)
                except ValueError:  # binascii.Error, or a character that is not ASCII
                    raise SignatureError("Digest header is not valid base64") from None
        if not offered:
            raise SignatureError("Digest header has no SHA-256 or SHA-512 value")
        if not all(matches(name, digest) for name, digest in offered.items()):
            raise SignatureError("Digest does not match the body")
    return found


# --- request helpers ----------------------------------------------------------------------------


def _normalise_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names, trim values, join repeated fields with ", " (RFC 9421 §2.1)."""
    fields: dict[str, str] = {}
    # items() rather than keys(): a multidict (aiohttp's CIMultiDict) yields every instance.
    for name, value in headers.items():
        name = name.lower()
        value = value.strip()
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    return fields


def _expects_body(method: str, body: bytes | None) -> bool:
    return bool(body) or method.upper() in _BODY_METHODS


def _authority(url: SplitResult) -> str:
    host = (url.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = url.port
    if port is not None and port != _DEFAULT_PORTS.get(url.scheme.lower()):
        return f"{host}:{port}"
    return host


def _request_target(url: SplitResult) -> str:
    return (url.path or "/") + (f"?{url.query}" if url.query else "")


def _span(seconds: float) -> str:
    """Say a duration the way a person reads it: "66 minutes", "3 hours", "2 days"."""
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


def _is_unix_time(value: str) -> bool:
    """ASCII digits, at most 15 of them (RFC 8941's integers): int() and float() take it."""
    return value.isascii() and value.isdigit() and len(value) <= 15


def _check_clock(
    signed_at: float, now: float, max_age: timedelta, max_future: timedelta, what: str
) -> None:
    if signed_at < now - max_age.total_seconds():
        raise SignatureError(
            f"{what} is {_span(now - signed_at)} old (at most {_span(max_age.total_seconds())})"
        )
    if signed_at > now + max_future.total_seconds():
        raise SignatureError(
            f"{what} is {_span(signed_at - now)} in the future"
            f" (at most {_span(max_future.total_seconds())})"
        )


def _check_expires(expires: int | None, now: float) -> None:
    if expires is not None and expires < now:
        raise SignatureError(f"Signature expired {_span(now - expires)} ago")


# --- draft-cavage-12 ----------------------------------------------------------------------------

_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]+))\s*(?:,|$)')


def _parse_cavage_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos, end = 0, len(value)
    while pos < end:
        match = _CAVAGE_PARAM.match(value, pos)
        if match is None:
            raise SignatureError(f"Signature header is malformed near {value[pos : pos + 20]!r}")
        name, quoted, bare = match.groups()
        params[name.lower()] = quoted if quoted is not None else bare
        pos = match.end()
    return params


def _cavage_signing_string(
    covered: tuple[str, ...],
    method: str,
    url: SplitResult,
    fields: dict[str, str],
    params: Mapping[str, str],
) -> bytes:
    lines = []
    for name in covered:
        if name == "(request-target)":
            value = f"{method.lower()} {_request_target(url)}"
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1], "")
            if not _is_unix_time(value):
                raise SignatureError(f"Signature covers {name!r} but has no {name[1:-1]} value")
        elif name in fields:
            value = fields[name]
        elif name == "host" and url.hostname:
            value = _authority(url)  # no Host field (HTTP/2): the URL says the same thing
        else:
            raise SignatureError(f"Signature covers header {name!r} but the request has none")
        lines.append(f"{name}: {value}")
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key: RSAPrivateKey,
    now: datetime | None = None,
) -> dict[str, str]:
    """Sign with draft-cavage rsa-sha256; return Host, Date, Digest and Signature to add."""
    if '"' in key_id:
        raise ValueError("keyId must not contain a double quote")
    parts = urlsplit(url)
    fields = _normalise_headers(headers)
    added = {
        "Host": fields.get("host") or _authority(parts),
        "Date": formatdate(time.time() if now is None else now.timestamp(), usegmt=True),
    }
    covered: tuple[str, ...] = ("(request-target)", "host", "date")
    if _expects_body(method, body):
        added["Digest"] = digest_header(body or b"")
        covered += ("digest",)
    fields.update((name.lower(), value) for name, value in added.items())
    signing_string = _cavage_signing_string(covered, method, parts, fields, {})
    signature = private_key.sign(signing_string, padding.PKCS1v15(), hashes.SHA256())
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return added


def _parse_cavage(
    value: str,
    method: str,
    url: SplitResult,
    fields: dict[str, str],
    expects_body: bool,
    now: float,
    max_age: timedelta,
    max_future: timedelta,
    check_coverage: bool,
) -> ParsedSignature:
    params = _parse_cavage_params(value)
    key_id = params.get("keyid")
    if not key_id:
        raise SignatureError("Signature header has no keyId")
    if not params.get("signature"):
        raise SignatureError("Signature header has no signature")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError:  # binascii.Error, or a character that is not ASCII
        raise SignatureError("Signature header's signature is not valid base64") from None
    algorithm = params["algorithm"].lower() if "algorithm" in params else None
    if algorithm is not None and algorithm not in _CAVAGE_ALGORITHMS:
        raise SignatureError(f"Unsupported signature algorithm {algorithm!r}")
    # The draft's default is "date" alone, which the coverage check below then refuses.
    covered = tuple(params.get("headers", "date").lower().split())

    if check_coverage:
        for required in ("(request-target)", "host"):
            if required not in covered:
                raise SignatureError(f"Signature does not cover {required!r}")
        if "date" not in covered and "(created)" not in covered:
            raise SignatureError("Signature does not cover 'date' or '(created)'")
        if expects_body and "digest" not in covered and "content-digest" not in covered:
            raise SignatureError("Signature does not cover 'digest'")
    signing_string = _cavage_signing_string(covered, method, url, fields, params)

    signed_at: float | None = None
    if "(created)" in covered:
        signed_at = float(params["created"])  # a Unix time: checked while building the string
        _check_clock(signed_at, now, max_age, max_future, "Signature 'created'")
    elif "date" in covered:
        try:
            sent = parsedate_to_datetime(fields["date"])
        except (TypeError, ValueError):
            raise SignatureError(f"Date header is not an HTTP date: {fields['date']!r}") from None
        # "-0000" parses as naive; an HTTP date is always UTC, never the server's local time.
        signed_at = (sent if sent.tzinfo else sent.replace(tzinfo=UTC)).timestamp()
        _check_clock(signed_at, now, max_age, max_future, "Date header")
    if "expires" in params:
        if not _is_unix_time(params["expires"]):
            raise SignatureError("Signature header's expires is not a number")
        _check_expires(int(params["expires"]), now)
    return ParsedSignature(
        scheme="cavage",
        key_id=key_id,
        algorithm=algorithm,
        signature=signature,
        signing_base=signing_string,
        covered=covered,
        created=None if signed_at is None else datetime.fromtimestamp(signed_at, UTC),
    )


# --- RFC 9421 -----------------------------------------------------------------------------------


def _component_value(
    name: str, params: Params, method: str, url: SplitResult, fields: dict[str, str]
) -> str:
    """The value of one covered component, per RFC 9421 §2.1 (fields) and §2.2 (derived)."""
    if params:
        # sf, key, bs, req, tr and name change how a value is taken; nothing we talk to sends them.
        raise SignatureError(f"Unsupported component parameter on {name!r}: {', '.join(params)}")
    if not name.startswith("@"):
        if name != name.lower():
            raise SignatureError(f"Signature-Input component {name!r} must be lower-case")
        if name not in fields:
            raise SignatureError(f"Signature covers {name!r} but the request has no such header")
        return fields[name]
    if name == "@method":
        return method
    if name in ("@path", "@query", "@request-target"):
        if name == "@path":
            return url.path or "/"
        return f"?{url.query}" if name == "@query" else _request_target(url)
    if not url.scheme or not url.hostname:
        raise SignatureError(f"Cannot derive {name!r}: the request URL is not absolute")
    if name == "@target-uri":
        return url.geturl()
    if name == "@authority":
        return _authority(url)
    if name == "@scheme":
        return url.scheme.lower()
    raise SignatureError(f"Unsupported component {name!r}")


def _signature_base(
    components: list[Item],
    signature_params: Params,
    method: str,
    url: SplitResult,
    fields: dict[str, str],
) -> bytes:
    """Build the RFC 9421 §2.5 signature base; @signature-params is the last line."""
    lines = []
    seen = set()
    for name, params in components:
        if not isinstance(name, str) or isinstance(name, Token):
            raise SignatureError("Signature-Input component identifiers must be strings")
        identifier = serialise_item(name, params)
        if identifier in seen:
            raise SignatureError(f"Signature-Input covers {identifier} twice")
        seen.add(identifier)
        value = _component_value(name, params, method, url, fields)
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {serialise_inner_list(components, signature_params)}')
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key: Ed25519PrivateKey | RSAPrivateKey,
    created: int | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Sign with RFC 9421 (ed25519 or rsa-v1_5-sha256); return the headers to add.

    Those are Signature-Input, Signature and, when there is a body, Content-Digest. The
    signature covers "@method" "@target-uri" ("content-digest") with created, keyid and alg.
    """
    if not KEY.fullmatch(label):
        raise ValueError(f"signature label {label!r} is not a structured-field key")
    if isinstance(private_key, Ed25519PrivateKey):
        algorithm = "ed25519"
    elif isinstance(private_key, RSAPrivateKey):
        algorithm = "rsa-v1_5-sha256"
    else:
        raise TypeError("private_key must be an Ed25519 or RSA private key")
    fields = _normalise_headers(headers)
    added: dict[str, str] = {}
    components: list[Item] = [("@method", {}), ("@target-uri", {})]
    if _expects_body(method, body):
        added["Content-Digest"] = fields["content-digest"] = content_digest_header(body or b"")
        components.append(("content-digest", {}))
    signature_params: Params = {
        "created": int(time.time()) if created is None else created,
        "keyid": key_id,
        "alg": algorithm,
    }
    base = _signature_base(components, signature_params, method, urlsplit(url), fields)
    if isinstance(private_key, Ed25519PrivateKey):
        signature = private_key.sign(base)
    else:
        signature = private_key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    added["Signature-Input"] = f"{label}={serialise_inner_list(components, signature_params)}"
    added["Signature"] = f"{label}={serialise_bare(signature)}"
    return added


def _parse_rfc9421(
    method: str,
    url: SplitResult,
    fields: dict[str, str],
    expects_body: bool,
    now: float,
    max_age: timedelta,
    max_future: timedelta,
    check_coverage: bool,
) -> ParsedSignature:
    try:
        inputs = parse_dictionary(fields["signature-input"])
    except StructuredFieldError as exc:
        raise SignatureError(f"Signature-Input header is malformed: {exc}") from None
    if "signature" not in fields:
        raise SignatureError("Request has a Signature-Input header but no Signature header")
    try:
        signatures = parse_dictionary(fields["signature"])
    except StructuredFieldError as exc:
        raise SignatureError(f"Signature header is malformed: {exc}") from None
    # A message may carry several signatures (e.g. one added by a proxy): take the first
    # label present in both headers.
    label = next((name for name in inputs if name in signatures), None)
    if label is None:
        raise SignatureError("Signature-Input and Signature share no label")
    components, params = inputs[label]
    signature = signatures[label][0]
    if not isinstance(components, list):
        raise SignatureError(f"Signature-Input {label!r} is not an inner list")
    if not isinstance(signature, bytes):
        raise SignatureError(f"Signature {label!r} is not a byte sequence")

    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError(f"Signature-Input {label!r} has no keyid parameter")
    created = params.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise SignatureError(f"Signature-Input {label!r} has no created parameter")
    algorithm = params.get("alg")
    if algorithm is not None and algorithm not in _RFC9421_ALGORITHMS:
        raise SignatureError(f"Unsupported signature algorithm {algorithm!r}")

    covered = tuple(name for name, _ in components)
    if check_coverage:
        required = ["@method", "@target-uri"] + (["content-digest"] if expects_body else [])
        for name in required:
            if name not in covered:
                raise SignatureError(f"Signature does not cover {name!r}")
    base = _signature_base(components, params, method, url, fields)
    _check_clock(created, now, max_age, max_future, "Signature 'created'")
    expires = params.get("expires")
    _check_expires(expires if isinstance(expires, int) else None, now)
    return ParsedSignature(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=algorithm,
        signature=signature,
        signing_base=base,
        covered=covered,
        created=datetime.fromtimestamp(created, UTC),
        label=label,
    )


# --- both schemes -------------------------------------------------------------------------------


def parse_signature(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
    check_coverage: bool = True,
) -> ParsedSignature:
    """Parse a request's signature (RFC 9421 preferred) and run every check that needs no key.

    `url` is the absolute URL the request was sent to. `check_coverage=False` is for published
    test vectors that sign other components; the federation must leave it on.
    """
    fields = _normalise_headers(headers)
    parts = urlsplit(url)
    now_ts = time.time() if now is None else now.timestamp()
    expects_body = _expects_body(method, body)
    checks = (expects_body, now_ts, max_age, max_future, check_coverage)
    if "signature-input" in fields:
        parsed = _parse_rfc9421(method, parts, fields, *checks)
    elif "signature" in fields:
        parsed = _parse_cavage(fields["signature"], method, parts, fields, *checks)
    elif fields.get("authorization", "")[:10].lower() == "signature ":
        parsed = _parse_cavage(fields["authorization"][10:], method, parts, fields, *checks)
    else:
        raise SignatureError("Request is not signed: no Signature or Signature-Input header")
    # Last, because hashing a large body costs more than every other refusal.
    _check_digests(fields, body or b"")
    return parsed


def verify_parsed(
    parsed: ParsedSignature,
    public_key: Ed25519PublicKey | RSAPublicKey,
    *,
    algorithm: str | None = None,
) -> None:
    """Check the signature bytes with the signer's key; raise SignatureError if they do not verify.

    `algorithm` is the one bound to the key, for keys whose owner declares it (RFC 9421 §3.2
    lets the verifier take it from the key rather than from the message).
    """
    algorithm = algorithm or parsed.algorithm
    key_id = parsed.key_id
    try:
        if isinstance(public_key, Ed25519PublicKey):
            if algorithm not in (None, "ed25519", "hs2019"):
                raise SignatureError(f"algorithm {algorithm!r} does not fit Ed25519 key {key_id}")
            public_key.verify(parsed.signature, parsed.signing_base)
        elif isinstance(public_key, RSAPublicKey):
            if algorithm in (None, "rsa-sha256", "hs2019", "rsa-v1_5-sha256"):
                scheme, digest = padding.PKCS1v15(), hashes.SHA256()
            elif algorithm == "rsa-sha512":
                scheme, digest = padding.PKCS1v15(), hashes.SHA512()
            elif algorithm == "rsa-pss-sha512":
                # RFC 9421 §3.3.1: MGF1 with SHA-512 and a 64-byte salt.
                scheme, digest = padding.PSS(padding.MGF1(hashes.SHA512()), 64), hashes.SHA512()
            else:
                raise SignatureError(f"algorithm {algorithm!r} does not fit RSA key {key_id}")
            public_key.verify(parsed.signature, parsed.signing_base, scheme, digest)
        else:
            raise SignatureError(f"key {key_id} is neither Ed25519 nor RSA")
    except InvalidSignature:
        raise SignatureError(f"signature does not verify with key {key_id}") from None
