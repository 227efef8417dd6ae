"""Neighbourhood life: the feed, posts, photos, comments, reactions, help, events, search.

`Posts` is the one service the app wires in (app key POSTS). It owns the feed and the posts
themselves; answers to posts (comments, reactions, help resolved) live in
`post_interactions`, resident events and calendars in `events`, photo files in `photos`.
All three share this service's feed cache through `invalidate_neighbourhood`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from node.config import Config
from node.errors import N_, Forbidden, InvalidInput, NotFound
from node.federation.keys import load_keys
from node.models import Neighbourhood, Role, User
from node.models.posts import (
    Category,
    FeedPage,
    FeedView,
    FeedVisit,
    HelpRequestCounts,
    Post,
    PostPage,
    ReactionKind,
    SearchHit,
    ViewerState,
)
from node.services.events import ResidentEvents
from node.services.feed_cache import FeedCache
from node.services.photos import PhotoFiles, StoredPhoto, content_type_of
from node.services.post_drafts import PostDraft, check_draft, local_input_value
from node.services.post_interactions import PostInteractions
from node.services.post_search import fts_expression
from node.services.post_visibility import neighbourhood_of
from node.storage import comments as comments_store
from node.storage import events as events_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import photos as photos_store
from node.storage import post_search as search_store
from node.storage import posts as posts_store
from node.storage import reactions as reactions_store
from node.storage.database import Database
from node.storage.read_cache import ReadCache, until_any_write

PAGE_SIZE = 20
VISIT_GAP = 30 * 60  # a feed load within this time of the last one is the same visit
SEARCH_LIMIT = 50


@dataclass
class _ReaderMarks:
    """What one reader's feed page needs besides the shared page, as last read."""

    page: FeedPage  # the page `mine` was read for
    visit: FeedVisit | None
    mine: frozenset[tuple[int, ReactionKind]]
    neighbourhood_name: str
    residents: int
    view: FeedView | None = None  # built on first use, while the visit is unchanged


