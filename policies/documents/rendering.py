"""Policy Markdown to safe HTML.

markdown-it-py renders CommonMark (with tables and strikethrough); raw HTML in the source is
kept as text by the renderer (``html`` off), and nh3 then keeps only the tags and attributes of
an ordinary document. So no ``<script>``, no ``on*`` event handlers, no ``style`` (inline styles
would break the strict CSP anyway) and no link to anything but http(s), mailto or a page anchor.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def sanitize_html(html: str) -> str:
    """Keep only the tags, attributes and link schemes of a plain document."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown) as sanitised HTML, safe to put in a page as it is (templates need no ``|safe``)."""
    return mark_safe(sanitize_html(_MARKDOWN.render(text or "")))  # noqa: S308 - sanitised by nh3 just here
