"""A city publication and its followers, on a real city node: the neighbourhoods that follow
the city when the activity is recorded are the ones it is addressed to and queued for, even
when one follows while staff are publishing."""

from __future__ import annotations

import json

from node.api.app_keys import ANNOUNCEMENTS, FEDERATION
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.federation.actors import AS_PUBLIC
from node.models import Role
from node.models.federation import RemoteActor
from node.services.announcements import AnnouncementDraft
from node.storage import peers as peers_store
from node.storage import remote_actors as remote_actors_store
from node.storage.database import open_connection
from tests.conftest import ENGLISH, Node


async def city_node(aiohttp_client, tmp_path) -> Node:
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(data, env={"QUARTIER_CITY_ENABLED": "true"})
    return Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))


def follow_the_city(conn, name: str) -> str:
    uri = f"https://{name}.example/ap/n/{name}"
    actor = RemoteActor(
        uri=uri,
        host=f"{name}.example",
        type="Group",
        preferred_username=name,
        name=name.title(),
        inbox=f"{uri}/inbox",
        shared_inbox=f"https://{name}.example/ap/inbox",
        document=json.dumps({"id": uri}),
        fetched_at=0,
    )
    remote_actors_store.put_remote_actor(conn, actor, {})
    peers_store.put_follow(conn, "inbound", "city", uri, f"{uri}#follow", "accepted", 0)
    return uri


async def queued(node: Node) -> list[tuple[dict, str]]:
    rows = await node.client.app[FEDERATION].db.read(
        "queued",
        lambda conn: conn.execute(
            "SELECT a.document, d.inbox FROM deliveries d JOIN activities a"
            " ON a.id = d.activity_id ORDER BY d.id"
        ).fetchall(),
    )
    return [(json.loads(document), inbox) for document, inbox in rows]


async def test_a_neighbourhood_that_follows_while_staff_publish_gets_a_coherent_activity(
    aiohttp_client, tmp_path
):
    node = await city_node(aiohttp_client, tmp_path)
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    federation = node.client.app[FEDERATION]
    db = federation.db
    await db.write("follow", follow_the_city, "nimy")
    outbox = federation.outbox
    prepare = outbox.prepare
    signed = []

    def prepare_while_one_more_follows(*args, **kwargs):
        # Signing happens outside the write: Jemappes' Follow is accepted meanwhile.
        activity = prepare(*args, **kwargs)
        if not signed:
            conn = open_connection(node.config.database_path)
            with conn:
                conn.execute("BEGIN")
                follow_the_city(conn, "jemappes")
            conn.close()
        signed.append(activity)
        return activity

    outbox.prepare = prepare_while_one_more_follows
    await node.client.app[ANNOUNCEMENTS].publish(
        staff,
        AnnouncementDraft(title="Water cut", body="Tomorrow 9-12.", all_neighbourhoods=True),
    )

    # The first signature was for one neighbourhood; it was signed again for both.
    assert len(signed) == 2
    deliveries = await queued(node)
    assert sorted(inbox for _, inbox in deliveries) == [
        "https://jemappes.example/ap/inbox",
        "https://nimy.example/ap/inbox",
    ]
    activity = deliveries[0][0]
    assert activity["id"] == signed[1]["id"]
    city = federation.actors.city()
    assert activity["to"] == [city.followers, AS_PUBLIC]
    targets = await db.read(
        "targets",
        lambda conn: [
            row[0] for row in conn.execute("SELECT target FROM city_object_targets ORDER BY 1")
        ],
    )
    assert targets == [
        "https://jemappes.example/ap/n/jemappes",
        "https://nimy.example/ap/n/nimy",
    ]
