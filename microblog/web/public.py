"""Public pages: the index, permalinks (and the site files under them), tags, sitemap and
robots.txt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Column, Select, func, select
from sqlalchemy.orm import undefer

from microblog.extensions import db
from microblog.feeds import entry_updated
from microblog.feeds.cards import shown_feature_image
from microblog.feeds.entries import post_authors
from microblog.feeds.uris import uri
from microblog.jekyll.slugs import tag_slug
from microblog.models import Category, Comment, Page, Post, Redirect, Tag, post_tags
from microblog.models.ids import parse_id
from microblog.posts import tombstones
from microblog.timeutil import now_utc
from microblog.web import fediverse, post_page
from microblog.web.caching import cached_page, cached_response
from microblog.web.media import media_response
from microblog.web.pages import page_at

# What a listing page lists the posts of.
Listed = TypeVar("Listed", Tag, Category)

bp = Blueprint("public", __name__)


@bp.before_app_request
def refuse_nul_in_path() -> None:
    """No URL with a NUL byte names anything here (and PostgreSQL text cannot hold one)."""
    if "\x00" in request.path:
        abort(404)


def current_endpoint() -> str:
    """The endpoint this request was routed to (set whenever a route matched)."""
    if request.endpoint is None:
        abort(404)
    return request.endpoint


PAGE_MAX = 100_000


def page_number() -> int:
    """The `?page=` argument of a listing, in its one canonical form (`?page=2`: ASCII
    digits, no leading zero). `?page=1` answers 301 to the URL without it; anything else
    (`01`, `²`, `１`, two `page` arguments) is a 404."""
    values = request.args.getlist("page")
    if not values:
        return 1
    number = parse_id(values[0], PAGE_MAX) if len(values) == 1 else None
    if number is None:
        abort(404)
    if number == 1:
        abort(redirect(url_for_page(1), code=301))
    return number


def comment_counts(posts: list[Post]) -> dict[int, int]:
    """How many approved comments each post of a listing has."""
    if not posts:
        return {}
    rows = db.session.execute(Comment.approved_counts([post.id for post in posts])).all()
    return {post_id: count for post_id, count in rows}


@bp.get("/")
def index() -> ResponseReturnValue:
    """Newest published posts with their excerpts, paginated."""
    number = page_number()

    def render() -> str:
        page = db.paginate(
            Post.published().options(undefer(Post.front_matter)),
            page=number,
            per_page=current_app.config["POSTS_PER_PAGE"],
            error_out=number > 1,
        )
        return render_template(
            "public/index.html", page=page, comment_counts=comment_counts(page.items)
        )

    return cached_page(render, paged=True)


@bp.get("/tags/")
def tags() -> ResponseReturnValue:
    """Every tag that has a published post, with its post count."""
    return cached_page(render_tag_index)


def render_tag_index() -> str:
    """The tag index page."""
    rows = published_counts(Tag, post_tags.c.tag_id)
    return render_template("public/tags.html", rows=rows)


def published_counts(kind: type[Tag] | type[Category], link: Column[int]) -> list[Any]:
    """(tag or category, how many published posts it has) for each one that has any, by
    name; `link` is the link table's column naming it (`post_tags.c.tag_id`)."""
    now = now_utc()
    return list(
        db.session.execute(
            select(kind, func.count(Post.id))
            .join(link.table, link == kind.id)
            .join(Post, Post.id == link.table.c.post_id)
            .where(Post.is_draft.is_(False), Post.published_at <= now)
            .group_by(kind.id)
            .order_by(func.lower(kind.name))
        ).all()
    )


def listing_page(posts: Select[Any], total: Select[Any], number: int) -> Pagination:
    """Page `number` of a tag's or a category's published posts (front matter loaded for
    the excerpts), with `total` counted by its own cheaper query; 404 past the last page."""
    page = db.paginate(
        posts.options(undefer(Post.front_matter)),
        page=number,
        per_page=current_app.config["POSTS_PER_PAGE"],
        count=False,
    )
    page.total = db.session.execute(total).scalar_one()
    if not page.items:
        abort(404)
    return page


