"""The canary: residents write a post, a comment and a direct message containing a unique
string; the whole federation scenario runs; the string is in no byte any node sent."""

from __future__ import annotations

import uuid

from node.api.app_keys import MESSAGES, POSTS
from node.models import Role
from node.services.announcements import AnnouncementDraft
from node.services.post_drafts import PostDraft
from tests.federation.mastodon_peer import MastodonPeer

PASSWORD = "correct horse battery"


async def write_resident_content(node, slug: str, canary: str) -> None:
    accounts = node.accounts
    anne = await accounts.create_user(f"anne@{slug}.example", "Anne", Role.RESIDENT, slug, PASSWORD)
    bob = await accounts.create_user(f"bob@{slug}.example", "Bob", Role.RESIDENT, slug, PASSWORD)
    posts = node.app[POSTS]
    post_id = await posts.create_post(
        anne,
        PostDraft(category="help_request", title=f"Ladder {canary}", body=f"Who has {canary}?"),
    )
    await posts.interactions.add_comment(bob, post_id, f"I do, {canary}")
    await posts.interactions.toggle_reaction(bob, post_id, "thanks")
    await node.app[MESSAGES].send(bob, anne.id, f"Private: {canary}")


async def test_resident_content_appears_in_no_byte_any_node_sends(network):
    canary = f"CANARY-{uuid.uuid4().hex}"
    # What our nodes answer to the Mastodon peer's fetches is captured too
    mastodon = MastodonPeer(trace_configs=[network.traffic.trace_config()])
    await mastodon.start()
    try:
        # A city with a local neighbourhood, a neighbourhood node, and a Mastodon follower
        city = await network.node("mons", city=True)
        await city.register.create_neighbourhood("Centre")
        nimy = await network.node("nimy")
        await nimy.register.create_neighbourhood("Nimy")
        await city.peering.set_host_policy(nimy.host, "allow")

        # Residents on both nodes write the canary everywhere resident content can go
        await write_resident_content(city, "centre", canary)
        await write_resident_content(nimy, "nimy", canary)

        # The full scenario: follows, announcements, an edit, a withdrawal, key rotation
        await nimy.peering.follow_city(f"city@{city.host}", None)
        status, _ = await mastodon.post(
            f"{city.city_uri}/inbox", mastodon.activity("Follow", city.city_uri)
        )
        assert status == 202
        await network.settle()
        staff = await city.accounts.create_user(
            "s@mons.example", "S", Role.CITY_STAFF, None, PASSWORD
        )
        first = await city.announcements.publish(
            staff, AnnouncementDraft(title="Cleanup day", body="Saturday.", all_neighbourhoods=True)
        )
        await city.announcements.publish(
            staff,
            AnnouncementDraft(
                title="Nimy only",
                body="Water cut.",
                remote_neighbourhoods=(nimy.group_uri("nimy"),),
                public=False,
            ),
        )
        await city.announcements.edit(staff, first.id, "Cleanup day!", "Sunday.", True, False, None)
        await network.settle()
        await city.announcements.withdraw(staff, first.id)
        await network.settle()
        # Remote servers fetch what they may: actors, WebFinger, NodeInfo, published objects
        for path in (
            "/.well-known/nodeinfo",
            "/nodeinfo/2.1",
            f"/.well-known/webfinger?resource=acct:nimy@{nimy.host}",
        ):
            await city.federation.fetcher.fetch_json(f"{nimy.base_url}{path}")
        await nimy.federation.directory.fetch_actor(city.city_uri)

        # The scenario really happened: traffic flowed, Nimy and Mastodon got the city's words
        assert network.traffic.total_bytes > 10_000
        assert network.traffic.contains("Cleanup day!")
        assert any(a["type"] == "Create" for a in mastodon.received)

        # And the canary is nowhere in it
        assert not network.traffic.contains(canary)
        assert not network.traffic.contains(canary.lower())
    finally:
        await mastodon.close()
