"""Other servers' actors and keys: fetched once, cached in the database, re-fetched when a
signature stops verifying (the actor may have rotated its key).

The keys and actors the inbox asks for on every request are also kept in memory (a
`ReadCache`): a database read costs a thread hop (~0.4 ms here), more than the Ed25519
verification it serves. Only `fetch_actor` writes remote actors and keys, so counting its
writes, rather than the database's, keeps the memory copy true without dropping it at every
activity the inbox stores; entries also expire after 5 minutes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from node.federation.multikey import decode_multikey
from node.federation.remote_fetch import FetchError, RemoteFetcher
from node.models.federation import RemoteActor
from node.storage import remote_actors as remote_actors_store
from node.storage.database import Database
from node.storage.read_cache import ReadCache

PublicKey = Ed25519PublicKey | RSAPublicKey
ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})


class ActorError(ValueError):
    """An actor document is unusable; the message says what is wrong with it."""


class NotAHandle(ActorError):
    """What was given to look up is neither user@host nor a URL."""


@dataclass(frozen=True)
class ActorKey:
    key_id: str
    owner: str
    public_key: PublicKey


def _without_fragment(uri: str) -> str:
    return uri.split("#", 1)[0]


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def extract_keys(document: dict) -> dict[str, str]:
    """{key id: SPKI PEM} of every key the actor lists as its own (publicKey, assertionMethod)."""
    actor_id = document.get("id")
    keys: dict[str, str] = {}
    for entry in _as_list(document.get("publicKey")):
        if not isinstance(entry, dict):
            continue
        owner = entry.get("owner", actor_id)
        pem = entry.get("publicKeyPem")
        if owner != actor_id or not isinstance(pem, str) or not isinstance(entry.get("id"), str):
            continue
        try:
            serialization.load_pem_public_key(pem.encode())
        except ValueError:
            continue
        keys[entry["id"]] = pem
    for entry in _as_list(document.get("assertionMethod")):
        if not isinstance(entry, dict) or entry.get("type") != "Multikey":
            continue
        if entry.get("controller") != actor_id or not isinstance(entry.get("id"), str):
            continue
        try:
            key = decode_multikey(str(entry.get("publicKeyMultibase", "")))
        except ValueError:
            continue
        pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        keys[entry["id"]] = pem
    return keys


def _host_of(url: object) -> str | None:
    """The host of a URL in a remote document; None if it is not a string or not a URL."""
    if not isinstance(url, str):
        return None
    try:
        return urlsplit(url).netloc
    except ValueError:  # e.g. "http://[zz]/"
        return None


def actor_from_document(uri: str, document: dict, now: int) -> RemoteActor:
    """Check a fetched actor document and turn it into a record; ActorError says why not."""
    if document.get("id") != uri:
        raise ActorError(f"the document at {uri} claims to be {document.get('id')!r}")
    if not isinstance(document.get("type"), str) or document["type"] not in ACTOR_TYPES:
        raise ActorError(f"{uri} is a {document.get('type')!r}, not an actor")
    host = urlsplit(uri).netloc
    inbox = document.get("inbox")
    if _host_of(inbox) != host:
        raise ActorError(f"{uri} has no inbox on its own server")
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    shared = endpoints.get("sharedInbox")
    if _host_of(shared) != host:
        shared = None
    return RemoteActor(
        uri=uri,
        host=urlsplit(uri).netloc,
        type=document["type"],
        preferred_username=str(document.get("preferredUsername", ""))[:100],
        name=str(document.get("name") or "")[:200],
        inbox=inbox,
        shared_inbox=shared,
        document=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        fetched_at=now,
    )


class ActorDirectory:
    """Finds remote actors and their keys, from memory, the database or over the network."""

    def __init__(
        self,
        db: Database,
        fetcher: RemoteFetcher,
        clock: Callable[[], float] = time.time,
        on_ed25519_host: Callable[[str], None] = lambda host: None,
        allow_http: bool = False,
    ) -> None:
        self._db = db
        self._fetcher = fetcher
        self._clock = clock
        # Remote actors change only through fetch_actor, which counts it: what memory holds is
        # dropped then, and a read that began before cannot put an old key back.
        self._stored_anew = 0
        self._keys: ReadCache[str, ActorKey] = ReadCache(self._stored_anew_count, ttl=300)
        self._actors: ReadCache[str, RemoteActor] = ReadCache(self._stored_anew_count, ttl=300)
        self._on_ed25519_host = on_ed25519_host
        self._allow_http = allow_http

    async def fetch_actor(self, uri: str) -> RemoteActor:
        """Fetch (or re-fetch) an actor and store it with its keys."""
        uri = _without_fragment(uri)
        try:
            fetched = await self._fetcher.fetch_json(uri)
        except FetchError as exc:
            raise ActorError(str(exc)) from None
        actor = actor_from_document(uri, fetched.document, int(self._clock()))
        keys = extract_keys(fetched.document)
        await self._db.write("put_remote_actor", remote_actors_store.put_remote_actor, actor, keys)
        self._stored_anew += 1
        if any(isinstance(_load(pem), Ed25519PublicKey) for pem in keys.values()):
            self._on_ed25519_host(actor.host)
        return actor

    def _stored_anew_count(self) -> int:
        return self._stored_anew

    async def actor(self, uri: str) -> RemoteActor:
        if (remembered := self._actors.get(uri)) is not None:
            return remembered
        version = self._actors.version()
        stored = await self._db.read(
            "get_remote_actor_by_uri", remote_actors_store.get_remote_actor_by_uri, uri
        )
        if stored is None:
            return await self.fetch_actor(uri)
        self._actors.put(uri, stored, version)
        return stored

    async def key(self, key_id: str, refresh: bool = False) -> tuple[ActorKey, bool]:
        """The key named `key_id` and whether it came fresh from the network."""
        if not refresh:
            if (remembered := self._keys.get(key_id)) is not None:
                return remembered, False
            version = self._keys.version()
            known = await self._db.read("get_key_by_id", remote_actors_store.get_key_by_id, key_id)
            if known is not None:
                key = ActorKey(key_id, known[0], _load(known[1]))
                self._keys.put(key_id, key, version)
                return key, False
        await self.fetch_actor(key_id)
        version = self._keys.version()
        known = await self._db.read("get_key_by_id", remote_actors_store.get_key_by_id, key_id)
        if known is None:
            raise ActorError(f"the actor at {_without_fragment(key_id)} does not list key {key_id}")
        key = ActorKey(key_id, known[0], _load(known[1]))
        self._keys.put(key_id, key, version)
        return key, True

    async def webfinger(self, handle: str) -> str:
        """The actor URI of `user@host` (a leading @ or acct: is fine)."""
        handle = handle.strip().removeprefix("acct:").lstrip("@")
        if handle.startswith(("https://", "http://")):
            return handle
        user, _, host = handle.partition("@")
        if not user or not host:
            raise NotAHandle(f"{handle!r} is not a handle like city@quartier.mons.be")
        # Plain http only where the operator allows private addresses (tests, demos).
        loopback = host.startswith(("127.", "localhost", "[::1]"))
        scheme = "http" if self._allow_http and loopback else "https"
        url = (
            f"{scheme}://{host}/.well-known/webfinger?resource="
            f"{quote(f'acct:{user}@{host}', safe=':@')}"
        )
        try:
            fetched = await self._fetcher.fetch_json(url, accept="application/jrd+json")
        except FetchError as exc:
            raise ActorError(str(exc)) from None
        for link in _as_list(fetched.document.get("links")):
            if (
                isinstance(link, dict)
                and link.get("rel") == "self"
                and "activity+json" in str(link.get("type", ""))
                and isinstance(link.get("href"), str)
            ):
                return link["href"]
        raise ActorError(f"{handle} has no ActivityPub actor")


def _load(pem: str) -> PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey | RSAPublicKey):
        raise ActorError("unsupported key type")
    return key
