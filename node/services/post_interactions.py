"""Answers to a post: comments, reactions, and a help request marked resolved.

Each is one write interaction that also records the notifications it causes, so a comment
and the notice of it are stored together or not at all. After the write, the feed cache of
the post's neighbourhood is invalidated (counts on the feed changed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from node.errors import N_, Forbidden, InvalidInput, NotFound
from node.models import User
from node.models.posts import Category, Comment, Counts, Post, ReactionKind
from node.services.post_visibility import clean_line, clean_text, neighbourhood_of
from node.services.rich_text import render_markdown
from node.storage import comments as comments_store
from node.storage import notifications as notifications_store
from node.storage import posts as posts_store
from node.storage import reactions as reactions_store
from node.storage.database import Database

COMMENT_MAX = 2000


@dataclass(frozen=True)
class ReactionResult:
    kind: ReactionKind
    on: bool
    counts: Counts


class PostInteractions:
    """Comments, reactions and resolving help requests."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], float] = time.time,
        invalidate: Callable[[int], None] = lambda neighbourhood_id: None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._invalidate = invalidate

    def _now(self) -> int:
        return int(self._clock())

    # -- comments ---------------------------------------------------------------------------

    async def add_comment(self, viewer: User, post_id: int, body: str) -> Comment:
        """Comment on a post one may see; its author and earlier commenters are notified."""
        neighbourhood_id = neighbourhood_of(viewer)
        now = self._now()

        def add(conn):
            post = _visible_post(conn, post_id, neighbourhood_id)
            text = _check_comment(body)
            earlier = comments_store.list_commenter_ids_by_post(conn, post_id)
            comment_id = comments_store.put_comment(
                conn, post_id, viewer.id, text, render_markdown(text), now
            )
            if post.author_id is not None:
                notifications_store.put_notification(
                    conn,
                    user_id=post.author_id,
                    kind="comment",
                    actor_id=viewer.id,
                    post_id=post_id,
                    now=now,
                )
            for user_id in earlier:
                if user_id != post.author_id:
                    notifications_store.put_notification(
                        conn,
                        user_id=user_id,
                        kind="reply",
                        actor_id=viewer.id,
                        post_id=post_id,
                        now=now,
                    )
            return post.neighbourhood_id, comments_store.get_comment_by_id(conn, comment_id)

        home, comment = await self._db.write("put_comment", add)
        self._invalidate(home)
        return comment

    async def comment_for_edit(self, viewer: User, comment_id: int) -> tuple[Comment, Post]:
        """One's own comment and the post it answers, for the edit form."""
        neighbourhood_id = neighbourhood_of(viewer)

        def read(conn):
            return _own_comment(conn, comment_id, neighbourhood_id, viewer)

        return await self._db.read("get_comment_for_edit", read)

    async def edit_comment(self, viewer: User, comment_id: int, body: str) -> Comment:
        neighbourhood_id = neighbourhood_of(viewer)

        def edit(conn):
            # Visibility first (404 / 403), then the text: a stranger learns nothing.
            _own_comment(conn, comment_id, neighbourhood_id, viewer)
            text = _check_comment(body)
            comments_store.update_comment(
                conn, comment_id, text, render_markdown(text), self._now()
            )
            return comments_store.get_comment_by_id(conn, comment_id)

        return await self._db.write("update_comment", edit)

    async def delete_comment(self, viewer: User, comment_id: int) -> int:
        """Delete one's own comment; returns the post it was on."""
        neighbourhood_id = neighbourhood_of(viewer)

        def delete(conn):
            _, post = _own_comment(conn, comment_id, neighbourhood_id, viewer)
            comments_store.delete_comment(conn, comment_id, post.id, self._now())
            return post

        post = await self._db.write("delete_comment", delete)
        self._invalidate(post.neighbourhood_id)
        return post.id

    async def comments(self, viewer: User, post_id: int) -> list[Comment]:
        neighbourhood_id = neighbourhood_of(viewer)

        def read(conn):
            _visible_post(conn, post_id, neighbourhood_id)
            return comments_store.list_comments_by_post(conn, post_id)

        return await self._db.read("list_comments", read)

    # -- reactions --------------------------------------------------------------------------

    async def toggle_reaction(self, viewer: User, post_id: int, kind: str) -> ReactionResult:
        """Thank, like or support a post, or take it back; the author hears of a new one."""
        neighbourhood_id = neighbourhood_of(viewer)
        try:
            reaction = ReactionKind(kind)
        except ValueError:
            raise InvalidInput({"kind": N_("Choose thanks, like or support.")}) from None
        now = self._now()

        def toggle(conn):
            post = _visible_post(conn, post_id, neighbourhood_id)
            on = reactions_store.toggle_reaction(conn, post_id, viewer.id, reaction, now)
            if on and post.author_id is not None:
                notifications_store.put_notification(
                    conn,
                    user_id=post.author_id,
                    kind="reaction",
                    actor_id=viewer.id,
                    post_id=post_id,
                    now=now,
                )
            counts = posts_store.get_post_by_id(conn, post_id).counts
            return post.neighbourhood_id, ReactionResult(reaction, on, counts)

        home, result = await self._db.write("toggle_reaction", toggle)
        self._invalidate(home)
        return result

    # -- help requests ----------------------------------------------------------------------

    async def mark_resolved(
        self, viewer: User, post_id: int, helper_id: int | None = None, helper_name: str = ""
    ) -> int | None:
        """The author of a help request says it is resolved, optionally naming who helped.

        The helper is one of those who answered the post, or any resident of the post's
        neighbourhood named exactly; they are notified ("thanked"). Returns the helper's id.
        """
        neighbourhood_id = neighbourhood_of(viewer)
        name = clean_line(helper_name)
        now = self._now()

        def resolve(conn):
            post = _visible_post(conn, post_id, neighbourhood_id)
            if post.author_id != viewer.id:
                raise Forbidden(N_("Only the person who asked can mark a request resolved."))
            if post.category is not Category.HELP_REQUEST:
                raise InvalidInput({"helper_id": N_("Only help requests can be resolved.")})
            helper = _choose_helper(conn, post, helper_id, name)
            if helper is not None and helper == viewer.id:
                raise InvalidInput({"helper_name": N_("Name the neighbour who helped you.")})
            posts_store.update_post_resolved(conn, post_id, helper, now)
            if helper is not None:
                notifications_store.put_notification(
                    conn,
                    user_id=helper,
                    kind="thanked",
                    actor_id=viewer.id,
                    post_id=post_id,
                    now=now,
                )
            return post.neighbourhood_id, helper

        home, helper = await self._db.write("update_post_resolved", resolve)
        self._invalidate(home)
        return helper


