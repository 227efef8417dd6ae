"""Every English string shown to people is translated into French, Dutch and German, and
each page speaks the language the reader asked for.

The message ids are extracted from the sources as they are now, with babel.cfg (the very
file scripts/update-translations uses), so a new `_("...")` in a template or `N_("...")` in
Python fails here until scripts/update-translations has been run and the new entries
translated in node/locales/{fr,nl,de}/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from node.api.middlewares import LANGUAGE_COOKIE
from node.models import Role
from tests.conftest import Node

ROOT = Path(__file__).resolve().parents[2]
LOCALES_DIR = ROOT / "node" / "locales"
LANGUAGES = ("fr", "nl", "de")
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "nl": "nplurals=2; plural=(n != 1);",
    "de": "nplurals=2; plural=(n != 1);",
}
# A %-format specifier; `%%` is a literal percent sign.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # mapping key
    r"[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # flags, width, precision, length
    r"(?P<conv>[diouxXeEfFgGcrsa%])"  # conversion
)
HTML_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")

MessageId = str | tuple[str, str]


def _extract() -> dict[MessageId, set[str]]:
    """Message id -> the files it comes from, read from the sources with babel.cfg."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    messages: dict[MessageId, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        if isinstance(message, tuple):
            message = (message[0], message[1])
        messages.setdefault(message, set()).add(filename)
    return messages


@pytest.fixture(scope="module")
def source_messages() -> dict[MessageId, set[str]]:
    return _extract()


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    loaded = {}
    for lang in LANGUAGES:
        with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            loaded[lang] = read_po(handle, locale=lang)
    return loaded


def _singular(message_id: MessageId) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _placeholders(text: str) -> set[tuple[str | None, str]]:
    return {
        (match["name"], match["conv"])
        for match in PLACEHOLDER.finditer(text)
        if match["conv"] != "%"
    }


def _sample(placeholders: set[tuple[str | None, str]]) -> dict[str, object]:
    return {name: 1 if conv in "diouxXeEfFgGc" else "x" for name, conv in placeholders if name}


