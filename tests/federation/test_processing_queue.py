"""The inbox queue's processor: a failing item is kept with its error and never blocks the
items behind it, whatever the failure."""

from __future__ import annotations

import json

from node.storage import inbox as inbox_store


def create(n: int, object_type: str) -> str:
    return json.dumps(
        {
            "id": f"http://peer.example/activities/{n}",
            "type": "Create",
            "actor": "http://peer.example/users/a",
            "object": {"id": f"http://peer.example/objects/{n}", "type": object_type},
        }
    )


async def test_a_failing_item_keeps_its_error_and_the_queue_moves_on(network):
    node = await network.node("mons", city=True)
    federation = node.federation
    handled = []

    async def broken(activity):  # a bug in a feature's handler
        raise RuntimeError("boom")

    async def working(activity):
        handled.append(activity["id"])

    federation.processor.register_object_handler("test:Broken", broken)
    federation.processor.register_object_handler("test:Working", working)

    def enqueue(conn):
        for n, kind in enumerate(["test:Working", "test:Broken", "test:Working"]):
            inbox_store.put_inbox_item(
                conn, f"http://peer.example/activities/{n}", "a", "Create", create(n, kind), 0
            )

    await federation.db.write("enqueue", enqueue)
    await federation.processor.drain()

    def outcomes(conn):
        return conn.execute(
            "SELECT activity_uri, processed_at IS NOT NULL, error FROM inbox_items ORDER BY id"
        ).fetchall()

    rows = [tuple(row) for row in await federation.db.read("outcomes", outcomes)]
    assert rows == [
        ("http://peer.example/activities/0", 1, None),
        ("http://peer.example/activities/1", 1, "RuntimeError: boom"),
        ("http://peer.example/activities/2", 1, None),
    ]
    assert handled == ["http://peer.example/activities/0", "http://peer.example/activities/2"]
