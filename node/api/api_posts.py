"""JSON API of neighbourhood life: feed, posts, comments, reactions, help, events, search."""

from __future__ import annotations

from aiohttp import web

from node.api.access import ADMIN, RESIDENTS, access
from node.api.app_keys import POSTS, USER_KEY
from node.api.operations import Operation, json_body
from node.api.params import int_or_none, path_id
from node.errors import N_, InvalidInput
from node.models.posts import Comment, FeedItem, FeedView, Post, PostPage, RsvpSummary
from node.services.post_drafts import PostDraft

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")


def _person(user_id: int | None, name: str | None) -> dict | None:
    return {"id": user_id, "display_name": name} if user_id is not None and name else None


def _counts(counts) -> dict:
    return {
        "comments": counts.comments,
        "thanks": counts.thanks,
        "like": counts.like,
        "support": counts.support,
        "views": counts.views,
    }


def _rsvp(summary: RsvpSummary) -> dict:
    return {
        "going": summary.going,
        "maybe": summary.maybe,
        "mine": summary.mine.value if summary.mine else None,
        "going_names": list(summary.going_names),
    }


def _feed_item(item: FeedItem, feed: FeedView) -> dict:
    return {
        "id": item.id,
        "url": f"/posts/{item.id}",
        "neighbourhood_id": item.neighbourhood_id,
        "neighbourhood": item.neighbourhood_name,
        "author": _person(item.author_id, item.author_name),
        "category": item.category.value,
        "offer_kind": item.offer_kind.value if item.offer_kind else None,
        "title": item.title,
        "excerpt": item.excerpt,
        "created_at": item.created_at,
        "edited_at": item.edited_at,
        "shared_with_adjacent": item.shared_with_adjacent,
        "resolved_at": item.resolved_at,
        "counts": _counts(item.counts),
        "thumb_url": f"/photos/{item.thumb_photo_id}/thumb" if item.thumb_photo_id else None,
        "event_starts_at": item.event_starts_at,
        "new": feed.is_new(item),
        "my_reactions": sorted(k.value for p, k in feed.viewer.my_reactions if p == item.id),
    }


def _post(post: Post, page: PostPage | None = None) -> dict:
    event = post.event
    return {
        "id": post.id,
        "url": f"/posts/{post.id}",
        "neighbourhood_id": post.neighbourhood_id,
        "neighbourhood": post.neighbourhood_name,
        "author": _person(post.author_id, post.author_name),
        "category": post.category.value,
        "offer_kind": post.offer_kind.value if post.offer_kind else None,
        "title": post.title,
        "body": post.body,
        "body_html": post.body_html,
        "shared_with_adjacent": post.shared_with_adjacent,
        "resolved_at": post.resolved_at,
        "helper": _person(post.resolved_helper_id, post.resolved_helper_name),
        "counts": _counts(post.counts),
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "event": {
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "location": event.location,
        }
        if event
        else None,
        "photos": [
            {
                "id": p.id,
                "url": f"/photos/{p.id}",
                "thumb_url": f"/photos/{p.id}/thumb",
                "width": p.width,
                "height": p.height,
            }
            for p in post.photos
        ],
        "my_reactions": sorted(k.value for k in page.my_reactions) if page else [],
        "rsvp": _rsvp(page.rsvps) if page and page.rsvps else None,
    }


def _comment(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "post_id": comment.post_id,
        "author": _person(comment.author_id, comment.author_name),
        "body": comment.body,
        "body_html": comment.body_html,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
    }