def test_extraction_finds_templates_macro_arguments_plurals_and_python(source_messages):
    """Guards the tests below against an extraction that silently finds nothing."""
    sources = {Path(name).suffix for names in source_messages.values() for name in names}
    assert sources == {".html", ".py"}
    assert "E-mail address" in source_messages  # a label passed to the input() macro
    assert "At least 10 characters." in source_messages  # a macro's hint= argument
    assert ("%(num)d household", "%(num)d households") in source_messages  # ngettext
    assert "Welcome to %(name)s!" in source_messages  # a string with a parameter
    assert "Some fields need correcting." in source_messages  # N_() in node/errors.py


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_header_declares_the_right_plural_forms(catalogs, lang):
    catalog = catalogs[lang]
    assert catalog.plural_forms == PLURAL_FORMS[lang]
    assert not catalog.fuzzy


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(source_messages, catalogs, lang):
    catalog = catalogs[lang]
    missing, fuzzy, not_plural = [], [], []
    for message_id in source_messages:
        entry = catalog.get(_singular(message_id))
        if entry is None or not all(_forms(entry.string)):
            missing.append(message_id)
        elif entry.fuzzy:
            fuzzy.append(message_id)
        elif isinstance(message_id, tuple) and not entry.pluralizable:
            not_plural.append(message_id)
    problems = []
    if missing:
        problems.append(f"untranslated in {lang}:\n" + "\n".join(f"  {m!r}" for m in missing))
    if fuzzy:
        problems.append(
            f"marked fuzzy in {lang} (review, then remove the flag):\n"
            + "\n".join(f"  {m!r}" for m in fuzzy)
        )
    if not_plural:
        problems.append(
            f"plural in the source but not in {lang}:\n" + "\n".join(f"  {m!r}" for m in not_plural)
        )
    assert not problems, (
        "\n".join(problems)
        + "\n\nRun scripts/update-translations, then translate the new entries in "
        f"node/locales/{lang}/LC_MESSAGES/messages.po."
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(source_messages, catalogs, lang):
    problems = []
    for message_id, files in source_messages.items():
        entry = catalogs[lang].get(_singular(message_id))
        if entry is None or not all(_forms(entry.string)):
            continue  # reported by test_every_message_is_translated
        expected = set().union(*(_placeholders(text) for text in _forms(message_id)))
        # Templates call ngettext() through Jinja's new-style gettext, which marks the
        # result safe: a plural from a template reaches the HTML unescaped. _() is escaped.
        unescaped = isinstance(message_id, tuple) and any(f.endswith(".html") for f in files)
        for text in _forms(entry.string):
            found = _placeholders(text)
            if found != expected:
                problems.append(
                    f"{message_id!r} -> {text!r}: {sorted(found)} != {sorted(expected)}"
                )
                continue
            try:
                # A lone `%` breaks %-formatting, which plurals and parametrised strings
                # always go through (write `%%` for a percent sign).
                text % _sample(expected)
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{message_id!r} -> {text!r}: {exc}")
            if HTML_ENTITY.search(text):
                problems.append(f"{message_id!r} -> {text!r}: an entity would show as typed")
            if unescaped and re.search(r'[<>&"]', text):
                problems.append(f'{message_id!r} -> {text!r}: <, >, & or " in unescaped HTML')
    assert not problems, f"{lang}:\n" + "\n".join(problems)


async def _login_page(node: Node, **kwargs) -> str:
    response = await node.client.get("/login", **kwargs)
    assert response.status == 200
    return await response.text()


async def test_login_page_follows_the_browser_language(node: Node):
    html = await _login_page(node, headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert '<html lang="nl">' in html
    assert "Wachtwoord vergeten?" in html
    assert "Sluit je aan met de code uit je brief" in html
    assert "Forgot your password?" not in html

    html = await _login_page(node, headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in html
    assert "Mot de passe oublié\u00a0?" in html
    assert "Se connecter" in html


async def test_language_cookie_wins_over_the_browser_language(node: Node):
    html = await _login_page(
        node, headers={"Accept-Language": "fr-BE,fr;q=0.9"}, cookies={LANGUAGE_COOKIE: "de"}
    )
    assert '<html lang="de">' in html
    assert "Passwort vergessen?" in html
    assert "Anmelden" in html


async def test_unknown_language_falls_back_to_the_node_default(node: Node):
    assert node.config.node.default_locale == "fr"
    for accept_language in ("ja-JP,ja;q=0.9,es;q=0.5", "", "xx"):
        html = await _login_page(node, headers={"Accept-Language": accept_language})
        assert '<html lang="fr">' in html, accept_language
        assert "Mot de passe oublié\u00a0?" in html


async def test_language_switcher_sets_the_cookie_and_later_pages_follow_it(node: Node):
    html = await _login_page(node, headers={"Accept-Language": "fr"})
    assert '<form method="post" action="/language"' in html

    response = await node.post_form("/language", {"locale": "nl", "next": "/login"})
    assert response.status == 303
    assert response.headers["Location"] == "/login"
    assert response.cookies[LANGUAGE_COOKIE].value == "nl"

    # The browser still prefers French, but the reader chose Dutch.
    html = await _login_page(node, headers={"Accept-Language": "fr"})
    assert '<html lang="nl">' in html
    assert "Wachtwoord vergeten?" in html
    html = await (await node.client.get("/signup")).text()
    assert "Uitnodigingscode" in html


async def test_language_switcher_ignores_an_unknown_language(node: Node):
    response = await node.post_form("/language", {"locale": "xx", "next": "/login"})
    assert response.status == 303
    assert LANGUAGE_COOKIE not in response.cookies
    html = await _login_page(node, headers={"Accept-Language": "xx"})
    assert '<html lang="fr">' in html


async def test_signed_in_reader_keeps_the_chosen_language_without_the_cookie(node: Node):
    admin = await node.user(Role.ADMIN)
    await node.login(admin.email)
    response = await node.post_form("/language", {"locale": "de", "next": "/account"})
    assert response.status == 303

    node.client.session.cookie_jar.clear(lambda cookie: cookie.key == LANGUAGE_COOKIE)
    response = await node.client.get("/account", headers={"Accept-Language": "nl"})
    html = await response.text()
    assert '<html lang="de">' in html
    assert "Mein Konto" in html


@pytest.mark.parametrize(
    ("lang", "written"), [("en", "4,000"), ("fr", "4\u202f000"), ("nl", "4.000"), ("de", "4.000")]
)
def test_amounts_in_messages_are_written_the_readers_way(lang, written):
    from zoneinfo import ZoneInfo

    from node.errors import Amount
    from node.i18n import Translator, load_catalogs

    translator = Translator(lang, load_catalogs()[lang], ZoneInfo("Europe/Brussels"))
    message = translator.gettext("At most the project's cost, %(cost)s €.", cost=Amount(4000))

    assert re.search(rf"\b{re.escape(written)}\s€", message), message
    # Other numbers in messages stay as they are: a year is not an amount
    assert translator.gettext("%(name)s", name=2026) == "2026"
