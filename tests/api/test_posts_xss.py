"""What residents write is stored as typed and shown inert: escaped in titles and plain text,
sanitised in the rendered Markdown, never able to run script on a neighbour's page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.api.posts_support import neighbourhoods, posts_of, signed_in

TITLE = '"><svg onload=alert(1)>Bike <script>alert(2)</script>'
BODY = (
    "Hello <script>alert(3)</script>\n\n"
    '<img src=x onerror="alert(4)">\n\n'
    "[click me](javascript:alert(5)) and [fine](https://example.org/bike)\n\n"
    '<a href="javascript:alert(6)">raw link</a> **bold**'
)
COMMENT = '<iframe src="javascript:alert(7)"></iframe> [x](JaVaScRiPt:alert(8))'


class _Elements(HTMLParser):
    """The elements and attributes a browser would build from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def _no_live_markup(html: str) -> None:
    """Nothing a resident wrote became an element or an attribute the browser would run."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "svg", "iframe", "object", "embed"), (tag, attrs)
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action"):
            assert not attrs.get(name, "").strip().lower().startswith("javascript:"), attrs


async def test_script_payloads_are_stored_as_typed_and_shown_inert_everywhere(node, browsers):
    # Given Alice writes a post and a comment full of attempts at script
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)
    created = await alice.post_form(
        "/posts", {"category": "offer", "offer_kind": "give", "title": TITLE, "body": BODY}
    )
    assert created.status == 303
    path = created.headers["Location"]
    commented = await alice.post_form(f"{path}/comments", {"body": COMMENT})
    assert commented.status == 303

    # Then what she typed is kept as typed (she can edit it), and the stored HTML is clean
    post = await posts_of(node).post_for_edit(place.alice, int(path.rsplit("/", 1)[1]))
    assert post.title == TITLE and "<script>alert(3)</script>" in post.body
    _no_live_markup(post.body_html)
    assert '<a href="https://example.org/bike" rel="nofollow noopener ugc">fine</a>' in (
        post.body_html
    )

    # When Bob opens the feed, the post, and searches for it
    bob = await signed_in(browsers, place.bob)
    pages = {
        "feed": await (await bob.get("/neighbourhood")).text(),
        "post": await (await bob.get(path)).text(),
        "search": await (await bob.get("/search?q=bike")).text(),
        "edit": await (await alice.get(f"{path}/edit")).text(),
    }

    # Then the title is text everywhere, and nothing live came through
    for name, html in pages.items():
        _no_live_markup(html)
        assert "&#34;&gt;&lt;svg onload=alert(1)&gt;Bike &lt;script&gt;" in html, name
    post_html = pages["post"]
    assert "<strong>bold</strong>" in post_html  # the safe Markdown still works
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in post_html  # shown as the text typed
    assert "&lt;iframe" in post_html
    # And the search snippet highlights the word without letting anything else through
    assert "<mark>bike</mark>" in pages["search"]


async def test_the_api_returns_text_as_typed_and_only_sanitised_html(node):
    place = await neighbourhoods(node, adjacent=False)
    headers = await node.api_token(place.alice)
    created = await node.client.post(
        "/api/v1/posts",
        json={"category": "tip", "title": TITLE, "body": BODY},
        headers=headers,
    )
    body = await created.json()
    assert body["title"] == TITLE
    _no_live_markup(body["body_html"])


async def test_a_search_snippet_escapes_the_text_around_the_highlight(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)
    await alice.post_form(
        "/posts",
        {
            "category": "tip",
            "title": "Plants",
            "body": "<b>tomato</b> seedlings <script>x</script>",
        },
    )
    html = await (await alice.get("/search?q=tomato")).text()
    snippet = re.search(r'<p class="search-snippet">(.*?)</p>', html, re.S).group(1)
    assert "<mark>tomato</mark>" in snippet
    assert "&lt;b&gt;" in snippet and "<b>" not in snippet and "<script>" not in snippet
