"""A Jekyll post file → `PostSource`: front matter, the file name's date and slug, Liquid.

Decisions follow what Jekyll (4.x) does with the same file, so that what Jekyll would
publish is published here and what it would not is skipped or refused with a reason. The
rules live beside their concern: file names in `files.py`, the YAML block in
`front_matter.py`, each front-matter key in `fields.py`, dates in `dates.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from . import fields
from .errors import NotAPost, PostError
from .files import content_hash, decode, is_markdown, skip_reason_for_name, source_key_for
from .front_matter import json_safe, load_yaml, split_front_matter
from .liquid_minimal import render_liquid
from .post_input import PostInput
from .settings import SiteSettings

__all__ = [
    "NotAPost",
    "PostError",
    "PostSource",
    "SiteSettings",
    "parse_post",
    "render_liquid",
]


@dataclass(kw_only=True)
class PostSource(PostInput):
    """One Jekyll post, parsed and with its Liquid resolved, ready to render and store:
    the post itself plus the file it came from."""

    source_key: str
    source_path: str
    source_text: str
    content_hash: str
    warnings: list[str] = field(default_factory=list)


def resolve_liquid(
    body: str, excerpt: str | None, settings: SiteSettings, warnings: list[str]
) -> tuple[str, str | None]:
    """The body and excerpt with their Liquid resolved; what was dropped is one warning."""
    dropped: list[str] = []
    body = render_liquid(body, settings, dropped)
    if excerpt is not None:
        excerpt = render_liquid(excerpt, settings, dropped)
    if dropped:
        warnings.append(f"dropped Liquid it cannot run: {', '.join(dict.fromkeys(dropped))}")
    return body, excerpt


def parse_post(
    data: bytes,
    path: PurePath,
    settings: SiteSettings,
    *,
    source_key: str | None = None,
    source_path: str | None = None,
) -> PostSource:
    """Read one Jekyll file's bytes into a PostSource.

    Raises NotAPost for a file Jekyll would not treat as a post, PostError for a post that
    cannot be imported as written; both carry the reason for the report.
    """
    reason = skip_reason_for_name(path)
    if reason:
        raise NotAPost(reason)
    text = decode(data)
    front, body = split_front_matter(text.replace("\r\n", "\n"))
    meta = load_yaml(front)
    warnings: list[str] = []
    name = fields.file_name(path)
    slug = fields.slug_of(meta, name)
    published_at = fields.date_of(meta, name, settings.zone, warnings)
    title = fields.title_of(meta, slug)
    categories = fields.categories_of(meta)
    permalink = fields.permalink_of(meta, settings, published_at, slug, categories)
    redirects = fields.redirects_of(meta, permalink, warnings)
    last_modified_at = fields.last_modified_of(meta, settings.zone, warnings)
    body, excerpt = resolve_liquid(body, fields.excerpt_of(meta), settings, warnings)
    return PostSource(
        source_key=source_key or source_key_for(path),
        source_path=source_path if source_path is not None else str(path),
        source_text=text,
        content_hash=content_hash(data, settings),
        front_matter=json_safe(meta),
        body=body,
        is_markdown=is_markdown(path),
        title=title,
        slug=fields.short_slug(slug),
        published_at=published_at,
        permalink=permalink,
        tag_names=fields.tags_of(meta),
        categories=categories,
        is_draft=fields.is_draft_of(meta),
        comments_enabled=fields.comments_enabled_of(meta),
        excerpt=excerpt,
        excerpt_separator=fields.excerpt_separator_of(meta),
        redirect_from=redirects,
        last_modified_at=last_modified_at,
        warnings=warnings,
    )
