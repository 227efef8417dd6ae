"""Notification e-mails: subject, plain text and an HTML alternative, in the reader's language.

Every text is a Python msgid translated here with the recipient's catalog; the templates
under node/api/templates/email/ only lay the translated texts out. No aiohttp.web: the
background mailer renders these with its own small Jinja environment.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2

from node.errors import N_
from node.i18n import Translator, load_catalogs
from node.models.community import MailRecipient, Notification
from node.services.notification_texts import describe

EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "api" / "templates" / "email"
MAX_ITEMS = 50  # a longer digest lists the newest ones and links to the rest


@dataclass(frozen=True)
class EmailItem:
    sentence: str
    when: str
    url: str | None


class EmailComposer:
    """Builds notification e-mails for one node."""

    def __init__(
        self,
        node_name: str,
        base_url: str,
        from_address: str,
        timezone: str,
        default_locale: str,
        catalogs: dict[str, gettext.NullTranslations] | None = None,
    ) -> None:
        self._node_name = node_name
        self._base_url = base_url.rstrip("/")
        self._from_address = from_address
        self._timezone = ZoneInfo(timezone)
        self._default_locale = default_locale
        self._catalogs = catalogs
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(EMAIL_TEMPLATES)),
            autoescape=jinja2.select_autoescape(["html"], default=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def translator_for(self, locale: str | None) -> Translator:
        """The recipient's language when the node speaks it, else the node's default."""
        if self._catalogs is None:
            self._catalogs = load_catalogs()  # parsed once, on the first e-mail
        chosen = locale if locale in self._catalogs else self._default_locale
        return Translator(chosen, self._catalogs[chosen], self._timezone)

    def compose(
        self, recipient: MailRecipient, notifications: list[Notification], digest: bool
    ) -> EmailMessage:
        """One e-mail telling `recipient` about `notifications` (oldest first)."""
        t = self.translator_for(recipient.locale)
        shown = notifications[-MAX_ITEMS:]
        items = []
        for n in shown:
            text = describe(n, t)
            items.append(
                EmailItem(
                    sentence=text.sentence,
                    when=t.datetime(n.created_at, "short"),
                    url=self._base_url + text.path if text.path else None,
                )
            )
        count = len(notifications)
        if digest:
            subject = t.ngettext(
                N_("Your daily summary: %(num)d new notification"),
                N_("Your daily summary: %(num)d new notifications"),
                count,
            )
            intro = t.gettext(
                N_("Here is what happened on %(node)s since your last summary:"),
                node=self._node_name,
            )
        elif count == 1:
            subject = items[0].sentence
            intro = t.gettext(N_("Here is what happened on %(node)s:"), node=self._node_name)
        else:
            subject = t.ngettext(
                N_("%(num)d new notification"), N_("%(num)d new notifications"), count
            )
            intro = t.gettext(N_("Here is what happened on %(node)s:"), node=self._node_name)
        hidden = count - len(shown)
        context = {
            "lang": t.locale,
            "subject": subject,
            "greeting": t.gettext(N_("Hello %(name)s,"), name=recipient.display_name),
            "intro": intro,
            "items": items,
            "more": t.ngettext(
                N_("And %(num)d more notification."), N_("And %(num)d more notifications."), hidden
            )
            if hidden
            else None,
            "all_label": t.gettext(N_("See all your notifications")),
            "all_url": f"{self._base_url}/notifications",
            "footer": t.gettext(
                N_(
                    "You receive this e-mail because of your notification settings on "
                    "%(node)s. To change them, or to stop these e-mails, go to:"
                ),
                node=self._node_name,
            ),
            "settings_label": t.gettext(N_("My e-mail settings")),
            "settings_url": f"{self._base_url}/notifications/settings",
        }
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = formataddr((self._node_name, self._from_address))
        # Only the recipient's own address: never anyone else's.
        message["To"] = recipient.email
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=urlsplit(self._base_url).hostname)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(self._env.get_template("notifications.txt").render(context))
        message.add_alternative(
            self._env.get_template("notifications.html").render(context), subtype="html"
        )
        # Set after the parts are made: making an alternative moves Content-* headers into
        # the first part, and this one describes the whole e-mail.
        message["Content-Language"] = t.locale
        return message
