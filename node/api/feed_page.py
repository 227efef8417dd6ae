"""The first page of the feed (GET /neighbourhood), from markup its readers share.

Rendering the page through Jinja took ~80% of a feed request (~440 escapes, ~50 translations
a page). Nearly all of it is the same for every resident of a neighbourhood reading in one
language, so it is rendered once and kept with the cached first page
(`FeedCache.derived`), which forgets it exactly when it forgets the page (a post, comment,
reaction, edit, deletion, moderation or photo change, adjacency, or the cache's expiry):

- each post card, per language and per variant of the reader's own marks: "New" and which
  reactions are theirs (at most 16 variants of a card; usually one or two are ever asked);
- the rest of the page, as a `Frame`: per language, role, unread count and what the header
  and the city show, with holes for what differs per request (the CSRF token, the address in
  the language form, and the cards).

While a frame is rendered, templates see stand-ins for the reader, the request and the feed
that expose only what frames are keyed on: a template asking for anything else fails that
render (logged; the page is then rendered whole) instead of showing one reader's data to
another. Later pages, and a first page the cache did not keep, are rendered whole from the
same templates, so both ways print the same bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from node.api.app_keys import CSRF_KEY, TRANSLATOR_KEY, USER_KEY
from node.api.post_labels import label_context
from node.api.rendering import (
    Form,
    Frame,
    FrameError,
    FrameSlots,
    csrf_input,
    html_response,
    page_context,
    render_page,
)
from node.models import Role
from node.models.federation import CityMessage
from node.models.posts import Category, FeedPage, FeedView

log = logging.getLogger(__name__)

PAGE_TEMPLATE = "neighbourhood/home.html"
CARDS_TEMPLATE = "neighbourhood/_post_cards.html"
SLOTS = ("csrf_token", "path_qs", "cards")
MAX_DERIVED = 4096  # cards and frames kept per cached page; past it, start again


@dataclass(slots=True)  # not frozen: built on every request, and frozen init is slower
class FeedPageRequest:
    """What a feed page shows one reader, besides who they are and the request itself."""

    view: FeedView
    from_city: Sequence[CityMessage]
    welcome: bool
    notice: str
    unread: int
    when: Callable[[int], str]

    def context(self) -> dict[str, Any]:
        return {
            "feed": self.view,
            "from_city": self.from_city,
            "welcome": self.welcome,
            "notice": self.notice,
            "unread_notifications": self.unread,
            "when": self.when,
            **label_context(),
        }


@dataclass(frozen=True)
class _FrameReader:
    """The reader, as a shared frame may see them: only what frames are keyed on."""

    role: Role
    neighbourhood_id: int | None


@dataclass(frozen=True)
class _FrameRequest:
    path_qs: Markup


@dataclass(frozen=True)
class _FrameNeighbourhood:
    neighbourhood_name: str
    residents: int


@dataclass(frozen=True)
class _FrameFeed:
    """The feed without the reader's marks (those are in the cards)."""

    page: FeedPage
    viewer: _FrameNeighbourhood
    category: Category | None
    before: int | None


def _cards_module(request: web.Request, when: Callable[[int], str], home_id: int) -> Any:
    """The card macro with its labels translated once (per language and cached page)."""
    env = aiohttp_jinja2.get_env(request.app)
    variables = {
        "translator": request[TRANSLATOR_KEY],
        "when": when,
        "home_id": home_id,
        **label_context(),
    }
    return env.get_template(CARDS_TEMPLATE).make_module(variables)


def render_cards(
    request: web.Request,
    view: FeedView,
    when: Callable[[int], str],
    derived: dict[Any, Any] | None = None,
) -> Markup:
    """Every card of the page with this reader's marks; with `derived`, variants are kept."""
    locale = request[TRANSLATOR_KEY].locale
    home_id = request[USER_KEY].neighbourhood_id
    module_key = ("cards", locale, home_id)
    module = derived.get(module_key) if derived is not None else None
    if module is None:
        module = _cards_module(request, when, home_id)
        if derived is not None:
            _keep(derived, module_key, module)
    mine_by_post: dict[int, set[str]] = {}
    for post_id, kind in view.viewer.my_reactions:
        mine_by_post.setdefault(post_id, set()).add(kind.value)
    cards = []
    for item in view.page.items:
        new = view.is_new(item)
        mine = frozenset(mine_by_post.get(item.id, ()))
        key = ("card", locale, home_id, item.id, new, mine)
        card = derived.get(key) if derived is not None else None
        if card is None:
            card = module.card(item, new, mine)
            if derived is not None:
                _keep(derived, key, card)
        cards.append(card)
    return Markup("".join(cards))


