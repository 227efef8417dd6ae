"""JSON API of messages, directory, helpers and notifications."""

from __future__ import annotations

from aiohttp import web

from node.api.access import RESIDENTS, access
from node.api.app_keys import (
    CONFIG,
    DIRECTORY,
    HELPERS,
    MESSAGES,
    NOTIFICATIONS,
    TRANSLATOR_KEY,
    USER_KEY,
)
from node.api.operations import Operation, json_body
from node.models import User
from node.models.community import (
    Correspondent,
    DirectorySettings,
    HelperProfile,
    Message,
    Notification,
)
from node.services.notification_texts import describe


def _person_json(person: Correspondent) -> dict:
    return {"id": person.id, "display_name": person.display_name}


def _message_json(message: Message, viewer: User) -> dict:
    return {
        "id": message.id,
        "from_me": message.sender_id == viewer.id,
        "body": message.body,
        "created_at": message.created_at,
        "read_at": message.read_at,
    }


def _directory_settings_json(settings: DirectorySettings) -> dict:
    return {
        "listed": settings.listed,
        "bio": settings.bio,
        "show_bio": settings.show_bio,
        "show_street": settings.show_street,
        "show_skills": settings.show_skills,
    }


def _helper_profile_json(profile: HelperProfile) -> dict:
    return {
        "registered": profile.registered,
        "skills": list(profile.skills),
        "note": profile.note,
        "volunteer": profile.volunteer,
    }


