"""The order of the "From the city" box: what the staff form promises ("Urgent: shown first")."""

from __future__ import annotations

from node.storage import city_messages as city_messages_store
from node.storage import neighbourhoods as neighbourhoods_store


def test_urgent_first_then_pinned_then_newest(conn):
    centre = neighbourhoods_store.put_neighbourhood(conn, "centre", "Centre", 0).id
    messages = [  # (title, urgent, pinned), oldest first
        ("Water cut tomorrow", True, False),
        ("Summer festival", False, True),
        ("Library hours", False, False),
        ("Storm warning", True, True),
        ("New bus line", False, False),
    ]
    for n, (title, urgent, pinned) in enumerate(messages):
        city_messages_store.put_city_message(
            conn,
            object_uri=f"https://city.example/objects/{n}",
            actor="https://city.example/ap/city",
            actor_name="Mons",
            kind="announcement",
            title=title,
            content_html="<p>Text</p>",
            urgent=urgent,
            pinned=pinned,
            expires_at=None,
            published_at=1_000 + n,
            document="{}",
            neighbourhood_ids=[centre],
            now=1_000 + n,
        )

    listed = city_messages_store.list_city_messages_for_neighbourhood(conn, centre, 2_000)

    assert [m.title for m in listed] == [
        "Storm warning",
        "Water cut tomorrow",
        "Summer festival",
        "New bus line",
        "Library hours",
    ]
