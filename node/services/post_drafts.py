"""Checking a post as typed (form or API) into what is stored: limits, category rules, times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from node.errors import N_
from node.models.posts import Category, NewPost, OfferKind, PostEvent
from node.services.post_visibility import clean_line, clean_text
from node.services.rich_text import render_markdown

TITLE_MAX = 120
BODY_MAX = 5000
LOCATION_MAX = 200
_LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


@dataclass(frozen=True)
class PostDraft:
    """A post as typed, before checking. Times: Unix seconds (API) or local "YYYY-MM-DDTHH:MM"."""

    category: str
    title: str
    body: str = ""
    offer_kind: str = ""
    shared_with_adjacent: bool = False
    starts_at: int | str | None = None
    ends_at: int | str | None = None
    location: str = ""
    remove_photo_ids: tuple[int, ...] = ()


def check_draft(draft: PostDraft, tz: tzinfo) -> tuple[NewPost | None, dict]:
    """The post to store, or the problems by field (all of them, not just the first)."""
    problems: dict[str, str | tuple[str, dict]] = {}
    title = clean_line(draft.title)
    body = clean_text(draft.body)
    location = clean_line(draft.location)
    category = None
    try:
        category = Category(draft.category)
    except ValueError:
        problems["category"] = N_("Choose what kind of post this is.")
    if not title:
        problems["title"] = N_("Give your post a title.")
    elif len(title) > TITLE_MAX:
        problems["title"] = (N_("Use at most %(max)d characters."), {"max": TITLE_MAX})
    if len(body) > BODY_MAX:
        problems["body"] = (N_("Use at most %(max)d characters."), {"max": BODY_MAX})
    offer_kind = None
    if category is Category.OFFER:
        try:
            offer_kind = OfferKind(draft.offer_kind)
        except ValueError:
            problems["offer_kind"] = N_("Say whether you lend, give or sell.")
    event = None
    if category is Category.EVENT:
        starts_at = _time_of(draft.starts_at, tz)
        ends_at = _time_of(draft.ends_at, tz) if draft.ends_at not in (None, "") else None
        if starts_at is None:
            problems["starts_at"] = N_("Enter when the event starts.")
        if draft.ends_at not in (None, "") and ends_at is None:
            problems["ends_at"] = N_("Enter when the event ends, or leave it empty.")
        elif starts_at is not None and ends_at is not None and ends_at < starts_at:
            problems["ends_at"] = N_("The end must come after the start.")
        if len(location) > LOCATION_MAX:
            problems["location"] = (
                N_("Use at most %(max)d characters."),
                {"max": LOCATION_MAX},
            )
        if starts_at is not None:
            event = PostEvent(starts_at, ends_at, location)
    if problems or category is None:
        return None, problems
    return (
        NewPost(
            category=category,
            offer_kind=offer_kind,
            title=title,
            body=body,
            body_html=render_markdown(body),
            shared_with_adjacent=draft.shared_with_adjacent,
            event=event,
        ),
        {},
    )


def _time_of(value: int | str | None, tz: tzinfo) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value < 2**40 else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()[:16]
    try:
        moment = datetime.strptime(text, _LOCAL_INPUT)
    except ValueError:
        return None
    return int(moment.replace(tzinfo=tz).timestamp())


def local_input_value(timestamp: int | None, tz: tzinfo) -> str:
    """A time as a datetime-local field shows it, in the node's time zone."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, tz).strftime(_LOCAL_INPUT)
