"""A Jekyll post file → `PostSource`: front matter, the file name's date and slug, Liquid.

Decisions follow what Jekyll (4.x) does with the same file, so that what Jekyll would
publish is published here and what it would not is skipped or refused with a reason. The
rules live beside their concern: file names in `files.py`, the YAML block in
`front_matter.py`, each front-matter key in `fields.py`, dates in `dates.py`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from microblog.jekyll import fields
from microblog.jekyll.differences import heading_plugin_differences, rendering_differences
from microblog.jekyll.errors import NotAPost, PostError
from microblog.jekyll.files import (
    content_hash,
    decode,
    in_drafts_folder,
    in_posts_folder,
    is_markdown,
    skip_reason_for_name,
    source_key_for,
)
from microblog.jekyll.front_matter import json_safe, load_yaml, split_front_matter
from microblog.jekyll.liquid import (
    JekyllTime,
    LiquidContext,
    SiteContext,
    render_liquid,
)
from microblog.jekyll.markdown import excerpt_source
from microblog.jekyll.post_input import PostInput
from microblog.jekyll.settings import SiteSettings

__all__ = [
    "NotAPost",
    "PostError",
    "PostSource",
    "SiteSettings",
    "parse_post",
    "render_liquid",
    "site_context_for",
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


def site_context_for(settings: SiteSettings) -> SiteContext:
    """The Liquid site of a folder imported without its site: `site.url` and `baseurl`
    from SITE_URL, and `post_url` from the named file's date and slug."""

    def post_url(name: str) -> str | None:
        found = fields.file_name(PurePath(name.split("/")[-1] + ".md"))
        if found.date is None:
            return None
        date = fields.date_of({}, found, settings.zone, [])
        return fields.permalink_of({}, settings, date, found.slug, [])

    variables = {"url": settings.site_url.removesuffix(settings.base_path)}
    return SiteContext(variables={**variables, "baseurl": settings.base_path}, post_url=post_url)


def resolve_liquid(body: str, context: LiquidContext, warnings: list[str]) -> str:
    """The body with its Liquid run (Jekyll's order: before Markdown; a front matter
    `excerpt` is used as written, Liquid and all, as Jekyll uses it)."""
    result = render_liquid(body, context)
    warnings.extend(result.warnings)
    return result.text


# No text holds it (decode refuses NUL): an excerpt separator that is never found.
NEVER_FOUND = "\x00"


def excerpt_separator_in(text: str, own: str | None, settings: SiteSettings) -> str | None:
    """The post's excerpt separator; in a file with CRLF line ends, Jekyll looks for it in
    the CRLF text, where "\\n\\n" (its default) is never found: the excerpt is the whole
    post."""
    separator = own or settings.excerpt_separator or "\n\n"
    if "\r\n" in text and separator not in text:
        return NEVER_FOUND
    return own


LIQUID_TAG_NAME = re.compile(r"\{%-?\s*(\w+)\s*.*?-?%\}", re.DOTALL)
BLOCK_TAGS = frozenset(
    {"if", "unless", "for", "case", "capture", "raw", "comment", "highlight", "tablerow"}
)


def excerpt_with_liquid(
    raw_body: str,
    own_separator: str | None,
    settings: SiteSettings,
    liquid: LiquidContext,
) -> str | None:
    """Jekyll cuts a post's excerpt from its text before any Liquid runs, closes the
    Liquid blocks the cut leaves open, then runs the excerpt's Liquid on its own (a first
    paragraph that is an `{% assign %}` is an empty excerpt). None when the text holds
    no Liquid (the excerpt is then cut from the body, the same thing for less work)."""
    if "{%" not in raw_body and "{{" not in raw_body:
        return None
    head = excerpt_source(raw_body, own_separator or settings.excerpt_separator)
    if "{%" in head:
        names = LIQUID_TAG_NAME.findall(head)
        for name in reversed(names):
            if name in BLOCK_TAGS and not re.search(r"\{%-?\s*end" + name, head):
                head += "\n{% end" + name + " %}"  # Jekyll's sanctify_liquid_tags
    try:
        return render_liquid(head, liquid).text
    except PostError:
        return None


def page_variables(meta: dict[str, Any], **facts: Any) -> dict[str, Any]:
    """`page.*`: the front matter and what the app made of it (Jekyll's page fields)."""
    published_at: datetime = facts.pop("published_at")
    date = JekyllTime.of(published_at.astimezone(facts.pop("zone")))
    page_id = posixpath.join(posixpath.dirname(facts["url"].rstrip("/")), facts["slug"])
    return {**meta, **facts, "date": date, "id": page_id}


