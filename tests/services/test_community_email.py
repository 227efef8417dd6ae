"""Notification e-mails, received by a real SMTP server on 127.0.0.1.

Mailer passes are driven with `send_due(now=...)`, never by waiting for the background loop.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from node.api.app_keys import DATABASE, MESSAGES, NOTIFICATIONS
from node.i18n import load_catalogs
from node.services.mailer import latest_digest_moment
from node.services.notifications import Notifications
from node.storage.notifications import put_notification
from tests.api.community_people import person

BRUSSELS = ZoneInfo("Europe/Brussels")
BASE_URL = "http://127.0.0.1:8080"


def brussels(*args: int) -> int:
    return int(datetime(*args, tzinfo=BRUSSELS).timestamp())


@pytest.fixture
async def people(mail_node):
    """Anne writes English, Jean reads French; both in Centre."""
    await mail_node.register.create_neighbourhood("Centre")
    anne = await person(mail_node, "Anne", "centre")
    jean = await person(mail_node, "Jean", "centre")
    await mail_node.accounts.set_locale(anne, "en")
    await mail_node.accounts.set_locale(jean, "fr")
    return await mail_node.accounts.user_by_email(
        anne.email
    ), await mail_node.accounts.user_by_email(jean.email)


async def test_a_direct_message_is_emailed_at_once_in_the_recipients_language(
    mail_node, smtp_server, people
):
    anne, jean = people
    app = mail_node.client.app
    french = load_catalogs()["fr"]

    # Given Anne writes to Jean, who reads French
    await app[MESSAGES].send(anne, jean.id, "The ladder is free today")

    # When the mailer runs
    sent = await app[NOTIFICATIONS].send_due()

    # Then one e-mail reached the SMTP server, for Jean only, in French, with a link
    assert sent == 1
    assert smtp_server.envelopes == [["jean@example.org"]]
    message = smtp_server.messages[0]
    assert message["To"] == "jean@example.org"
    assert message["Subject"] == french.gettext("New message from %(actor)s") % {"actor": "Anne"}
    assert message["Content-Language"] == "fr"
    text, html = smtp_server.bodies(message)
    assert f"{BASE_URL}/messages/{anne.id}" in text
    assert f'href="{BASE_URL}/messages/{anne.id}"' in html
    assert '<html lang="fr">' in html
    assert f"{BASE_URL}/notifications/settings" in text
    # And no other resident's address, nor the private message itself, is in it
    raw = message.as_string()
    assert "anne@example.org" not in raw
    assert "ladder" not in raw

    # When Jean answers, Anne gets hers in English
    await app[MESSAGES].send(jean, anne.id, "Merci !")
    assert await app[NOTIFICATIONS].send_due() == 1
    reply = smtp_server.messages[1]
    assert reply["To"] == "anne@example.org"
    assert reply["Subject"] == "New message from Jean"
    assert reply["Content-Language"] == "en"

    # And nothing is sent twice
    assert await app[NOTIFICATIONS].send_due() == 0
    assert len(smtp_server.messages) == 2


async def test_the_digest_gathers_everything_once_a_day_at_the_digest_hour(
    mail_node, smtp_server, people
):
    anne, jean = people
    app = mail_node.client.app
    await app[NOTIFICATIONS].set_email_mode(anne, "digest")
    noon = brussels(2030, 3, 12, 12, 0)

    # Given three things happened for Anne around noon (a message, a reaction, a warning)
    def happen(conn):
        put_notification(conn, user_id=anne.id, kind="message", actor_id=jean.id, now=noon)
        put_notification(conn, user_id=anne.id, kind="reaction", actor_id=jean.id, now=noon + 60)
        put_notification(conn, user_id=anne.id, kind="warning", actor_id=None, now=noon + 120)

    await app[DATABASE].write("test_happen", happen)

    # When the mailer runs in the afternoon, before the digest hour (18:00 by default)
    assert await app[NOTIFICATIONS].send_due(now=brussels(2030, 3, 12, 17, 59)) == 0
    assert smtp_server.messages == []

    # Then at the digest hour one e-mail lists all three
    assert await app[NOTIFICATIONS].send_due(now=brussels(2030, 3, 12, 18, 0, 30)) == 1
    (digest,) = smtp_server.messages
    assert digest["To"] == "anne@example.org"
    assert digest["Subject"] == "Your daily summary: 3 new notifications"
    text, _ = smtp_server.bodies(digest)
    assert "New message from Jean" in text
    assert "Jean reacted to your post" in text
    assert "A moderator sent you a warning" in text

    # And something new later that evening waits for the next day's digest
    await app[DATABASE].write(
        "test_later",
        lambda conn: put_notification(
            conn, user_id=anne.id, kind="message", actor_id=jean.id, now=noon + 7 * 3600
        ),
    )
    assert await app[NOTIFICATIONS].send_due(now=brussels(2030, 3, 12, 23, 0)) == 0
    assert await app[NOTIFICATIONS].send_due(now=brussels(2030, 3, 13, 18, 1)) == 1
    assert smtp_server.messages[1]["Subject"] == "Your daily summary: 1 new notification"


async def test_mode_none_sends_nothing_and_marks_it_handled(mail_node, smtp_server, people):
    anne, jean = people
    app = mail_node.client.app
    await app[NOTIFICATIONS].set_email_mode(jean, "none")

    await app[MESSAGES].send(anne, jean.id, "Hello")
    await app[NOTIFICATIONS].send_due()
    await app[NOTIFICATIONS].send_due(now=brussels(2099, 1, 1, 18, 30))

    assert smtp_server.messages == []
    (notification,) = await app[NOTIFICATIONS].recent(jean, mark_read=False)
    assert notification.emailed_at is not None
    assert notification.read_at is None  # still waiting on the notifications page


async def test_with_the_smtp_server_down_the_email_waits_for_the_next_pass(
    mail_node, smtp_server, people, caplog
):
    anne, jean = people
    app = mail_node.client.app

    # Given the SMTP server is down when Anne writes to Jean
    smtp_server.stop()
    await app[MESSAGES].send(anne, jean.id, "Are you home?")

    # When the mailer runs, nothing is sent, and the notification is kept
    assert await app[NOTIFICATIONS].send_due() == 0
    (notification,) = await app[NOTIFICATIONS].recent(jean, mark_read=False)
    assert notification.emailed_at is None
    assert "cannot reach the SMTP server" in caplog.text
    assert "Are you home?" not in caplog.text

    # Then, the server back, the next pass sends it
    smtp_server.start()
    assert await app[NOTIFICATIONS].send_due() == 1
    assert smtp_server.envelopes == [["jean@example.org"]]


async def test_the_background_mailer_sends_on_its_own(mail_node, smtp_server, people):
    anne, jean = people
    app = mail_node.client.app
    # A second service on the same node, with a short interval, stands in for the app's own
    # (whose 30 s interval would outlast the test).
    mailer = Notifications(app[DATABASE], mail_node.config, mail_interval=0.05)
    await mailer.start()
    try:
        await app[MESSAGES].send(anne, jean.id, "Hello")
        (message,) = await smtp_server.wait_for(1)
    finally:
        await mailer.stop()

    assert message["To"] == "jean@example.org"


def test_the_digest_moment_is_the_last_local_digest_hour():
    morning = brussels(2030, 3, 12, 9, 0)
    evening = brussels(2030, 3, 12, 19, 0)

    assert latest_digest_moment(morning, 18, BRUSSELS) == brussels(2030, 3, 11, 18, 0)
    assert latest_digest_moment(evening, 18, BRUSSELS) == brussels(2030, 3, 12, 18, 0)
    # Across the spring clock change, still 18:00 local time
    assert latest_digest_moment(brussels(2030, 3, 31, 20, 0), 18, BRUSSELS) == brussels(
        2030, 3, 31, 18, 0
    )