def tag_or_404(slug: str) -> Tag:
    """The tag with this slug; a tag's name typed in its place answers 301 to it; else 404."""
    tag = db.session.execute(select(Tag).where(Tag.slug == slug)).scalar_one_or_none()
    if tag is None:
        canonical = tag_slug(slug)
        if (
            canonical != slug
            and db.session.execute(select(Tag.id).where(Tag.slug == canonical)).first()
        ):
            # Only the values this URL is built from: request arguments passed to url_for
            # would be read as its own options (`_external`, `_anchor`, `_scheme`…).
            values: dict[str, Any] = {**(request.view_args or {}), "slug": canonical}
            page = parse_id(request.args.get("page"), PAGE_MAX)
            if page is not None and page > 1:
                values["page"] = page
            abort(redirect(url_for(current_endpoint(), **values), code=301))
        abort(404)
    return tag


@bp.get("/tags/<slug>/")
def tag(slug: str) -> ResponseReturnValue:
    """The published posts with one tag."""
    return listing_response(
        "public/tag.html", "tag", lambda: tag_or_404(slug), Post.tagged, Post.count_tagged
    )


def listing_response(
    template: str,
    name: str,
    find: Callable[[], Listed],
    posts: Callable[[Listed, datetime], Select[Any]],
    total: Callable[[Listed, datetime], Select[Any]],
) -> ResponseReturnValue:
    """A tag's or a category's page of posts (`find` it, or 404/301), through the cache:
    `template` gets it as `name`, with the page of `posts` and their comment counts."""
    number = page_number()

    def render() -> str:
        found = find()
        now = now_utc()
        page = listing_page(posts(found, now), total(found, now), number)
        return render_template(
            template, **{name: found}, page=page, comment_counts=comment_counts(page.items)
        )

    return cached_page(render, paged=True)


@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    """Every published post and tag page, for crawlers."""
    return cached_response(lambda: (render_sitemap().encode(), None), "application/xml", 3600)


def render_sitemap() -> str:
    """The sitemap's XML."""
    posts = db.session.execute(
        # The columns entry_updated reads: the sitemap's lastmod is the "updated" the post's
        # page and feeds show (an edit in the app counts).
        Post.published().with_only_columns(
            Post.permalink,
            Post.published_at,
            Post.last_modified_at,
            Post.created_at,
            Post.updated_at,
        )
    ).all()
    # Only tags with a published post: the others' pages are 404s.
    now = now_utc()
    tag_slugs = (
        db.session.execute(
            select(Tag.slug)
            .join(post_tags, post_tags.c.tag_id == Tag.id)
            .join(Post, Post.id == post_tags.c.post_id)
            .where(Post.is_draft.is_(False), Post.published_at <= now)
            .group_by(Tag.slug)
            .order_by(Tag.slug)
        )
        .scalars()
        .all()
    )
    pages = db.session.execute(
        select(Page).where(Page.is_not_found.is_(False)).order_by(Page.permalink)
    ).scalars()
    return render_template("public/sitemap.xml", posts=posts, tag_slugs=tag_slugs, pages=pages)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Clients that ask for the classic icon path get the site's SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    """Let crawlers in, keep them out of the admin, point them at the sitemap."""
    body = render_template("public/robots.txt")
    return current_app.response_class(body, mimetype="text/plain")


@bp.get("/<path:path>")
def permalink(path: str) -> ResponseReturnValue:
    """A post at its permalink; the slash-less form and `redirect_from` paths answer 301."""
    path = "/" + path
    # An imported site's image or download, where no post has this path.
    media = media_response(path)
    if media is not None:
        return media
    # A fediverse server asking for the post as ActivityStreams JSON (never cached).
    activity = fediverse.activity_response_at(path)
    if activity is not None:
        return activity
    # "Reply" under a comment: the form answering it, on a private page.
    if "reply" in request.args:
        replying = post_page.reply_form_response_at(path)
        if replying is not None:
            return replying
    # A reader with comments awaiting moderation gets a private page, never the cached one.
    personal = post_page.personalised_post_response_at(path)
    if personal is not None:
        return personal
    # The page embeds the comment form's token: its cached copy must not outlive it, and its
    # ETag leaves it out (the same on every worker).
    lifetime = post_page.form_token_page_lifetime()
    return cached_page(
        lambda: render_post_at(path),
        lifetime=lifetime,
        equivalent=post_page.page_without_token,
        headers=fediverse.VARY_ACCEPT,
    )


