"""HTTP signatures as this node uses them: signing what we send, verifying what we receive.

We sign with RFC 9421 and Ed25519 for servers whose actors publish an Ed25519 Multikey
(other Quartier nodes), and with draft-cavage rsa-sha256 (what Mastodon speaks) otherwise;
a server that refuses one scheme gets the other, and we remember which worked.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from node.federation.actor_directory import ActorDirectory, ActorError
from node.federation.actors import LocalActor
from node.federation.http_signatures import (
    SignatureError,
    parse_signature,
    sign_cavage,
    sign_rfc9421,
    verify_parsed,
)
from node.federation.keys import NodeKeys

CAVAGE = "cavage"
RFC9421 = "rfc9421"


class RequestSigner:
    """Signs outgoing requests with the node's keys, on behalf of one of its actors."""

    def __init__(self, keys: NodeKeys) -> None:
        self._keys = keys

    def sign(
        self, method: str, url: str, body: bytes | None, actor: LocalActor, scheme: str
    ) -> dict[str, str]:
        if scheme == RFC9421:
            return sign_rfc9421(method, url, {}, body, actor.ed25519_key_id, self._keys.ed25519)
        return sign_cavage(method, url, {}, body, actor.rsa_key_id, self._keys.rsa)


@dataclass(frozen=True)
class VerifiedRequest:
    key_id: str
    key_owner: str  # the actor URI that owns the key
    scheme: str
    signature: bytes


class ReplayGuard:
    """Remembers recent signatures: the same signed request twice is a replay.

    A legitimate retry is signed anew (new Date/created), so it is not refused here; an
    exact copy within the clock window is. Entries older than the window can go, because
    the clock check refuses such requests anyway.
    """

    def __init__(
        self,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 200_000,
    ) -> None:
        self._window = window_seconds
        self._clock = clock
        self._max = max_entries
        self._seen: OrderedDict[bytes, float] = OrderedDict()

    def seen_before(self, signature: bytes) -> bool:
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at <= self._window and len(self._seen) < self._max:
                break
            self._seen.pop(oldest)
        if signature in self._seen:
            return True
        self._seen[signature] = now
        return False


class RequestVerifier:
    """Checks an incoming request's HTTP signature, fetching the signer's key when needed."""

    def __init__(self, directory: ActorDirectory) -> None:
        self._directory = directory

    async def verify(self, method: str, url: str, headers, body: bytes | None) -> VerifiedRequest:
        """Raise SignatureError (with a reason) unless the request is signed by a key we can get."""
        parsed = parse_signature(method, url, headers, body)
        try:
            key, fresh = await self._directory.key(parsed.key_id)
        except ActorError as exc:
            raise SignatureError(f"cannot get the signing key {parsed.key_id}: {exc}") from None
        try:
            verify_parsed(parsed, key.public_key)
        except SignatureError:
            if fresh:
                raise
            # The actor may have rotated its key since we cached it: fetch it again, once.
            try:
                key, _ = await self._directory.key(parsed.key_id, refresh=True)
            except ActorError as exc:
                raise SignatureError(f"cannot get the signing key {parsed.key_id}: {exc}") from None
            verify_parsed(parsed, key.public_key)
        return VerifiedRequest(parsed.key_id, key.owner, parsed.scheme, parsed.signature)
