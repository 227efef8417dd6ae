"""Records of neighbourhood life: posts, their photos, comments, reactions, events, search."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    HELP_REQUEST = "help_request"
    OFFER = "offer"
    EVENT = "event"
    TIP = "tip"
    LOST_FOUND = "lost_found"
    PUBLIC_SPACE = "public_space"
    GENERAL = "general"


class OfferKind(StrEnum):
    LEND = "lend"
    GIVE = "give"
    SELL = "sell"


class ReactionKind(StrEnum):
    THANKS = "thanks"
    LIKE = "like"
    SUPPORT = "support"


class RsvpAnswer(StrEnum):
    GOING = "going"
    MAYBE = "maybe"


class PostStatus(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    DELETED = "deleted"


@dataclass(frozen=True)
class Counts:
    """The counters kept on each post row, so listing posts needs no aggregation."""

    comments: int
    thanks: int
    like: int
    support: int
    views: int

    def of(self, kind: ReactionKind | str) -> int:
        return getattr(self, str(kind))


@dataclass(frozen=True)
class FeedItem:
    """One post as a feed lists it: the same for every viewer, so it can be cached."""

    id: int
    neighbourhood_id: int
    neighbourhood_name: str
    author_id: int | None
    author_name: str | None  # None: the author left and their posts were anonymised
    category: Category
    offer_kind: OfferKind | None
    title: str
    excerpt: str
    created_at: int
    edited_at: int | None
    shared_with_adjacent: bool
    resolved_at: int | None
    counts: Counts
    thumb_photo_id: int | None
    event_starts_at: int | None


@dataclass(frozen=True)
class FeedPage:
    items: tuple[FeedItem, ...]
    has_more: bool

    @property
    def next_before(self) -> int | None:
        """The `before` of the next (older) page, or None on the last page."""
        return self.items[-1].id if self.has_more and self.items else None


@dataclass(frozen=True)
class ViewerState:
    """What differs from one reader of a feed to the next: never part of the cached page."""

    previous_visit_at: int
    my_reactions: frozenset[tuple[int, ReactionKind]]
    neighbourhood_name: str
    residents: int


@dataclass(frozen=True)
class FeedVisit:
    user_id: int
    previous_visit_at: int
    last_visit_at: int


@dataclass(frozen=True)
class Photo:
    id: int
    post_id: int
    position: int
    file_name: str
    thumb_name: str
    width: int
    height: int


@dataclass(frozen=True)
class PostEvent:
    starts_at: int
    ends_at: int | None
    location: str


@dataclass(frozen=True)
class Post:
    """A whole post, as its own page shows it."""

    id: int
    neighbourhood_id: int
    neighbourhood_name: str
    author_id: int | None
    author_name: str | None
    category: Category
    offer_kind: OfferKind | None
    title: str
    body: str
    body_html: str  # sanitised at write time; the only field a page prints unescaped
    shared_with_adjacent: bool
    status: PostStatus
    resolved_at: int | None
    resolved_helper_id: int | None
    resolved_helper_name: str | None
    counts: Counts
    created_at: int
    edited_at: int | None
    event: PostEvent | None = None
    photos: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class Comment:
    id: int
    post_id: int
    author_id: int | None
    author_name: str | None
    body: str
    body_html: str
    status: str
    created_at: int
    edited_at: int | None


@dataclass(frozen=True)
class Neighbour:
    """A resident as another resident may see them: a name, nothing more."""

    id: int
    display_name: str


@dataclass(frozen=True)
class RsvpSummary:
    going: int
    maybe: int
    mine: RsvpAnswer | None
    going_names: tuple[str, ...]


@dataclass(frozen=True)
class PostPage:
    """Everything the post page shows one viewer."""

    post: Post
    comments: tuple[Comment, ...]
    my_reactions: frozenset[ReactionKind]
    rsvps: RsvpSummary | None
    helper_candidates: tuple[Neighbour, ...]  # only for the author of an open help request
    viewed_before: bool


@dataclass(frozen=True)
class NewPost:
    """What a resident writes, already checked by the service."""

    category: Category
    offer_kind: OfferKind | None
    title: str
    body: str
    body_html: str
    shared_with_adjacent: bool
    event: PostEvent | None


@dataclass(frozen=True)
class UpcomingEvent:
    post_id: int
    neighbourhood_id: int
    neighbourhood_name: str
    title: str
    excerpt: str
    starts_at: int
    ends_at: int | None
    location: str
    going: int
    maybe: int


SNIPPET_MARK_START = "\x02"
SNIPPET_MARK_END = "\x03"


@dataclass(frozen=True)
class SearchHit:
    """A search result. `snippet` is plain text with the matched words between markers."""

    post_id: int
    title: str
    category: Category
    author_name: str | None
    created_at: int
    neighbourhood_name: str
    snippet: str

    @property
    def snippet_parts(self) -> tuple[tuple[str, bool], ...]:
        """The snippet as (text, highlighted) parts, for a template to escape and mark up.

        Splitting plain text (never HTML) on the markers means nothing a resident wrote can
        become markup, however the markers fall.
        """
        parts: list[tuple[str, bool]] = []
        highlighted = False
        text = ""
        for char in self.snippet:
            if char in (SNIPPET_MARK_START, SNIPPET_MARK_END):
                if text:
                    parts.append((text, highlighted))
                text = ""
                highlighted = char == SNIPPET_MARK_START
            else:
                text += char
        if text:
            parts.append((text, highlighted))
        return tuple(parts)


@dataclass(frozen=True)
class HelpRequestCounts:
    """Per neighbourhood, counts only: feeds the "share resolved" and connections statistics."""

    neighbourhood_id: int
    total: int
    resolved: int
    with_helper: int


@dataclass(frozen=True)
class Adjacency:
    neighbourhood_id: int
    adjacent_ids: tuple[int, ...]


@dataclass(frozen=True)
class FeedView:
    """A feed page as one resident sees it: the shared page plus their own marks."""

    page: FeedPage
    viewer: ViewerState
    viewer_id: int
    category: Category | None
    before: int | None

    def is_new(self, item: FeedItem) -> bool:
        """Written since the resident's previous visit, by someone else."""
        return item.created_at > self.viewer.previous_visit_at and item.author_id != self.viewer_id

    def reacted(self, item: FeedItem, kind: ReactionKind | str) -> bool:
        return (item.id, ReactionKind(kind)) in self.viewer.my_reactions
