"""Posts → Jekyll files (`flask posts export DIR`, the zip on /admin/posts): the round trip.

Importing the exported folder into an empty database gives the same site, and exporting
that again gives the same files:

- A post as its last import left it is written back as that file, byte for byte in its
  text (its front matter exactly as the author wrote it, unknown keys and all).
- A post written or changed in the app is written as an author would write it: `title`,
  `date` with its offset, `permalink` (always, so the site's pattern cannot move it),
  `tags`, `categories`, `published: false` for a draft, `comments: false`,
  `redirect_from` (every old address, so each still answers 301), `last_modified_at` (the
  latest change pages and feeds show, which may be an edit made here),
  then the keys the app keeps without a column of its own, in their order. A body holding
  Liquid-looking text is wrapped in `{% raw %}` so that the import does not run it.

Files go under `_posts/` by their import key (or `YYYY-MM-DD-slug.md`); a file that was
imported from outside a `_posts` folder keeps its place at the top of the folder.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from microblog.extensions import db
from microblog.feeds.entries import entry_updated
from microblog.jekyll.files import DATE_FILENAME
from microblog.jekyll.settings import SiteSettings
from microblog.models import Page, Post
from microblog.timeutil import as_utc

# Front matter keys written from the post's own fields (and never copied from the old
# front matter, which may hold stale values for them).
GENERATED = (
    "title",
    "date",
    "permalink",
    "tags",
    "categories",
    "published",
    "comments",
    "redirect_from",
    "last_modified_at",
)
# Keys whose meaning the generated ones carry now.
REPLACED = frozenset(GENERATED) | {"tag", "category", "slug"}


@dataclass(frozen=True)
class ExportedFile:
    """One file of the export: where it goes (relative, POSIX) and its text."""

    path: str
    text: str


def jekyll_date(value: datetime, zone: tzinfo) -> str:
    """A date as Jekyll authors write it: `2025-09-30 14:05:00 +0200` (in the site's zone)."""
    local = value.astimezone(zone)
    fraction = f".{local.microsecond:06d}" if local.microsecond else ""
    return local.strftime("%Y-%m-%d %H:%M:%S") + fraction + local.strftime(" %z")


def yaml_key(name: str, value: Any) -> str:
    """One `key: value` entry (lists as block lists), as PyYAML writes it."""
    return yaml.safe_dump(
        {name: value},
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
    )


# What closes a raw block, in every spelling Liquid reads (`{%- endraw -%}`, `{%endraw%}`).
ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


def protected_body(body: str) -> str:
    """The body, wrapped in `{% raw %}` when it holds text Liquid would run, so that an
    import gives back these very characters.

    A `{% endraw %}` inside the text would end the raw block early (and whatever follows
    would run: `{{ page.title }}` became the title); each one is written outside the block,
    its `{` printed by Liquid (`{{ '{' }}% endraw %}`): no `{%` is left to read as a tag.
    """
    if "{{" not in body and "{%" not in body:
        return body
    parts = []
    position = 0
    for found in ENDRAW.finditer(body):
        parts.append("{% raw %}" + body[position : found.start()] + "{% endraw %}")
        parts.append("{{ '{' }}" + found.group()[1:])
        position = found.end()
    parts.append("{% raw %}" + body[position:] + "{% endraw %}")
    return "".join(parts)


def front_matter_of(post: Post, zone: tzinfo) -> str:
    """The generated front matter block (without the `---` lines)."""
    lines = [yaml_key("title", post.title)]
    lines.append(f"date: {jekyll_date(post.published_at, zone)}\n")
    lines.append(yaml_key("permalink", post.permalink))
    if post.tag_names:
        lines.append(yaml_key("tags", list(post.tag_names)))
    if post.categories:
        lines.append(yaml_key("categories", list(post.categories)))
    if post.is_draft:
        lines.append("published: false\n")
    if not post.comments_enabled:
        lines.append("comments: false\n")
    old = sorted(redirect.path for redirect in post.redirects)
    if old:
        lines.append(yaml_key("redirect_from", old))
    changed = last_change(post)
    if changed is not None:
        lines.append(f"last_modified_at: {jekyll_date(changed, zone)}\n")
    for name, value in (post.front_matter or {}).items():
        if name not in REPLACED:
            lines.append(yaml_key(name, value))
    return "".join(lines)


def generated_text(post: Post, zone: tzinfo) -> str:
    """A whole Jekyll file for a post written or changed in the app."""
    body = protected_body(post.body_source or "")
    return f"---\n{front_matter_of(post, zone)}---\n{body}"


def file_name(post: Post, zone: tzinfo) -> str:
    """`YYYY-MM-DD-slug.md` from the post's local date and slug (a note's slug is its time)."""
    day = post.published_at.astimezone(zone).strftime("%Y-%m-%d")
    slug = post.slug.removeprefix(day + "-") or "post"
    return f"{day}-{slug}.md"


def place_of(key: str) -> str:
    """Where an imported file goes: under `_posts/` when Jekyll would read it there."""
    in_subfolder = "/" in key  # keys are relative to `_posts` when they have folders
    return f"_posts/{key}" if in_subfolder or DATE_FILENAME.match(PurePosixPath(key).stem) else key


def last_change(post: Post) -> datetime | None:
    """The `last_modified_at` that makes pages and feeds say "updated" as they do now.

    They take the latest of the file's `last_modified_at` and the time the stored post was
    last changed (an edit, a re-import of a changed file); a file carries only the first.
    """
    updated = entry_updated(post)
    return post.last_modified_at if updated == as_utc(post.published_at) else updated


def is_as_imported(post: Post) -> bool:
    """Whether the post is exactly what its file made (so the file itself is its export)."""
    return (
        bool(post.source_key)
        and not post.edited_since_import
        and bool(post.source_text)
        and last_change(post) == post.last_modified_at
    )


def unique(path: str, taken: set[str]) -> str:
    """`path`, or `path` with `-2`, `-3`… before its extension when another file has it."""
    candidate, number = path, 1
    pure = PurePosixPath(path)
    while candidate.lower() in taken:
        number += 1
        candidate = str(pure.with_name(f"{pure.stem}-{number}{pure.suffix}"))
    taken.add(candidate.lower())
    return candidate


def exported_files(settings: SiteSettings, batch: int = 200) -> Iterator[ExportedFile]:
    """Every post (drafts and scheduled ones too) as a Jekyll file, oldest first."""
    zone = settings.zone
    taken: set[str] = set()
    statement = (
        select(Post)
        .options(
            undefer(Post.source_text),
            undefer(Post.body_source),
            undefer(Post.front_matter),
            selectinload(Post.redirects),
        )
        .order_by(Post.published_at, Post.id)
        .execution_options(yield_per=batch)
    )
    for post in db.session.execute(statement).scalars():
        if is_as_imported(post):
            yield ExportedFile(unique(place_of(str(post.source_key)), taken), post.source_text)
        else:
            key = post.source_key or file_name(post, zone)
            yield ExportedFile(unique(place_of(key), taken), generated_text(post, zone))
    yield from exported_pages(taken)


PAGE_KEYS = {"title", "permalink", "nav_order"}


def page_text(page: Page) -> str:
    """A whole Jekyll page file for a page written or changed in the app."""
    lines = [yaml_key("title", page.title), yaml_key("permalink", page.permalink)]
    if page.nav_order is not None:
        lines.append(yaml_key("nav_order", page.nav_order))
    for name, value in (page.front_matter or {}).items():
        if name not in PAGE_KEYS:
            lines.append(yaml_key(name, value))
    return f"---\n{''.join(lines)}---\n{protected_body(page.body_source or '')}"


def page_file_name(page: Page) -> str:
    """Where a page made in the app goes: its address as a file (`/about/` → about.md)."""
    stem = page.permalink.strip("/").removesuffix(".html") or "index"
    return stem + ".md"


def exported_pages(taken: set[str]) -> Iterator[ExportedFile]:
    """Every page: as its file was when imported and unchanged since, else generated."""
    statement = select(Page).options(
        undefer(Page.source_text), undefer(Page.body_source), undefer(Page.front_matter)
    )
    for page in db.session.execute(statement.order_by(Page.id)).scalars():
        if page.source_key and page.source_text and page.imported_version == page.version:
            yield ExportedFile(unique(page.source_key, taken), page.source_text)
        else:
            name = page.source_key or page_file_name(page)
            yield ExportedFile(unique(name, taken), page_text(page))


def export_to_folder(folder: Path, settings: SiteSettings) -> list[ExportedFile]:
    """Write every post under `folder` (made if missing); returns what was written."""
    written = []
    for exported in exported_files(settings):
        target = folder / exported.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(exported.text, encoding="utf-8", newline="")
        written.append(exported)
    return written


def export_zip(settings: SiteSettings) -> io.BytesIO:
    """Every post as a zip of the same files, for the download on /admin/posts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for exported in exported_files(settings):
            archive.writestr(exported.path, exported.text.encode("utf-8"))
    buffer.seek(0)
    return buffer
