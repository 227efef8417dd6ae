"""The inbox verifies each activity once, and many concurrent deliveries share transactions.

A proof by another key than the one that signed the request (what a relay forwards) is
verified; a proof by the very key that signed the request is not verified again, because
that signature already covers the body's digest. Tampering is refused either way.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest

from node.federation.http_signatures import sign_cavage, sign_rfc9421
from node.federation.integrity_proofs import sign_document
from node.federation.remote_fetch import ACTIVITY_JSON
from tests.federation.test_inbox_fuzz import FuzzPeer


@pytest.fixture
async def peer():
    server = FuzzPeer(username="relay")
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def city(network, peer):
    node = await network.node("mons", city=True)
    await node.peering.set_host_policy(f"127.0.0.1:{peer.port}", "allow")
    return node


def note(peer: FuzzPeer, city, content: str = "<p>hello</p>") -> dict:
    return peer.activity(
        "Create",
        {
            "id": f"{peer.base_url}/notes/{uuid.uuid4()}",
            "type": "Note",
            "attributedTo": peer.actor_uri,
            "content": content,
            "to": [city.city_uri],
        },
        to=[city.city_uri],
    )


def proved(peer: FuzzPeer, activity: dict) -> dict:
    return sign_document(activity, peer.ed_key, peer.ed_key_id)


def tampered(activity: dict) -> dict:
    """The proof stays, the content changes: the proof no longer verifies."""
    return activity | {"object": activity["object"] | {"content": "<p>changed</p>"}}


def signed_with_rsa(peer: FuzzPeer, inbox: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": ACTIVITY_JSON} | sign_cavage(
        "POST", inbox, {}, body, peer.key_id, peer.key
    )


def signed_with_ed25519(peer: FuzzPeer, inbox: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": ACTIVITY_JSON} | sign_rfc9421(
        "POST", inbox, {}, body, peer.ed_key_id, peer.ed_key
    )


async def stored_ids(city) -> set[str]:
    """Every activity the city's inbox kept, processed or not."""

    def ids(conn) -> set[str]:
        return {row[0] for row in conn.execute("SELECT activity_uri FROM inbox_items")}

    return await city.federation.db.read("stored_ids", ids)


async def test_a_proof_by_another_key_than_the_requests_is_verified(city, peer):
    inbox = f"{city.city_uri}/inbox"
    good = proved(peer, note(peer, city))
    body = json.dumps(good).encode()
    status, problem = await peer.post(inbox, body, signed_with_rsa(peer, inbox, body))
    assert status == 202, problem

    bad = tampered(proved(peer, note(peer, city)))
    body = json.dumps(bad).encode()
    status, problem = await peer.post(inbox, body, signed_with_rsa(peer, inbox, body))
    assert status == 401
    assert problem["type"] == "urn:quartier:problem:bad-proof"
    assert await stored_ids(city) == {good["id"]}


async def test_a_proof_by_the_requests_own_key_is_covered_by_its_signature(city, peer):
    inbox = f"{city.city_uri}/inbox"
    # Signed by the same Ed25519 key as the proof: accepted on the request's signature, which
    # covers the very bytes the proof covers.
    activity = tampered(proved(peer, note(peer, city)))
    body = json.dumps(activity).encode()
    status, problem = await peer.post(inbox, body, signed_with_ed25519(peer, inbox, body))
    assert status == 202, problem
    # Changing those bytes after signing is refused by the request's digest.
    other = json.dumps(proved(peer, note(peer, city))).encode()
    headers = signed_with_ed25519(peer, inbox, other)
    status, problem = await peer.post(inbox, other.replace(b"hello", b"HELLO"), headers)
    assert status == 401
    assert "Digest" in problem["detail"]
    assert await stored_ids(city) == {activity["id"]}


async def test_concurrent_deliveries_are_each_stored_once_and_answered_alone(city, peer):
    """Fifty deliveries at once, some duplicates and some from a blocked server: the group
    commit gives each its own answer."""
    inbox = f"{city.city_uri}/inbox"
    activities = [proved(peer, note(peer, city, f"<p>n° {n}</p>")) for n in range(40)]
    requests = [json.dumps(a).encode() for a in activities]

    async def send(body: bytes) -> int:
        status, _ = await peer.post(inbox, body, signed_with_ed25519(peer, inbox, body))
        return status

    async def resend(body: bytes) -> int:  # signed anew, a second earlier: not a replay
        headers = {"Content-Type": ACTIVITY_JSON} | sign_rfc9421(
            "POST", inbox, {}, body, peer.ed_key_id, peer.ed_key, int(time.time()) - 1
        )
        status, _ = await peer.post(inbox, body, headers)
        return status

    statuses = await asyncio.gather(
        *(send(body) for body in requests), *(resend(body) for body in requests[:10])
    )
    assert statuses == [202] * 50
    assert await stored_ids(city) == {a["id"] for a in activities}

    await city.peering.set_host_policy(f"127.0.0.1:{peer.port}", "block")
    late = [json.dumps(proved(peer, note(peer, city))).encode() for _ in range(5)]
    statuses = await asyncio.gather(*(send(body) for body in late))
    assert statuses == [403] * 5
    assert len(await stored_ids(city)) == 40
