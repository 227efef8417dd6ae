"""Volunteer call reports: what each neighbourhood tells the city about a call for volunteers.
The call's use cases (publishing, answering, telling volunteers) are in volunteer_calls.py.

`VolunteerRepliesSource` runs on the neighbourhood's node: Reporting
(node/services/reporting.py) calls it to compute the aggregate sent to the city, per call the
number of answers and the contacts volunteers chose to share. It is kept apart from the use
cases because it runs on the neighbourhood's side of the exchange, whereas the use cases that read
the received reports run on the city's node (`VolunteerCalls.summaries` and `results`).

The city's side of reading those reports is here too: `neighbourhood_replies` turns one
(untrusted, possibly remote) report into a row of the call's results, `report_count` reads a
count from it.

The constants are defined here because both this module and volunteer_calls.py need them,
and this module must not import volunteer_calls.py.
"""

from __future__ import annotations

from typing import Any

from node.models.city import CityReport, Figures, ReportState, ReportSubject
from node.models.volunteer_calls import NeighbourhoodReplies, SharedContact
from node.services.reporting import CityObjectSubjects
from node.storage import volunteer_calls as store

KIND = "volunteer_call"  # city_messages.kind of a received call
REPORT_KIND = "volunteer_replies"
# A report stays far below the 1 MiB inbox limit (schemas/activitypub/report-volunteer-replies).
MAX_CONTACTS = 500
# What a volunteer may share (checked when they answer, and again on reading any report).
MAX_NAME = 100
MAX_CONTACT = 200
MAX_MESSAGE = 500


class VolunteerRepliesSource(CityObjectSubjects):
    """The report source `volunteer_replies`: per call and neighbourhood, the number of
    answers and the contacts shared on purpose. Runs inside Reporting's read."""

    kind = REPORT_KIND
    object_kind = KIND

    def figures(
        self, conn, subject: ReportSubject, previous: ReportState | None, now: int
    ) -> Figures | None:
        uri, neighbourhood_id = subject.subject_uri, subject.neighbourhood_id
        answers = store.count_volunteer_replies(conn, uri, neighbourhood_id)
        if answers == 0 and previous is None:
            return None  # nothing to say yet; the first answer is then reported at once
        contacts = store.list_shared_contacts(conn, uri, neighbourhood_id, MAX_CONTACTS)
        # Never final: a volunteer may take their contact back after the call ended, and the
        # city's copy must follow.
        return Figures(
            {
                "answers": answers,
                "contacts": [
                    {"name": c.name, "contact": c.contact, "message": c.message} for c in contacts
                ],
            }
        )


# -- the city's side: reading what neighbourhoods reported ------------------------------------


def report_count(value: Any) -> int | None:
    """A count from a (possibly remote, untrusted) report, or None if it is not one."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _contacts(value: Any) -> tuple[SharedContact, ...]:
    """Contacts from a report; anything malformed is left out rather than shown oddly."""
    if not isinstance(value, list):
        return ()
    found = []
    for item in value[:MAX_CONTACTS]:
        if not isinstance(item, dict):
            continue
        name, contact, message = item.get("name"), item.get("contact"), item.get("message", "")
        if isinstance(name, str) and isinstance(contact, str) and isinstance(message, str):
            found.append(
                SharedContact(name[:MAX_NAME], contact[:MAX_CONTACT], message[:MAX_MESSAGE])
            )
    return tuple(sorted(found, key=lambda c: (c.name.casefold(), c.contact, c.message)))


def neighbourhood_replies(name: str, host: str, report: CityReport | None) -> NeighbourhoodReplies:
    """One neighbourhood's row; a remote report is untrusted, so odd values show as none."""
    if report is None:
        return NeighbourhoodReplies(name=name, host=host, answers=None)
    figures = report.figures if isinstance(report.figures, dict) else {}
    return NeighbourhoodReplies(
        name=report.neighbourhood_name or name,
        host=host or report.host,
        answers=report_count(figures.get("answers")),
        contacts=_contacts(figures.get("contacts")),
        received_at=report.received_at,
    )
