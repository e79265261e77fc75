"""What a shared link shows: OpenGraph and Twitter card meta and a schema.org `BlogPosting`
(JSON-LD) for a post page. Post in, plain values out (the template writes the tags).

The description is the excerpt as plain text; the image is the front matter's feature
image (`image:`, or Minimal Mistakes' `header.image` / `header.overlay_image` /
`header.teaser`), else the first image in the post; every URL is absolute.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any, Protocol
from urllib.parse import urljoin

from microblog.feeds.uris import uri

DESCRIPTION_CHARS = 200
# Block elements part words; inline ones (em, a, code…) sit inside them.
BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|pre|table|tr|td|th|figure|figcaption|hr|dd|dt)"
    r"\b[^>]*>",
    re.IGNORECASE,
)
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")
FIRST_IMAGE = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", re.IGNORECASE)


class CardPost(Protocol):
    """What a card reads of a post."""

    title: str
    permalink: str
    excerpt_html: str
    body_html: str
    tag_names: list[str]
    published_at: datetime

    @property
    def front_matter(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class LinkCard:
    """The values of a post page's link-card meta."""

    url: str
    title: str
    description: str
    image: str | None
    published: str  # ISO 8601 with the site's offset
    modified: str
    site_name: str
    author: str
    json_ld: str  # safe inside <script type="application/ld+json">


def plain(html: str) -> str:
    """HTML as one line of plain text."""
    return SPACE.sub(" ", unescape(TAG.sub("", BLOCK_TAG.sub(" ", html)))).strip()


def shortened(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """At most `limit` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:—- ")
    return cut + "…"


def feature_image(front_matter: dict[str, Any]) -> str | None:
    """The feature image a Jekyll theme would show, from the post's front matter."""
    image = front_matter.get("image")
    if isinstance(image, dict):
        image = image.get("path") or image.get("feature")
    if isinstance(image, str) and image.strip():
        return image.strip()
    header = front_matter.get("header")
    if isinstance(header, dict):
        for key in ("image", "overlay_image", "teaser"):
            value = header.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def shown_feature_image(post: CardPost) -> str | None:
    """The front matter's feature image as a page shows it, None without one. A relative
    path is the site's, as Jekyll themes read it (`relative_url`/`absolute_url`), not the
    post's: `images/x.jpg` is `/images/x.jpg` under a post at `/2020/01/02/x.html` too."""
    found = feature_image(post.front_matter or {})
    if not found or found.startswith(("data:", "javascript:")):
        return None
    return uri(urljoin("/", found))


def card_image(post: CardPost, site_url: str) -> str | None:
    """The card's absolute image URL, if the post has an image."""
    found = feature_image(post.front_matter or {})
    base = site_url + "/"  # the front matter's path is the site's (see shown_feature_image)
    if found is None:
        match = FIRST_IMAGE.search(post.body_html or "")
        found = unescape(match.group(1)) if match else None
        base = site_url + post.permalink  # an <img> in the body is the page's
    if not found or found.startswith("data:"):
        return None
    return uri(urljoin(base, found))


def script_safe_json(value: dict[str, Any]) -> str:
    """JSON that cannot end its <script> element early (`</` and `<!--` escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def link_card(
    post: CardPost,
    *,
    site_url: str,
    site_name: str,
    author: str,
    published: datetime,
    modified: datetime,
) -> LinkCard:
    """The link card of `post` (`published` and `modified` already in the site's zone)."""
    url = uri(site_url + post.permalink)
    description = shortened(plain(post.excerpt_html or post.body_html or ""))
    title = post.title or shortened(plain(post.body_html or ""), 70) or site_name
    image = card_image(post, site_url)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": title[:110],
        "description": description,
        "datePublished": published.isoformat(),
        "dateModified": modified.isoformat(),
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": site_name},
    }
    if image:
        data["image"] = [image]
    if post.tag_names:
        data["keywords"] = list(post.tag_names)
    return LinkCard(
        url=url,
        title=title,
        description=description,
        image=image,
        published=published.isoformat(),
        modified=modified.isoformat(),
        site_name=site_name,
        author=author,
        json_ld=script_safe_json(data),
    )
