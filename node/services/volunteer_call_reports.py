"""Volunteer call reports: what each neighbourhood tells the city about a call for volunteers.
The call's use cases (publishing, answering, telling volunteers) are in volunteer_calls.py.

`VolunteerRepliesSource` runs on the neighbourhood's node: Reporting
(node/services/reporting.py) calls it to compute the aggregate sent to the city, per call the
number of answers and the contacts volunteers chose to share. It is kept apart from the use
cases because it runs on the neighbourhood's side of the exchange, whereas reading the received
reports runs on the city's node (`VolunteerCalls.summaries` and `results`).

`KIND`, `REPORT_KIND` and `MAX_CONTACTS` are defined here because both this module and
volunteer_calls.py need them, and this module must not import volunteer_calls.py.
"""

from __future__ import annotations

from node.models.city import Figures, ReportState, ReportSubject
from node.services.reporting import CityObjectSubjects
from node.storage import volunteer_calls as store

KIND = "volunteer_call"  # city_messages.kind of a received call
REPORT_KIND = "volunteer_replies"
# A report stays far below the 1 MiB inbox limit (schemas/activitypub/report-volunteer-replies).
MAX_CONTACTS = 500


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
