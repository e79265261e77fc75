"""Micropub actions → the one writer of posts, and a post → its Micropub properties.

An h-entry's `name`, `content`, `category`, `published` and `post-status` are the post's
title, body, tags, date and draft switch; any other property is kept in the post's front
matter (so `q=source` and an export give it back). An update is applied to the post's
properties as `q=source` shows them, then saved over the version it was read at.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from microblog.extensions import db
from microblog.indieweb.micropub import (
    Create,
    Update,
    apply_update,
    entry_fields,
    invalid,
    photo_urls,
)
from microblog.indieweb.photos import queue_remote_photos
from microblog.jekyll.settings import SiteSettings
from microblog.models import Post
from microblog.posts import tombstones
from microblog.posts.notes import with_free_address
from microblog.posts.writer import PostInput, PostRejected, PostWriter
from microblog.timeutil import now_utc

# Front matter keys Jekyll (or the importer) gives a meaning; never shown as properties.
JEKYLL_KEYS = frozenset(
    {
        "title",
        "date",
        "permalink",
        "tags",
        "tag",
        "categories",
        "category",
        "published",
        "comments",
        "redirect_from",
        "last_modified_at",
        "slug",
        "excerpt",
        "excerpt_separator",
        "layout",
    }
)


def properties_of(post: PostInput, settings: SiteSettings) -> dict[str, list[Any]]:
    """The post as Micropub properties (what `q=source` answers)."""
    properties: dict[str, list[Any]] = {}
    if post.title:
        properties["name"] = [post.title]
    properties["content"] = [post.body]
    if post.tag_names:
        properties["category"] = list(post.tag_names)
    local = post.published_at.astimezone(settings.zone)
    properties["published"] = [local.isoformat()]
    properties["post-status"] = ["draft" if post.is_draft else "published"]
    for name, value in (post.front_matter or {}).items():
        if name not in JEKYLL_KEYS and name not in properties:
            properties[name] = value if isinstance(value, list) else [value]
    return properties


def source_properties(post: Post, settings: SiteSettings) -> dict[str, list[Any]]:
    """A stored post's properties."""
    return properties_of(PostWriter(settings).input_of(post.id), settings)


def kept_front_matter(base: PostInput | None, extra: dict[str, list[Any]]) -> dict[str, Any]:
    """The post's Jekyll keys as they were, then the Micropub properties it has no field for."""
    kept = {k: v for k, v in (base.front_matter if base else {}).items() if k in JEKYLL_KEYS}
    return {**kept, **extra}


def save(writer: PostWriter, post: PostInput, **where: Any) -> str:
    """Save through the writer; a refusal is the client's invalid_request."""
    try:
        return writer.save(post, **where).permalink
    except PostRejected as exc:
        raise invalid(str(exc)) from None


def create(action: Create, settings: SiteSettings) -> str:
    """Store a new post from an h-entry; returns its permalink."""
    fields = entry_fields(action.properties, settings.zone)
    post = PostInput(
        title=fields.title or "",
        body=fields.body,
        published_at=fields.published_at or now_utc().replace(microsecond=0),
        slug=fields.slug or "",
        tag_names=fields.tags,
        is_draft=fields.is_draft,
        front_matter=kept_front_matter(None, fields.extra),
    )
    writer = PostWriter(settings)
    path = save(writer, with_free_address(writer, post))
    remote = photo_urls(action.properties)
    if remote:
        post_id = writer.session.execute(select(Post.id).where(Post.permalink == path)).scalar_one()
        queue_remote_photos(post_id, remote, settings.site_url)
    return path


def update(post: Post, action: Update, settings: SiteSettings) -> str:
    """Apply an update to the post's properties and save it; returns its permalink."""
    writer = PostWriter(settings)
    base = writer.input_of(post.id)
    fields = entry_fields(apply_update(properties_of(base, settings), action), settings.zone)
    changed = replace(
        base,
        title=fields.title or "",
        body=fields.body,
        published_at=fields.published_at or base.published_at,
        tag_names=fields.tags,
        is_draft=fields.is_draft,
        front_matter=kept_front_matter(base, fields.extra),
    )
    return save(writer, changed, post_id=post.id, expected_version=post.version)


def delete(post: Post, settings: SiteSettings) -> None:
    """Remove the post with its comments (its address keeps a tombstone: 410 Gone)."""
    PostWriter(settings).delete([post.id])


def undelete(paths: set[str], settings: SiteSettings) -> str:
    """Bring back the post deleted at one of `paths`, as it was; returns its permalink.

    Its comments went with it; a post written at that address since is never replaced.
    """
    grave = tombstones.tombstone_at(db.session, paths)
    if grave is None:
        raise invalid("no deleted post was at that URL")
    post = tombstones.input_from(grave.snapshot)
    writer = PostWriter(settings)
    permalink = save(writer, post)
    tombstones.clear(db.session, grave.permalink)
    return permalink