class Posts:
    """Use cases of a neighbourhood's posts and everything hanging off them."""

    def __init__(
        self, db: Database, config: Config, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        self._tz = ZoneInfo(config.node.timezone)
        self._view_secret: bytes | None = None
        self.max_photos = config.uploads.max_photos_per_post
        self.cache = FeedCache()
        # Per reader and category: their visit, their reactions on the cached first page, and
        # their neighbourhood's name and size. Kept until any write (ReadCache), so a reload
        # of an unchanged feed needs no database at all.
        self._marks: ReadCache[tuple[int, str | None], _ReaderMarks] = until_any_write(db)
        self.photos = PhotoFiles(config.uploads_dir, config.uploads.max_photo_mb)
        self.interactions = PostInteractions(db, clock, self.invalidate_neighbourhood)
        self.events = ResidentEvents(db, config, clock)

    def _now(self) -> int:
        return int(self._clock())

    def invalidate_neighbourhood(self, neighbourhood_id: int) -> None:
        """Forget cached feed pages showing this neighbourhood's posts (call after a write)."""
        self.cache.invalidate(neighbourhood_id)

    # -- the feed ---------------------------------------------------------------------------

    async def feed(
        self, viewer: User, category: str | None = None, before: int | None = None
    ) -> FeedView:
        """A page of the viewer's feed; the first page comes from the cache when it can."""
        neighbourhood_id = neighbourhood_of(viewer)
        chosen = _category(category) if category else None
        cached = self.cache.get(neighbourhood_id, chosen) if before is None else None
        marks = self._marks.get((viewer.id, chosen)) if cached is not None else None
        if marks is None or marks.page is not cached:
            marks = await self._read_marks(viewer, neighbourhood_id, chosen, before, cached)
        visit = await self._record_visit(viewer.id, marks.visit)
        if marks.view is not None and visit is marks.visit:
            return marks.view  # the same reader, page and marks as last time
        view = FeedView(
            page=marks.page,
            viewer=ViewerState(
                visit.previous_visit_at, marks.mine, marks.neighbourhood_name, marks.residents
            ),
            viewer_id=viewer.id,
            category=Category(chosen) if chosen else None,
            before=before,
        )
        if visit is marks.visit:
            marks.view = view
        return view

    async def _read_marks(
        self,
        viewer: User,
        neighbourhood_id: int,
        chosen: str | None,
        before: int | None,
        cached: FeedPage | None,
    ) -> _ReaderMarks:
        """One read: the page when it is not cached, and the reader's own marks on it."""
        generation = self.cache.generation
        version = self._marks.version()

        def read(conn):
            page, adjacent = cached, ()
            if page is None:
                adjacent = posts_store.list_adjacent_ids(conn, neighbourhood_id)
                page = posts_store.list_feed_by_neighbourhood(
                    conn, neighbourhood_id, adjacent, chosen, before, PAGE_SIZE
                )
            visit = posts_store.get_feed_visit_by_user(conn, viewer.id)
            mine = reactions_store.list_reaction_kinds_by_user(
                conn, viewer.id, [item.id for item in page.items]
            )
            neighbourhood = neighbourhoods_store.get_neighbourhood_by_id(conn, neighbourhood_id)
            residents = posts_store.count_active_residents(conn, neighbourhood_id)
            marks = _ReaderMarks(page, visit, mine, neighbourhood.name, residents)
            return marks, adjacent

        marks, adjacent = await self._db.read("list_feed", read)
        if before is None:
            if cached is None:
                current = self.cache.get(neighbourhood_id, chosen)
                if current is None:
                    self.cache.put(neighbourhood_id, chosen, marks.page, adjacent, generation)
                elif _same_posts(current, marks.page):
                    # Readers whose pages expired together read it together: keep the page
                    # that was cached first, so they share its rendered markup (FeedCache).
                    marks.page = current
            self._marks.put((viewer.id, chosen), marks, version)
        return marks

    async def _record_visit(self, user_id: int, visit: FeedVisit | None) -> FeedVisit:
        """Move the "new since" mark at most once per visit: one small write per 30 minutes."""
        now = self._now()
        if visit is not None and now - visit.last_visit_at < VISIT_GAP:
            return visit
        updated = FeedVisit(user_id, visit.last_visit_at if visit else now, now)
        await self._db.write("put_feed_visit", posts_store.put_feed_visit, updated)
        return updated

    async def adjacent_neighbourhoods(self, viewer: User) -> list[Neighbourhood]:
        """Neighbourhoods a post of the viewer's can be shared with (empty: no sharing)."""
        neighbourhood_id = neighbourhood_of(viewer)

        def read(conn):
            ids = posts_store.list_adjacent_ids(conn, neighbourhood_id)
            return [neighbourhoods_store.get_neighbourhood_by_id(conn, i) for i in ids]

        return await self._db.read("list_adjacent_neighbourhoods", read)

    # -- writing posts ----------------------------------------------------------------------

    def local_input_value(self, timestamp: int | None) -> str:
        """A time as a datetime-local field shows it, in the node's time zone."""
        return local_input_value(timestamp, self._tz)

    async def _prepare_photos(
        self, uploads: list[bytes], existing: int, problems: dict
    ) -> list[StoredPhoto]:
        """Check and re-encode uploads; write files only when the whole request is good."""
        if existing + len(uploads) > self.max_photos:
            problems["photos"] = (
                N_("A post can have at most %(max)d photos."),
                {"max": self.max_photos},
            )
        encoded = []
        if uploads and "photos" not in problems:
            try:
                encoded = await self.photos.prepare(uploads)
            except InvalidInput as exc:
                problems.update(exc.fields)
        if problems:
            raise InvalidInput(problems)
        return await self.photos.write(encoded) if encoded else []

    async def create_post(self, viewer: User, draft: PostDraft, uploads: list[bytes] = ()) -> int:
        """A resident posts in their neighbourhood; returns the new post's id."""
        neighbourhood_id = neighbourhood_of(viewer)
        new, problems = check_draft(draft, self._tz)
        stored = await self._prepare_photos(list(uploads), 0, problems)
        now = self._now()

        def create(conn):
            shared = new.shared_with_adjacent and bool(
                posts_store.list_adjacent_ids(conn, neighbourhood_id)
            )
            post_id = posts_store.put_post(
                conn, neighbourhood_id, viewer.id, replace(new, shared_with_adjacent=shared), now
            )
            if new.event is not None:
                events_store.put_post_event(conn, post_id, new.event)
            for photo in stored:
                photos_store.put_photo(
                    conn, post_id, photo.file_name, photo.thumb_name, photo.width, photo.height
                )
            return post_id

        try:
            post_id = await self._db.write("create_post", create)
        except BaseException:
            self.photos.remove(stored)
            raise
        self.invalidate_neighbourhood(neighbourhood_id)
        return post_id

    async def post_for_edit(self, viewer: User, post_id: int) -> Post:
        """The viewer's own post, with its photos, to fill the edit form."""
        neighbourhood_id = neighbourhood_of(viewer)

        def read(conn):
            post = _own_post(conn, post_id, neighbourhood_id, viewer)
            return replace(post, photos=tuple(photos_store.list_photos_by_post(conn, post_id)))

        return await self._db.read("get_post_for_edit", read)

    async def edit_post(
        self, viewer: User, post_id: int, draft: PostDraft, uploads: list[bytes] = ()
    ) -> None:
        """The author changes their post; photos can be removed and added."""
        neighbourhood_id = neighbourhood_of(viewer)
        current = await self.post_for_edit(viewer, post_id)  # 404 / 403 before any checking
        new, problems = check_draft(draft, self._tz)
        removing = set(draft.remove_photo_ids) & {photo.id for photo in current.photos}
        stored = await self._prepare_photos(
            list(uploads), len(current.photos) - len(removing), problems
        )
        now = self._now()

        def edit(conn):
            post = _own_post(conn, post_id, neighbourhood_id, viewer)
            shared = new.shared_with_adjacent and bool(
                posts_store.list_adjacent_ids(conn, post.neighbourhood_id)
            )
            posts_store.update_post(conn, post_id, replace(new, shared_with_adjacent=shared), now)
            if new.event is not None:
                events_store.put_post_event(conn, post_id, new.event)
            else:
                events_store.delete_post_event(conn, post_id)
            removed = photos_store.delete_photos(conn, post_id, list(draft.remove_photo_ids))
            if len(photos_store.list_photos_by_post(conn, post_id)) + len(stored) > self.max_photos:
                raise InvalidInput(
                    {
                        "photos": (
                            N_("A post can have at most %(max)d photos."),
                            {"max": self.max_photos},
                        )
                    }
                )
            for photo in stored:
                photos_store.put_photo(
                    conn, post_id, photo.file_name, photo.thumb_name, photo.width, photo.height
                )
            return post.neighbourhood_id, removed

        try:
            home, removed = await self._db.write("update_post", edit)
        except BaseException:
            self.photos.remove(stored)
            raise
        self.photos.remove(removed)
        self.invalidate_neighbourhood(home)

    async def add_photos(self, viewer: User, post_id: int, uploads: list[bytes]) -> list[int]:
        """The author adds photos to their post (API); returns the new photos' ids."""
        neighbourhood_id = neighbourhood_of(viewer)
        post = await self.post_for_edit(viewer, post_id)
        stored = await self._prepare_photos(uploads, len(post.photos), {})

        def add(conn):
            _own_post(conn, post_id, neighbourhood_id, viewer)
            if len(photos_store.list_photos_by_post(conn, post_id)) + len(stored) > self.max_photos:
                raise InvalidInput(
                    {
                        "photos": (
                            N_("A post can have at most %(max)d photos."),
                            {"max": self.max_photos},
                        )
                    }
                )
            return [
                photos_store.put_photo(
                    conn, post_id, p.file_name, p.thumb_name, p.width, p.height
                ).id
                for p in stored
            ]

        try:
            ids = await self._db.write("put_post_photos", add)
        except BaseException:
            self.photos.remove(stored)
            raise
        self.invalidate_neighbourhood(post.neighbourhood_id)
        return ids

    async def delete_post(self, viewer: User, post_id: int) -> None:
        """The author deletes their post: its text, photos and event details are removed."""
        neighbourhood_id = neighbourhood_of(viewer)

        def delete(conn):
            post = _own_post(conn, post_id, neighbourhood_id, viewer)
            removed = photos_store.delete_photos(conn, post_id, None)
            posts_store.delete_post(conn, post_id, self._now())
            return post.neighbourhood_id, removed

        home, removed = await self._db.write("delete_post", delete)
        self.photos.remove(removed)
        self.invalidate_neighbourhood(home)

    # -- reading one post -------------------------------------------------------------------

    async def post_page(self, viewer: User, post_id: int) -> PostPage:
        """Everything the post page shows; counts the viewer's first view of it."""
        neighbourhood_id = neighbourhood_of(viewer)
        key = self.view_key(post_id, viewer.id)

        def read(conn):
            post = _visible_post(conn, post_id, neighbourhood_id)
            post = replace(post, photos=tuple(photos_store.list_photos_by_post(conn, post_id)))
            mine = reactions_store.list_reaction_kinds_by_user(conn, viewer.id, [post_id])
            is_author = post.author_id == viewer.id
            candidates = ()
            if is_author and post.category is Category.HELP_REQUEST:
                candidates = tuple(
                    posts_store.list_helper_candidates_by_post(conn, post_id, post.author_id)
                )
            return PostPage(
                post=post,
                comments=tuple(comments_store.list_comments_by_post(conn, post_id)),
                my_reactions=frozenset(kind for _, kind in mine),
                rsvps=events_store.get_rsvp_summary_by_post(conn, post_id, viewer.id)
                if post.category is Category.EVENT
                else None,
                helper_candidates=candidates,
                viewed_before=is_author or reactions_store.has_view_key(conn, post_id, key),
            )

        page = await self._db.read("get_post_page", read)
        # Reads run on reader connections: only a first view costs one small extra write.
        if not page.viewed_before and await self._db.write(
            "put_post_view", reactions_store.put_view_key, post_id, key
        ):
            counts = replace(page.post.counts, views=page.post.counts.views + 1)
            page = replace(page, post=replace(page.post, counts=counts))
        return page

    def view_key(self, post_id: int, user_id: int) -> bytes:
        """HMAC-SHA256(node secret, "post:user") cut to 16 bytes: dedupes views, names nobody.

        The secret is derived (HKDF) from the node's Ed25519 private key, so it needs no file
        of its own and travels with the keys in backups; without the key file the table is
        a set of unlinkable random-looking values.
        """
        if self._view_secret is None:
            raw = load_keys(self._config.keys_dir).ed25519.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            self._view_secret = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"quartier post view keys v1"
            ).derive(raw)
        message = f"{post_id}:{user_id}".encode()
        return hmac.new(self._view_secret, message, hashlib.sha256).digest()[:16]

    async def photo_file(self, viewer: User, photo_id: int, thumb: bool) -> tuple[Path, str]:
        """The file of a photo (or its thumbnail) the viewer may see, and its content type."""
        neighbourhood_id = neighbourhood_of(viewer)
        photo = await self._db.read(
            "get_visible_photo", photos_store.get_visible_photo_by_id, photo_id, neighbourhood_id
        )
        if photo is None:
            raise NotFound(N_("This photo does not exist, or it was removed."))
        name = photo.thumb_name if thumb else photo.file_name
        path = self.photos.path_of(name)
        if not path.is_file():
            raise NotFound(N_("This photo does not exist, or it was removed."))
        return path, content_type_of(name)

    # -- search -----------------------------------------------------------------------------

    async def search(self, viewer: User, text: str) -> list[SearchHit]:
        """Posts the viewer may see matching every word typed, best first."""
        neighbourhood_id = neighbourhood_of(viewer)
        expression = fts_expression(text)
        if expression is None:
            return []
        return await self._db.read(
            "search_posts", search_store.search_posts, expression, neighbourhood_id, SEARCH_LIMIT
        )

    # -- adjacency (admins) and statistics --------------------------------------------------

    async def adjacency(self, viewer: User) -> tuple[list[Neighbourhood], dict[int, tuple]]:
        """Every neighbourhood and the ones adjacent to it."""
        _require_admin(viewer)

        def read(conn):
            return (
                neighbourhoods_store.list_neighbourhoods(conn),
                posts_store.list_adjacency(conn),
            )

        return await self._db.read("list_adjacency", read)

    async def set_adjacent(
        self, viewer: User, neighbourhood_id: int, adjacent_ids: list[int]
    ) -> tuple[int, ...]:
        """Make exactly these neighbourhoods adjacent to one (both ways round)."""
        _require_admin(viewer)
        wanted = set(adjacent_ids)

        def write(conn):
            if neighbourhoods_store.get_neighbourhood_by_id(conn, neighbourhood_id) is None:
                raise NotFound(N_("There is no such neighbourhood."))
            if neighbourhood_id in wanted:
                raise InvalidInput({"adjacent": N_("A neighbourhood cannot be its own neighbour.")})
            unknown = wanted - {n.id for n in neighbourhoods_store.list_neighbourhoods(conn)}
            if unknown:
                raise InvalidInput(
                    {"adjacent": (N_("There is no neighbourhood %(id)s."), {"id": min(unknown)})}
                )
            posts_store.update_adjacency(conn, neighbourhood_id, wanted)
            return posts_store.list_adjacent_ids(conn, neighbourhood_id)

        result = await self._db.write("update_adjacency", write)
        self.cache.clear()
        return result

    async def help_request_counts(self) -> list[HelpRequestCounts]:
        """Per neighbourhood: help requests, resolved, with a named helper (counts only)."""
        return await self._db.read("list_help_request_counts", posts_store.list_help_request_counts)


def _same_posts(a: FeedPage, b: FeedPage) -> bool:
    return a.has_more == b.has_more and [i.id for i in a.items] == [i.id for i in b.items]


def _category(value: str) -> str:
    try:
        return Category(value).value
    except ValueError:
        raise InvalidInput({"category": N_("There is no such category.")}) from None


def _require_admin(viewer: User) -> None:
    if viewer.role is not Role.ADMIN:
        raise Forbidden(N_("Only administrators define which neighbourhoods are adjacent."))


def _visible_post(conn, post_id: int, neighbourhood_id: int) -> Post:
    post = posts_store.get_visible_post_by_id(conn, post_id, neighbourhood_id)
    if post is None:
        raise NotFound(N_("This post does not exist, or it was removed."))
    return post


def _own_post(conn, post_id: int, neighbourhood_id: int, viewer: User) -> Post:
    post = _visible_post(conn, post_id, neighbourhood_id)
    if post.author_id != viewer.id:
        raise Forbidden(N_("Only the author can change or delete a post."))
    return post
