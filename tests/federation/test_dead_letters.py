"""A delivery the city gave up on (a dead letter) and the admin's "Retry"."""

from __future__ import annotations

import time

from node.models import Role
from node.services.announcements import AnnouncementDraft
from node.storage import city_messages as city_messages_store

PASSWORD = "correct horse battery"
DAY = 86_400


async def deliveries_to(city, host: str) -> list[tuple[int, str, int]]:
    """(id, state, attempts) of the city's announcements queued for `host`."""

    def read(conn):
        rows = conn.execute(
            "SELECT d.id, d.state, d.attempts FROM deliveries d"
            " JOIN activities a ON a.id = d.activity_id"
            " WHERE d.host = ? AND a.type = 'Create' ORDER BY d.id",
            (host,),
        )
        return [tuple(row) for row in rows]

    return await city.federation.db.read("deliveries_to", read)


async def make_due(city, days_ago: int = 0) -> None:
    """Time passes: the retry is due now (and, with days_ago, the delivery is that old)."""
    now = int(time.time())
    await city.federation.db.write(
        "time_passes",
        lambda conn: conn.execute(
            "UPDATE deliveries SET next_attempt_at = ?,"
            " created_at = CASE WHEN ? THEN ? ELSE created_at END WHERE state = 'pending'",
            (now, days_ago, now - days_ago * DAY),
        ),
    )


async def test_a_retried_dead_letter_gets_a_whole_new_chance(network):
    # Given Nimy follows the city, then goes offline for days while the city announces
    city, nimy = await network.city_and_follower()
    await nimy.client.close()
    staff = await city.accounts.create_user("s@m.example", "S", Role.CITY_STAFF, None, PASSWORD)
    announcement = await city.announcements.publish(
        staff, AnnouncementDraft(title="Roadworks", body="Rue de Nimy.", all_neighbourhoods=True)
    )
    await city.federation.worker.drain()
    await make_due(city, days_ago=3)  # past the 48 hours after which the city gives up
    await city.federation.worker.drain()
    ((delivery_id, state, _),) = await deliveries_to(city, nimy.host)
    assert state == "dead"

    # When the admin retries it while Nimy is still offline
    await city.peering.retry_dead_letter(delivery_id)
    await city.federation.worker.drain()

    # Then one failed attempt does not kill it again: it waits for its next retry
    assert await deliveries_to(city, nimy.host) == [(delivery_id, "pending", 1)]

    # And once Nimy is back, the retry delivers the announcement
    await network.restart(nimy)
    await make_due(city)
    await network.settle()
    assert await deliveries_to(city, nimy.host) == [(delivery_id, "delivered", 2)]
    copies = await nimy.federation.db.read(
        "count", city_messages_store.count_city_messages, announcement.object_uri
    )
    assert copies == 1
