"""A Mastodon-shaped account follows the city and receives its announcements."""

from __future__ import annotations

import pytest

from node.models import Role
from node.services.announcements import AnnouncementDraft
from tests.federation.mastodon_peer import MastodonPeer

PASSWORD = "correct horse battery"


@pytest.fixture
async def mastodon():
    peer = MastodonPeer()
    await peer.start()
    try:
        yield peer
    finally:
        await peer.close()


async def test_mastodon_user_follows_the_city_and_receives_public_announcements(network, mastodon):
    city = await network.node("mons", city=True)
    await city.register.create_neighbourhood("Centre")

    # Discovery as Mastodon does it: WebFinger, then the actor document
    response = await city.client.get(
        "/.well-known/webfinger", params={"resource": f"acct:city@{city.host}"}
    )
    assert response.status == 200
    links = (await response.json())["links"]
    actor_url = next(link["href"] for link in links if link["rel"] == "self")
    response = await city.client.session.get(
        actor_url, headers={"Accept": "application/activity+json"}
    )
    actor = await response.json()
    assert actor["id"] == actor_url
    assert actor["type"] == "Organization"
    assert actor["publicKey"]["id"] == f"{actor_url}#main-key"
    assert actor["assertionMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
    assert "https://www.w3.org/ns/cid/v1" in actor["@context"]

    # Alice follows; the city accepts at once (public announcements), signed as Mastodon wants
    follow = mastodon.activity("Follow", actor_url)
    status, _ = await mastodon.post(actor["inbox"], follow)
    assert status == 202
    await network.settle()
    accepts = [a for a in mastodon.received if a["type"] == "Accept"]
    assert len(accepts) == 1 and accepts[0]["object"]["id"] == follow["id"]

    # The city publishes; Alice's server receives a Create{Note} it can read, exactly once
    staff = await city.accounts.create_user("s@mons.example", "S", Role.CITY_STAFF, None, PASSWORD)
    await city.announcements.publish(
        staff,
        AnnouncementDraft(
            title="Heatwave: the pools open late", body="Until **22:00**.", all_neighbourhoods=True
        ),
    )
    await network.settle()
    creates = [a for a in mastodon.received if a["type"] == "Create"]
    assert len(creates) == 1
    note = creates[0]["object"]
    assert note["type"] == "Note"
    assert note["attributedTo"] == actor_url
    assert "https://www.w3.org/ns/activitystreams#Public" in note["to"]
    assert "<strong>22:00</strong>" in note["content"]
    # Mastodon-shaped: the server never had to understand RFC 9421
    assert "rfc9421" not in mastodon.refused

    # The announcement can be fetched back from the city, as Mastodon does for a reply
    fetched = await city.client.session.get(
        note["id"], headers={"Accept": "application/activity+json"}
    )
    assert fetched.status == 200
    assert (await fetched.json())["id"] == note["id"]

    # Alice unfollows: later announcements no longer reach her
    status, _ = await mastodon.post(actor["inbox"], mastodon.activity("Undo", follow))
    assert status == 202
    await network.settle()
    await city.announcements.publish(
        staff, AnnouncementDraft(title="Second", body="Later.", all_neighbourhoods=True)
    )
    await network.settle()
    assert len([a for a in mastodon.received if a["type"] == "Create"]) == 1
