"""Article text: Markdown rendered to safe HTML, and to plain text for search and passages."""

import re
from functools import lru_cache

import markdown as markdown_lib
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul", "kbd", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"[ \t]+")


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Return ``text`` (Markdown) as HTML with scripts, handlers and unknown tags removed."""
    html = markdown_lib.markdown(
        text or "", extensions=["tables", "sane_lists"], output_format="html"
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def markdown_text(text: str) -> str:
    """Return the readable text of ``text`` (Markdown): no markup, one block per line."""
    html = render_markdown(text)
    html = re.sub(r"</(p|h[1-6]|li|tr|blockquote|pre)>|<br\s*/?>", "\n", html)
    html = re.sub(r"</t[dh]>", " | ", html)
    plain = TAG.sub("", html)
    from html import unescape

    lines = [SPACE.sub(" ", unescape(line)).strip(" |") for line in plain.splitlines()]
    return "\n".join(line for line in lines if line)
