"""Resident pages of neighbourhood life: the feed, posts, photos, comments, reactions, help.

Events and calendars are in web_events, search in web_search, and the admin's adjacency page
in web_adjacency; their routes are listed here too, so the area has one ROUTES table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from aiohttp import web
from aiohttp.web_request import FileField
from babel.dates import format_datetime

from node.api import feed_page, web_adjacency, web_events, web_search
from node.api.access import RESIDENTS, access
from node.api.app_keys import ANNOUNCEMENTS, CONFIG, POSTS, TRANSLATOR_KEY, USER_KEY
from node.api.params import ID, int_or_none, path_id
from node.api.post_labels import label_context
from node.api.rendering import Form, form_values, render_page, unread_notifications
from node.errors import InvalidInput
from node.models.posts import Category, Post
from node.services.post_drafts import PostDraft

CATEGORIES = frozenset(c.value for c in Category)


@functools.lru_cache(maxsize=16_384)
def _short_time(locale: str, timezone: tzinfo, timestamp: int) -> str:
    return format_datetime(
        datetime.fromtimestamp(timestamp, UTC), "short", locale=locale, tzinfo=timezone
    )


def _when(request: web.Request) -> Callable[[int], str]:
    """Short local times, remembered: the cached first page shows the same ones all day, and
    Babel's formatting was a third of the feed's rendering time."""
    translator = request[TRANSLATOR_KEY]
    return functools.partial(_short_time, translator.locale, translator.timezone)


async def _post_form(request: web.Request) -> tuple[dict[str, str], list[bytes], list[int]]:
    """The fields of a post form, the photos chosen (bytes, capped) and photos to remove."""
    data = await request.post()
    values = {key: value for key, value in data.items() if isinstance(value, str)}
    limit = request.app[POSTS].photos.max_bytes
    uploads = []
    for field in data.getall("photos", []):
        # A file input left empty arrives as an empty part: text or bytes, not a FileField.
        if not isinstance(field, FileField) or not field.filename:
            continue
        field.file.seek(0)
        # One byte more than allowed is enough to know a photo is too big.
        uploads.append(field.file.read(limit + 1))
    remove = [i for v in data.getall("remove_photo", []) if (i := int_or_none(str(v)))]
    return values, uploads, remove


def _draft(values: dict[str, str], remove: list[int] = ()) -> PostDraft:
    return PostDraft(
        category=values.get("category", ""),
        title=values.get("title", ""),
        body=values.get("body", ""),
        offer_kind=values.get("offer_kind", ""),
        shared_with_adjacent=values.get("shared_with_adjacent") == "1",
        starts_at=values.get("starts_at", ""),
        ends_at=values.get("ends_at", ""),
        location=values.get("location", ""),
        remove_photo_ids=tuple(remove),
    )


async def _form_page(
    request: web.Request, form: Form, post: Post | None, status: int = 200, **extra
) -> web.Response:
    posts = request.app[POSTS]
    config = request.app[CONFIG]
    context = {
        "form": form,
        "post": post,
        "adjacent": await posts.adjacent_neighbourhoods(request[USER_KEY]),
        "max_photos": posts.max_photos,
        "max_photo_mb": config.uploads.max_photo_mb,
        "photos_dropped": extra.get("photos_dropped", False),
        **label_context(),
    }
    return await render_page(request, "posts/form.html", context, status=status)


# -- the feed -----------------------------------------------------------------------------------


@access(RESIDENTS)
async def neighbourhood_get(request: web.Request) -> web.Response:
    query = request.query
    category = query.get("category", "")
    if category not in CATEGORIES:
        category = ""
    user = request[USER_KEY]
    posts = request.app[POSTS]
    before = int_or_none(query.get("before"))
    feed = await posts.feed(user, category or None, before)
    # What the city says to this neighbourhood, on the first page only, above the posts.
    from_city = [] if query.get("before") else await request.app[ANNOUNCEMENTS].for_resident(user)
    page = feed_page.FeedPageRequest(
        view=feed,
        from_city=from_city,
        welcome=query.get("welcome") == "1",
        notice=query.get("notice", ""),
        unread=await unread_notifications(request),
        when=_when(request),
    )
    # The first page is the one read thousands of times: its markup is shared (feed_page).
    derived = (
        posts.cache.derived(user.neighbourhood_id, category or None, feed.page)
        if before is None
        else None
    )
    return await feed_page.render_feed_page(request, page, derived)


# -- writing posts ------------------------------------------------------------------------------


@access(RESIDENTS)
async def post_new_get(request: web.Request) -> web.Response:
    category = request.query.get("category", "")
    values = {"category": category} if category in {c.value for c in Category} else {}
    return await _form_page(request, Form(values), None)


@access(RESIDENTS)
async def posts_post(request: web.Request) -> web.Response:
    values, uploads, _ = await _post_form(request)
    try:
        post_id = await request.app[POSTS].create_post(request[USER_KEY], _draft(values), uploads)
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _form_page(request, form, None, status=400, photos_dropped=bool(uploads))
    raise web.HTTPSeeOther(f"/posts/{post_id}")


@access(RESIDENTS)
async def post_edit_get(request: web.Request) -> web.Response:
    posts = request.app[POSTS]
    post = await posts.post_for_edit(request[USER_KEY], path_id(request))
    values = {
        "category": post.category.value,
        "offer_kind": post.offer_kind.value if post.offer_kind else "",
        "title": post.title,
        "body": post.body,
        "shared_with_adjacent": "1" if post.shared_with_adjacent else "",
        "starts_at": posts.local_input_value(post.event.starts_at if post.event else None),
        "ends_at": posts.local_input_value(post.event.ends_at if post.event else None),
        "location": post.event.location if post.event else "",
    }
    return await _form_page(request, Form(values), post)


@access(RESIDENTS)
async def post_edit_post(request: web.Request) -> web.Response:
    posts = request.app[POSTS]
    user = request[USER_KEY]
    values, uploads, remove = await _post_form(request)
    try:
        await posts.edit_post(user, path_id(request), _draft(values, remove), uploads)
    except InvalidInput as exc:
        post = await posts.post_for_edit(user, path_id(request))
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _form_page(request, form, post, status=400, photos_dropped=bool(uploads))
    raise web.HTTPSeeOther(f"/posts/{path_id(request)}")


@access(RESIDENTS)
async def post_delete_get(request: web.Request) -> web.Response:
    post = await request.app[POSTS].post_for_edit(request[USER_KEY], path_id(request))
    return await render_page(request, "posts/delete.html", {"post": post})


@access(RESIDENTS)
async def post_delete_post(request: web.Request) -> web.Response:
    await request.app[POSTS].delete_post(request[USER_KEY], path_id(request))
    raise web.HTTPSeeOther("/neighbourhood?notice=deleted")


# -- reading a post -----------------------------------------------------------------------------


async def _post_page(
    request: web.Request, form: Form | None = None, status: int = 200
) -> web.Response:
    page = await request.app[POSTS].post_page(request[USER_KEY], path_id(request))
    return await render_page(
        request,
        "posts/show.html",
        {"page": page, "form": form or Form(), **label_context()},
        status=status,
    )


@access(RESIDENTS)
async def post_get(request: web.Request) -> web.Response:
    return await _post_page(request)


async def _photo(request: web.Request, thumb: bool) -> web.StreamResponse:
    path, content_type = await request.app[POSTS].photo_file(
        request[USER_KEY], path_id(request), thumb
    )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": content_type,
            # Only this browser may keep it: the photo is private to the neighbourhood.
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": "inline",
        },
    )


@access(RESIDENTS)
async def photo_get(request: web.Request) -> web.StreamResponse:
    return await _photo(request, thumb=False)


@access(RESIDENTS)
async def photo_thumb_get(request: web.Request) -> web.StreamResponse:
    return await _photo(request, thumb=True)


# -- comments, reactions, help, RSVP ------------------------------------------------------------


@access(RESIDENTS)
async def comments_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    try:
        comment = await request.app[POSTS].interactions.add_comment(
            request[USER_KEY], path_id(request), values.get("body", "")
        )
    except InvalidInput as exc:
        return await _post_page(
            request, Form.from_error(values, exc, request[TRANSLATOR_KEY]), status=400
        )
    raise web.HTTPSeeOther(f"/posts/{path_id(request)}#comment-{comment.id}")


@access(RESIDENTS)
async def comment_edit_get(request: web.Request) -> web.Response:
    comment, post = await request.app[POSTS].interactions.comment_for_edit(
        request[USER_KEY], path_id(request)
    )
    return await render_page(
        request,
        "posts/comment_edit.html",
        {"comment": comment, "post": post, "form": Form({"body": comment.body})},
    )


@access(RESIDENTS)
async def comment_edit_post(request: web.Request) -> web.Response:
    interactions = request.app[POSTS].interactions
    user = request[USER_KEY]
    values = await form_values(request)
    try:
        comment = await interactions.edit_comment(user, path_id(request), values.get("body", ""))
    except InvalidInput as exc:
        comment, post = await interactions.comment_for_edit(user, path_id(request))
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await render_page(
            request,
            "posts/comment_edit.html",
            {"comment": comment, "post": post, "form": form},
            status=400,
        )
    raise web.HTTPSeeOther(f"/posts/{comment.post_id}#comment-{comment.id}")


@access(RESIDENTS)
async def comment_delete_post(request: web.Request) -> web.Response:
    post_id = await request.app[POSTS].interactions.delete_comment(
        request[USER_KEY], path_id(request)
    )
    raise web.HTTPSeeOther(f"/posts/{post_id}#comments")


@access(RESIDENTS)
async def reactions_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    await request.app[POSTS].interactions.toggle_reaction(
        request[USER_KEY], path_id(request), values.get("kind", "")
    )
    raise web.HTTPSeeOther(f"/posts/{path_id(request)}#reactions")


@access(RESIDENTS)
async def resolve_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    try:
        await request.app[POSTS].interactions.mark_resolved(
            request[USER_KEY],
            path_id(request),
            int_or_none(values.get("helper_id")),
            values.get("helper_name", ""),
        )
    except InvalidInput as exc:
        return await _post_page(
            request, Form.from_error(values, exc, request[TRANSLATOR_KEY]), status=400
        )
    raise web.HTTPSeeOther(f"/posts/{path_id(request)}#help")


@access(RESIDENTS)
async def rsvp_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    await request.app[POSTS].events.toggle_rsvp(
        request[USER_KEY], path_id(request), values.get("answer", "")
    )
    raise web.HTTPSeeOther(f"/posts/{path_id(request)}#rsvp")


ROUTES = (
    ("GET", "/neighbourhood", neighbourhood_get),
    ("GET", "/posts/new", post_new_get),
    ("POST", "/posts", posts_post),
    ("GET", f"/posts/{ID}", post_get),
    ("GET", f"/posts/{ID}/edit", post_edit_get),
    ("POST", f"/posts/{ID}/edit", post_edit_post),
    ("GET", f"/posts/{ID}/delete", post_delete_get),
    ("POST", f"/posts/{ID}/delete", post_delete_post),
    ("POST", f"/posts/{ID}/comments", comments_post),
    ("POST", f"/posts/{ID}/reactions", reactions_post),
    ("POST", f"/posts/{ID}/resolve", resolve_post),
    ("POST", f"/posts/{ID}/rsvp", rsvp_post),
    ("GET", f"/comments/{ID}/edit", comment_edit_get),
    ("POST", f"/comments/{ID}/edit", comment_edit_post),
    ("POST", f"/comments/{ID}/delete", comment_delete_post),
    ("GET", f"/photos/{ID}", photo_get),
    ("GET", f"/photos/{ID}/thumb", photo_thumb_get),
    *web_events.ROUTES,
    *web_search.ROUTES,
    *web_adjacency.ROUTES,
)
