"""Notifications: in-app, and e-mail (immediate or daily digest) over SMTP."""

from __future__ import annotations

import gettext
import time
from collections.abc import Callable

from node.config import Config
from node.errors import N_, InvalidInput
from node.models import User
from node.models.community import EmailMode, Notification
from node.services.mailer import Mailer
from node.services.notification_emails import EmailComposer
from node.storage import notifications as store
from node.storage.database import Database
from node.storage.read_cache import ReadCache, until_any_write


class Notifications:
    """Use cases of notifications, and the background mailer that sends them."""

    def __init__(
        self,
        db: Database,
        config: Config,
        clock: Callable[[], float] = time.time,
        mail_interval: float = 30.0,
        catalogs: dict[str, gettext.NullTranslations] | None = None,
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        # Unread counts by user: every resident page shows one; they change only with a write.
        self._unread: ReadCache[int, int] = until_any_write(db)
        composer = EmailComposer(
            node_name=config.node.name,
            base_url=config.base_url,
            from_address=config.mail.from_address,
            timezone=config.node.timezone,
            default_locale=config.node.default_locale,
            catalogs=catalogs,
        )
        self.mailer = Mailer(
            db, config.mail, composer, config.node.timezone, interval=mail_interval, clock=clock
        )

    async def start(self) -> None:
        """Start background work (the mailer); called once the app is up."""
        self.mailer.start()

    async def stop(self) -> None:
        """Stop background work, finishing what is in flight."""
        await self.mailer.stop()

    async def send_due(self, now: float | None = None) -> int:
        """Run one mailer pass now (tests, the CLI); return how many e-mails were sent."""
        return await self.mailer.send_due(now)

    async def recent(self, user: User, mark_read: bool = True) -> list[Notification]:
        """The user's latest notifications, newest first, as they were before this visit.

        Viewing them marks them read, in the same interaction, so the list still shows which
        ones were new.
        """
        now = int(self._clock())

        def view(conn):
            items = store.list_notifications_by_user(conn, user.id)
            if mark_read:
                store.update_notifications_read(conn, user.id, now)
            return items

        if mark_read:
            return await self._db.write("view_notifications", view)
        return await self._db.read("list_notifications_by_user", view)

    async def mark_all_read(self, user: User) -> int:
        return await self._db.write(
            "update_notifications_read",
            store.update_notifications_read,
            user.id,
            int(self._clock()),
        )

    async def unread_count(self, user: User | None) -> int:
        """Unread notifications, for a small count in the page header (0 when signed out)."""
        if user is None:
            return 0
        count = self._unread.get(user.id)
        if count is None:
            version = self._unread.version()
            count = await self._db.read(
                "count_unread_notifications_by_user",
                store.count_unread_notifications_by_user,
                user.id,
            )
            self._unread.put(user.id, count, version)
        return count

    async def email_mode(self, user: User) -> EmailMode:
        return await self._db.read("get_email_mode_by_user", store.get_email_mode_by_user, user.id)

    async def set_email_mode(self, user: User, mode: str) -> EmailMode:
        try:
            chosen = EmailMode(mode)
        except ValueError:
            raise InvalidInput(
                {"email_mode": N_("Choose how you want to receive e-mail.")}
            ) from None
        await self._db.write("put_email_mode", store.put_email_mode, user.id, chosen)
        return chosen
