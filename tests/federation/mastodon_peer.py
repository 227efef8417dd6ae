"""A small Mastodon-shaped server for the tests: one `Person` actor with an RSA key under
`publicKey` only, signing and verifying draft-cavage `rsa-sha256` exactly as DESIGN.md says
Mastodon does (`(request-target) host date digest`, Digest checked against the raw body,
Date within -65/+60 minutes). It refuses RFC 9421. It stands in for the internet, which
cannot exist here; everything it does goes over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from node.federation.http_signatures import (
    SignatureError,
    parse_signature,
    sign_cavage,
    verify_parsed,
)
from tests.federation.conftest import free_port

ACTIVITY_JSON = "application/activity+json"


@dataclass
class MastodonPeer:
    username: str = "alice"
    port: int = field(default_factory=free_port)
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    server: TestServer | None = None
    session: aiohttp.ClientSession | None = None
    # Lets a test capture what our nodes answer to this peer's fetches.
    trace_configs: list[aiohttp.TraceConfig] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def actor_uri(self) -> str:
        return f"{self.base_url}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.actor_uri}#main-key"

    def actor_document(self) -> dict[str, Any]:
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.actor_uri,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.username.title(),
            "inbox": f"{self.actor_uri}/inbox",
            "outbox": f"{self.actor_uri}/outbox",
            "followers": f"{self.actor_uri}/followers",
            "endpoints": {"sharedInbox": f"{self.base_url}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.actor_uri, "publicKeyPem": pem.decode()},
        }

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(f"/users/{self.username}", self._actor)
        app.router.add_post(f"/users/{self.username}/inbox", self._inbox)
        app.router.add_post("/inbox", self._inbox)
        self.server = TestServer(app, host="127.0.0.1", port=self.port)
        await self.server.start_server()
        self.session = aiohttp.ClientSession(trace_configs=self.trace_configs or None)

    async def close(self) -> None:
        if self.session:
            await self.session.close()
        if self.server:
            await self.server.close()

    async def _actor(self, request: web.Request) -> web.Response:
        return web.json_response(self.actor_document(), content_type=ACTIVITY_JSON)

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        url = f"{self.base_url}{request.path_qs}"
        if "Signature-Input" in request.headers:
            self.refused.append("rfc9421")  # Mastodon-shaped: cavage only
            return web.Response(status=401, text="only draft-cavage signatures")
        try:
            parsed = parse_signature("POST", url, request.headers, body)
            if parsed.algorithm not in (None, "rsa-sha256", "hs2019"):
                raise SignatureError(f"algorithm {parsed.algorithm}")
            key_id = parsed.key_id
            async with self.session.get(  # type: ignore[union-attr]
                key_id.split("#")[0], headers={"Accept": ACTIVITY_JSON}
            ) as response:
                actor = await response.json(content_type=None)
            pem = actor["publicKey"]["publicKeyPem"]
            if actor["publicKey"]["id"] != key_id:
                raise SignatureError("key id not found on the actor")
            verify_parsed(parsed, serialization.load_pem_public_key(pem.encode()))
        except (SignatureError, KeyError, aiohttp.ClientError) as exc:
            self.refused.append(str(exc))
            return web.Response(status=401, text=str(exc))
        activity = json.loads(body)
        if all(a.get("id") != activity.get("id") for a in self.received):
            self.received.append(activity)  # dedupe by id, like Mastodon
        return web.Response(status=202)

    def signed_headers(self, url: str, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": ACTIVITY_JSON}
        headers.update(sign_cavage("POST", url, {}, body, self.key_id, self.key))
        return headers

    def activity(self, kind: str, obj: Any, **fields: Any) -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.base_url}/activities/{uuid.uuid4()}",
            "type": kind,
            "actor": self.actor_uri,
            "object": obj,
            **fields,
        }

    async def post(
        self, inbox: str, activity: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        headers = headers if headers is not None else self.signed_headers(inbox, body)
        async with self.session.post(inbox, data=body, headers=headers) as response:  # type: ignore[union-attr]
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except json.JSONDecodeError:
                return response.status, {"text": text}
