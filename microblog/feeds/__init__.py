"""The site's feeds: posts and the site's feed settings in, RSS / Atom / JSON Feed bytes out.

Knows no request and no view. The same posts and settings always give the same bytes (no
clock is read), so a feed's ETag only changes when something a reader sees changes.

- `entries`: what every format says about the site and a post (dates, authors, terms, URL)
- `html_links`: relative links in a post's HTML made absolute
- `paging`: RFC 5005 pages (`?page=N`) and their links
- `xmlfeeds`: RSS 2.0 and Atom 1.0 (feedgen); `jsonfeed`: JSON Feed 1.1
"""

from __future__ import annotations

from collections.abc import Sequence

from microblog.feeds.entries import (
    MIMETYPES,
    FeedKind,
    FeedPost,
    FeedSettings,
    entry_updated,
    newest_change,
    xml_text,
)
from microblog.feeds.html_links import absolute_srcset, absolute_url, absolutize_html
from microblog.feeds.jsonfeed import build_json_feed
from microblog.feeds.paging import FeedPage, FeedScope, parse_page_argument
from microblog.feeds.xmlfeeds import build_xml_feed

__all__ = [
    "MIMETYPES",
    "FeedKind",
    "FeedPage",
    "FeedPost",
    "FeedScope",
    "FeedSettings",
    "absolute_srcset",
    "absolute_url",
    "absolutize_html",
    "build_feed",
    "entry_updated",
    "newest_change",
    "parse_page_argument",
    "xml_text",
]


def build_feed(
    kind: FeedKind, posts: Sequence[FeedPost], settings: FeedSettings, scope: FeedScope
) -> bytes:
    """The `kind` document (rss, atom or json) for `posts`, newest first as given, as the
    feed and page `scope` names."""
    if kind == "json":
        return build_json_feed(posts, settings, scope)
    return build_xml_feed(kind, posts, settings, scope)
