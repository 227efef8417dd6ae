"""A Mastodon account that follows the city sees a survey as a Note linking to its page,
never as a poll; a vote sent the way Mastodon votes in polls is refused and never counted."""

from __future__ import annotations

import time

import pytest

from node.api.app_keys import SURVEYS
from node.models import Role
from node.models.surveys import AnswerMode, QuestionKind, SurveyQuestion
from node.services.city_broadcast import Targets
from node.services.surveys import SurveyDraft
from tests.federation.mastodon_peer import MastodonPeer

PASSWORD = "correct horse battery"


@pytest.fixture
async def mastodon():
    peer = MastodonPeer()
    await peer.start()
    try:
        yield peer
    finally:
        await peer.close()


async def test_a_survey_reaches_mastodon_as_a_link_and_its_votes_are_not_counted(network, mastodon):
    city = await network.node("mons", city=True, participation_min_cell_size="2")
    await city.register.create_neighbourhood("Centre")
    actor_url = city.city_uri
    follow = mastodon.activity("Follow", actor_url)
    status, _ = await mastodon.post(f"{actor_url}/inbox", follow)
    assert status == 202
    await network.settle()

    staff = await city.accounts.create_user("s@mons.example", "S", Role.CITY_STAFF, None, PASSWORD)
    surveys = city.app[SURVEYS]
    survey = await surveys.create(
        staff,
        SurveyDraft(
            title="Which day for the repair café?",
            intro="One question.",
            questions=(SurveyQuestion("Which day?", QuestionKind.SINGLE, ("Saturday", "Sunday")),),
            answer_mode=AnswerMode.RESIDENT,
            opens_at=None,
            closes_at=int(time.time()) + 86400,
            targets=Targets(everywhere=True),
        ),
    )
    await network.settle()

    creates = [a for a in mastodon.received if a["type"] == "Create"]
    assert [c["object"]["type"] for c in creates] == ["Note"]
    note = creates[0]["object"]
    link = f"{city.base_url}/public/surveys/{survey.uuid}"
    assert note["url"] == link and link in note["content"]
    assert "oneOf" not in note and "anyOf" not in note

    # Mastodon votes with a Create{Note} named after the option, in reply to the poll.
    vote = mastodon.activity(
        "Create",
        {
            "id": f"{mastodon.base_url}/users/alice/statuses/1",
            "type": "Note",
            "name": "Saturday",
            "attributedTo": mastodon.actor_uri,
            "inReplyTo": survey.object_uri,
            "to": [actor_url],
        },
    )
    await mastodon.post(f"{actor_url}/inbox", vote)
    await network.settle()
    await surveys.close(staff, survey.id)
    await network.settle()
    results = await surveys.results(survey.id)
    assert [a.name for a in results.areas] == ["Centre"]
    assert results.overall.respondents == 0
    assert list(results.overall.questions[0].counts) == [0, 0]
