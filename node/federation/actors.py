"""This node's ActivityPub actors: their addresses and the documents that describe them.

Three kinds, all sharing the node's one key set (one node = one domain = one key set):
the instance actor (`Application`, signs fetches), the city (`Organization`, when the node
hosts a municipality) and one `Group` per neighbourhood. Residents are not actors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization

from node.federation.keys import NodeKeys
from node.federation.multikey import encode_ed25519_multikey

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTOR_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    "https://www.w3.org/ns/cid/v1",
]
# Our extension terms (quartier:urgent, quartier:pinned, ...) live in our own namespace.
QUARTIER_NAMESPACE = "https://w3id.org/quartier/ns#"
ACTIVITY_CONTEXT = ["https://www.w3.org/ns/activitystreams", {"quartier": QUARTIER_NAMESPACE}]
AP_PREFIX = "/ap"
INSTANCE = "actor"
CITY_PATH = "city"
NEIGHBOURHOOD_PATH = "n"


@dataclass(frozen=True)
class LocalActor:
    """One actor of this node. `key` is how the storage and routes name it."""

    key: str  # "actor", "city" or "n/<slug>"
    uri: str
    type: str
    preferred_username: str
    name: str
    summary: str = ""

    @property
    def inbox(self) -> str:
        return f"{self.uri}/inbox"

    @property
    def outbox(self) -> str:
        return f"{self.uri}/outbox"

    @property
    def followers(self) -> str:
        return f"{self.uri}/followers"

    @property
    def rsa_key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def ed25519_key_id(self) -> str:
        return f"{self.uri}#ed25519-key"


class LocalActors:
    """Where this node's actors live, derived from its base URL: no state of its own."""

    def __init__(self, base_url: str, node_name: str, city_handle: str | None, city_name: str):
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.node_name = node_name
        self.city_handle = city_handle
        self.city_name = city_name or node_name

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}{AP_PREFIX}/inbox"

    def instance(self) -> LocalActor:
        return LocalActor(
            key=INSTANCE,
            uri=f"{self.base_url}{AP_PREFIX}/{INSTANCE}",
            type="Application",
            preferred_username=self.host,
            name=self.node_name,
            summary="The server itself; it signs requests made on the node's behalf.",
        )

    def city(self) -> LocalActor | None:
        if self.city_handle is None:
            return None
        return LocalActor(
            key=CITY_PATH,
            uri=f"{self.base_url}{AP_PREFIX}/{CITY_PATH}",
            type="Organization",
            preferred_username=self.city_handle,
            name=self.city_name,
            summary="Announcements and events of the municipality.",
        )

    def neighbourhood(self, slug: str, name: str) -> LocalActor:
        return LocalActor(
            key=f"{NEIGHBOURHOOD_PATH}/{slug}",
            uri=f"{self.base_url}{AP_PREFIX}/{NEIGHBOURHOOD_PATH}/{slug}",
            type="Group",
            preferred_username=slug,
            name=name,
            summary="A neighbourhood. Its residents' conversations stay on its server.",
        )

    def object_uri(self, uuid: str) -> str:
        return f"{self.base_url}{AP_PREFIX}/objects/{uuid}"

    def activity_uri(self, uuid: str) -> str:
        return f"{self.base_url}{AP_PREFIX}/activities/{uuid}"

    def is_local(self, uri: str) -> bool:
        return uri.startswith(f"{self.base_url}/")

    def is_institutional(self, uri: str) -> bool:
        """Is `uri` one of this node's actors (instance, city, a neighbourhood group)?"""
        if uri == self.instance().uri:
            return True
        city = self.city()
        if city is not None and uri == city.uri:
            return True
        prefix = f"{self.base_url}{AP_PREFIX}/{NEIGHBOURHOOD_PATH}/"
        slug = uri[len(prefix) :] if uri.startswith(prefix) else ""
        return bool(slug) and "/" not in slug and "#" not in slug

    def by_uri(self, uri: str) -> LocalActor | None:
        """The local actor at `uri` (a neighbourhood's display name is its slug here)."""
        if uri == self.instance().uri:
            return self.instance()
        city = self.city()
        if city is not None and uri == city.uri:
            return city
        slug = self.neighbourhood_slug(uri)
        return self.neighbourhood(slug, slug) if slug else None

    def neighbourhood_slug(self, uri: str) -> str | None:
        prefix = f"{self.base_url}{AP_PREFIX}/{NEIGHBOURHOOD_PATH}/"
        if uri.startswith(prefix) and self.is_institutional(uri):
            return uri[len(prefix) :]
        return None


def actor_document(actor: LocalActor, keys: NodeKeys, shared_inbox: str) -> dict[str, Any]:
    """The actor as served to `Accept: application/activity+json` (FEP-521a keys included)."""
    rsa_pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "@context": ACTOR_CONTEXT,
        "id": actor.uri,
        "type": actor.type,
        "preferredUsername": actor.preferred_username,
        "name": actor.name,
        "summary": actor.summary,
        "inbox": actor.inbox,
        "outbox": actor.outbox,
        "followers": actor.followers,
        "endpoints": {"sharedInbox": shared_inbox},
        "manuallyApprovesFollowers": actor.type != "Organization",
        "discoverable": actor.type == "Organization",
        "publicKey": {
            "id": actor.rsa_key_id,
            "owner": actor.uri,
            "publicKeyPem": rsa_pem.decode("ascii"),
        },
        "assertionMethod": [
            {
                "id": actor.ed25519_key_id,
                "type": "Multikey",
                "controller": actor.uri,
                "publicKeyMultibase": encode_ed25519_multikey(keys.ed25519.public_key()),
            }
        ],
    }


def webfinger_document(actor: LocalActor, host: str) -> dict[str, Any]:
    return {
        "subject": f"acct:{actor.preferred_username}@{host}",
        "aliases": [actor.uri],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": actor.uri},
        ],
    }


def nodeinfo_links(base_url: str) -> dict[str, Any]:
    return {
        "links": [
            {
                "rel": f"http://nodeinfo.diaspora.software/ns/schema/{version}",
                "href": f"{base_url}/nodeinfo/{version}",
            }
            for version in ("2.0", "2.1")
        ]
    }


def nodeinfo_document(
    version: str, software_version: str, node_name: str, users: int, local_posts: int
) -> dict[str, Any]:
    software: dict[str, Any] = {"name": "quartier", "version": software_version}
    if version == "2.1":
        software["repository"] = "https://github.com/quartier/quartier"
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        # Registrations are by household invitation only, never open.
        "openRegistrations": False,
        "usage": {"users": {"total": users}, "localPosts": local_posts},
        "metadata": {"nodeName": node_name},
    }