def _draft(body: dict, base: PostDraft | None = None) -> PostDraft:
    """A draft from a JSON body; for an update, fields not given keep their current value."""
    base = base or PostDraft(category="", title="")
    event = body.get("event", ...)
    if event is ...:
        starts, ends, location = base.starts_at, base.ends_at, base.location
    elif event is None:
        starts, ends, location = None, None, ""
    else:
        starts, ends, location = event["starts_at"], event.get("ends_at"), event.get("location", "")
    return PostDraft(
        category=body.get("category", base.category),
        title=body.get("title", base.title),
        body=body.get("body", base.body),
        offer_kind=body.get("offer_kind", base.offer_kind) or "",
        shared_with_adjacent=body.get("shared_with_adjacent", base.shared_with_adjacent),
        starts_at=starts,
        ends_at=ends,
        location=location,
        remove_photo_ids=tuple(body.get("remove_photo_ids", ())),
    )


async def _page_json(request: web.Request, post_id: int, status: int = 200) -> web.Response:
    page = await request.app[POSTS].post_page(request[USER_KEY], post_id)
    return web.json_response(_post(page.post, page), status=status)


@access(RESIDENTS)
async def feed_list(request: web.Request) -> web.Response:
    before = request.query.get("before", "")
    if before and int_or_none(before) is None:
        raise InvalidInput({"before": N_("before must be a post id.")})
    feed = await request.app[POSTS].feed(
        request[USER_KEY], request.query.get("category") or None, int_or_none(before)
    )
    return web.json_response(
        {
            "items": [_feed_item(item, feed) for item in feed.page.items],
            "next_before": feed.page.next_before,
        }
    )


@access(RESIDENTS)
async def posts_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/post-create")
    post_id = await request.app[POSTS].create_post(request[USER_KEY], _draft(body))
    return await _page_json(request, post_id, status=201)


@access(RESIDENTS)
async def post_get(request: web.Request) -> web.Response:
    return await _page_json(request, path_id(request))


@access(RESIDENTS)
async def post_update(request: web.Request) -> web.Response:
    posts = request.app[POSTS]
    user = request[USER_KEY]
    current = await posts.post_for_edit(user, path_id(request))
    body = await json_body(request, "api/post-update")
    base = PostDraft(
        category=current.category.value,
        title=current.title,
        body=current.body,
        offer_kind=current.offer_kind.value if current.offer_kind else "",
        shared_with_adjacent=current.shared_with_adjacent,
        starts_at=current.event.starts_at if current.event else None,
        ends_at=current.event.ends_at if current.event else None,
        location=current.event.location if current.event else "",
    )
    await posts.edit_post(user, path_id(request), _draft(body, base))
    return await _page_json(request, path_id(request))


@access(RESIDENTS)
async def post_delete(request: web.Request) -> web.Response:
    await request.app[POSTS].delete_post(request[USER_KEY], path_id(request))
    return web.Response(status=204)


@access(RESIDENTS)
async def post_photos_add(request: web.Request) -> web.Response:
    posts = request.app[POSTS]
    if request.content_type not in PHOTO_TYPES:
        raise InvalidInput(
            {"(body)": N_("Send one photo as the body, e.g. Content-Type: image/jpeg.")}
        )
    data = await request.read()  # bounded by the server's client_max_size
    ids = await posts.add_photos(request[USER_KEY], path_id(request), [data])
    return web.json_response({"photo_ids": ids}, status=201)


@access(RESIDENTS)
async def photo_get(request: web.Request) -> web.StreamResponse:
    path, content_type = await request.app[POSTS].photo_file(
        request[USER_KEY], path_id(request), request.query.get("size") == "thumb"
    )
    return web.FileResponse(
        path, headers={"Content-Type": content_type, "Cache-Control": "private, max-age=3600"}
    )


@access(RESIDENTS)
async def comments_list(request: web.Request) -> web.Response:
    comments = await request.app[POSTS].interactions.comments(request[USER_KEY], path_id(request))
    return web.json_response([_comment(c) for c in comments])


@access(RESIDENTS)
async def comments_create(request: web.Request) -> web.Response:
    interactions = request.app[POSTS].interactions
    user = request[USER_KEY]
    await interactions.comments(user, path_id(request))  # 404 before the body is looked at
    body = await json_body(request, "api/post-comment-create")
    comment = await interactions.add_comment(user, path_id(request), body["body"])
    return web.json_response(_comment(comment), status=201)


