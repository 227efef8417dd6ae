"""The federation's HTTP edge: discovery (WebFinger, NodeInfo), actor documents, inboxes,
outboxes, and fetches of the objects this node published. Only this module knows HTTP;
the logic is in node/federation/."""

from __future__ import annotations

import json

from aiohttp import web

from node import __version__
from node.api.access import PUBLIC, access
from node.api.app_keys import FEDERATION, REGISTER
from node.federation.actors import (
    CITY_PATH,
    INSTANCE,
    LocalActor,
    actor_document,
    nodeinfo_document,
    nodeinfo_links,
    webfinger_document,
)
from node.federation.inbox import InboxRejected
from node.federation.remote_fetch import ACTIVITY_JSON

ACTIVITY_TYPES = ("application/activity+json", "application/ld+json")


def _problem(status: int, code: str, detail: str, headers: dict | None = None) -> web.Response:
    body = {
        "type": f"urn:quartier:problem:{code}",
        "title": code.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
    }
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type="application/problem+json",
        headers=headers,
    )


def _activity_response(document: dict | str) -> web.Response:
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    return web.Response(
        text=text,
        content_type=ACTIVITY_JSON,
        headers={"Vary": "Accept", "Cache-Control": "max-age=60"},
    )


def wants_activity_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return any(kind in accept for kind in ACTIVITY_TYPES)


async def _neighbourhood_actor(request: web.Request, slug: str) -> LocalActor | None:
    federation = request.app[FEDERATION]
    for n in await request.app[REGISTER].list_neighbourhoods():
        if n.slug == slug:
            return federation.actors.neighbourhood(n.slug, n.name)
    return None


async def _actor_from_path(request: web.Request) -> LocalActor:
    federation = request.app[FEDERATION]
    name = request.match_info["actor"]
    actor: LocalActor | None
    if name == INSTANCE:
        actor = federation.actors.instance()
    elif name == CITY_PATH:
        actor = federation.actors.city()
    else:
        actor = await _neighbourhood_actor(request, request.match_info.get("slug", ""))
    if actor is None:
        raise web.HTTPNotFound()
    return actor


@access(PUBLIC)
async def webfinger_get(request: web.Request) -> web.Response:
    federation = request.app[FEDERATION]
    resource = request.query.get("resource", "")
    user, _, host = resource.removeprefix("acct:").lstrip("@").partition("@")
    if not resource.startswith("acct:") or host.lower() != federation.actors.host.lower():
        return _problem(404, "not-found", f"no such account on this server: {resource}")
    actors = [federation.actors.instance()]
    if (city := federation.actors.city()) is not None:
        actors.append(city)
    for actor in actors:
        if actor.preferred_username.lower() == user.lower():
            return web.json_response(
                webfinger_document(actor, federation.actors.host),
                content_type="application/jrd+json",
            )
    neighbourhood = await _neighbourhood_actor(request, user)
    if neighbourhood is not None:
        return web.json_response(
            webfinger_document(neighbourhood, federation.actors.host),
            content_type="application/jrd+json",
        )
    return _problem(404, "not-found", f"no such account on this server: {resource}")


@access(PUBLIC)
async def nodeinfo_links_get(request: web.Request) -> web.Response:
    return web.json_response(nodeinfo_links(request.app[FEDERATION].actors.base_url))


@access(PUBLIC)
async def nodeinfo_get(request: web.Request) -> web.Response:
    version = request.match_info["version"]
    users, posts = await request.app[FEDERATION].publication.nodeinfo_counts()
    document = nodeinfo_document(
        version, __version__, request.app[FEDERATION].config.node.name, users, posts
    )
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return web.json_response(document, content_type=f'application/json; profile="{profile}"')


@access(PUBLIC)
async def actor_get(request: web.Request) -> web.Response:
    actor = await _actor_from_path(request)
    if not wants_activity_json(request):
        raise web.HTTPSeeOther("/")
    federation = request.app[FEDERATION]
    return _activity_response(
        actor_document(actor, federation.keys, federation.actors.shared_inbox)
    )