def parse_post(
    data: bytes,
    path: PurePath,
    settings: SiteSettings,
    *,
    source_key: str | None = None,
    source_path: str | None = None,
    site: SiteContext | None = None,
    defaults: Mapping[str, Any] | None = None,
    folder_categories: Sequence[str] = (),
    draft_date: datetime | None = None,
    rewriting_plugins: Sequence[str] = (),
    header_plugins: Sequence[str] = (),
) -> PostSource:
    """Read one Jekyll file's bytes into a PostSource.

    Raises NotAPost for a file Jekyll would not treat as a post, PostError for a post that
    cannot be imported as written; both carry the reason for the report. `site` is what
    the whole site gives its Liquid (`_config.yml`, `_data`, `_includes`, other posts);
    `defaults` the `_config.yml` defaults that apply to the file (its front matter wins),
    `folder_categories` the folders above its `_posts`; `draft_date` makes it a `_drafts`
    post (a draft, dated by its file unless its front matter says); `rewriting_plugins` the
    site's own `_plugins` that rewrite every post (site_plugins.py), named in its warnings;
    `header_plugins` those that rewrite kramdown's headings.
    """
    reason = skip_reason_for_name(path)
    if reason:
        raise NotAPost(reason)
    text = decode(data)
    lf_text = text.replace("\r\n", "\n")
    try:
        front, body = split_front_matter(lf_text)
    except NotAPost:
        if not in_posts_folder(path) and not in_drafts_folder(path):
            raise
        # Jekyll 4 reads every date-named file of _posts (any name in _drafts) as a post,
        # front matter or not: all its text is the body
        front, body = "", lf_text
    warnings: list[str] = []
    meta = load_yaml(front, warnings)
    if defaults:
        meta = {**defaults, **meta}
    name = fields.file_name(path)
    slug = fields.slug_of(meta, name)
    published_at = fields.date_of(meta, name, settings.zone, warnings, draft_date)
    title = fields.title_of(meta, slug)
    categories = list(dict.fromkeys([*folder_categories, *fields.categories_of(meta)]))
    permalink = fields.permalink_of(meta, settings, published_at, slug, categories)
    redirects = fields.redirects_of(meta, permalink, warnings)
    last_modified_at = fields.last_modified_of(meta, settings.zone, warnings)
    liquid = LiquidContext(
        site=site or site_context_for(settings),
        page=page_variables(
            meta,
            title=title,
            published_at=published_at,
            zone=settings.zone,
            url=permalink,
            slug=slug,
            categories=categories,
            tags=fields.tags_of(meta),
            path=source_path if source_path is not None else str(path),
        ),
        source_dir=Path(path).parent,
        is_markdown=is_markdown(path),
        first_line=lf_text.count("\n", 0, len(lf_text) - len(body)) + 1,
    )
    raw_body = body
    if is_markdown(path):
        warnings.extend(rendering_differences(body, liquid.first_line))
        warnings.extend(heading_plugin_differences(body, liquid.first_line, header_plugins))
    if rewriting_plugins:
        warnings.append(
            f"the site's _plugins ({', '.join(rewriting_plugins)}) rewrite each post's text or"
            " HTML (a Markdown converter, generator or hook of their own), which the import"
            " does not run: Jekyll may show it otherwise"
        )
    body = resolve_liquid(body, liquid, warnings)
    if is_markdown(path) and body != raw_body:
        # what an include or a tag brings in is checked too (bitcoincore.org's TOC include)
        found = [warning.partition(": ")[2] for warning in warnings]
        warnings.extend(
            f"in the text its Liquid gives, {warning}"
            for warning in rendering_differences(body, 1)
            if warning.partition(": ")[2] not in found
        )
    separator = excerpt_separator_in(text, fields.excerpt_separator_of(meta), settings)
    # Jekyll: _drafts are published with `show_drafts`, `published: false` posts with
    # `unpublished`
    is_draft = (draft_date is not None and not settings.show_drafts) or (
        fields.is_draft_of(meta) and not settings.unpublished
    )
    stored_at = published_at
    if settings.future and not is_draft and published_at > (now := datetime.now(UTC)):
        # Jekyll with `future: true` publishes it at once; the app shows a post once its
        # date has come, so it is dated now (its address keeps the date it was written with)
        stored_at = now.replace(microsecond=0)
        warnings.append(
            f"dated {published_at.astimezone(settings.zone):%Y-%m-%d %H:%M}, later than now:"
            " published now, as _config.yml's future: true has Jekyll do, at its own address"
            " (the app dates it now)"
        )
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
        published_at=stored_at,
        permalink=permalink,
        tag_names=fields.tags_of(meta),
        categories=categories,
        is_draft=is_draft,
        comments_enabled=fields.comments_enabled_of(meta),
        excerpt=fields.excerpt_of(meta),
        excerpt_separator=separator,
        excerpt_markdown=excerpt_with_liquid(raw_body, separator, settings, liquid)
        if fields.excerpt_of(meta) is None
        else None,
        redirect_from=redirects,
        last_modified_at=last_modified_at,
        warnings=warnings,
    )