@access(RESIDENTS)
async def comment_update(request: web.Request) -> web.Response:
    interactions = request.app[POSTS].interactions
    user = request[USER_KEY]
    await interactions.comment_for_edit(user, path_id(request))
    body = await json_body(request, "api/post-comment-create")
    comment = await interactions.edit_comment(user, path_id(request), body["body"])
    return web.json_response(_comment(comment))


@access(RESIDENTS)
async def comment_delete(request: web.Request) -> web.Response:
    await request.app[POSTS].interactions.delete_comment(request[USER_KEY], path_id(request))
    return web.Response(status=204)


@access(RESIDENTS)
async def reaction_toggle(request: web.Request) -> web.Response:
    body = await json_body(request, "api/post-reaction")
    result = await request.app[POSTS].interactions.toggle_reaction(
        request[USER_KEY], path_id(request), body["kind"]
    )
    return web.json_response(
        {"kind": result.kind.value, "on": result.on, "counts": _counts(result.counts)}
    )


@access(RESIDENTS)
async def post_resolve(request: web.Request) -> web.Response:
    body = await json_body(request, "api/post-resolve")
    await request.app[POSTS].interactions.mark_resolved(
        request[USER_KEY], path_id(request), body.get("helper_id"), body.get("helper_name", "")
    )
    return await _page_json(request, path_id(request))


@access(RESIDENTS)
async def rsvp_toggle(request: web.Request) -> web.Response:
    body = await json_body(request, "api/post-rsvp")
    summary = await request.app[POSTS].events.toggle_rsvp(
        request[USER_KEY], path_id(request), body["answer"]
    )
    return web.json_response(_rsvp(summary))


@access(RESIDENTS)
async def events_list(request: web.Request) -> web.Response:
    events = await request.app[POSTS].events.upcoming(request[USER_KEY])
    return web.json_response(
        [
            {
                "post_id": e.post_id,
                "url": f"/posts/{e.post_id}",
                "neighbourhood_id": e.neighbourhood_id,
                "neighbourhood": e.neighbourhood_name,
                "title": e.title,
                "excerpt": e.excerpt,
                "starts_at": e.starts_at,
                "ends_at": e.ends_at,
                "location": e.location,
                "going": e.going,
                "maybe": e.maybe,
            }
            for e in events
        ]
    )


@access(RESIDENTS)
async def search_list(request: web.Request) -> web.Response:
    hits = await request.app[POSTS].search(request[USER_KEY], request.query.get("q", ""))
    return web.json_response(
        [
            {
                "post_id": h.post_id,
                "url": f"/posts/{h.post_id}",
                "title": h.title,
                "category": h.category.value,
                "author": h.author_name,
                "created_at": h.created_at,
                "snippet": "".join(text for text, _ in h.snippet_parts),
                "highlights": [{"text": t, "highlighted": on} for t, on in h.snippet_parts],
            }
            for h in hits
        ]
    )


@access(RESIDENTS)
async def calendar_link_create(request: web.Request) -> web.Response:
    events = request.app[POSTS].events
    token = await events.create_calendar_token(request[USER_KEY])
    return web.json_response({"url": events.calendar_url(token)}, status=201)


@access(ADMIN)
async def adjacency_get(request: web.Request) -> web.Response:
    _, adjacency = await request.app[POSTS].adjacency(request[USER_KEY])
    return web.json_response({"adjacent": list(adjacency.get(path_id(request), ()))})


