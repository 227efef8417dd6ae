"""What a reporting pass walks, on a real database: every live city object of a kind, once per
neighbourhood it went to, with its last report's state, and nothing whose final report went
(a city that has published for years would otherwise have each pass walk all it ever sent)."""

from __future__ import annotations

from node.models.city import ReportState, ReportSubject
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from node.storage import neighbourhoods as neighbourhoods_store

CITY = "https://city.example/ap/city"


def city_object(conn, n: int, kind: str, neighbourhood_ids: list[int]) -> str:
    uri = f"https://city.example/objects/{n}"
    city_messages_store.put_city_message(
        conn,
        object_uri=uri,
        actor=CITY,
        actor_name="Mons",
        kind=kind,
        title=f"Object {n}",
        content_html="<p>Text</p>",
        urgent=False,
        pinned=False,
        expires_at=None,
        published_at=n,
        document="{}",
        neighbourhood_ids=neighbourhood_ids,
        now=n,
    )
    return uri


def reported(conn, uri: str, kind: str, neighbourhood_id: int, final: bool) -> ReportState:
    state = ReportState(f"{uri}/report/{neighbourhood_id}", 2, "hash", final, 1_000)
    city_reports_store.put_report_state(conn, uri, kind, neighbourhood_id, state)
    return state


def test_lists_live_objects_per_neighbourhood_with_their_last_report(conn):
    north = neighbourhoods_store.put_neighbourhood(conn, "north", "North", 0).id
    south = neighbourhoods_store.put_neighbourhood(conn, "south", "South", 0).id
    first = city_object(conn, 1, "announcement", [north, south])
    second = city_object(conn, 2, "announcement", [south])
    city_object(conn, 3, "event", [north])  # another kind
    withdrawn = city_object(conn, 4, "announcement", [north])
    city_messages_store.withdraw_city_message(conn, withdrawn, CITY, 5)
    interim = reported(conn, first, "views", south, final=False)

    listed = city_reports_store.list_open_report_subjects(conn, "announcement", "views")

    assert listed == [
        (ReportSubject(first, CITY, north), None),
        (ReportSubject(first, CITY, south), interim),
        (ReportSubject(second, CITY, south), None),
    ]


def test_a_subject_whose_final_report_went_is_left_out(conn):
    north = neighbourhoods_store.put_neighbourhood(conn, "north", "North", 0).id
    south = neighbourhoods_store.put_neighbourhood(conn, "south", "South", 0).id
    event = city_object(conn, 1, "event", [north, south])
    reported(conn, event, "attendance", north, final=True)
    # A final report of another kind on the same object does not end this kind's reporting.
    reported(conn, event, "other-kind", south, final=True)

    listed = city_reports_store.list_open_report_subjects(conn, "event", "attendance")

    assert listed == [(ReportSubject(event, CITY, south), None)]
