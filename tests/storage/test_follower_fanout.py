"""Queuing a city object for its followers in SQL, on a real database: which inboxes get it,
once each, with the host the delivery worker needs, and what "every neighbourhood" means."""

from __future__ import annotations

import json
import sqlite3
from uuid import uuid4

import pytest

from node.models.federation import RemoteActor
from node.storage import activities as activities_store
from node.storage import city_reports as city_reports_store
from node.storage import peers as peers_store
from node.storage import remote_actors as remote_actors_store

OBJECT = "https://city.example/objects/1"


def follower(
    conn: sqlite3.Connection,
    uri: str,
    kind: str = "Group",
    shared_inbox: str | None = None,
    state: str = "accepted",
    of: str = "city",
) -> None:
    host = uri.split("/")[2]
    actor = RemoteActor(
        uri=uri,
        host=host,
        type=kind,
        preferred_username=uri.rsplit("/", 1)[1],
        name="",
        inbox=f"{uri}/inbox",
        shared_inbox=shared_inbox,
        document=json.dumps({"id": uri}),
        fetched_at=0,
    )
    remote_actors_store.put_remote_actor(conn, actor, {})
    peers_store.put_follow(conn, "inbound", of, uri, f"{uri}#follow", state, 0)


def queued(conn: sqlite3.Connection, *, public: bool, targets_of: str | None = OBJECT):
    activity_id = activities_store.put_activity(
        conn, f"https://city.example/activities/{uuid4()}", "Create", "c", OBJECT, "{}", public, 0
    )
    activities_store.put_deliveries_to_followers(
        conn, activity_id, "city", targets_of=targets_of, public=public, now=0
    )
    rows = conn.execute(
        "SELECT inbox, host FROM deliveries WHERE activity_id = ? ORDER BY id", (activity_id,)
    )
    return [tuple(row) for row in rows]


@pytest.fixture
def followers(conn):
    # Two neighbourhoods on one server share its inbox; one on a server without a shared inbox.
    follower(conn, "https://a.example/n/north", shared_inbox="https://a.example/inbox")
    follower(conn, "https://a.example/n/south", shared_inbox="https://a.example/inbox")
    follower(conn, "https://b.example:8443/n/east")
    # A Mastodon account, a neighbourhood still waiting for approval, and one that follows
    # another actor of the node, not the city.
    follower(conn, "https://social.example/users/ann", kind="Person")
    follower(conn, "https://c.example/n/pending", state="pending")
    follower(conn, "https://d.example/n/other", of="n/centre")
    return conn


def test_every_neighbourhood_means_the_accepted_groups_following_the_city(followers):
    conn = followers
    city_reports_store.put_follower_groups_as_targets(conn, OBJECT, "city")
    assert city_reports_store.list_city_object_targets(conn, OBJECT) == [
        "https://a.example/n/north",
        "https://a.example/n/south",
        "https://b.example:8443/n/east",
    ]
    assert city_reports_store.targets_every_follower_group(conn, OBJECT, "city")
    # One delivery per inbox, to a server's shared inbox when it has one; the host is the
    # inbox's (with its port), as the worker's per-server limits and signature scheme need.
    assert queued(conn, public=False) == [
        ("https://a.example/inbox", "a.example"),
        ("https://b.example:8443/n/east/inbox", "b.example:8443"),
    ]


def test_a_public_object_also_reaches_followers_that_are_not_neighbourhoods(followers):
    conn = followers
    city_reports_store.put_city_object_targets(conn, OBJECT, ["https://b.example:8443/n/east"])
    assert not city_reports_store.targets_every_follower_group(conn, OBJECT, "city")
    assert queued(conn, public=True) == [
        ("https://b.example:8443/n/east/inbox", "b.example:8443"),
        ("https://social.example/users/ann/inbox", "social.example"),
    ]
    # The public copy of a survey (no targets): only the Mastodon account.
    assert queued(conn, public=True, targets_of=None)[-1:] == [
        ("https://social.example/users/ann/inbox", "social.example")
    ]


def test_targets_stop_being_every_neighbourhood_when_one_more_follows(followers):
    conn = followers
    city_reports_store.put_follower_groups_as_targets(conn, OBJECT, "city")
    follower(conn, "https://e.example/n/new")
    assert not city_reports_store.targets_every_follower_group(conn, OBJECT, "city")
    assert city_reports_store.list_city_object_targets(conn, OBJECT, only="remote")[-1] == (
        "https://b.example:8443/n/east"
    )


def test_targets_not_following_the_city_are_named_in_the_order_given(followers):
    conn = followers
    asked = [
        "https://c.example/n/pending",
        "https://a.example/n/north",
        "https://social.example/users/ann",
        "https://d.example/n/other",
    ]
    assert peers_store.not_follower_groups(conn, "city", asked) == [
        "https://c.example/n/pending",
        "https://social.example/users/ann",
        "https://d.example/n/other",
    ]
    assert peers_store.count_follower_groups(conn, "city") == 3