async def _inbox(request: web.Request) -> web.Response:
    federation = request.app[FEDERATION]
    limit = federation.inbox.max_bytes
    if (request.content_length or 0) > limit:
        return _problem(413, "too-large", f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        body.extend(chunk)
        if len(body) > limit:
            return _problem(413, "too-large", f"body over {limit} bytes")
    url = f"{federation.actors.base_url}{request.path_qs}"
    try:
        accepted = await federation.inbox.receive(url, request.headers, bytes(body))
    except InboxRejected as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return _problem(exc.status, exc.code, exc.reason, headers)
    detail = (
        "ignored: not an activity this server acts on"
        if accepted.ignored
        else ("already received" if accepted.duplicate else "accepted for processing")
    )
    return web.json_response({"status": detail}, status=202)


@access(PUBLIC)
async def shared_inbox_post(request: web.Request) -> web.Response:
    return await _inbox(request)


@access(PUBLIC)
async def actor_inbox_post(request: web.Request) -> web.Response:
    await _actor_from_path(request)
    return await _inbox(request)


shared_inbox_post.csrf_exempt = True  # type: ignore[attr-defined]
actor_inbox_post.csrf_exempt = True  # type: ignore[attr-defined]


@access(PUBLIC)
async def outbox_get(request: web.Request) -> web.Response:
    actor = await _actor_from_path(request)
    documents, total = await request.app[FEDERATION].publication.outbox(actor.uri)
    return _activity_response(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": actor.outbox,
            "type": "OrderedCollection",
            "totalItems": total,
            "orderedItems": [json.loads(d) for d in documents],
        }
    )


@access(PUBLIC)
async def followers_get(request: web.Request) -> web.Response:
    actor = await _actor_from_path(request)
    total = await request.app[FEDERATION].publication.follower_count(actor.key)
    # The count only: who follows a city is nobody else's business.
    return _activity_response(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": actor.followers,
            "type": "OrderedCollection",
            "totalItems": total,
        }
    )


@access(PUBLIC)
async def object_get(request: web.Request) -> web.Response:
    federation = request.app[FEDERATION]
    uri = f"{federation.actors.base_url}{request.path}"
    # Only city content published publicly can be fetched; the rest is 404, signed or not.
    document = await federation.publication.fetchable_object(uri)
    if document is None:
        return _problem(404, "not-found", "no such object")
    return _activity_response(document)


@access(PUBLIC)
async def activity_get(request: web.Request) -> web.Response:
    federation = request.app[FEDERATION]
    uri = f"{federation.actors.base_url}{request.path}"
    document = await federation.publication.public_activity(uri)
    if document is None:
        return _problem(404, "not-found", "no such activity")
    return _activity_response(document)


ACTOR = r"{actor:actor|city}"
GROUP = r"{actor:n}/{slug:[a-z0-9-]+}"

ROUTES = (
    ("GET", "/.well-known/webfinger", webfinger_get),
    ("GET", "/.well-known/nodeinfo", nodeinfo_links_get),
    ("GET", r"/nodeinfo/{version:2\.0|2\.1}", nodeinfo_get),
    ("POST", "/ap/inbox", shared_inbox_post),
    *(
        route
        for path in (ACTOR, GROUP)
        for route in (
            ("GET", f"/ap/{path}", actor_get),
            ("POST", f"/ap/{path}/inbox", actor_inbox_post),
            ("GET", f"/ap/{path}/outbox", outbox_get),
            ("GET", f"/ap/{path}/followers", followers_get),
        )
    ),
    ("GET", r"/ap/objects/{uuid:[0-9a-f-]{36}}", object_get),
    ("GET", r"/ap/activities/{uuid:[0-9a-f-]{36}}", activity_get),
)


@web.middleware
async def activitypub_only_middleware(request: web.Request, handler):
    """A fetch asking for ActivityPub JSON gets it only from federation routes: any other
    path (a resident's post, a page) answers 404, whatever the request's signature."""
    if request.method == "GET" and wants_activity_json(request):
        path = request.path
        if not (path.startswith(("/ap/", "/.well-known/", "/nodeinfo/"))):
            return _problem(404, "not-found", "nothing on this path is published to other servers")
    return await handler(request)