def _shared_cards(request: web.Request, page: FeedPageRequest, derived: dict[Any, Any]) -> bytes:
    """The cards as sent, kept per set of marks: most readers share one (nothing new to them,
    no reaction of theirs on the page), so most requests only compute the key."""
    view = page.view
    newest = derived.get("newest")
    if newest is None:
        newest = derived["newest"] = max((item.created_at for item in view.page.items), default=0)
    if view.viewer.previous_visit_at >= newest:
        new_ids: tuple[int, ...] = ()
    else:
        new_ids = tuple(item.id for item in view.page.items if view.is_new(item))
    key = (
        "cards-sent",
        request[TRANSLATOR_KEY].locale,
        request[USER_KEY].neighbourhood_id,
        new_ids,
        view.viewer.my_reactions,
    )
    cards = derived.get(key)
    if cards is None:
        cards = render_cards(request, view, page.when, derived).encode()
        _keep(derived, key, cards)
    return cards


async def render_feed_page(
    request: web.Request, page: FeedPageRequest, derived: dict[Any, Any] | None
) -> web.Response:
    """The page; from a kept frame when it is the cached first page (`derived`)."""
    if derived is None:
        return await _render_whole(request, page)
    user = request[USER_KEY]
    view = page.view
    key = (
        "frame",
        request[TRANSLATOR_KEY].locale,
        user.role,
        user.neighbourhood_id,
        page.unread,
        page.welcome,
        page.notice == "deleted",
        view.viewer.neighbourhood_name,
        view.viewer.residents,
        view.category,
        tuple(page.from_city),
    )
    frame = derived.get(key)
    if frame is None:
        try:
            frame = _render_frame(request, page)
        except (FrameError, jinja2.UndefinedError):
            log.exception("the feed page cannot be shared between readers; rendered whole")
            return await _render_whole(request, page)
        _keep(derived, key, frame)
    token = request.get(CSRF_KEY, "")
    body = frame.fill(
        {
            "csrf_token": escape(token).encode(),
            "path_qs": escape(request.path_qs).encode(),
            "cards": _shared_cards(request, page, derived),
        }
    )
    return html_response(body)


def _render_frame(request: web.Request, page: FeedPageRequest) -> Frame:
    """The page with holes, rendered from stand-ins that show no reader's own data."""
    user = request[USER_KEY]
    view = page.view
    slots = FrameSlots(SLOTS)
    context = {
        **page_context(request),
        **page.context(),
        "request": _FrameRequest(slots["path_qs"]),
        "user": _FrameReader(user.role, user.neighbourhood_id),
        "csrf_token": slots["csrf_token"],
        "csrf_field": csrf_input(slots["csrf_token"]),  # the field as printed, but the token
        "form": Form(),
        "notice": "deleted" if page.notice == "deleted" else "",
        "feed": _FrameFeed(
            view.page,
            _FrameNeighbourhood(view.viewer.neighbourhood_name, view.viewer.residents),
            view.category,
            view.before,
        ),
        "cards": slots["cards"],
    }
    html = aiohttp_jinja2.get_env(request.app).get_template(PAGE_TEMPLATE).render(context)
    return slots.cut(html, required=("cards",) if view.page.items else ())


async def _render_whole(request: web.Request, page: FeedPageRequest) -> web.Response:
    cards = render_cards(request, page.view, page.when)
    return await render_page(request, PAGE_TEMPLATE, {**page.context(), "cards": cards})


def _keep(derived: dict[Any, Any], key: tuple, value: Any) -> None:
    if len(derived) >= MAX_DERIVED:
        derived.clear()
    derived[key] = value
