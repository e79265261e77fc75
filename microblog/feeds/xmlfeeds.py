"""RSS 2.0 and Atom 1.0 documents with feedgen: posts and settings in, bytes out.

Two feedgen 1.0 gaps are filled by extensions here: RSS carries only the `self` `atom:link`
(the paging and hub links are added), and Atom entry links lose their `rel` and `type`
(a known bug of that version: `FeedEntry.atom_entry` reads them from the new element
instead of the given dict), so entry links are written by an extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from microblog.feeds.entries import (
    EPOCH,
    MIMETYPES,
    FeedPost,
    FeedSettings,
    entry_updated,
    newest_change,
    note_title,
    post_authors,
    post_terms,
    post_title,
    post_url,
    xml_text,
)
from microblog.feeds.html_links import absolutize_html
from microblog.feeds.paging import FeedScope
from microblog.feeds.uris import uri
from microblog.timeutil import in_zone

ATOM_NS = "http://www.w3.org/2005/Atom"
# (rel, href, type or None) of one link.
Link = tuple[str, str, str | None]


class FeedLinks(BaseExtension):  # type: ignore[misc]  # feedgen ships no types
    """The feed's paging and hub links; in RSS as `atom:link` (feedgen writes only `self`)."""

    def __init__(self) -> None:
        self.links: list[Link] = []

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def extend_rss(self, feed: Any) -> Any:
        channel = feed.find("channel")
        self_link = channel.find(f"{{{ATOM_NS}}}link")
        position = list(channel).index(self_link) + 1 if self_link is not None else len(channel)
        for offset, (rel, href, kind) in enumerate(self.links):
            link = xml_elem(f"{{{ATOM_NS}}}link", None, rel=rel, href=href)
            if kind:
                link.set("type", kind)
            channel.insert(position + offset, link)
        return feed

    def extend_atom(self, feed: Any) -> Any:
        return feed  # Atom takes them through `FeedGenerator.link`


class EntryExtras(BaseEntryExtension):  # type: ignore[misc]  # feedgen ships no types
    """Per entry: `<atom:updated>` in RSS (RSS 2.0 has no element for a post's last change),
    and in Atom the entry's links with their `rel` and `type`."""

    def __init__(self) -> None:
        self.updated: datetime | None = None
        self.links: list[Link] = []

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def extend_rss(self, item: Any) -> Any:
        if self.updated is not None:
            xml_elem(f"{{{ATOM_NS}}}updated", item).text = self.updated.isoformat()
        return item

    def extend_atom(self, entry: Any) -> Any:
        # feedgen builds entries in no namespace; the feed's default namespace covers them.
        for old in entry.findall("link"):
            entry.remove(old)
        # Right after <updated>, where feedgen would have put them.
        position = list(entry).index(entry.find("updated")) + 1
        for offset, (rel, href, kind) in enumerate(self.links):
            link = xml_elem("link", None, rel=rel, href=href)
            if kind:
                link.set("type", kind)
            entry.insert(position + offset, link)
        return entry


def build_xml_feed(
    kind: Literal["rss", "atom"],
    posts: Sequence[FeedPost],
    settings: FeedSettings,
    scope: FeedScope,
) -> bytes:
    """The RSS 2.0 or Atom 1.0 document for `posts`, newest first as given, as the feed and
    page `scope` names."""
    site_url = settings.site_url.rstrip("/")
    page_path = scope.page_path
    feed_url = uri(site_url + scope.self_path)
    links = scope.page.links(feed_url)

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("feed_links", FeedLinks, EntryExtras, atom=True, rss=True)
    # The feed's identity is its first page's URL: every page belongs to the same feed.
    fg.id(feed_url)
    fg.title(xml_text(feed_title(settings, scope)))
    fg.description(xml_text(feed_description(settings, scope)) or xml_text(settings.title))
    fg.author(name=xml_text(settings.author))
    fg.language(xml_text(settings.language))
    fg.generator("microblog")
    if settings.ttl_minutes:
        fg.ttl(settings.ttl_minutes)
    # feedgen's RSS <link> is the last link given, so the self link goes first and the
    # page it mirrors last.
    fg.link(href=links.pop("self"), rel="self", type=MIMETYPES[kind])
    extra: list[Link] = [(rel, href, MIMETYPES[kind]) for rel, href in links.items()]
    if settings.hub_url:
        extra.append(("hub", uri(settings.hub_url), None))
    for rel, href, mimetype in extra:
        fg.link(href=href, rel=rel, **({"type": mimetype} if mimetype else {}))
    fg.feed_links.links = extra
    fg.link(href=uri(site_url + page_path), rel="alternate", type="text/html")
    fg.updated(in_zone(newest_change(posts) or EPOCH, settings.zone))

    for post in posts:
        add_entry(fg, post, settings, site_url, kind)

    document: bytes = fg.rss_str(pretty=False) if kind == "rss" else fg.atom_str(pretty=False)
    return document


def feed_title(settings: FeedSettings, scope: FeedScope) -> str:
    """The site's title, or the tag's or category's feed's."""
    name = scope.tag_name or scope.category_name
    return settings.title if name is None else f"{settings.title} — {name}"


def feed_description(settings: FeedSettings, scope: FeedScope) -> str:
    """The site's description, or the tag's or category's feed's."""
    if scope.tag_name is not None:
        return f"Posts tagged “{scope.tag_name}” on {settings.title}."
    if scope.category_name is not None:
        return f"Posts in “{scope.category_name}” on {settings.title}."
    return settings.description


def add_entry(
    fg: FeedGenerator,
    post: FeedPost,
    settings: FeedSettings,
    site_url: str,
    kind: Literal["rss", "atom"] = "atom",
) -> None:
    """Add `post` to `fg` as the next (older) entry.

    A note (no title) has no `<title>` in RSS, which allows none; Atom requires one, so it
    gets the note's first words (never its URL, which readers would show as a headline).
    """
    url = post_url(post, site_url)
    updated = in_zone(entry_updated(post), settings.zone)
    authors = post_authors(post, settings.author)

    fe = fg.add_entry(order="append")
    # The permalink URL is the post's identity: it survives a re-import, a database id may not.
    fe.id(url)
    fe.guid(url, permalink=True)
    title = post_title(post)
    if title is not None or kind == "atom":
        fe.title(title or note_title(post, zone=settings.zone))
    fe.link(href=url, rel="alternate", type="text/html")
    fe.comments(url + "#comments")
    fe.feed_links.links = [
        ("alternate", url, "text/html"),
        ("replies", url + "comments/feed.xml", "application/atom+xml"),
    ]
    fe.published(in_zone(post.published_at, settings.zone))
    fe.updated(updated)
    fe.feed_links.updated = updated
    for name in authors:
        fe.author(name=name)
    fe.dc.dc_creator(", ".join(authors))
    for term in post_terms(post):
        fe.category(term=term)

    # Relative links resolve against the page, whose URL is the encoded one.
    excerpt = absolutize_html(xml_text(post.excerpt_html), site_url, url)
    if excerpt.strip():
        fe.summary(excerpt, type="html")
    if settings.full_text:
        body = absolutize_html(xml_text(post.body_html), site_url, url)
        if body.strip():
            fe.content(body, type="html")
