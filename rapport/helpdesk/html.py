"""Sanitising message HTML: what customers send is shown to agents, so nothing active survives.

Scripts, styles, event handlers and forms go; links open safely; remote images (tracking
pixels, web bugs) are dropped so opening a message tells no sender that it was read. Inline
images (``cid:`` references to attachments) and ``data:`` images stay.
"""

import copy

import nh3

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) - {"area", "map"}
ALLOWED_ATTRIBUTES = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
ALLOWED_ATTRIBUTES.setdefault("img", set()).update({"src", "alt", "width", "height"})
ALLOWED_ATTRIBUTES.setdefault("td", set()).update({"colspan", "rowspan"})
ALLOWED_ATTRIBUTES.setdefault("th", set()).update({"colspan", "rowspan"})
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "title",
    "head",
    "template",
    "noscript",
    "iframe",
    "object",
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        lowered = value.strip().lower()
        if lowered.startswith("cid:") or lowered.startswith("data:image/"):
            return value
        return None  # remote image: a tracking pixel at worst, an unrequested download at best
    if attribute == "href" and value.strip().lower().startswith("data:"):
        return None
    return value


def sanitize_html(html: str) -> str:
    """Return ``html`` with everything active or tracking removed."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        clean_content_tags=DROPPED_WITH_CONTENT,
        url_schemes=URL_SCHEMES,
        attribute_filter=_keep_attribute,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
