"""Every way an incoming request can be wrong gets a 4xx with a reason, and stores nothing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from node.federation.http_signatures import sign_cavage
from node.storage import inbox as inbox_store
from tests.federation.mastodon_peer import MastodonPeer


@pytest.fixture
async def sender():
    peer = MastodonPeer(username="mallory")
    await peer.start()
    try:
        yield peer
    finally:
        await peer.close()


@pytest.fixture
async def city(network, sender):
    node = await network.node("mons", city=True)
    # The sender's server is allowed: whatever is refused below is refused for its content.
    await node.peering.set_host_policy(f"127.0.0.1:{sender.port}", "allow")
    return node


async def stored(city) -> int:
    return await city.federation.db.read("count", inbox_store.count_inbox_items)


def create_note(sender: MastodonPeer, city, **note_fields) -> dict:
    note = {
        "id": f"{sender.base_url}/notes/1",
        "type": "Note",
        "attributedTo": sender.actor_uri,
        "content": "hello",
        **note_fields,
    }
    return sender.activity("Create", note, to=[city.city_uri])


async def test_a_correct_request_is_accepted(city, sender):
    status, body = await sender.post(f"{city.city_uri}/inbox", create_note(sender, city))
    assert status == 202, body
    assert await stored(city) == 1


async def test_forged_signature_is_refused(city, sender):
    inbox = f"{city.city_uri}/inbox"
    body = json.dumps(create_note(sender, city)).encode()
    headers = sender.signed_headers(inbox, body)
    signature = headers["Signature"]
    value = signature.split('signature="')[1].rstrip('"')
    raw = bytearray(base64.b64decode(value))
    raw[10] ^= 0xFF
    headers["Signature"] = signature.replace(value, base64.b64encode(bytes(raw)).decode())
    status, problem = await sender.post(inbox, body, headers)
    assert status == 401
    assert "does not verify" in problem["detail"]
    assert await stored(city) == 0


async def test_wrong_digest_is_refused(city, sender):
    inbox = f"{city.city_uri}/inbox"
    body = json.dumps(create_note(sender, city)).encode()
    headers = sender.signed_headers(inbox, body)
    tampered = body.replace(b"hello", b"HELLO")
    status, problem = await sender.post(inbox, tampered, headers)
    assert status == 401
    assert "Digest" in problem["detail"]
    assert await stored(city) == 0


async def test_expired_date_is_refused(city, sender):
    inbox = f"{city.city_uri}/inbox"
    body = json.dumps(create_note(sender, city)).encode()
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_cavage("POST", inbox, {}, body, sender.key_id, sender.key, two_hours_ago))
    status, problem = await sender.post(inbox, body, headers)
    assert status == 401
    assert "old" in problem["detail"]
    assert await stored(city) == 0


async def test_replayed_request_is_refused(city, sender):
    inbox = f"{city.city_uri}/inbox"
    body = json.dumps(create_note(sender, city)).encode()
    headers = sender.signed_headers(inbox, body)
    first, _ = await sender.post(inbox, body, headers)
    assert first == 202
    again, problem = await sender.post(inbox, body, dict(headers))
    assert again == 401
    assert "already received" in problem["detail"]
    assert await stored(city) == 1


async def test_actor_and_key_mismatch_is_refused(city, sender, network):
    other = MastodonPeer(username="victim", port=sender.port)
    activity = create_note(sender, city)
    # Mallory signs, but claims the activity is Victim's
    activity["actor"] = other.actor_uri
    activity["object"]["attributedTo"] = other.actor_uri
    status, problem = await sender.post(f"{city.city_uri}/inbox", activity)
    assert status == 401
    assert "actor is" in problem["detail"]
    assert await stored(city) == 0


async def test_oversize_body_is_refused(city, sender):
    activity = create_note(sender, city, content="x" * (1024 * 1024))
    status, problem = await sender.post(f"{city.city_uri}/inbox", activity)
    assert status == 413
    assert "bytes" in problem["detail"]
    assert await stored(city) == 0


async def test_schema_violating_body_is_refused_naming_the_field(city, sender):
    activity = create_note(sender, city)
    activity["object"]["attributedTo"] = 5
    status, problem = await sender.post(f"{city.city_uri}/inbox", activity)
    assert status == 422
    assert problem["detail"].startswith("object.attributedTo")
    assert await stored(city) == 0


async def test_unsigned_request_is_refused(city, sender):
    body = json.dumps(create_note(sender, city)).encode()
    status, problem = await sender.post(
        f"{city.city_uri}/inbox", body, {"Content-Type": "application/activity+json"}
    )
    assert status == 401
    assert "signature" in problem["detail"].lower()
    assert await stored(city) == 0


async def test_resident_content_is_not_fetchable_whatever_the_signature(city, sender):
    # No resident object has an ActivityPub address: the HTML routes answer 404 to AP fetches.
    for path in ("/posts/1", "/neighbourhood", "/messages/2", "/directory"):
        headers = {"Accept": "application/activity+json"}
        headers.update(
            sign_cavage("GET", f"{city.base_url}{path}", {}, None, sender.key_id, sender.key)
        )
        response = await city.client.get(path, headers=headers)
        assert response.status == 404, path
    response = await city.client.get(
        "/ap/objects/00000000-0000-0000-0000-000000000000",
        headers={"Accept": "application/activity+json"},
    )
    assert response.status == 404


async def test_a_server_sending_too_fast_gets_429_with_retry_after(network, sender):
    city = await network.node("mons", city=True, federation_inbox_requests_per_minute="2")
    await city.peering.set_host_policy(f"127.0.0.1:{sender.port}", "allow")
    statuses = []
    for i in range(3):
        activity = create_note(sender, city)
        activity["object"]["id"] = f"{sender.base_url}/notes/{i}"
        status, problem = await sender.post(f"{city.city_uri}/inbox", activity)
        statuses.append(status)
    assert statuses == [202, 202, 429]
    assert "too many requests" in problem["detail"]
    # The answer says when to come back, as Mastodon's delivery worker expects
    body = json.dumps(create_note(sender, city)).encode()
    inbox = f"{city.city_uri}/inbox"
    async with sender.session.post(
        inbox, data=body, headers=sender.signed_headers(inbox, body)
    ) as response:
        assert response.status == 429
        assert 0 < int(response.headers["Retry-After"]) <= 60
    assert await stored(city) == 2
