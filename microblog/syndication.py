"""RSS 2.0 and Atom 1.0 feeds: posts and the site's feed settings in, bytes out (feedgen).

Knows no request and no view. The same posts and settings always give the same bytes (no
clock is read), so a feed's ETag only changes when something a reader sees changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser
from typing import Any, Literal, Protocol
from urllib.parse import urljoin

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .timeutil import as_utc

FeedKind = Literal["rss", "atom"]

MIMETYPES: dict[str, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
}

ATOM_NS = "http://www.w3.org/2005/Atom"

# An empty feed still needs an `updated`; a fixed instant keeps its bytes deterministic.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What XML 1.0 does not allow in a document at all: C0 controls other than tab, newline
# and carriage return, lone surrogates, and the two non-characters U+FFFE and U+FFFF.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Attributes whose value is one URL, and those that hold a list of image candidates.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "poster",
        "cite",
        "action",
        "formaction",
        "background",
        "longdesc",
        "data",
        "usemap",
        "xlink:href",
    }
)
SRCSET_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})
# A quick look before parsing: HTML without any of these has nothing to rewrite.
URL_ATTRIBUTE_HINT = re.compile(
    r"(?:href|src|srcset|poster|cite|action|background|longdesc|data|usemap|style)\s*=", re.I
)
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""")


class FeedPost(Protocol):
    """What a feed needs from a post (a `models.Post` has it all)."""

    title: str
    permalink: str
    published_at: datetime
    last_modified_at: datetime | None
    tag_names: list[str]
    excerpt_html: str
    body_html: str


