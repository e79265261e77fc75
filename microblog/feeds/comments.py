"""A post's approved comments as an Atom feed: comments in, bytes out (feedgen).

Kept apart from the post feeds (the post feeds) so the two can change independently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from feedgen.feed import FeedGenerator

from microblog.feeds.entries import note_title, xml_text
from microblog.feeds.uris import uri
from microblog.timeutil import as_utc, in_zone

if TYPE_CHECKING:  # the feed reads rows, it never queries
    from microblog.models import Comment, Post


@dataclass(frozen=True)
class FeedSite:
    """What a feed says about the site."""

    url: str  # absolute, no trailing slash
    title: str
    language: str = "en"
    # The WebSub hub the comment feeds name (`rel="hub"`), as the post feeds do.
    hub_url: str | None = None
    # Dates are written as wall-clock time in this zone, with its offset (TIMEZONE).
    zone: tzinfo = UTC


def comment_url(site: FeedSite, post: Post, comment: Comment) -> str:
    """The absolute address of one comment on its post's page."""
    return uri(f"{site.url}{post.permalink}#comment-{comment.id}")


def comments_feed_updated(post: Post, comments: Sequence[Comment]) -> datetime:
    """The feed's time: its newest comment's, or the post's when it has none."""
    times = [as_utc(c.status_changed_at or c.created_at) for c in comments]
    return max(times, default=as_utc(post.changed_at))


def comments_atom(site: FeedSite, post: Post, comments: Sequence[Comment]) -> bytes:
    """An Atom 1.0 feed of `comments` (approved, oldest first) on `post`."""
    # Titles, names and permalinks may hold what XML forbids (a control character in a
    # post's title): dropped from text, percent-encoded in URLs, never a 500.
    post_url = uri(f"{site.url}{post.permalink}")
    feed_url = f"{post_url}comments/feed.xml"
    fg = FeedGenerator()
    fg.id(feed_url)
    fg.title(
        xml_text(f"Comments on “{post.title or note_title(post, zone=site.zone)}” — {site.title}")
    )
    fg.link(href=post_url, rel="alternate", type="text/html")
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    if site.hub_url:
        fg.link(href=uri(site.hub_url), rel="hub")
    fg.language(site.language)
    fg.updated(in_zone(comments_feed_updated(post, comments), site.zone))
    for comment in comments:
        entry = fg.add_entry(order="append")
        url = comment_url(site, post, comment)
        entry.id(url)
        entry.link(href=url, rel="alternate", type="text/html")
        name = xml_text(comment.author_name).strip() or "Anonymous"
        entry.title(f"Comment by {name}")
        entry.author({"name": name})
        entry.published(in_zone(comment.created_at, site.zone))
        entry.updated(in_zone(comment.status_changed_at or comment.created_at, site.zone))
        entry.content(xml_text(comment.body_html), type="html")
    document: bytes = fg.atom_str(pretty=True)
    return document


@dataclass(frozen=True)
class QueueEntry:
    """One waiting comment in the author's private feed, its content already rendered."""

    comment: Comment
    post: Post
    content_html: str


def moderation_atom(site: FeedSite, feed_url: str, entries: Sequence[QueueEntry]) -> bytes:
    """The author's private Atom feed of comments waiting for moderation, newest first."""
    fg = FeedGenerator()
    fg.id(f"{site.url}/admin/comments?status=pending")
    fg.title(f"Comments waiting — {site.title}")
    fg.link(
        href=f"{site.url}/admin/comments?status=pending",
        rel="alternate",
        type="text/html",
    )
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    fg.language(site.language)
    times = [as_utc(entry.comment.created_at) for entry in entries]
    fg.updated(in_zone(max(times, default=datetime(2000, 1, 1, tzinfo=UTC)), site.zone))
    for item in entries:
        entry = fg.add_entry(order="append")
        # Stable per comment and per moment it was last changed (an edit is a new entry).
        entry.id(f"{comment_url(site, item.post, item.comment)}/pending")
        entry.link(href=f"{site.url}/admin/comments?status=pending", rel="alternate")
        entry.title(f"{item.comment.author_name} on “{item.post.title}”")
        entry.author({"name": item.comment.author_name})
        entry.published(in_zone(item.comment.created_at, site.zone))
        entry.updated(in_zone(item.comment.created_at, site.zone))
        entry.content(item.content_html, type="html")
    document: bytes = fg.atom_str(pretty=True)
    return document
