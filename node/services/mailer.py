"""The background mailer: e-mails notifications at once or in a daily digest, over SMTP.

Each pass reads every notification not yet e-mailed (`emailed_at IS NULL`) and decides, per
recipient:
- mode 'none', an inactive account, a notification already read in the app, or one older
  than a week: mark it handled without sending;
- mode 'immediate': direct messages, replies and comments on their posts go out now, in one
  e-mail per recipient per pass;
- everything else waits for the daily digest, sent once the local digest hour has passed for
  notifications made before it: one e-mail per recipient listing them all.
A notification is marked only after the SMTP server accepted its e-mail, so a failed send
loses nothing: it is tried again on the next pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import aiosmtplib

from node.config import MailSettings
from node.models.community import EmailMode, MailRecipient, Notification, PendingEmail
from node.services.notification_emails import EmailComposer
from node.services.notification_texts import IMMEDIATE_KINDS
from node.storage import notifications as store
from node.storage.database import Database

log = logging.getLogger(__name__)

DAY = 86_400
STALE_AFTER = 7 * DAY  # older unsent notifications stay in the app but are not e-mailed


def latest_digest_moment(now: int, hour: int, timezone: ZoneInfo) -> int:
    """The most recent local `hour`:00 at or before `now` (a Unix time)."""
    local = datetime.fromtimestamp(now, timezone)
    day = local.date() if local.hour >= hour else local.date() - timedelta(days=1)
    return int(datetime.combine(day, clock_time(hour), tzinfo=timezone).timestamp())


@dataclass(frozen=True)
class Batch:
    """One e-mail to send: a recipient and the notifications it tells them about."""

    recipient: MailRecipient
    notifications: list[Notification]
    digest: bool


def plan_pass(
    pending: list[PendingEmail], now: int, digest_moment: int
) -> tuple[list[int], list[Batch]]:
    """Split pending notifications into ids to mark without sending and e-mails to send."""
    by_user: dict[int, tuple[MailRecipient, list[Notification]]] = {}
    for item in pending:
        by_user.setdefault(item.recipient.user_id, (item.recipient, []))[1].append(
            item.notification
        )
    skipped: list[int] = []
    batches: list[Batch] = []
    for recipient, notifications in by_user.values():
        if not recipient.active or recipient.email_mode is EmailMode.NONE:
            skipped += [n.id for n in notifications]
            continue
        fresh = []
        for n in notifications:
            if n.read_at is not None or n.created_at < now - STALE_AFTER:
                skipped.append(n.id)  # seen in the app already, or too old to be news
            else:
                fresh.append(n)
        immediate = [
            n
            for n in fresh
            if recipient.email_mode is EmailMode.IMMEDIATE and n.kind in IMMEDIATE_KINDS
        ]
        immediate_ids = {n.id for n in immediate}
        rest = [n for n in fresh if n.id not in immediate_ids]
        if immediate:
            batches.append(Batch(recipient, immediate, digest=False))
        digest_due = any(n.created_at < digest_moment for n in rest) and (
            recipient.last_digest_at is None or recipient.last_digest_at < digest_moment
        )
        if rest and digest_due:
            batches.append(Batch(recipient, rest, digest=True))
    return skipped, batches


def _mark_emailed(conn, notification_ids: list[int], now: int, digest_user: int | None) -> None:
    store.update_notifications_emailed(conn, notification_ids, now)
    if digest_user is not None:
        store.update_last_digest(conn, digest_user, now)


class Mailer:
    """Sends what is due on each pass; `start()` runs passes every `interval` seconds."""

    def __init__(
        self,
        db: Database,
        settings: MailSettings,
        composer: EmailComposer,
        timezone: str,
        interval: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._settings = settings
        self._composer = composer
        self._timezone = ZoneInfo(timezone)
        self._interval = interval
        self._clock = clock
        self._lock = asyncio.Lock()  # one pass at a time: a notification is sent once
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._said_off = False

    @property
    def enabled(self) -> bool:
        return bool(self._settings.smtp_host)

    def _say_off_once(self) -> None:
        if not self._said_off:
            self._said_off = True
            log.info("e-mail notifications are off: mail.smtp_host is not set")

    def start(self) -> None:
        if not self.enabled:
            self._say_off_once()
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="notification-mailer")

    async def stop(self) -> None:
        """Stop the loop; a pass in flight finishes first."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)
            if self._stopping.is_set():
                return
            try:
                await self.send_due()
            except Exception:
                log.exception("a notification mailer pass failed; retrying on the next one")

    async def send_due(self, now: float | None = None) -> int:
        """Run one pass: send the e-mails due at `now` (default: the clock); return how many."""
        if not self.enabled:
            self._say_off_once()
            return 0
        async with self._lock:
            moment = int(self._clock() if now is None else now)
            pending = await self._db.read("list_pending_emails", store.list_pending_emails)
            digest_moment = latest_digest_moment(moment, self._settings.digest_hour, self._timezone)
            skipped, batches = plan_pass(pending, moment, digest_moment)
            if skipped:
                await self._db.write(
                    "skip_notification_emails", store.update_notifications_emailed, skipped, moment
                )
            if not batches:
                return 0
            return await self._deliver(batches, moment)

    async def _deliver(self, batches: list[Batch], now: int) -> int:
        s = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            username=s.username or None,
            password=s.password or None,
            timeout=30,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning(
                "cannot reach the SMTP server %s:%d (%s); %d notification e-mail(s) wait for "
                "the next pass",
                s.smtp_host,
                s.smtp_port,
                exc,
                len(batches),
            )
            return 0
        sent = 0
        try:
            for batch in batches:
                message = self._composer.compose(batch.recipient, batch.notifications, batch.digest)
                try:
                    await smtp.send_message(message)
                except aiosmtplib.SMTPServerDisconnected as exc:
                    log.warning("the SMTP server closed the connection (%s); retrying later", exc)
                    break
                except (aiosmtplib.SMTPException, OSError) as exc:
                    # The body is personal: log who and why, never what.
                    log.warning(
                        "could not send a notification e-mail to user %d (%s); retrying later",
                        batch.recipient.user_id,
                        exc,
                    )
                    continue
                # Marked right after each accepted e-mail, so a crash mid-pass resends at most one.
                await self._db.write(
                    "mark_notifications_emailed",
                    _mark_emailed,
                    [n.id for n in batch.notifications],
                    now,
                    batch.recipient.user_id if batch.digest else None,
                )
                sent += 1
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()
        return sent
