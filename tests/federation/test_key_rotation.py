"""`quartier admin keys rotate`: the node announces its new keys, and a peer that missed the
announcement re-fetches the key once when a signature stops verifying."""

from __future__ import annotations

import asyncio

from node.__main__ import main as quartier
from node.federation.keys import fingerprint, load_keys
from node.models import Role
from node.services.announcements import AnnouncementDraft
from node.storage import city_messages as city_messages_store
from node.storage import node_state as node_state_store
from node.storage import remote_actors as remote_actors_store

PASSWORD = "correct horse battery"


async def cached_city_key(nimy, city) -> str:
    found = await nimy.federation.db.read(
        "key", remote_actors_store.get_key_by_id, f"{city.city_uri}#main-key"
    )
    return found[1]


async def rotate(city) -> None:
    code = await asyncio.to_thread(
        quartier, ["admin", "keys", "rotate", "--data", str(city.data_dir)]
    )
    assert code == 0


async def test_rotated_keys_are_announced_and_used(network):
    city, nimy = await network.city_and_follower()
    old_key = await cached_city_key(nimy, city)

    await rotate(city)
    await network.restart(city)  # on start the city sends Update{actor} to its peers
    await network.settle()

    assert await cached_city_key(nimy, city) != old_key
    assert (city.data_dir / "keys" / "retired").is_dir()
    staff = await city.accounts.create_user("s@m.example", "S", Role.CITY_STAFF, None, PASSWORD)
    announcement = await city.announcements.publish(
        staff,
        AnnouncementDraft(title="Signed anew", body="With the new key.", all_neighbourhoods=True),
    )
    await network.settle()
    copies = await nimy.federation.db.read(
        "count", city_messages_store.count_city_messages, announcement.object_uri
    )
    assert copies == 1


async def test_a_peer_that_missed_the_update_refetches_the_key_once(network):
    city, nimy = await network.city_and_follower()
    old_key = await cached_city_key(nimy, city)
    await rotate(city)
    # The Update is lost, as when it went out while Nimy was unreachable and was given up: the
    # city counts its new keys as announced, so its restart sends nothing. (Emptying the queue
    # after the restart raced the delivery worker, which may already have sent the Update.)
    new_keys = load_keys(city.data_dir / "keys")
    await city.federation.db.write(
        "announced", node_state_store.put_node_state, "key_fingerprint", fingerprint(new_keys)
    )
    await network.restart(city)
    staff = await city.accounts.create_user("s@m.example", "S", Role.CITY_STAFF, None, PASSWORD)
    announcement = await city.announcements.publish(
        staff,
        AnnouncementDraft(
            title="After rotation", body="Signed with the new key.", all_neighbourhoods=True
        ),
    )
    await network.settle()
    # Nimy got no Update; its cached key failed, it fetched the actor again, and accepted
    # the announcement
    received = await nimy.received_types()
    assert "Update" not in received
    assert await cached_city_key(nimy, city) != old_key
    copies = await nimy.federation.db.read(
        "count", city_messages_store.count_city_messages, announcement.object_uri
    )
    assert copies == 1, f"Nimy received {received}"