def render_post_at(path: str) -> str:
    """The post page for `path`, or the HTTP answer that replaces it (301 or 404)."""
    post = Post.find_published(path)
    if post is not None:
        return post_page.shared_post_html(post)
    page = page_at(path)
    if page is not None:
        return render_template("public/page.html", page=page)
    if not path.endswith("/") and (
        Post.find_published(path + "/") is not None or page_at(path + "/") is not None
    ):
        abort(redirect(path + "/", code=301))
    old_paths = {path, path + "/"} if not path.endswith("/") else {path, path.rstrip("/")}
    old = db.session.execute(
        select(Redirect).where(Redirect.path.in_(old_paths)).limit(1)
    ).scalar_one_or_none()
    if old is not None and Post.find_published(old.post.permalink) is not None:
        abort(redirect(old.post.permalink, code=301))
    if tombstones.tombstone_at(db.session, old_paths) is not None:
        # Deleted on purpose: 410 tells search engines and Webmention receivers it is gone.
        abort(410, description="This post was deleted by its author.")
    abort(404)


def url_for_page(number: int) -> str:
    """The current listing's URL at another page number."""
    args = dict(request.view_args or {})
    endpoint = current_endpoint()
    return url_for(endpoint, **args, page=number) if number > 1 else url_for(endpoint, **args)


def author_photo_url(config: Any) -> str | None:
    """SITE_AUTHOR_PHOTO as an absolute URL (a path is on this site); None when unset."""
    photo = str(config.get("SITE_AUTHOR_PHOTO") or "").strip()
    if not photo:
        return None
    return (
        photo if "://" in photo else str(config["SITE_URL"]).rstrip("/") + "/" + photo.lstrip("/")
    )


@bp.app_context_processor
def site_context() -> dict[str, Any]:
    """Site settings every template may show."""
    config = current_app.config
    return {
        "site_title": config["SITE_TITLE"],
        "site_description": config["SITE_DESCRIPTION"],
        "site_author": config["SITE_AUTHOR"],
        "site_author_photo": author_photo_url(config),
        "site_url": config["SITE_URL"],
        "site_language": config["SITE_LANGUAGE"],
        "url_for_page": url_for_page,
        "site_author_bio": config.get("SITE_AUTHOR_BIO") or "",
        "site_links": site_links(str(config.get("SITE_LINKS") or "")),
        "theme_stylesheet": current_app.extensions.get("theme_stylesheet"),
    }


def site_links(setting: str) -> list[tuple[str, str]]:
    """`SITE_LINKS` ("Label=URL, Label=URL") as (label, URL) pairs; http(s) URLs only."""
    links = []
    for item in setting.split(","):
        label, _, url = item.partition("=")
        label, url = label.strip(), url.strip()
        if label and url.startswith(("https://", "http://")):
            links.append((label, url))
    return links


@bp.app_template_global("post_authors")
def template_post_authors(post: Post) -> list[str]:
    """Who wrote the post: its front matter's `author:`, else the site's author."""
    return post_authors(post, current_app.config["SITE_AUTHOR"])


bp.add_app_template_filter(tag_slug, "tag_slug")
# A post's feature image (front matter `image:` or Minimal Mistakes' `header.*`), if any.
bp.add_app_template_global(shown_feature_image, "feature_image")
bp.add_app_template_filter(uri, "uri")
# The post's last change as its feeds give it (shown as "updated", microformats' updated).
bp.add_app_template_global(entry_updated, "post_updated")
