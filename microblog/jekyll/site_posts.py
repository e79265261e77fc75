"""`site.posts`, `site.categories` and `site.tags` for a whole site's Liquid, as Jekyll
gives them: every published post (drafts with `show_drafts`, `published: false` ones with
`unpublished`, those dated in the future with `future`), newest first (date, then path),
each with its front matter and Jekyll's fields (`title`, `url`, `date`, `categories`,
`tags`, `slug`, `id`, `path`, `excerpt`); `categories` and `tags` map each name to its
posts, newest first.

Made once per import, and only when some text asks for them. A post's `content` is not
given (Jekyll renders every post before any layout sees it; here each post is rendered
once, alone), nor `next`/`previous`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from microblog.jekyll import fields
from microblog.jekyll.errors import NotAPost, PostError
from microblog.jekyll.files import decode
from microblog.jekyll.front_matter import load_yaml, split_front_matter
from microblog.jekyll.liquid import JekyllTime
from microblog.jekyll.markdown import excerpt_source, render_markdown
from microblog.jekyll.settings import SiteSettings


@dataclass
class PostFile:
    """What a site knows of one post file before reading it."""

    root: Path
    relative: PurePosixPath
    defaults: dict[str, Any]
    folder_categories: list[str]
    draft: bool


def post_drop(post: PostFile, settings: SiteSettings, now: datetime) -> dict[str, Any] | None:
    """One post as Liquid sees it in `site.posts`; None when Jekyll would not publish it."""
    try:
        text = decode((post.root / post.relative).read_bytes()).replace("\r\n", "\n")
        try:
            front, body = split_front_matter(text)
        except NotAPost:
            front, body = "", text
        meta = {**post.defaults, **load_yaml(front)}
        name = fields.file_name(post.relative)
        mtime = (post.root / post.relative).stat().st_mtime if post.draft else None
        fallback = datetime.fromtimestamp(mtime, UTC) if mtime is not None else None
        date = fields.date_of(meta, name, settings.zone, [], fallback)
        slug = fields.slug_of(meta, name)
        categories = list(dict.fromkeys([*post.folder_categories, *fields.categories_of(meta)]))
        url = fields.permalink_of(meta, settings, date, slug, categories)
    except (NotAPost, PostError, OSError, ValueError):
        return None  # not a post Jekyll publishes: never a reason to refuse the one asking
    if (post.draft and not settings.show_drafts) or (date > now and not settings.future):
        return None
    if fields.is_draft_of(meta) and not settings.unpublished:
        return None
    excerpt = fields.excerpt_of(meta)
    if excerpt is None:
        try:
            source = excerpt_source(
                body, fields.excerpt_separator_of(meta) or settings.excerpt_separator
            )
            excerpt = render_markdown(source, options=settings.markdown)
        except PostError:
            excerpt = ""
    return {
        **meta,
        "title": fields.title_of(meta, slug),
        "url": url,
        "date": JekyllTime.of(date.astimezone(settings.zone)),
        "categories": categories,
        "tags": fields.tags_of(meta),
        "slug": slug,
        "id": posixpath.join(posixpath.dirname(url.rstrip("/")), slug),
        "path": str(post.relative),
        "excerpt": excerpt,
        "draft": post.draft,
    }


def site_posts(posts: Iterable[PostFile], settings: SiteSettings) -> list[dict[str, Any]]:
    """`site.posts`: newest first, as Jekyll sorts them (date, then path)."""
    now = datetime.now(UTC)
    drops = [drop for post in posts if (drop := post_drop(post, settings, now)) is not None]
    return sorted(drops, key=lambda drop: (drop["date"], drop["path"]), reverse=True)


def grouped(posts: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    """`site.categories` / `site.tags`: each name → its posts, newest first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for post in posts:
        for name in post[key]:
            groups.setdefault(str(name), []).append(post)
    return groups


def lazy_site_posts(
    make: Callable[[], list[dict[str, Any]]],
) -> dict[str, Callable[[], Any]]:
    """The lazy `site.*` values: `posts`, `categories`, `tags`, each made once on first use."""
    made: dict[str, Any] = {}

    def posts() -> list[dict[str, Any]]:
        if "posts" not in made:
            made["posts"] = make()
        return made["posts"]  # type: ignore[no-any-return]

    def group(key: str) -> Callable[[], Any]:
        def value() -> Any:
            if key not in made:
                made[key] = grouped(posts(), key)
            return made[key]

        return value

    return {"posts": posts, "categories": group("categories"), "tags": group("tags")}