def _notification_json(request: web.Request, n: Notification) -> dict:
    text = describe(n, request[TRANSLATOR_KEY])
    return {
        "id": n.id,
        "kind": n.kind,
        "sentence": text.sentence,
        "url": request.app[CONFIG].base_url + text.path if text.path else None,
        "actor": {"id": n.actor_id, "display_name": n.actor_name}
        if n.actor_id is not None and n.actor_name is not None
        else None,
        "post_id": n.post_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


# -- messages ---------------------------------------------------------------------------------


@access(RESIDENTS)
async def conversations_list(request: web.Request) -> web.Response:
    user = request[USER_KEY]
    conversations = await request.app[MESSAGES].conversations(user)
    return web.json_response(
        [
            {
                "with": _person_json(c.other),
                "last_message": _message_json(c.last_message, user),
                "unread": c.unread,
            }
            for c in conversations
        ]
    )


@access(RESIDENTS)
async def conversation_get(request: web.Request) -> web.Response:
    user = request[USER_KEY]
    thread = await request.app[MESSAGES].thread(user, _id(request))
    return web.json_response(
        {
            "with": _person_json(thread.other),
            "can_reply": thread.can_reply,
            "messages": [_message_json(m, user) for m in thread.messages],
        }
    )


@access(RESIDENTS)
async def message_send(request: web.Request) -> web.Response:
    body = await json_body(request, "api/message-create")
    user = request[USER_KEY]
    message = await request.app[MESSAGES].send(user, _id(request), body["body"])
    return web.json_response(_message_json(message, user), status=201)


@access(RESIDENTS)
async def conversation_delete(request: web.Request) -> web.Response:
    await request.app[MESSAGES].hide_conversation(request[USER_KEY], _id(request))
    return web.Response(status=204)


@access(RESIDENTS)
async def message_delete(request: web.Request) -> web.Response:
    await request.app[MESSAGES].hide_message(request[USER_KEY], _id(request))
    return web.Response(status=204)


# -- directory --------------------------------------------------------------------------------


@access(RESIDENTS)
async def directory_list(request: web.Request) -> web.Response:
    listings = await request.app[DIRECTORY].listings(request[USER_KEY])
    return web.json_response(
        [
            {
                "user_id": entry.user_id,
                "display_name": entry.display_name,
                "bio": entry.bio,
                "street": entry.street,
                "skills": list(entry.skills),
            }
            for entry in listings
        ]
    )


@access(RESIDENTS)
async def directory_me_get(request: web.Request) -> web.Response:
    settings, _ = await request.app[DIRECTORY].settings(request[USER_KEY])
    return web.json_response(_directory_settings_json(settings))


@access(RESIDENTS)
async def directory_me_put(request: web.Request) -> web.Response:
    body = await json_body(request, "api/directory-settings")
    settings = await request.app[DIRECTORY].save_settings(
        request[USER_KEY],
        DirectorySettings(
            listed=body["listed"],
            bio=body.get("bio", ""),
            show_bio=body.get("show_bio", True),
            show_street=body.get("show_street", False),
            show_skills=body.get("show_skills", False),
        ),
    )
    return web.json_response(_directory_settings_json(settings))


# -- helpers ----------------------------------------------------------------------------------


@access(RESIDENTS)
async def helpers_list(request: web.Request) -> web.Response:
    helpers = await request.app[HELPERS].helpers(request[USER_KEY], request.query.get("skill"))
    return web.json_response(
        [
            {
                "user_id": h.user_id,
                "display_name": h.display_name,
                "skills": list(h.skills),
                "note": h.note,
            }
            for h in helpers
        ]
    )


@access(RESIDENTS)
async def helper_me_get(request: web.Request) -> web.Response:
    profile = await request.app[HELPERS].profile(request[USER_KEY])
    return web.json_response(_helper_profile_json(profile))


@access(RESIDENTS)
async def helper_me_put(request: web.Request) -> web.Response:
    body = await json_body(request, "api/helper-profile-update")
    profile = await request.app[HELPERS].register(
        request[USER_KEY], body["skills"], body.get("note", ""), body.get("volunteer", False)
    )
    return web.json_response(_helper_profile_json(profile))


@access(RESIDENTS)
async def helper_me_delete(request: web.Request) -> web.Response:
    await request.app[HELPERS].withdraw(request[USER_KEY])
    return web.Response(status=204)


# -- notifications ----------------------------------------------------------------------------


@access(RESIDENTS)
async def notifications_list(request: web.Request) -> web.Response:
    items = await request.app[NOTIFICATIONS].recent(request[USER_KEY], mark_read=False)
    return web.json_response([_notification_json(request, n) for n in items])


@access(RESIDENTS)
async def notifications_read(request: web.Request) -> web.Response:
    await request.app[NOTIFICATIONS].mark_all_read(request[USER_KEY])
    return web.Response(status=204)


@access(RESIDENTS)
async def notification_settings_get(request: web.Request) -> web.Response:
    mode = await request.app[NOTIFICATIONS].email_mode(request[USER_KEY])
    return web.json_response({"email_mode": mode.value})


@access(RESIDENTS)
async def notification_settings_put(request: web.Request) -> web.Response:
    body = await json_body(request, "api/notification-settings")
    mode = await request.app[NOTIFICATIONS].set_email_mode(request[USER_KEY], body["email_mode"])
    return web.json_response({"email_mode": mode.value})


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/conversations",
        conversations_list,
        "Your conversations, the latest first, with unread counts",
        response_schema="api/conversation",
        response_is_list=True,
    ),
    Operation(
        "GET",
        "/api/v1/conversations/{id}",
        conversation_get,
        "Your conversation with resident {id}, oldest message first; marks it read",
        response_schema="api/thread",
    ),
    Operation(
        "POST",
        "/api/v1/conversations/{id}",
        message_send,
        "Send a message to resident {id} (a neighbour you can see, or someone who wrote to you)",
        request_schema="api/message-create",
        response_schema="api/message",
        status=201,
    ),
    Operation(
        "DELETE",
        "/api/v1/conversations/{id}",
        conversation_delete,
        "Delete your conversation with resident {id} for you only",
        status=204,
    ),
    Operation(
        "DELETE",
        "/api/v1/messages/{id}",
        message_delete,
        "Delete one message for you only; the other person keeps it",
        status=204,
    ),
    Operation(
        "GET",
        "/api/v1/directory",
        directory_list,
        "Listed neighbours of your neighbourhood, with only the fields each chose to show",
        response_schema="api/directory-entry",
        response_is_list=True,
    ),
    Operation(
        "GET",
        "/api/v1/directory/me",
        directory_me_get,
        "Your directory entry",
        response_schema="api/directory-settings",
    ),
    Operation(
        "PUT",
        "/api/v1/directory/me",
        directory_me_put,
        "Join or leave the directory, and choose what neighbours see",
        request_schema="api/directory-settings",
        response_schema="api/directory-settings",
    ),
    Operation(
        "GET",
        "/api/v1/helpers",
        helpers_list,
        "Helpers of your neighbourhood",
        response_schema="api/helper",
        response_is_list=True,
        query=(("skill", "string", "Only helpers offering this skill (a skill key)"),),
    ),
    Operation(
        "GET",
        "/api/v1/helpers/me",
        helper_me_get,
        "Your offer of help",
        response_schema="api/helper-profile",
    ),
    Operation(
        "PUT",
        "/api/v1/helpers/me",
        helper_me_put,
        "Offer help with skills, and/or let the city call on you as a volunteer",
        request_schema="api/helper-profile-update",
        response_schema="api/helper-profile",
    ),
    Operation("DELETE", "/api/v1/helpers/me", helper_me_delete, "Stop offering help", status=204),
    Operation(
        "GET",
        "/api/v1/notifications",
        notifications_list,
        "Your latest notifications, newest first (reading them here does not mark them read)",
        response_schema="api/notification",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/notifications/read",
        notifications_read,
        "Mark all your notifications read",
        status=204,
    ),
    Operation(
        "GET",
        "/api/v1/notifications/settings",
        notification_settings_get,
        "When your notifications are e-mailed",
        response_schema="api/notification-settings",
    ),
    Operation(
        "PUT",
        "/api/v1/notifications/settings",
        notification_settings_put,
        "Choose when your notifications are e-mailed",
        request_schema="api/notification-settings",
        response_schema="api/notification-settings",
    ),
)
