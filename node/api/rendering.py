"""Server-rendered pages: the template environment, page context and form state."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from node.api.app_keys import CONFIG, CSRF_KEY, NOTIFICATIONS, TRANSLATOR_KEY, USER_KEY
from node.api.charts import bar_chart
from node.config import SUPPORTED_LOCALES
from node.errors import InvalidInput
from node.i18n import LANGUAGE_NAMES, Translator

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str, **params: Any) -> str:
    translator: Translator = context["translator"]
    return translator.gettext(message, **params)


@jinja2.pass_context
def _ngettext(
    context: jinja2.runtime.Context, singular: str, plural: str, n: int, **params: Any
) -> str:
    translator: Translator = context["translator"]
    return translator.ngettext(singular, plural, n, **params)


def setup_templates(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    env.filters["datetime"] = _format_datetime
    env.filters["number"] = _format_number
    env.globals["bar_chart"] = bar_chart


@jinja2.pass_context
def _format_datetime(
    context: jinja2.runtime.Context, timestamp: int, format: str = "medium"
) -> str:
    return context["translator"].datetime(timestamp, format)


@jinja2.pass_context
def _format_number(context: jinja2.runtime.Context, value: float) -> str:
    return context["translator"].number(value)


@dataclass
class Form:
    """What a form shows: the values typed (never lost on error) and a message per field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @classmethod
    def from_error(
        cls, values: dict[str, str], error: InvalidInput, translator: Translator
    ) -> Form:
        # Never echo passwords back into the page.
        kept = {k: v for k, v in values.items() if "password" not in k and k != "csrf_token"}
        errors = {
            name: translator.gettext(message, **params)
            for name, (message, params) in error.fields.items()
        }
        return cls(kept, errors)


def page_context(request: web.Request) -> dict[str, Any]:
    config = request.app[CONFIG]
    translator: Translator = request[TRANSLATOR_KEY]
    return {
        "request": request,
        "user": request.get(USER_KEY),
        "translator": translator,
        "locale": translator.locale,
        "csrf_token": request.get(CSRF_KEY, ""),
        "node_name": config.node.name,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES],
        "csrf_field": Markup('<input type="hidden" name="csrf_token" value="{}">').format(
            request.get(CSRF_KEY, "")
        ),
    }


async def render_page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    full = page_context(request)
    user = full["user"]
    # Residents see how many notifications wait for them, on every page (one small read).
    full["unread_notifications"] = (
        await request.app[NOTIFICATIONS].unread_count(user)
        if user is not None and user.role.belongs_to_neighbourhood
        else 0
    )
    full.update(context)
    full.setdefault("form", Form())
    response = aiohttp_jinja2.render_template(template, request, full)
    response.set_status(status)
    response.headers["Cache-Control"] = "no-store"  # pages hold personal data and CSRF tokens
    return response


async def form_values(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {key: value for key, value in data.items() if isinstance(value, str)}
