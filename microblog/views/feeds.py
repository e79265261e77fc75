"""Feed routes: site and per-tag RSS and Atom, with HTTP caching."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import Blueprint, abort, current_app
from werkzeug.wrappers import Response

from ..caching import cached_response
from ..extensions import db
from ..models import Post, Tag
from ..syndication import MIMETYPES, FeedKind, FeedSettings, build_feed, entry_updated
from ..timeutil import as_utc, now_utc
from .public import tag_or_404

bp = Blueprint("feeds", __name__)

FEED_FILES: dict[FeedKind, str] = {"rss": "feed.xml", "atom": "atom.xml"}


@bp.get("/feed.xml")
def site_rss() -> Response:
    """The whole site as RSS 2.0."""
    return feed_response("rss")


@bp.get("/atom.xml")
def site_atom() -> Response:
    """The whole site as Atom 1.0."""
    return feed_response("atom")


@bp.get("/tags/<slug>/feed.xml")
def tag_rss(slug: str) -> Response:
    """One tag's posts as RSS 2.0."""
    return feed_response("rss", slug)


@bp.get("/tags/<slug>/atom.xml")
def tag_atom(slug: str) -> Response:
    """One tag's posts as Atom 1.0."""
    return feed_response("atom", slug)


def feed_response(kind: FeedKind, slug: str | None = None) -> Response:
    """A feed from the response cache: a conditional request is answered without rendering."""
    config = current_app.config
    return cached_response(
        lambda: render_feed(kind, slug),
        MIMETYPES[kind],
        config["FEED_MAX_AGE"],
    )


def render_feed(kind: FeedKind, slug: str | None) -> tuple[bytes, datetime | None]:
    """The feed's bytes and its Last-Modified; an unknown or empty tag is a 404."""
    config = current_app.config
    now = now_utc()
    if slug is None:
        tag: Tag | None = None
        query = Post.published(now)
        page_path = "/"
    else:
        tag = tag_or_404(slug)
        query = Post.tagged(tag, now)
        page_path = f"/tags/{tag.slug}/"
    posts = db.session.execute(query.limit(config["FEED_MAX_ITEMS"])).scalars().all()
    if tag is not None and not posts:
        abort(404)
    body = build_feed(
        kind,
        posts,
        FeedSettings.from_config(config),
        self_path=page_path + FEED_FILES[kind],
        page_path=page_path,
        tag_name=tag.name if tag is not None else None,
    )
    return body, last_modified(posts)


def last_modified(posts: Sequence[Post]) -> datetime | None:
    """The feed's Last-Modified: its newest entry's change, or a later edit of any entry.

    An edit that leaves `last_modified_at` alone still changes the feed's bytes, so the
    rows' own `updated_at` counts too; a client that only sends If-Modified-Since then
    still gets the new copy.
    """
    return max(
        (max(entry_updated(post), as_utc(post.updated_at or post.published_at)) for post in posts),
        default=None,
    )
