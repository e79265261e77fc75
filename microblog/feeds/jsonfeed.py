"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): posts and settings in, bytes out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from microblog.feeds.entries import (
    FeedPost,
    FeedSettings,
    entry_updated,
    post_authors,
    post_terms,
    post_title,
    post_url,
    xml_text,
)
from microblog.feeds.html_links import absolutize_html
from microblog.feeds.paging import FeedScope
from microblog.feeds.uris import uri
from microblog.feeds.xmlfeeds import feed_description, feed_title
from microblog.timeutil import in_zone

VERSION = "https://jsonfeed.org/version/1.1"


def build_json_feed(posts: Sequence[FeedPost], settings: FeedSettings, scope: FeedScope) -> bytes:
    """The JSON Feed document for `posts`, newest first as given (arguments as `build_feed`)."""
    site_url = settings.site_url.rstrip("/")
    page_path = scope.page_path
    links = scope.page.links(uri(site_url + scope.self_path))
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": xml_text(feed_title(settings, scope)),
        "home_page_url": uri(site_url + page_path),
        "feed_url": links["self"],
        "description": xml_text(feed_description(settings, scope)),
        "language": xml_text(settings.language),
        "authors": [{"name": xml_text(settings.author)}],
    }
    # JSON Feed pages only forward; `next_url` is its whole paging vocabulary.
    if "next" in links:
        feed["next_url"] = links["next"]
    if settings.hub_url:
        feed["hubs"] = [{"type": "WebSub", "url": uri(settings.hub_url)}]
    feed["items"] = [json_item(post, settings, site_url) for post in posts]
    # ensure_ascii=False keeps non-ASCII text readable and short; `xml_text` removed the
    # lone surrogates that UTF-8 could not encode.
    return json.dumps(feed, ensure_ascii=False, indent=1).encode()


def json_item(post: FeedPost, settings: FeedSettings, site_url: str) -> dict[str, Any]:
    """One post as a JSON Feed item."""
    url = post_url(post, site_url)
    html = post.body_html if settings.full_text else post.excerpt_html
    item: dict[str, Any] = {
        "id": url,
        "url": url,
        "content_html": absolutize_html(xml_text(html), site_url, url),
        "date_published": in_zone(post.published_at, settings.zone).isoformat(),
        "date_modified": in_zone(entry_updated(post), settings.zone).isoformat(),
        "authors": [{"name": name} for name in post_authors(post, settings.author)],
    }
    title = post_title(post)
    if title is not None:  # a note has none: JSON Feed items need no title
        item = {"id": url, "url": url, "title": title} | item
    terms = post_terms(post)
    if terms:
        item["tags"] = terms
    return item
