"""What residents write: a safe Markdown subset rendered to sanitised HTML.

Rendering happens once, when text is written, and the result is stored beside the source;
pages print the stored HTML. Raw HTML in the source is never passed through (markdown-it's
`html` option off), and the output is sanitised again with nh3 (Ammonia) as a second wall:
only the tags below survive, links get rel="nofollow noopener ugc" and only http(s)/mailto.
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


@functools.cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # Headings, images and tables are not part of what neighbours need; they render as text.
    md.disable(["heading", "lheading", "image", "html_block", "html_inline", "hr"])
    return md


def render_markdown(source: str) -> str:
    """Sanitised HTML for a resident's text."""
    html = _markdown().render(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener ugc",
    )


def clean_received_html(html: object) -> str:
    """HTML a city sent (a survey's introduction, a budget's texts), as we show it: only the
    formatting our own Markdown produces survives, whatever the sending node did."""
    return nh3.clean(
        str(html or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener",
    )


def plain_excerpt(source: str, limit: int = 200) -> str:
    """A one-line excerpt of the source, for notifications and e-mails (no markup)."""
    text = " ".join(source.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
