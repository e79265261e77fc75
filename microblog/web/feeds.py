"""Feed routes: site and per-tag RSS, Atom and JSON Feed, paged (RFC 5005), with HTTP caching."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, request
from sqlalchemy import func, select
from sqlalchemy.orm import undefer
from werkzeug.wrappers import Response

from microblog.extensions import db
from microblog.feeds import (
    MIMETYPES,
    FeedKind,
    FeedPage,
    FeedScope,
    FeedSettings,
    build_feed,
    parse_page_argument,
)
from microblog.feeds.paging import page_url
from microblog.feeds.uris import uri
from microblog.models import Category, Post, SiteState, Tag
from microblog.timeutil import now_utc
from microblog.web.browse import category_or_404
from microblog.web.caching import cached_response
from microblog.web.public import tag_or_404

bp = Blueprint("feeds", __name__)

FEED_FILES: dict[FeedKind, str] = {
    "rss": "feed.xml",
    "atom": "atom.xml",
    "json": "feed.json",
}


@bp.get("/feed.xml")
def site_rss() -> Response:
    """The whole site as RSS 2.0."""
    return feed_response("rss")


@bp.get("/atom.xml")
def site_atom() -> Response:
    """The whole site as Atom 1.0."""
    return feed_response("atom")


@bp.get("/feed.json")
def site_json() -> Response:
    """The whole site as JSON Feed 1.1."""
    return feed_response("json")


@bp.get("/tags/<slug>/feed.xml")
def tag_rss(slug: str) -> Response:
    """One tag's posts as RSS 2.0."""
    return feed_response("rss", slug)


@bp.get("/tags/<slug>/atom.xml")
def tag_atom(slug: str) -> Response:
    """One tag's posts as Atom 1.0."""
    return feed_response("atom", slug)


@bp.get("/tags/<slug>/feed.json")
def tag_json(slug: str) -> Response:
    """One tag's posts as JSON Feed 1.1."""
    return feed_response("json", slug)


@bp.get("/categories/<slug>/feed.xml")
def category_rss(slug: str) -> Response:
    """One Jekyll category's posts as RSS 2.0."""
    return feed_response("rss", slug, category=True)


@bp.get("/categories/<slug>/atom.xml")
def category_atom(slug: str) -> Response:
    """One Jekyll category's posts as Atom 1.0."""
    return feed_response("atom", slug, category=True)


@bp.get("/categories/<slug>/feed.json")
def category_json(slug: str) -> Response:
    """One Jekyll category's posts as JSON Feed 1.1."""
    return feed_response("json", slug, category=True)


def feed_response(kind: FeedKind, slug: str | None = None, *, category: bool = False) -> Response:
    """A feed page from the response cache: a conditional request is answered without rendering.

    Page 1 is the bare URL; `?page=N` (N ≥ 2, written without leading zeros) the older
    pages; any other `page` argument is a 404, so each page has one address.
    """
    number = parse_page_argument(request.args.get("page"))
    if number is None:
        abort(404)
    config = current_app.config
    return cached_response(
        lambda: render_feed(kind, slug, number, category=category),
        MIMETYPES[kind],
        config["FEED_MAX_AGE"],
        headers=websub_links(number),
        paged=True,
    )


def websub_links(number: int) -> list[tuple[str, str]]:
    """With `WEBSUB_HUB` set, the `Link` header that names the hub and the feed (the topic)
    for subscribers that read headers before bodies (WebSub 4: discovery)."""
    hub = current_app.config.get("WEBSUB_HUB")
    if not hub:
        return []
    site_url = str(current_app.config["SITE_URL"]).rstrip("/")
    topic = page_url(uri(site_url + request.path), number)
    return [("Link", f'<{uri(hub)}>; rel="hub", <{topic}>; rel="self"')]


def render_feed(
    kind: FeedKind, slug: str | None, number: int, *, category: bool = False
) -> tuple[bytes, datetime | None]:
    """Page `number` of the feed and its Last-Modified; an unknown tag or page is a 404."""
    config = current_app.config
    per_page = max(1, int(config["FEED_MAX_ITEMS"]))
    now = now_utc()
    category_name = None
    tag: Tag | None = None
    if category and slug is not None:
        filed = category_or_404(slug)
        query = Category.filed(filed, now)
        total = db.session.execute(Category.count_filed(filed, now)).scalar_one()
        if not total:
            abort(404)
        page_path = f"/categories/{filed.slug}/"
        category_name = filed.name
    elif slug is None:
        query = Post.published(now)
        total = db.session.execute(
            select(func.count()).select_from(query.order_by(None).subquery())
        ).scalar_one()
        page_path = "/"
    else:
        tag = tag_or_404(slug)
        query = Post.tagged(tag, now)
        total = db.session.execute(Post.count_tagged(tag, now)).scalar_one()
        page_path = f"/tags/{tag.slug}/"
    # A tag whose posts all became drafts keeps a valid, empty feed: its subscribers' readers
    # would call a 404 a broken subscription. A tag only ever on drafts is not known.
    if tag is not None and not total and not tag.published_once:
        abort(404)
    page = FeedPage.of(number, total, per_page)
    if not page.exists:
        abort(404)
    posts = (
        db.session.execute(
            query.options(undefer(Post.front_matter)).limit(per_page).offset(page.offset(per_page))
        )
        .scalars()
        .all()
    )
    body = build_feed(
        kind,
        posts,
        FeedSettings.from_config(config),
        FeedScope(
            self_path=page_path + FEED_FILES[kind],
            page_path=page_path,
            tag_name=tag.name if tag is not None else None,
            category_name=category_name,
            page=page,
        ),
    )
    # The site's last change, not the newest entry's: when an entry leaves the feed (made a
    # draft, deleted), Last-Modified must not move backwards, or a reader sending only
    # If-Modified-Since would keep the copy that still shows it.
    return body, SiteState.last_change(now)