def _check_comment(body: str) -> str:
    text = clean_text(body)
    if not text:
        raise InvalidInput({"body": N_("Write your comment.")})
    if len(text) > COMMENT_MAX:
        raise InvalidInput({"body": (N_("Use at most %(max)d characters."), {"max": COMMENT_MAX})})
    return text


def _visible_post(conn, post_id: int, neighbourhood_id: int) -> Post:
    post = posts_store.get_visible_post_by_id(conn, post_id, neighbourhood_id)
    if post is None:
        raise NotFound(N_("This post does not exist, or it was removed."))
    return post


def _own_comment(conn, comment_id: int, neighbourhood_id: int, viewer: User):
    comment = comments_store.get_comment_by_id(conn, comment_id)
    post = (
        posts_store.get_visible_post_by_id(conn, comment.post_id, neighbourhood_id)
        if comment is not None and comment.status == "visible"
        else None
    )
    if post is None:
        raise NotFound(N_("This comment does not exist, or it was removed."))
    if comment.author_id != viewer.id:
        raise Forbidden(N_("Only the author can change or delete a comment."))
    return comment, post


def _choose_helper(conn, post: Post, helper_id: int | None, name: str) -> int | None:
    """Resolve the helper from a chosen id or a typed name; None when nobody was named."""
    if helper_id is not None:
        candidates = {
            n.id for n in posts_store.list_helper_candidates_by_post(conn, post.id, post.author_id)
        }
        if helper_id in candidates or posts_store.get_neighbour_by_id(
            conn, helper_id, post.neighbourhood_id
        ):
            return helper_id
        raise InvalidInput({"helper_id": N_("Choose a neighbour from the list.")})
    if not name:
        return None
    found = posts_store.list_neighbours_by_name(
        conn, post.neighbourhood_id, name, except_id=post.author_id
    )
    if not found:
        raise InvalidInput(
            {"helper_name": (N_("No neighbour here is called %(name)s."), {"name": name})}
        )
    if len(found) > 1:
        raise InvalidInput(
            {
                "helper_name": (
                    N_("Several neighbours are called %(name)s: choose one from the list."),
                    {"name": name},
                )
            }
        )
    return found[0].id
