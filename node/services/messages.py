"""Direct messages between two residents of the same node.

A resident may write first only to someone they can see (a neighbour of their own
neighbourhood, which is where the directory and the helpers page draw from, or the author
of a post shared with their neighbourhood); replying to someone who wrote to them is always
allowed. Anyone else asking about a conversation gets NotFound: its existence is not confirmed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from node.config import Config
from node.errors import N_, InvalidInput, NotFound
from node.models import User
from node.models.community import Conversation, Message, Thread
from node.services.residency import resident_neighbourhood
from node.storage import messages as store
from node.storage.database import Database
from node.storage.notifications import put_notification, update_message_notifications_read

MAX_BODY = 5000


def clean_body(body: str) -> str:
    """The message as it will be stored: line endings unified, outer blank space removed."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise InvalidInput({"body": N_("Write your message.")})
    if len(body) > MAX_BODY:
        raise InvalidInput({"body": (N_("Use at most %(max)d characters."), {"max": MAX_BODY})})
    return body


class Messages:
    """Use cases of private messages."""

    def __init__(
        self, db: Database, config: Config, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    async def conversations(self, user: User) -> list[Conversation]:
        """Everyone the user has a conversation with, the latest first, with unread counts."""
        resident_neighbourhood(user)
        return await self._db.read(
            "list_conversations_by_user", store.list_conversations_by_user, user.id
        )

    async def thread(self, user: User, other_id: int) -> Thread:
        """The conversation with `other_id`, oldest first; opening it marks it read."""
        neighbourhood_id = resident_neighbourhood(user)
        now = self._now()

        def open_thread(conn):
            other = store.get_correspondent_by_id(conn, other_id, active_only=False)
            if other is None or other.id == user.id:
                raise NotFound(N_("There is no such conversation."))
            they_wrote = store.has_written_to(conn, other_id, user.id)
            visible = store.can_start_conversation(conn, neighbourhood_id, user.id, other_id)
            if not (visible or they_wrote or store.has_written_to(conn, user.id, other_id)):
                raise NotFound(N_("There is no such conversation."))
            if store.update_messages_read(conn, user.id, other_id, now):
                update_message_notifications_read(conn, user.id, other_id, now)
            can_reply = (visible or they_wrote) and (
                store.get_correspondent_by_id(conn, other_id) is not None
            )
            messages = store.list_messages_by_pair(conn, user.id, other_id)
            return Thread(other=other, messages=tuple(messages), can_reply=can_reply)

        return await self._db.write("open_thread", open_thread)

    async def send(self, user: User, recipient_id: int, body: str) -> Message:
        """Send a message and notify the recipient, in one write."""
        neighbourhood_id = resident_neighbourhood(user)
        body = clean_body(body)
        now = self._now()

        def send(conn):
            recipient = store.get_correspondent_by_id(conn, recipient_id)
            allowed = recipient is not None and (
                store.can_start_conversation(conn, neighbourhood_id, user.id, recipient_id)
                or store.has_written_to(conn, recipient_id, user.id)
            )
            if not allowed:
                raise NotFound(N_("There is no such neighbour to write to."))
            message = store.put_message(conn, user.id, recipient_id, body, now)
            put_notification(
                conn,
                user_id=recipient_id,
                kind="message",
                actor_id=user.id,
                now=now,
                message_id=message.id,
            )
            return message

        return await self._db.write("send_message", send)

    async def hide_message(self, user: User, message_id: int) -> None:
        """Delete one message for the user only; the other person keeps it."""
        resident_neighbourhood(user)
        hidden = await self._db.write(
            "hide_message", store.update_message_hidden, user.id, message_id
        )
        if not hidden:
            raise NotFound(N_("There is no such message."))

    async def hide_conversation(self, user: User, other_id: int) -> None:
        """Delete a whole conversation for the user only; the other person keeps it."""
        resident_neighbourhood(user)
        hidden = await self._db.write(
            "hide_conversation", store.update_conversation_hidden, user.id, other_id, self._now()
        )
        if not hidden:
            raise NotFound(N_("There is no such conversation."))

    async def unread_count(self, user: User) -> int:
        """Messages waiting to be read by the user."""
        if not user.role.belongs_to_neighbourhood:
            return 0
        return await self._db.read(
            "count_unread_messages_by_user", store.count_unread_messages_by_user, user.id
        )