@access(ADMIN)
async def adjacency_put(request: web.Request) -> web.Response:
    body = await json_body(request, "api/neighbourhood-adjacency")
    adjacent = await request.app[POSTS].set_adjacent(
        request[USER_KEY], path_id(request), body["adjacent"]
    )
    return web.json_response({"adjacent": list(adjacent)})


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/feed",
        feed_list,
        "Your neighbourhood's feed, newest first, 20 per page (posts shared by adjacent"
        " neighbourhoods included)",
        response_schema="api/post-feed",
        query=(
            ("category", "string", "Only this category"),
            ("before", "integer", "Posts older than this post id (next_before of a page)"),
        ),
    ),
    Operation(
        "POST",
        "/api/v1/posts",
        posts_create,
        "Write a post in your neighbourhood",
        request_schema="api/post-create",
        response_schema="api/post",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/posts/{id}",
        post_get,
        "A post (counts your view)",
        response_schema="api/post",
    ),
    Operation(
        "PATCH",
        "/api/v1/posts/{id}",
        post_update,
        "Change your post",
        request_schema="api/post-update",
        response_schema="api/post",
    ),
    Operation("DELETE", "/api/v1/posts/{id}", post_delete, "Delete your post", status=204),
    Operation(
        "POST",
        "/api/v1/posts/{id}/photos",
        post_photos_add,
        "Add a photo to your post: the body is the image (JPEG, PNG or WebP)",
        request_type="image/jpeg",
        response_schema="api/post-photo-ids",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/photos/{id}",
        photo_get,
        "A photo's image (?size=thumb for the thumbnail)",
        response_type="image/jpeg",
        query=(("size", "string", "thumb for the 480 px wide thumbnail"),),
    ),
    Operation(
        "GET",
        "/api/v1/posts/{id}/comments",
        comments_list,
        "Comments on a post, oldest first",
        response_schema="api/post-comment",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/posts/{id}/comments",
        comments_create,
        "Comment on a post",
        request_schema="api/post-comment-create",
        response_schema="api/post-comment",
        status=201,
    ),
    Operation(
        "PATCH",
        "/api/v1/comments/{id}",
        comment_update,
        "Change your comment",
        request_schema="api/post-comment-create",
        response_schema="api/post-comment",
    ),
    Operation("DELETE", "/api/v1/comments/{id}", comment_delete, "Delete your comment", status=204),
    Operation(
        "POST",
        "/api/v1/posts/{id}/reactions",
        reaction_toggle,
        "Thank, like or support a post, or take it back",
        request_schema="api/post-reaction",
        response_schema="api/post-reaction-result",
    ),
    Operation(
        "POST",
        "/api/v1/posts/{id}/resolve",
        post_resolve,
        "Mark your help request resolved, optionally naming who helped",
        request_schema="api/post-resolve",
        response_schema="api/post",
    ),
    Operation(
        "POST",
        "/api/v1/posts/{id}/rsvp",
        rsvp_toggle,
        "Answer an event going or maybe (the same answer again takes it back)",
        request_schema="api/post-rsvp",
        response_schema="api/post-rsvp-summary",
    ),
    Operation(
        "GET",
        "/api/v1/events",
        events_list,
        "Upcoming events of your neighbourhood",
        response_schema="api/post-event",
        response_is_list=True,
    ),
    Operation(
        "GET",
        "/api/v1/search",
        search_list,
        "Search the posts you may see",
        response_schema="api/post-search-hit",
        response_is_list=True,
        query=(("q", "string", "Words, all required; the last one may be the start of a word"),),
    ),
    Operation(
        "POST",
        "/api/v1/calendar-link",
        calendar_link_create,
        "A new private calendar feed address for you (an earlier one stops working)",
        response_schema="api/post-calendar-link",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/neighbourhoods/{id}/adjacent",
        adjacency_get,
        "Neighbourhoods adjacent to one",
        response_schema="api/neighbourhood-adjacency",
    ),
    Operation(
        "PUT",
        "/api/v1/neighbourhoods/{id}/adjacent",
        adjacency_put,
        "Set the neighbourhoods adjacent to one (both ways round)",
        request_schema="api/neighbourhood-adjacency",
        response_schema="api/neighbourhood-adjacency",
    ),
)
