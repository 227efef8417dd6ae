"""What a notification says, in a sentence a person reads, and where it leads.

Pages and e-mails share these sentences, each translated for its reader: the page with the
request's language, the e-mail with the recipient's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from node.errors import N_
from node.models.community import Notification

# Kinds e-mailed at once to people in 'immediate' mode; every other kind waits for the digest.
# A call for volunteers is often for the coming days: a daily digest may come too late.
IMMEDIATE_KINDS = frozenset({"message", "reply", "comment", "volunteer_call"})


class Speaks(Protocol):
    """Anything that translates a msgid with %-parameters (node.i18n.Translator does)."""

    def gettext(self, message: str, **params: object) -> str: ...


@dataclass(frozen=True)
class NotificationText:
    sentence: str
    path: str | None  # where the notification leads on this node, or None


# The kinds other areas write: posts (comment, reply, reaction, thanked), moderation (report,
# warning), messages (message), volunteer calls (volunteer_call) and initiatives
# (initiative_answer). Those about a post are here, as (sentence with the post's title,
# sentence without it).
# Every sentence may use %(actor)s; the first of each pair also uses %(title)s. A kind not
# known here still reads as a sentence, through the fallback below.
_ABOUT_A_POST: dict[str, tuple[str, str]] = {
    "comment": (
        N_("%(actor)s commented on your post '%(title)s'"),
        N_("%(actor)s commented on your post"),
    ),
    "reply": (
        N_("%(actor)s replied to you on '%(title)s'"),
        N_("%(actor)s replied to you"),
    ),
    "reaction": (
        N_("%(actor)s reacted to your post '%(title)s'"),
        N_("%(actor)s reacted to your post"),
    ),
    "thanked": (
        N_("%(actor)s thanked you for your help with '%(title)s'"),
        N_("%(actor)s thanked you for your help"),
    ),
}


def describe(notification: Notification, speaker: Speaks) -> NotificationText:
    """The sentence and link of one notification, in the speaker's language."""
    n = notification
    actor = n.actor_name or speaker.gettext(N_("A neighbour"))
    if n.kind == "message":
        path = f"/messages/{n.actor_id}" if n.actor_id is not None else "/messages"
        return NotificationText(
            speaker.gettext(N_("New message from %(actor)s"), actor=actor), path
        )
    if n.kind == "report":
        return NotificationText(
            speaker.gettext(N_("Something was reported in your neighbourhood")), "/moderation"
        )
    if n.kind == "volunteer_call":
        # The call's page on this node; a withdrawn call says so there.
        return _titled(
            speaker,
            (N_("The city is looking for volunteers: '%(title)s'"), n.city_title),
            N_("The city is looking for volunteers"),
            f"/volunteer-calls/{n.city_message_id}" if n.city_message_id else None,
        )
    if n.kind == "initiative_answer":
        return _titled(
            speaker,
            (N_("The city answered the initiative '%(title)s'"), n.initiative_title),
            N_("The city answered an initiative"),
            f"/initiatives/{n.initiative_id}" if n.initiative_id else None,
        )
    if n.kind == "warning":
        return NotificationText(
            speaker.gettext(N_("A moderator sent you a warning")), "/account/warnings"
        )
    post_path = f"/posts/{n.post_id}" if n.post_id is not None and n.post_title else None
    with_title, without_title = _ABOUT_A_POST.get(
        n.kind, (N_("Something new on '%(title)s'"), N_("You have a new notification"))
    )
    if n.post_title:
        return NotificationText(
            speaker.gettext(with_title, actor=actor, title=n.post_title), post_path
        )
    return NotificationText(speaker.gettext(without_title, actor=actor), post_path)


def _titled(
    speaker: Speaks, with_title: tuple[str, str | None], without_title: str, path: str | None
) -> NotificationText:
    """A sentence naming the content by its title, or without it once the title is gone (a
    withdrawn call or initiative)."""
    sentence, title = with_title
    if title:
        return NotificationText(speaker.gettext(sentence, title=title), path)
    return NotificationText(speaker.gettext(without_title), path)
