"""Languages: choosing one per request, translating pages and messages, formatting dates.

English strings are the message ids; French, Dutch and German catalogs live in
`node/locales/<lang>/LC_MESSAGES/messages.po` and are compiled in memory at start-up, so a
checkout runs without a build step.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from node.config import SUPPORTED_LOCALES
from node.errors import Amount

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English", "de": "Deutsch"}


def _compile(po_path: Path, lang: str) -> gettext.NullTranslations:
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


class Catalogs(Mapping[str, gettext.NullTranslations]):
    """Every supported language's translations (English is the identity), each compiled the
    first time a page or an e-mail asks for it: parsing the three catalogs at start cost
    0.37 s and several MiB a node serving one language never uses (bench/feed_load.py)."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._dir = locales_dir
        self._compiled: dict[str, gettext.NullTranslations] = {"en": gettext.NullTranslations()}

    def __getitem__(self, lang: str) -> gettext.NullTranslations:
        if lang not in self._compiled:
            if lang not in SUPPORTED_LOCALES:
                raise KeyError(lang)
            po_path = self._dir / lang / "LC_MESSAGES" / "messages.po"
            self._compiled[lang] = (
                _compile(po_path, lang) if po_path.exists() else self._compiled["en"]
            )
        return self._compiled[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(SUPPORTED_LOCALES)

    def __len__(self) -> int:
        return len(SUPPORTED_LOCALES)


def load_catalogs(locales_dir: Path = LOCALES_DIR) -> Catalogs:
    return Catalogs(locales_dir)


def choose_locale(
    user_locale: str | None, cookie: str | None, accept_language: str, default: str
) -> str:
    """The user's choice, then the browser's preference, then the node's default."""
    for choice in (user_locale, cookie):
        if choice in SUPPORTED_LOCALES:
            return choice  # type: ignore[return-value]
    preferred = []
    for part in accept_language.split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag:
            preferred.append((weight, tag.strip().replace("_", "-")))
    preferred.sort(key=lambda item: -item[0])
    tags = [tag for _, tag in preferred] + [tag.split("-")[0] for _, tag in preferred]
    return negotiate_locale(tags, list(SUPPORTED_LOCALES), sep="-") or default


@dataclass(frozen=True)
class Translator:
    """Everything a page needs to speak one language."""

    locale: str
    translations: gettext.NullTranslations
    timezone: tzinfo

    def gettext(self, message: str, **params: object) -> str:
        text = self.translations.gettext(message)
        if not params:
            return text
        return text % {
            name: self.number(value) if isinstance(value, Amount) else value
            for name, value in params.items()
        }

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    def datetime(self, timestamp: int, format: str = "medium") -> str:
        moment = datetime.fromtimestamp(timestamp, UTC)
        locale = Locale.parse(self.locale)
        if format in ("long", "full"):
            # Babel's own long and full forms end in seconds and a time zone ("13 décembre
            # 2026, 02:11:18 +0100"): residents want the day in words and the minute. So the
            # date in that form, the time in the short one, joined as the language joins them.
            date = format_date(moment.astimezone(self.timezone), format, locale=locale)
            time = format_time(moment, "short", tzinfo=self.timezone, locale=locale)
            joined = get_datetime_format(format, locale=locale).replace("'", "")
            return joined.replace("{0}", time).replace("{1}", date)
        return format_datetime(moment, format=format, locale=locale, tzinfo=self.timezone)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)