@dataclass(frozen=True)
class FeedSettings:
    """What every feed of the site says about the site."""

    site_url: str
    title: str
    description: str
    author: str
    language: str = "en"
    full_text: bool = True
    ttl_minutes: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FeedSettings:
        """The feed settings in an app's configuration."""
        max_age = int(config.get("FEED_MAX_AGE") or 0)
        return cls(
            site_url=str(config["SITE_URL"]).rstrip("/"),
            title=config["SITE_TITLE"],
            description=config["SITE_DESCRIPTION"],
            author=config["SITE_AUTHOR"],
            language=config["SITE_LANGUAGE"],
            full_text=bool(config["FEED_FULL_TEXT"]),
            ttl_minutes=max(1, max_age // 60) if max_age else None,
        )


def xml_text(value: object) -> str:
    """`value` as text with every character XML 1.0 forbids removed."""
    return XML_FORBIDDEN.sub("", str(value or ""))


def entry_updated(post: FeedPost) -> datetime:
    """When a reader would say the post last changed (never before it was published)."""
    published = as_utc(post.published_at)
    if post.last_modified_at is None:
        return published
    return max(published, as_utc(post.last_modified_at))


def newest_change(posts: Iterable[FeedPost]) -> datetime | None:
    """The latest `entry_updated` among `posts`, or None when there are none."""
    return max((entry_updated(post) for post in posts), default=None)


def absolute_url(url: str, site_url: str, page_url: str) -> str:
    """`url` made absolute: `/x` against the site, `x` and `../x` against the page."""
    url = url.strip()
    if url.startswith("/") and not url.startswith("//"):
        return site_url + url
    try:
        return urljoin(page_url, url)
    except ValueError:  # not a URL at all (`http://[oops`): leave it as the author wrote it
        return url


def absolute_srcset(value: str, absolute: Callable[[str], str]) -> str:
    """A `srcset` with each candidate's URL made absolute, its descriptor kept.

    Follows the HTML parsing rules: a URL runs to the next whitespace and may itself hold
    commas (a `data:` URL); a trailing comma ends the candidate.
    """
    candidates: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        if i >= n:
            break
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url, descriptor = value[start:i], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = i
            while i < n and value[i] != ",":
                i += 1
            descriptor = " ".join(value[start:i].split())
        candidates.append(f"{absolute(url)} {descriptor}".rstrip())
    return ", ".join(candidates)


def absolutize_html(html: str, site_url: str, page_url: str) -> str:
    """`html` with every relative link and media URL made absolute, for feed readers.

    Only the start tags that hold a relative URL are rewritten; every other byte of the
    author's HTML is kept as it was (a re-serialising parser would drop or add end tags
    around HTML5 elements such as `<source>` and `<wbr>`).
    """
    if not URL_ATTRIBUTE_HINT.search(html):
        return html
    rewriter = LinkRewriter(lambda url: absolute_url(url, site_url, page_url))
    rewriter.feed(html)
    rewriter.close()
    if not rewriter.edits:
        return html
    line_starts = [0] + [match.end() for match in re.finditer("\n", html)]
    pieces, done = [], 0
    for (line, column), length, replacement in rewriter.edits:
        start = line_starts[line - 1] + column
        pieces += [html[done:start], replacement]
        done = start + length
    pieces.append(html[done:])
    return "".join(pieces)


def attribute_value(value: str) -> str:
    """`value` escaped for a double-quoted HTML attribute (single quotes stay as they are)."""
    return escape(value, quote=False).replace('"', "&quot;")


class LinkRewriter(HTMLParser):
    """Collects, for each start tag with a URL attribute, the tag rewritten with absolute URLs."""

    def __init__(self, absolute: Callable[[str], str]) -> None:
        super().__init__(convert_charrefs=True)
        self.absolute = absolute
        # ((line, column) of the tag, its length in the source, the tag to put there)
        self.edits: list[tuple[tuple[int, int], int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rewrite(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rewrite(tag, attrs, self_closing=True)

    def rewrite(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        """Record the tag again with absolute URLs, if that changes any of them."""
        changed = False
        new_attrs: list[tuple[str, str | None]] = []
        for name, value in attrs:
            new_value = value
            if value is not None:
                if name in URL_ATTRIBUTES:
                    new_value = self.absolute(value)
                elif name in SRCSET_ATTRIBUTES:
                    new_value = absolute_srcset(value, self.absolute)
                elif name == "style":
                    new_value = CSS_URL.sub(
                        lambda m: f"url({m[1]}{self.absolute(m[2])}{m[1]})", value
                    )
            changed = changed or new_value != value
            new_attrs.append((name, new_value))
        if not changed:
            return
        source = self.get_starttag_text() or ""
        parts = [tag] + [
            name if value is None else f'{name}="{attribute_value(value)}"'
            for name, value in new_attrs
        ]
        text = "<" + " ".join(parts) + (" />" if self_closing else ">")
        self.edits.append((self.getpos(), len(source), text))


class RssUpdatedFeed(BaseExtension):
    """Feed half of the `atom:updated` extension for RSS items (nothing at feed level)."""

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}


class RssUpdatedEntry(BaseEntryExtension):
    """`<atom:updated>` in an RSS item: RSS 2.0 has no element for a post's last change."""

    def __init__(self) -> None:
        self.value: datetime | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def extend_rss(self, item):
        if self.value is not None:
            xml_elem(f"{{{ATOM_NS}}}updated", item).text = self.value.isoformat()
        return item


def build_feed(
    kind: FeedKind,
    posts: Sequence[FeedPost],
    settings: FeedSettings,
    *,
    self_path: str,
    page_path: str = "/",
    tag_name: str | None = None,
) -> bytes:
    """The RSS 2.0 or Atom 1.0 document for `posts`, newest first as given.

    `self_path` is where the feed itself lives, `page_path` the HTML page it mirrors (both
    paths under the site URL); `tag_name` makes it that tag's feed.
    """
    site_url = settings.site_url.rstrip("/")
    title = settings.title if tag_name is None else f"{settings.title} — {tag_name}"
    description = (
        settings.description
        if tag_name is None
        else f"Posts tagged “{tag_name}” on {settings.title}."
    )
    self_url = site_url + self_path

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("rss_updated", RssUpdatedFeed, RssUpdatedEntry, atom=False, rss=True)
    fg.id(self_url)
    fg.title(xml_text(title))
    fg.description(xml_text(description) or xml_text(title))
    fg.author(name=xml_text(settings.author))
    fg.language(xml_text(settings.language))
    fg.generator("microblog")
    if settings.ttl_minutes:
        fg.ttl(settings.ttl_minutes)
    # feedgen's RSS <link> is the last link given, so the self link goes first.
    fg.link(href=self_url, rel="self", type=MIMETYPES[kind])
    fg.link(href=site_url + page_path, rel="alternate", type="text/html")
    fg.updated(newest_change(posts) or EPOCH)

    for post in posts:
        add_entry(fg, post, settings, site_url)

    if kind == "rss":
        return fg.rss_str(pretty=False)
    return fg.atom_str(pretty=False)


def add_entry(fg: FeedGenerator, post: FeedPost, settings: FeedSettings, site_url: str) -> None:
    """Add `post` to `fg` as the next (older) entry."""
    url = site_url + post.permalink
    published = as_utc(post.published_at)
    updated = entry_updated(post)
    author = xml_text(settings.author)

    fe = fg.add_entry(order="append")
    # The permalink URL is the post's identity: it survives a re-import, a database id may not.
    fe.id(url)
    fe.guid(url, permalink=True)
    fe.title(xml_text(post.title).strip() or url)
    fe.link(href=url, rel="alternate", type="text/html")
    fe.published(published)
    fe.updated(updated)
    fe.rss_updated.value = updated
    fe.author(name=author)
    fe.dc.dc_creator(author)
    for name in post.tag_names or []:
        name = xml_text(name).strip()
        if name:
            fe.category(term=name)

    excerpt = absolutize_html(xml_text(post.excerpt_html), site_url, url)
    if excerpt.strip():
        fe.summary(excerpt, type="html")
    if settings.full_text:
        body = absolutize_html(xml_text(post.body_html), site_url, url)
        if body.strip():
            fe.content(body, type="html")
