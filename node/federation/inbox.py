"""The inbox pipeline: every check an incoming activity passes before anything is stored.

size -> rate limit -> HTTP signature (key fetched or cached) -> replay -> JSON -> schema ->
origin (key owner = actor = object origin, FEP-fe34) -> proof (FEP-8b32) -> policy (blocked,
followed or approved), dedupe by id and persist, in one transaction shared with the other
requests arriving meanwhile (group commit) -> 202. Processing happens afterwards, from the
durable queue.

Each activity costs one Ed25519 verification: a proof made with the very key that signed
the request, over a body that signature covers by digest, is the same assurance twice, so
only its form is checked; a proof by another key (a relayed activity) is verified.

A rejection raises `InboxRejected` with a status and a reason a remote admin can act on;
nothing of a rejected request is stored.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from node.errors import InvalidInput
from node.federation.actor_directory import ActorDirectory, ActorError
from node.federation.http_signatures import SignatureError
from node.federation.integrity_proofs import ProofError, proof_verification_method, verify_document
from node.federation.outbox import SCHEMA_OF
from node.federation.signing import ReplayGuard, RequestVerifier
from node.rate_limits import SlidingWindowLimiter
from node.schema_registry import SchemaRegistry
from node.storage import inbox as inbox_store
from node.storage import peers as peers_store
from node.storage.database import Database
from node.storage.grouped_writes import GroupedWrites

log = logging.getLogger(__name__)

# Activities nest a handful of levels. Anything much deeper would only reach the recursion
# limit later (schema validation, canonicalisation, processing) and poison the queue.
MAX_NESTING = 64


class InboxRejected(Exception):
    def __init__(self, status: int, code: str, reason: str, retry_after: int | None = None):
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class InboxAccepted:
    activity_uri: str
    duplicate: bool
    ignored: bool = False


def _host(uri: Any) -> str:
    if not isinstance(uri, str):
        return ""
    try:
        return urlsplit(uri).netloc
    except ValueError:  # e.g. "http://[zz]/": no host, so it matches no actor's
        return ""


@dataclass(frozen=True)
class _Admission:
    """An activity that passed every check needing no database, waiting to be stored."""

    activity_uri: str
    actor: str
    type: str
    document: str
    host: str  # the signing server
    received_at: int


def _object_id(obj: Any) -> str | None:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return obj["id"]
    return None


class InboxPipeline:
    def __init__(
        self,
        db: Database,
        directory: ActorDirectory,
        verifier: RequestVerifier,
        schemas: SchemaRegistry,
        max_bytes: int,
        requests_per_minute: int,
        approval_required: bool,
        wake_processor: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._directory = directory
        self._verifier = verifier
        self._schemas = schemas
        self._max_bytes = max_bytes
        self._limiter = SlidingWindowLimiter(requests_per_minute, 60.0)
        self._replays = ReplayGuard(window_seconds=(65 + 60) * 60)
        self._approval_required = approval_required
        self._wake_processor = wake_processor
        self._clock = clock
        self._admissions = GroupedWrites(db, "admit_inbox_items", self._admit)

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    async def receive(self, url: str, headers: Mapping[str, str], body: bytes) -> InboxAccepted:
        if len(body) > self._max_bytes:
            raise InboxRejected(413, "too-large", f"body over {self._max_bytes} bytes")
        if not body:
            raise InboxRejected(400, "empty-body", "the request has no body")

        # Rate limit by the signing server, before any expensive work.
        key_hint = _key_id_hint(headers)
        peer = _host(key_hint) or "unsigned"
        wait = self._limiter.retry_after(peer)
        if wait:
            raise InboxRejected(429, "rate-limited", f"too many requests from {peer}", wait)
        self._limiter.record(peer)

        try:
            verified = await self._verifier.verify("POST", url, headers, body)
        except SignatureError as exc:
            raise InboxRejected(401, "bad-signature", exc.reason) from None
        if self._replays.seen_before(verified.signature):
            raise InboxRejected(401, "replayed", "this exact signed request was already received")

        host = _host(verified.key_owner)
        try:
            # UTF-8 only (RFC 8259), decoded here: json.loads(bytes) would also take UTF-16.
            text = body.decode("utf-8")
            activity = json.loads(text)
        except (ValueError, RecursionError) as exc:
            # ValueError: not UTF-8, not JSON, or an integer past Python's 4,300 digits;
            # RecursionError: nested deeper than the parser goes.
            raise InboxRejected(400, "bad-json", f"the body is not JSON: {exc}") from None
        if not isinstance(activity, dict):
            raise InboxRejected(400, "bad-json", "the body is not a JSON object")
        if _nested_deeper_than(activity, MAX_NESTING):
            raise InboxRejected(
                400, "bad-json", f"the JSON is nested more than {MAX_NESTING} levels deep"
            )

        kind = activity.get("type")
        schema = SCHEMA_OF.get(kind) if isinstance(kind, str) else None
        if schema is None:
            # Likes, boosts (Announce), emoji reactions and the like: understood, and
            # deliberately not kept (nothing here acts on them).
            peer_host = await self._db.read("get_peer_host", peers_store.get_peer_host, host)
            if peer_host is not None and peer_host.policy == "block":
                raise _blocked(host)
            return InboxAccepted(str(activity.get("id", "")), duplicate=False, ignored=True)
        try:
            self._schemas.validate(schema, activity)
        except InvalidInput as exc:
            raise InboxRejected(422, "invalid-activity", exc.detail) from None

        self._check_origin(activity, verified.key_owner)
        await self._check_proof(activity, verified.key_id)

        admission = _Admission(
            activity["id"], activity["actor"], kind, text, host, int(self._clock())
        )
        verdict = await self._admissions.submit(admission)
        if verdict == "blocked":
            raise _blocked(host)
        if verdict == "not-federating":
            raise InboxRejected(
                403,
                "not-federating",
                f"this server does not federate with {host} (not followed or approved)",
            )
        if verdict == "stored":
            self._wake_processor()
        return InboxAccepted(activity["id"], duplicate=verdict == "duplicate")

    def _admit(self, conn, admissions: list[_Admission]) -> list[str]:
        """Policy, dedupe and storage of a group of activities, in one transaction: for
        each, "stored", "duplicate", "blocked" or "not-federating" (the last two store
        nothing)."""
        standing: dict[str, tuple[str | None, bool | None]] = {}  # host -> (policy, followed)
        verdicts = []
        for item in admissions:
            if item.host not in standing:
                peer_host = peers_store.get_peer_host(conn, item.host)
                standing[item.host] = (peer_host.policy if peer_host else None, None)
            policy, followed = standing[item.host]
            if policy == "block":
                verdicts.append("blocked")
                continue
            if item.type != "Follow" and policy != "allow" and self._approval_required:
                if followed is None:
                    followed = peers_store.is_followed_host(conn, item.host)
                    standing[item.host] = (policy, followed)
                if not followed:
                    verdicts.append("not-federating")
                    continue
            stored = inbox_store.put_inbox_item(
                conn, item.activity_uri, item.actor, item.type, item.document, item.received_at
            )
            verdicts.append("stored" if stored else "duplicate")
        return verdicts

    def _check_origin(self, activity: dict[str, Any], key_owner: str) -> None:
        """FEP-fe34: the key's owner is the actor, and the activity comes from its server."""
        actor = activity["actor"]
        if actor != key_owner:
            raise InboxRejected(
                401, "actor-mismatch", f"signed by {key_owner} but the actor is {actor}"
            )
        if _host(activity["id"]) != _host(actor):
            raise InboxRejected(
                403, "origin-mismatch", f"activity {activity['id']} is not from {_host(actor)}"
            )
        if activity["type"] in ("Create", "Update") and isinstance(activity["object"], dict):
            obj = activity["object"]
            if _host(_object_id(obj)) != _host(actor):
                raise InboxRejected(
                    403, "origin-mismatch", "the object is not from the actor's server"
                )
            attributed = obj.get("attributedTo")
            if attributed is not None and attributed != actor and obj.get("id") != actor:
                raise InboxRejected(
                    403, "origin-mismatch", f"the object is attributed to {attributed}, not {actor}"
                )
        if activity["type"] == "Delete" and _host(_object_id(activity["object"])) != _host(actor):
            raise InboxRejected(403, "origin-mismatch", "an actor may only delete its own objects")

    async def _check_proof(self, activity: dict[str, Any], request_key_id: str) -> None:
        """A proof, when present, must verify with a key of the actor (FEP-8b32)."""
        if "proof" not in activity:
            return
        try:
            method = proof_verification_method(activity)
        except ProofError as exc:
            raise InboxRejected(401, "bad-proof", exc.reason) from None
        if method == request_key_id:
            # The request's signature, by this very key, covers these bytes (its digest is
            # required and checked): verifying the proof again would prove nothing more.
            return
        try:
            key, fresh = await self._directory.key(method)
        except ActorError as exc:
            raise InboxRejected(401, "bad-proof", f"cannot get the proof key: {exc}") from None
        if key.owner != activity["actor"]:
            raise InboxRejected(401, "bad-proof", "the proof's key does not belong to the actor")
        try:
            verify_document(activity, key.public_key)  # type: ignore[arg-type]
        except (ProofError, TypeError) as exc:
            if fresh:
                raise InboxRejected(401, "bad-proof", str(exc)) from None
            key, _ = await self._directory.key(method, refresh=True)
            try:
                verify_document(activity, key.public_key)  # type: ignore[arg-type]
            except (ProofError, TypeError) as again:
                raise InboxRejected(401, "bad-proof", str(again)) from None


def _blocked(host: str) -> InboxRejected:
    return InboxRejected(403, "blocked", f"{host} is blocked by this server")


def _nested_deeper_than(document: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (counted without recursion)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _key_id_hint(headers: Mapping[str, str]) -> str:
    """The keyId named in the signature headers, read cheaply for rate limiting only."""
    lowered = {k.lower(): v for k, v in headers.items()}
    text = lowered.get("signature-input") or lowered.get("signature") or ""
    for marker in ('keyid="', 'keyId="'):
        start = text.find(marker)
        if start >= 0:
            end = text.find('"', start + len(marker))
            return text[start + len(marker) : end]
    return ""
