"""Citizen initiatives: residents propose, neighbours support, the city answers.

An initiative lives on its neighbourhood's node, with who supports it (so each resident counts
once). When its supporters reach `participation.initiative_threshold`, it goes to the city:

- to the city on this node: stored straight into `city_initiatives`, in the same transaction;
- to a city on another node (one the neighbourhood's `Group` follows): a signed `Create` of a
  `quartier:Initiative` from the Group, then an `Update` whenever the count changes.

Either way the city receives the title, the text and the number of supporters, never a name:
not the author's, not a supporter's. The object is sent, never fetchable (egress
SEND_ONLY_SOURCES). The city answers once; the answer (`quartier:InitiativeAnswer`, from the
city to the Group) is shown on the initiative's page and closes it to further support.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from node.config import Config
from node.errors import N_, Conflict, InvalidInput, NotFound
from node.federation.outbox import iso_now
from node.federation.processing import sanitise_city_html
from node.federation.runtime import Federation
from node.models import User
from node.models.initiatives import CityInitiative, Initiative, InitiativeView
from node.services.city_broadcast import CityBroadcast
from node.services.reporting import Reporting
from node.services.residency import resident_neighbourhood
from node.services.rich_text import render_markdown
from node.storage import initiatives as store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import notifications as notifications_store
from node.storage import peers as peers_store
from node.storage import remote_actors as remote_actors_store
from node.storage.database import Database

log = logging.getLogger(__name__)

INITIATIVE_TYPE = "quartier:Initiative"
ANSWER_TYPE = "quartier:InitiativeAnswer"
SUPPORTERS = "quartier:supporters"
MIN_TITLE, MAX_TITLE = 5, 200
MIN_BODY, MAX_BODY = 20, 10_000
MAX_ANSWER = 10_000
MAX_SUPPORTERS = 1_000_000_000  # the schema's bound; anything above is not a count


def _one_line(text: str) -> str:
    return " ".join(text.split())


def initiative_object(
    initiative: Initiative, group_uri: str, city_uri: str, now: int
) -> dict[str, Any]:
    """What the city receives: title, text and count. No author, no supporter."""
    return {
        "id": initiative.object_uri,
        "type": INITIATIVE_TYPE,
        "attributedTo": group_uri,
        "to": [city_uri],
        "name": initiative.title,
        "content": render_markdown(initiative.body),
        SUPPORTERS: initiative.supporters,
        "published": iso_now(initiative.sent_at or now),
        "updated": iso_now(now),
    }


class Initiatives:
    def __init__(
        self,
        db: Database,
        config: Config,
        broadcast: CityBroadcast,
        reporting: Reporting,
        federation: Federation,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._threshold = config.participation.initiative_threshold
        self._federation = federation
        self._clock = clock
        federation.processor.register_object_handler(INITIATIVE_TYPE, self._on_initiative)
        federation.processor.register_object_handler(ANSWER_TYPE, self._on_answer)

    @property
    def threshold(self) -> int:
        return self._threshold

    # -- residents ------------------------------------------------------------------------------

    def _view(self, conn, user: User, initiative: Initiative) -> InitiativeView:
        supported = store.list_supported_initiative_ids(conn, user.id, [initiative.id])
        return InitiativeView(
            initiative=initiative,
            body_html=render_markdown(initiative.body),
            supported=initiative.id in supported,
            is_author=initiative.author_id == user.id,
            threshold=self._threshold,
        )

    def _own(self, conn, user: User, initiative_id: int) -> Initiative:
        """An initiative of the resident's neighbourhood; any other is as if it did not exist."""
        neighbourhood_id = resident_neighbourhood(user)
        initiative = store.get_initiative_by_id(conn, initiative_id)
        if (
            initiative is None
            or initiative.neighbourhood_id != neighbourhood_id
            or initiative.withdrawn_at is not None
        ):
            raise NotFound(N_("There is no such initiative in your neighbourhood."))
        return initiative

    async def list_for(self, user: User) -> list[InitiativeView]:
        neighbourhood_id = resident_neighbourhood(user)

        def read(conn) -> list[InitiativeView]:
            items = store.list_initiatives_by_neighbourhood(conn, neighbourhood_id)
            supported = store.list_supported_initiative_ids(conn, user.id, [i.id for i in items])
            return [
                InitiativeView(
                    initiative=i,
                    body_html="",  # the list shows titles only
                    supported=i.id in supported,
                    is_author=i.author_id == user.id,
                    threshold=self._threshold,
                )
                for i in items
            ]

        return await self._db.read("list_initiatives", read)

    async def get_for(self, user: User, initiative_id: int) -> InitiativeView:
        return await self._db.read(
            "get_initiative",
            lambda conn: self._view(conn, user, self._own(conn, user, initiative_id)),
        )

    def _check(self, title: str, body: str) -> tuple[str, str]:
        problems: dict[str, str | tuple[str, dict]] = {}
        title = _one_line(title)
        body = body.strip()
        if not MIN_TITLE <= len(title) <= MAX_TITLE:
            problems["title"] = (
                N_("Give the initiative a title of %(min)d to %(max)d characters."),
                {"min": MIN_TITLE, "max": MAX_TITLE},
            )
        if not MIN_BODY <= len(body) <= MAX_BODY:
            problems["body"] = (
                N_("Say what you propose, where and why, in %(min)d to %(max)d characters."),
                {"min": MIN_BODY, "max": MAX_BODY},
            )
        if problems:
            raise InvalidInput(problems)
        return title, body

    async def propose(self, user: User, title: str, body: str) -> InitiativeView:
        """A new initiative; its author is its first supporter."""
        neighbourhood_id = resident_neighbourhood(user)
        title, body = self._check(title, body)
        now = int(self._clock())
        object_uri = self._federation.outbox.new_object_uri()

        def write(conn) -> tuple[InitiativeView, bool]:
            initiative_id = store.put_initiative(
                conn,
                object_uri=object_uri,
                neighbourhood_id=neighbourhood_id,
                author_id=user.id,
                title=title,
                body=body,
                now=now,
            )
            store.put_initiative_support(conn, initiative_id, user.id, now)
            queued = self._send_if_due(conn, initiative_id, now)
            initiative = store.get_initiative_by_id(conn, initiative_id)
            assert initiative is not None
            return self._view(conn, user, initiative), queued

        view, queued = await self._db.write("propose_initiative", write)
        self._wake(queued)
        return view

    async def support(self, user: User, initiative_id: int) -> InitiativeView:
        return await self._change_support(user, initiative_id, True)

    async def withdraw_support(self, user: User, initiative_id: int) -> InitiativeView:
        return await self._change_support(user, initiative_id, False)

    async def _change_support(
        self, user: User, initiative_id: int, supports: bool
    ) -> InitiativeView:
        now = int(self._clock())

        def write(conn) -> tuple[InitiativeView, bool]:
            initiative = self._own(conn, user, initiative_id)
            if not initiative.open_for_support:
                raise Conflict(N_("The city has answered this initiative: support is closed."))
            if supports:
                changed = store.put_initiative_support(conn, initiative_id, user.id, now)
            else:
                changed = store.delete_initiative_support(conn, initiative_id, user.id)
            queued = self._send_if_due(conn, initiative_id, now) if changed else False
            initiative = store.get_initiative_by_id(conn, initiative_id)
            assert initiative is not None
            return self._view(conn, user, initiative), queued

        view, queued = await self._db.write("change_initiative_support", write)
        self._wake(queued)
        return view

    async def withdraw(self, user: User, initiative_id: int) -> None:
        """The author takes the initiative back, which is possible until it reaches the city."""
        now = int(self._clock())

        def write(conn) -> None:
            initiative = self._own(conn, user, initiative_id)
            if initiative.author_id != user.id:
                raise NotFound(N_("There is no such initiative in your neighbourhood."))
            if not store.update_initiative_withdrawn(conn, initiative_id, now):
                raise Conflict(
                    N_(
                        "This initiative has already reached the city: it can no longer be"
                        " withdrawn."
                    )
                )

        await self._db.write("withdraw_initiative", write)

    # -- reaching the city ----------------------------------------------------------------------

    def _send_if_due(self, conn, initiative_id: int, now: int) -> bool:
        """Send the initiative when it reaches the threshold, and its new count after that.

        Runs inside the write that changed the support, so the count sent is the count stored
        and two supports at once cannot both send the first `Create`. True if something was
        queued for another node.
        """
        initiative = store.get_initiative_by_id(conn, initiative_id)
        if initiative is None or initiative.answered_at is not None:
            return False
        if initiative.sent_at is None:
            if initiative.supporters < self._threshold:
                return False
            store.update_initiative_sent(conn, initiative_id, now)
            initiative = store.get_initiative_by_id(conn, initiative_id)
            assert initiative is not None
            kind = "Create"
        else:
            kind = "Update"
        neighbourhood = neighbourhoods_store.get_neighbourhood_by_id(
            conn, initiative.neighbourhood_id
        )
        if neighbourhood is None:
            return False
        actors = self._federation.actors
        group = actors.neighbourhood(neighbourhood.slug, neighbourhood.name)
        city = actors.city()
        if city is not None:
            store.put_city_initiative(
                conn,
                object_uri=initiative.object_uri,
                neighbourhood_uri=group.uri,
                neighbourhood_name=group.name,
                title=initiative.title,
                body_html=render_markdown(initiative.body),
                supporters=initiative.supporters,
                now=now,
            )
        queued = False
        for follow in peers_store.list_follows(conn, "outbound", "accepted", group.key):
            remote_city = follow.actor
            if remote_city is None or remote_city.type != "Organization":
                continue
            obj = initiative_object(initiative, group.uri, remote_city.uri, now)
            activity = self._federation.outbox.prepare(
                group, kind, obj, now, source="initiative", to=[remote_city.uri]
            )
            self._federation.outbox.enqueue(
                conn, activity, [remote_city.delivery_inbox], False, now
            )
            queued = True
        return queued

    def _wake(self, queued: bool) -> None:
        if queued:
            self._federation.outbox.wake()

    async def _on_initiative(self, activity: dict[str, Any]) -> None:
        """An initiative from a neighbourhood on another node that follows our city."""
        obj = activity["object"]
        actor_uri = activity["actor"]
        city = self._federation.actors.city()
        if city is None:
            raise ValueError("this node hosts no city to send initiatives to")
        if obj.get("attributedTo") != actor_uri:
            raise ValueError("an initiative must be attributed to the neighbourhood that sends it")
        if urlsplit(str(obj["id"])).netloc != urlsplit(actor_uri).netloc:
            raise ValueError("an initiative's id must be on its neighbourhood's server")
        to = obj.get("to", [])
        if city.uri not in (to if isinstance(to, list) else [to]):
            raise ValueError("the initiative is not addressed to our city")
        supporters = obj.get(SUPPORTERS)
        if not isinstance(supporters, int) or not 0 <= supporters <= MAX_SUPPORTERS:
            raise ValueError("the number of supporters is not a count")
        actor = await self._federation.directory.actor(actor_uri)
        if actor.type != "Group":
            raise ValueError("only a neighbourhood sends initiatives")
        now = int(self._clock())

        def store_it(conn) -> None:
            follow = peers_store.get_follow(conn, "inbound", city.key, actor_uri)
            if follow is None or follow.state != "accepted":
                raise ValueError(f"{actor_uri} does not follow the city")
            stored = store.put_city_initiative(
                conn,
                object_uri=obj["id"],
                neighbourhood_uri=actor_uri,
                neighbourhood_name=(actor.name or actor.preferred_username)[:200],
                title=_one_line(str(obj.get("name", "")))[:MAX_TITLE],
                body_html=sanitise_city_html(obj.get("content")),
                supporters=supporters,
                now=now,
            )
            if not stored:
                raise ValueError(f"{obj['id']} belongs to another neighbourhood")

        await self._db.write("receive_initiative", store_it)

    # -- city staff -----------------------------------------------------------------------------

    async def city_list(self) -> list[CityInitiative]:
        return await self._db.read("list_city_initiatives", store.list_city_initiatives)

    async def city_get(self, city_id: int) -> CityInitiative:
        initiative = await self._db.read(
            "get_city_initiative", store.get_city_initiative_by_id, city_id
        )
        if initiative is None:
            raise NotFound(N_("There is no such initiative."))
        return initiative

    async def answer(self, author: User, city_id: int, text: str) -> CityInitiative:
        """The city's one answer, shown on the initiative's page in its neighbourhood."""
        text = text.strip()
        if not text or len(text) > MAX_ANSWER:
            raise InvalidInput(
                {
                    "answer": (
                        N_("Write the answer (at most %(max)d characters)."),
                        {"max": MAX_ANSWER},
                    )
                }
            )
        html = render_markdown(text)
        now = int(self._clock())
        actors = self._federation.actors

        def write(conn) -> tuple[CityInitiative, bool]:
            initiative = store.get_city_initiative_by_id(conn, city_id)
            if initiative is None:
                raise NotFound(N_("There is no such initiative."))
            if not store.update_city_initiative_answer(conn, city_id, html, author.id, now):
                raise Conflict(N_("This initiative has already been answered."))
            queued = False
            if actors.neighbourhood_slug(initiative.neighbourhood_uri) is not None:
                _record_answer(conn, initiative.object_uri, html, now)
            else:
                queued = self._send_answer(conn, initiative, html, now)
            answered = store.get_city_initiative_by_id(conn, city_id)
            assert answered is not None
            return answered, queued

        answered, queued = await self._db.write("answer_initiative", write)
        self._wake(queued)
        return answered

    def _send_answer(self, conn, initiative: CityInitiative, html: str, now: int) -> bool:
        city = self._federation.actors.city()
        group = remote_actors_store.get_remote_actor_by_uri(conn, initiative.neighbourhood_uri)
        if city is None or group is None:
            log.warning("cannot answer %s: its neighbourhood is unknown", initiative.object_uri)
            return False
        answer = {
            "id": self._federation.outbox.new_object_uri(),
            "type": ANSWER_TYPE,
            "attributedTo": city.uri,
            "inReplyTo": initiative.object_uri,
            "to": [group.uri],
            "content": html,
            "published": iso_now(now),
        }
        activity = self._federation.outbox.prepare(
            city, "Create", answer, now, source="initiative_answer", to=[group.uri]
        )
        self._federation.outbox.enqueue(conn, activity, [group.delivery_inbox], False, now)
        return True

    async def _on_answer(self, activity: dict[str, Any]) -> None:
        """The city's answer to one of our initiatives, from the city its neighbourhood follows."""
        obj = activity["object"]
        actor_uri = activity["actor"]
        if obj.get("attributedTo") != actor_uri:
            raise ValueError("an answer must be attributed to the city that sends it")
        html = sanitise_city_html(obj.get("content"))
        now = int(self._clock())
        actors = self._federation.actors

        def store_it(conn) -> None:
            initiative = store.get_initiative_by_uri(conn, str(obj["inReplyTo"]))
            if initiative is None or initiative.sent_at is None:
                raise ValueError(f"{obj['inReplyTo']} is not an initiative we sent")
            neighbourhood = neighbourhoods_store.get_neighbourhood_by_id(
                conn, initiative.neighbourhood_id
            )
            if neighbourhood is None:
                raise ValueError("the initiative's neighbourhood is gone")
            group = actors.neighbourhood(neighbourhood.slug, neighbourhood.name)
            follow = peers_store.get_follow(conn, "outbound", group.key, actor_uri)
            if follow is None or follow.state != "accepted":
                raise ValueError(f"{group.uri} does not follow {actor_uri}")
            if initiative.answered_at is not None:
                return  # the city answers once; a repeat changes nothing
            _record_answer(conn, initiative.object_uri, html, now)

        await self._db.write("receive_initiative_answer", store_it)


def _record_answer(conn, object_uri: str, html: str, now: int) -> None:
    """The city's answer, on the initiative's home node; its author and every resident who
    supported it are told (a notification, and e-mail as each of them chose)."""
    if not store.update_initiative_answer(conn, object_uri, html, now):
        return  # withdrawn meanwhile, or never sent: nobody to tell
    initiative = store.get_initiative_by_uri(conn, object_uri)
    if initiative is not None:
        notifications_store.put_initiative_answer_notifications(conn, initiative.id, now)
