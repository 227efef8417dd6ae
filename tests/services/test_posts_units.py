"""Small parts of the posts service that need no node: search input, the feed cache,
photo re-encoding, snippet splitting, draft checking."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from node.errors import InvalidInput
from node.models.posts import Category, FeedPage, SearchHit
from node.services.feed_cache import FeedCache
from node.services.photos import PhotoFiles, PhotoRejected, encode_photo
from node.services.post_drafts import PostDraft, check_draft
from node.services.post_search import fts_expression

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("chaussée de Mons", '"chaussée" "de" "Mons"*'),
        ('bike" OR "x', '"bike" "OR" "x"*'),
        ("NEAR(a b", '"NEAR" "a" "b"*'),
        ("*", None),
        ('"', None),
        ("   ", None),
        ("l'école", '"l" "école"*'),
    ],
)
def test_search_input_becomes_quoted_terms(typed, expected):
    assert fts_expression(typed) == expected


def test_search_input_is_bounded():
    assert fts_expression("word " * 100).count('"word"') == 8


def test_the_cache_forgets_pages_showing_a_neighbourhood_and_refuses_stale_reads():
    now = [0.0]
    cache = FeedCache(ttl=60, clock=lambda: now[0])
    page = FeedPage(items=(), has_more=False)

    # A page of Nord that includes Centre's shared posts
    cache.put(2, None, page, (1,), cache.generation)
    cache.put(3, None, page, (), cache.generation)
    assert cache.get(2, None) is page

    # A write in Centre forgets Nord's page (it may show Centre's posts), not Sud's
    cache.invalidate(1)
    assert cache.get(2, None) is None and cache.get(3, None) is page

    # A read that started before an invalidation cannot put its page back
    generation = cache.generation
    cache.invalidate(3)
    cache.put(3, "tip", page, (), generation)
    assert cache.get(3, "tip") is None

    # And pages expire, which keeps view counts fresh
    cache.put(3, None, page, (), cache.generation)
    now[0] = 61
    assert cache.get(3, None) is None


def test_snippet_markers_become_parts_and_stray_markers_stay_harmless():
    hit = SearchHit(1, "t", Category.TIP, None, 0, "Centre", "a \x02b\x03 <c> \x03d\x02")
    assert hit.snippet_parts == (("a ", False), ("b", True), (" <c> ", False), ("d", False))


def test_a_photo_is_re_encoded_without_metadata_and_capped():
    buffer = io.BytesIO()
    image = Image.new("RGB", (4000, 1000), "red")
    image.save(buffer, "JPEG", comment=b"secret-comment", icc_profile=b"made-up-icc-profile")
    encoded = encode_photo(buffer.getvalue(), max_mb=8)
    assert (encoded.width, encoded.height) == (2048, 512)
    for part in (encoded.image, encoded.thumb):
        assert b"secret-comment" not in part and b"made-up-icc" not in part
    with Image.open(io.BytesIO(encoded.thumb)) as thumb:
        assert thumb.size == (480, 120)


@pytest.mark.parametrize(
    "data",
    [b"", b"GIF89a" + b"\0" * 20, b"\x89PNG\r\n\x1a\n" + b"\0" * 30],
)
def test_what_is_not_a_usable_photo_is_rejected(data):
    with pytest.raises(PhotoRejected):
        encode_photo(data, max_mb=8)


def test_a_gif_is_refused_even_though_pillow_reads_it():
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, "GIF")
    with pytest.raises(PhotoRejected):
        encode_photo(buffer.getvalue(), max_mb=8)


async def test_one_bad_photo_among_several_is_named_by_number(tmp_path):
    files = PhotoFiles(tmp_path, max_mb=1)
    good = io.BytesIO()
    Image.new("RGB", (10, 10)).save(good, "PNG")
    with pytest.raises(InvalidInput) as refused:
        await files.prepare([good.getvalue(), b"junk"])
    message, params = refused.value.fields["photos"]
    assert message % params == "Photo 2: Choose a photo in JPEG, PNG or WebP format."


def test_a_draft_is_checked_field_by_field():
    post, problems = check_draft(
        PostDraft(category="offer", title="x" * 121, body="y" * 5001), BRUSSELS
    )
    assert post is None
    assert set(problems) == {"title", "body", "offer_kind"}

    post, problems = check_draft(
        PostDraft(category="event", title="  Party \x00 time ", starts_at="2030-01-01T20:00"),
        BRUSSELS,
    )
    assert problems == {}
    assert post.title == "Party time"
    assert post.event.starts_at == 1893524400  # 19:00 UTC, winter time
