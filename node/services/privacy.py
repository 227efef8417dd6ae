"""A resident's rights: download all their data, delete their account."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

from node.config import Config
from node.errors import N_, Conflict, InvalidInput, NotFound, TooManyRequests
from node.models import Role, User
from node.models.privacy import ContentChoice, DeletedAccount
from node.rate_limits import SlidingWindowLimiter
from node.services.passwords import verify_password
from node.storage import privacy as store
from node.storage import users as users_store
from node.storage.database import Database

log = logging.getLogger(__name__)

EXPORT_FORMAT = "quartier-data-export/1"
LAST_ADMIN = N_(
    "You are the only administrator of this node, so your account cannot be deleted. "
    "Make someone else an administrator first."
)


class Privacy:
    """Use cases of data export and account deletion."""

    def __init__(
        self,
        db: Database,
        config: Config,
        clock: Callable[[], float] = time.time,
        feed_changed: Callable[[int], None] = lambda neighbourhood_id: None,
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        # A deleted account's posts leave (or lose their author on) the cached feed.
        self._feed_changed = feed_changed
        # Deleting asks for the password again: a borrowed, signed-in phone must not be
        # a way to guess it.
        self.password_limiter = SlidingWindowLimiter(5, 15 * 60)

    def _now(self) -> int:
        return int(self._clock())

    async def export(self, user: User) -> dict[str, Any]:
        """Everything the node holds about the user, as one JSON-ready document."""
        export = await self._db.read("get_data_export", store.get_data_export, user.id)
        if export is None:
            raise NotFound(N_("There is no such account."))
        return {
            "format": EXPORT_FORMAT,
            "node": self._config.node.name,
            "generated_at": self._now(),
            "notes": {
                "times": "Unix timestamps, in seconds.",
                "messages": "The other party is shown by display name; null means a former "
                "neighbour whose account no longer exists.",
                "photos": "File names under the node's uploads directory.",
            },
            **dataclasses.asdict(export),
        }

    async def deletion_blocker(self, user: User) -> str | None:
        """Why this account cannot be deleted now (a msgid), or None when it can."""
        if user.role is not Role.ADMIN:
            return None
        admins = await self._db.read("count_admins", users_store.count_users_with_role, Role.ADMIN)
        return LAST_ADMIN if admins <= 1 else None

    async def delete_account(self, user: User, password: str, content: str) -> DeletedAccount:
        """Delete the account in one transaction; photo files go once it has committed."""
        problems: dict[str, str] = {}
        try:
            choice = ContentChoice(content)
        except ValueError:
            choice = None
            problems["content"] = N_("Choose what happens to your posts and comments.")
        if not password:
            problems["password"] = N_("Enter your password.")
        if problems:
            raise InvalidInput(problems)
        key = f"account:{user.id}"
        wait = self.password_limiter.retry_after(key)
        if wait:
            raise TooManyRequests(
                N_("Too many wrong passwords. Try again in %(minutes)d minute(s)."),
                retry_after=wait,
                minutes=max(1, (wait + 59) // 60),
            )
        current = await self._db.read("get_user_by_id", users_store.get_user_by_id, user.id)
        if current is None:
            raise NotFound(N_("There is no such account."))
        if not await verify_password(current.password_hash, password):
            self.password_limiter.record(key)
            raise InvalidInput({"password": N_("The password is not right.")})

        def delete(conn):
            if current.role is Role.ADMIN and (
                users_store.count_users_with_role(conn, Role.ADMIN) <= 1
            ):
                raise Conflict(LAST_ADMIN)
            store.delete_reactions_of_user(conn, current.id)
            store.delete_rsvps_of_user(conn, current.id)
            files: list[str] = []
            if choice is ContentChoice.REMOVE:
                files = store.remove_content_of_user(conn, current.id)
            else:
                store.anonymise_content_of_user(conn, current.id)
            store.detach_messages_of_user(conn, current.id)
            store.delete_user_and_profile(conn, current.id)
            return DeletedAccount(current.neighbourhood_id, tuple(files))

        deleted = await self._db.write("delete_account", delete)
        if deleted.neighbourhood_id is not None:
            self._feed_changed(deleted.neighbourhood_id)
        self.password_limiter.reset(key)
        if deleted.photo_files:
            await asyncio.to_thread(self._remove_files, deleted.photo_files)
        log.info("account %d deleted (%s)", current.id, choice.value)
        return deleted

    def _remove_files(self, names: tuple[str, ...]) -> None:
        uploads = self._config.uploads_dir.resolve()
        for name in names:
            path = (uploads / name).resolve()
            if uploads not in path.parents:  # a stored name never walks out of uploads/
                log.warning("not removing %r: outside the uploads directory", name)
                continue
            try:
                path.unlink(missing_ok=True)
            except OSError:
                log.exception("could not remove %s of a deleted account", path)
