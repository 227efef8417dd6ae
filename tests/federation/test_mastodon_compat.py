"""A Mastodon-shaped account follows the city and receives its announcements."""

from __future__ import annotations

import pytest

from node.models import Role
from node.services.announcements import AnnouncementDraft
from node.storage import city_messages as city_messages_store
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


async def test_what_the_city_sends_only_to_neighbourhoods_stays_off_the_fediverse(
    network, mastodon
):
    # Given a neighbourhood node and a Mastodon account, both following the city
    city, nimy = await network.city_and_follower()
    city_actor = f"{city.base_url}/ap/city"
    status, _ = await mastodon.post(f"{city_actor}/inbox", mastodon.activity("Follow", city_actor))
    assert status == 202
    await network.settle()
    staff = await city.accounts.create_user("s@mons.example", "S", Role.CITY_STAFF, None, PASSWORD)

    # When the city announces one thing publicly and one to its neighbourhoods only
    public = await city.announcements.publish(
        staff, AnnouncementDraft(title="Open to all", body="Pools.", all_neighbourhoods=True)
    )
    private = await city.announcements.publish(
        staff,
        AnnouncementDraft(
            title="Residents only", body="Door codes.", all_neighbourhoods=True, public=False
        ),
    )
    await network.settle()

    # Then both reach Nimy, only the public one reaches Mastodon, and only it can be fetched
    for announcement in (public, private):
        copies = await nimy.federation.db.read(
            "count", city_messages_store.count_city_messages, announcement.object_uri
        )
        assert copies == 1
    sent_to_mastodon = [a["object"]["id"] for a in mastodon.received if a["type"] == "Create"]
    assert sent_to_mastodon == [public.object_uri]
    accept = {"Accept": "application/activity+json"}
    fetch = city.client.session.get
    assert (await fetch(public.object_uri, headers=accept)).status == 200
    assert (await fetch(private.object_uri, headers=accept)).status == 404

    # When both are withdrawn
    await city.announcements.withdraw(staff, public.id)
    await city.announcements.withdraw(staff, private.id)
    await network.settle()

    # Then Nimy takes both down, Mastodon is told of the public one only, and the city's
    # public outbox never names the other
    for announcement in (public, private):
        shown = await nimy.federation.db.read(
            "live", city_messages_store.get_city_object_by_uri, announcement.object_uri
        )
        assert shown is not None and shown.withdrawn_at is not None
    deleted = [a["object"]["id"] for a in mastodon.received if a["type"] == "Delete"]
    assert deleted == [public.object_uri]
    outbox = await (await fetch(f"{city_actor}/outbox", headers=accept)).text()
    assert public.object_uri in outbox
    assert private.object_uri not in outbox


async def test_boosts_and_likes_of_the_city_are_answered_and_not_kept(network, mastodon):
    # Given a Mastodon user following the city, who got a public announcement
    city = await network.node("mons", city=True)
    city_actor = f"{city.base_url}/ap/city"
    await mastodon.post(f"{city_actor}/inbox", mastodon.activity("Follow", city_actor))
    await network.settle()
    staff = await city.accounts.create_user("s@mons.example", "S", Role.CITY_STAFF, None, PASSWORD)
    note = await city.announcements.publish(
        staff, AnnouncementDraft(title="Pools", body="Open late.", all_neighbourhoods=True)
    )
    await network.settle()

    # When Mastodon tells the city that the user boosted and liked it, as it does
    answers = [
        await mastodon.post(f"{city_actor}/inbox", mastodon.activity(kind, note.object_uri))
        for kind in ("Announce", "Like")
    ]

    # Then both are accepted, nothing of them is kept, and settling finds nothing that failed
    assert [status for status, _ in answers] == [202, 202]
    assert await city.received_types() == ["Follow"]
    await network.settle()
