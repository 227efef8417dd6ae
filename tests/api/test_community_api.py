"""The community JSON API as a script uses it, every answer checked against the OpenAPI
document the node serves."""

from __future__ import annotations

from node.api.api_community import OPERATIONS
from tests.api.community_people import person
from tests.api.test_json_api import Api


async def test_every_community_operation_answers_as_documented(node):
    # Given two neighbours of Centre, each with a token
    await node.register.create_neighbourhood("Centre")
    anne = await person(node, "Anne", "centre")
    jean = await person(node, "Jean", "centre")
    doc = await (await node.client.get("/api/v1/openapi.json")).json()
    english = {"Accept-Language": "en"}
    a = Api(node, doc, {**await node.api_token(anne), **english})
    j = Api(node, doc, {**await node.api_token(jean), **english})
    ids = {"id": jean.id}

    # Messages: Anne writes, Jean reads and answers, each deletes for themselves
    sent = await a.call("POST", "/api/v1/conversations/{id}", 201, ids, json={"body": "Hi Jean"})
    message_id = (await sent.json())["id"]
    conversations = await (await j.call("GET", "/api/v1/conversations", 200)).json()
    assert conversations[0]["with"] == {"id": anne.id, "display_name": "Anne"}
    assert conversations[0]["unread"] == 1
    thread = await j.call("GET", "/api/v1/conversations/{id}", 200, {"id": anne.id})
    assert [m["from_me"] for m in (await thread.json())["messages"]] == [False]
    await a.call("POST", "/api/v1/conversations/{id}", 422, ids, json={"body": ""})
    await j.call("DELETE", "/api/v1/messages/{id}", 204, {"id": message_id})
    await a.call("DELETE", "/api/v1/conversations/{id}", 204, ids)
    await a.call("GET", "/api/v1/conversations/{id}", 404, {"id": 9999})

    # Helpers: Jean offers repairs and volunteers
    await j.call("GET", "/api/v1/helpers/me", 200)
    offer = {"skills": ["repairs"], "note": "Evenings", "volunteer": True}
    profile = await j.call("PUT", "/api/v1/helpers/me", 200, json=offer)
    assert (await profile.json())["registered"] is True
    await j.call("PUT", "/api/v1/helpers/me", 422, json={"skills": ["juggling"]})
    helpers = await a.call("GET", "/api/v1/helpers", 200, params={"skill": "repairs"})
    assert [h["user_id"] for h in await helpers.json()] == [jean.id]

    # Directory: Jean lists himself with his skills, without a street (he has no household)
    settings = {"listed": True, "bio": "Hello", "show_bio": True, "show_skills": True}
    await j.call("PUT", "/api/v1/directory/me", 200, json=settings)
    await j.call("GET", "/api/v1/directory/me", 200)
    listed = await (await a.call("GET", "/api/v1/directory", 200)).json()
    assert listed == [
        {
            "user_id": jean.id,
            "display_name": "Jean",
            "bio": "Hello",
            "street": None,
            "skills": ["repairs"],
        }
    ]
    await j.call("DELETE", "/api/v1/helpers/me", 204)

    # Notifications: Jean's new-message notification, then read, then settings
    notes = await (await j.call("GET", "/api/v1/notifications", 200)).json()
    assert notes[0]["sentence"] == "New message from Anne"
    assert notes[0]["url"] == f"{node.config.base_url}/messages/{anne.id}"
    await j.call("POST", "/api/v1/notifications/read", 204)
    await j.call("GET", "/api/v1/notifications/settings", 200)
    await j.call("PUT", "/api/v1/notifications/settings", 200, json={"email_mode": "none"})
    await j.call("PUT", "/api/v1/notifications/settings", 422, json={"email_mode": "hourly"})

    # Then every operation was exercised, and every answer matched the document
    assert a.exercised | j.exercised == {(op.method, op.path) for op in OPERATIONS}
    assert a.violations + j.violations == []
