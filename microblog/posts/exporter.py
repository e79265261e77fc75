"""The blog → a Jekyll site (`flask posts export DIR`, the zip on /admin/posts): the round trip.

`flask posts import DIR` of what this writes, into an empty database, gives the same site:
every address, page, feed and approved comment; exporting that again gives the same files.

The site is made of parts, each a function that yields files (`PARTS`; `register_part` adds
one: pages register theirs, posts/page_export.py):

- `_config.yml`: what the last whole-site import read (its `permalink`, `timezone`,
  `defaults`, `kramdown`…), with the blog's title, URL, zone and permalink style;
- posts, under `_posts/` (folder categories kept: `news/_posts/…`) and `_drafts/`:
  - a post as its last import left it is written back as that file, its text as the author
    wrote it (front matter, unknown keys and all);
  - a post written or changed in the app is written as an author would write it: `title`,
    `date` with its offset, `permalink` (always), `tags`, `categories`, `published: false`
    for a draft, `comments: false`, `redirect_from` (every old address), `last_modified_at`
    (the updated date pages and feeds show), then the other keys it keeps, in their order; a
    body holding Liquid-looking text is wrapped in `{% raw %}`;
  - then every post file is read back as the import will read it, and where the site's
    pattern would not give the post back its address (or its date, or its draft state) the
    file says so explicitly (`permalink:` …); a name Jekyll would not read as a post
    (`69508099-2013-05-06-x.markdown`) is given the post's date in front;
- approved comments as Staticman writes them, `_data/comments/<post>/<id>.yml` (`_id`,
  `_parent` the post's URL, `name`, `url`, `message`, `date`, `replying_to` the `_id` of
  the comment answered, and `approved_at` when it was approved later than written, which
  the comments feed shows; `email` and `ip` only when asked for: an export may be
  published);
- the files of MEDIA_FOLDER (uploads, an imported site's images) at their paths.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from microblog.extensions import db
from microblog.feeds.entries import entry_updated
from microblog.jekyll.errors import NotAPost, PostError
from microblog.jekyll.files import DATE_FILENAME, POST_EXTENSIONS
from microblog.jekyll.post_file import parse_post
from microblog.jekyll.settings import SiteSettings
from microblog.jekyll.site import load_site, settings_from_config
from microblog.models import Comment, CommentStatus, Post
from microblog.posts.site_settings import stored_site_config
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
# Names at the top of a site that are the export's own, never a media file's.
SITE_NAMES = frozenset({"_config.yml", "_posts", "_drafts", "_data"})


class ExportRefused(Exception):
    """The export cannot start (the folder holds other files); nothing was written."""


@dataclass(frozen=True)
class ExportedFile:
    """One file of the export: where it goes (relative, POSIX) and its bytes (or the file
    to copy them from), with the time to give it (a draft is dated by its file)."""

    path: str
    data: bytes | None = None
    source: Path | None = None
    mtime: datetime | None = None
    kind: str = "file"


@dataclass(frozen=True)
class ExpectedPost:
    """What importing a post's file must give back."""

    permalink: str
    published_at: datetime
    is_draft: bool
    generated: str  # the fully explicit text, if the written one cannot say it


@dataclass
class ExportContext:
    """What every part needs: the blog's settings, the site's (as its `_config.yml` will
    say), who may read the export, and what the parts leave for the checks after them."""

    app_settings: SiteSettings
    site_config: dict[str, Any]
    site_settings: SiteSettings
    private: bool = False
    media_folder: Path | None = None
    taken: set[str] = field(default_factory=set)
    expected: dict[str, ExpectedPost] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def unique(self, path: str) -> str:
        """`path`, or `path` with `-2`, `-3`… before its extension when another file has it."""
        candidate, number = path, 1
        pure = PurePosixPath(path)
        while candidate.lower() in self.taken:
            number += 1
            candidate = str(pure.with_name(f"{pure.stem}-{number}{pure.suffix}"))
        self.taken.add(candidate.lower())
        return candidate


@dataclass
class ExportReport:
    """What an export wrote, by kind, and what the author should know."""

    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self, folder: Path) -> str:
        said = ", ".join(f"{count} {kind}" for kind, count in self.counts.items())
        return f"exported to {folder}: {said or 'nothing'}"


Part = Callable[[ExportContext], Iterable[ExportedFile]]


# ---------------------------------------------------------------------------- text helpers


def jekyll_date(value: datetime, zone: tzinfo) -> str:
    """A date as Jekyll authors write it: `2025-09-30 14:05:00 +0200` (in the site's zone)."""
    local = as_utc(value).astimezone(zone)
    fraction = f".{local.microsecond:06d}" if local.microsecond else ""
    return local.strftime("%Y-%m-%d %H:%M:%S") + fraction + local.strftime(" %z")


def yaml_text(value: dict[str, Any]) -> str:
    """Keys and values as PyYAML writes them (lists as block lists, order kept)."""
    return yaml.safe_dump(
        value, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1_000_000
    )


def yaml_key(name: str, value: Any) -> str:
    """One `key: value` entry."""
    return yaml_text({name: value})


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


def last_change(post: Post) -> datetime | None:
    """The `last_modified_at` that makes pages and feeds say "updated" as they do now (the
    file's own, or the time the stored post's text last changed, which no file holds)."""
    updated = entry_updated(post)
    return post.last_modified_at if updated == as_utc(post.published_at) else updated


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
    """A whole Jekyll file that says everything about the post explicitly."""
    body = protected_body(post.body_source or "")
    return f"---\n{front_matter_of(post, zone)}---\n{body}"


def with_keys(text: str, keys: dict[str, str]) -> str | None:
    """The file's text with these front matter lines added at the top of its front matter;
    None when it has none, or already sets one of them (a second would not win)."""
    if not text.startswith("---"):
        return None
    first_end = text.find("\n")
    front_end = text.find("\n---", first_end)
    front = text[first_end:front_end] if front_end > 0 else ""
    if any(f"\n{name}:" in front for name in keys):
        return None
    added = "".join(keys.values())
    return text[: first_end + 1] + added + text[first_end + 1 :]


# ---------------------------------------------------------------------------- _config.yml


def config_of(context: ExportContext, app_config: dict[str, Any]) -> dict[str, Any]:
    """The exported `_config.yml`: the blog's own settings first, then what the import read."""
    parts = urlsplit(str(app_config.get("SITE_URL") or context.app_settings.site_url))
    ours: dict[str, Any] = {
        "title": str(app_config.get("SITE_TITLE") or ""),
        "description": str(app_config.get("SITE_DESCRIPTION") or ""),
        "author": str(app_config.get("SITE_AUTHOR") or ""),
        "url": f"{parts.scheme}://{parts.netloc}",
        "baseurl": parts.path.rstrip("/"),
        "timezone": context.site_settings.timezone,
        "permalink": context.site_settings.permalink,
    }
    return {**ours, **{k: v for k, v in context.site_config.items() if k not in ours}}


# ---------------------------------------------------------------------------- posts


def exported_posts() -> Iterator[Post]:
    """Every post (drafts and scheduled ones too), oldest first, a batch at a time."""
    statement = (
        select(Post)
        .options(
            undefer(Post.source_text),
            undefer(Post.body_source),
            undefer(Post.front_matter),
            selectinload(Post.redirects),
        )
        .order_by(Post.published_at, Post.id)
        .execution_options(yield_per=200)
    )
    yield from db.session.execute(statement).scalars()


def is_post_name(name: str) -> bool:
    """Whether Jekyll reads a file of this name in `_posts` as a post."""
    pure = PurePosixPath(name)
    return pure.suffix.lower() in POST_EXTENSIONS and bool(DATE_FILENAME.match(pure.stem))


def place_of(post: Post, zone: tzinfo) -> str:
    """Where the post's file goes: its place in the site it came from, else under `_posts/`
    with a name Jekyll reads as a post (the post's date before a name that lacks one)."""
    day = as_utc(post.published_at).astimezone(zone).strftime("%Y-%m-%d")
    key = post.source_key or ""
    if not key:
        slug = post.slug.removeprefix(day + "-") or "post"
        return f"_posts/{day}-{slug}.md"
    if key.startswith("_drafts/") or "/_drafts/" in key:
        return key
    place = key if "_posts/" in key else f"_posts/{key}"
    pure = PurePosixPath(place)
    if is_post_name(pure.name):
        return place
    suffix = pure.suffix if pure.suffix.lower() in POST_EXTENSIONS else ".md"
    stem = pure.stem if pure.suffix.lower() in POST_EXTENSIONS else pure.name
    return str(pure.with_name(f"{day}-{stem.lstrip('._#') or 'post'}{suffix}"))


def needs_generated_text(post: Post) -> bool:
    """Whether the post's own file cannot be written back as it is: no file, edited in the
    app since, or its Liquid needs what the export does not carry (`_includes`, `_data`)."""
    text = post.source_text or ""
    if not post.source_key or post.edited_since_import or not text.startswith("---"):
        return True
    return "{% include" in text or "{%- include" in text or "site.data" in text


def post_files(context: ExportContext) -> Iterator[ExportedFile]:
    """Every post as a Jekyll file; what its import must give back is left for the check."""
    zone = context.site_settings.zone
    for post in exported_posts():
        place = context.unique(place_of(post, zone))
        generated = generated_text(post, zone)
        text = generated
        if not needs_generated_text(post):
            text = post.source_text
            changed = last_change(post)
            if changed != post.last_modified_at and changed is not None:
                stamp = f"last_modified_at: {jekyll_date(changed, zone)}\n"
                text = with_keys(text, {"last_modified_at": stamp}) or generated
        context.expected[place] = ExpectedPost(
            post.permalink, as_utc(post.published_at), post.is_draft, generated
        )
        is_draft_file = place.startswith("_drafts/") or "/_drafts/" in place
        yield ExportedFile(
            place,
            text.encode("utf-8"),
            mtime=post.published_at if is_draft_file else None,
            kind="posts",
        )


def check_posts(folder: Path, context: ExportContext) -> None:
    """Read every post file back as the import will, and make each say what its pattern
    would not give back (its address, date or draft state), or say everything."""
    site = load_site(folder, context.app_settings)
    for place, expected in context.expected.items():
        path = folder / place
        given = read_back(site, path)
        if given == (expected.permalink, expected.published_at, expected.is_draft):
            continue
        text = path.read_text(encoding="utf-8")
        fixes = explicit_keys(given, expected, context.site_settings.zone)
        fixed = with_keys(text, fixes)
        for candidate in ([fixed] if fixed else []) + [expected.generated]:
            path.write_text(candidate, encoding="utf-8", newline="")
            keep_draft_time(path, expected)
            given = read_back(load_site(folder, context.app_settings), path)
            if given == (expected.permalink, expected.published_at, expected.is_draft):
                break
        else:
            context.notes.append(
                f"note: {place} would come back as {given}, not at {expected.permalink}"
            )


def read_back(site: Any, path: Path) -> tuple[str, datetime, bool] | None:
    """The address, date and draft state importing this file gives (None: not a post)."""
    try:
        source = parse_post(
            path.read_bytes(),
            path,
            site.settings,
            source_key=site.key_for(path),
            source_path=str(path),
            **site.parse_options(path),
        )
    except (NotAPost, PostError):
        return None
    return source.permalink, as_utc(source.published_at), source.is_draft


def explicit_keys(
    given: tuple[str, datetime, bool] | None, expected: ExpectedPost, zone: tzinfo
) -> dict[str, str]:
    """The front matter lines that make the file say what its import got wrong."""
    if given is None:
        return {}
    keys: dict[str, str] = {}
    if given[0] != expected.permalink:
        keys["permalink"] = yaml_key("permalink", expected.permalink)
    if given[1] != expected.published_at:
        keys["date"] = f"date: {jekyll_date(expected.published_at, zone)}\n"
    if given[2] != expected.is_draft:
        keys["published"] = f"published: {'false' if expected.is_draft else 'true'}\n"
    return keys


def keep_draft_time(path: Path, expected: ExpectedPost) -> None:
    """A draft without a date is dated by its file's time, as Jekyll dates drafts."""
    if "_drafts" in path.parts:
        stamp = expected.published_at.timestamp()
        os.utime(path, (stamp, stamp))


# ---------------------------------------------------------------------------- comments


def comment_id(post: Post, comment: Comment) -> str:
    """A comment's `_id`: its time and a digest of what it is, the same after a round trip
    (database ids are not: a new database numbers comments anew)."""
    created = as_utc(comment.created_at).replace(microsecond=0)
    what = "\n".join(
        [post.permalink, created.isoformat(), comment.author_name, comment.body_source or ""]
    )
    digest = hashlib.blake2b(what.encode("utf-8"), digest_size=5).hexdigest()
    return f"{int(created.timestamp())}-{digest}"


def comment_files(context: ExportContext) -> Iterator[ExportedFile]:
    """Approved comments, one Staticman data file each, in a folder per post."""
    zone = context.site_settings.zone
    site_url = context.app_settings.site_url.rstrip("/")
    rows = db.session.execute(
        select(Comment, Post)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.status == CommentStatus.APPROVED)
        .order_by(Post.id, Comment.created_at, Comment.id)
    ).all()
    slugs: dict[str, set[int]] = {}
    for _, post in rows:
        slugs.setdefault(post.slug, set()).add(post.id)
    ids = {comment.id: comment_id(post, comment) for comment, post in rows}
    for comment, post in rows:
        folder = post.slug if len(slugs[post.slug]) == 1 else f"{post.slug}-{post.id}"
        entry: dict[str, Any] = {
            "_id": ids[comment.id],
            "_parent": site_url + post.permalink,
            "name": comment.author_name,
        }
        if context.private:
            entry["email"] = comment.author_email or ""
        entry["url"] = comment.author_url or ""
        entry["message"] = comment.body_source or ""
        entry["date"] = as_utc(comment.created_at).astimezone(zone).isoformat()
        if comment.status_changed_at and comment.status_changed_at != comment.created_at:
            entry["approved_at"] = as_utc(comment.status_changed_at).astimezone(zone).isoformat()
        if comment.parent_id in ids:
            entry["replying_to"] = ids[comment.parent_id]
        if context.private and comment.remote_addr:
            entry["ip"] = comment.remote_addr
        path = context.unique(f"_data/comments/{folder}/{ids[comment.id]}.yml")
        yield ExportedFile(path, yaml_text(entry).encode("utf-8"), kind="comments")


# ---------------------------------------------------------------------------- media


def media_files(context: ExportContext) -> Iterator[ExportedFile]:
    """Every file of MEDIA_FOLDER at its path (half-copied and hidden files left out)."""
    root = context.media_folder
    if root is None or not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or path.is_symlink():
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue
        if relative.parts[0] in SITE_NAMES:
            context.notes.append(f"note: media file {relative} left out (the site's own name)")
            continue
        yield ExportedFile(relative.as_posix(), source=path, kind="media files")


# ---------------------------------------------------------------------------- the whole site

PARTS: list[Part] = [post_files, comment_files, media_files]


def register_part(part: Part) -> None:
    """Add a part to every export (pages, say); its files are written after the posts'."""
    if part not in PARTS:
        PARTS.append(part)


def refuse_unless_empty(folder: Path) -> None:
    """An export goes into a new or empty folder: it never mixes with other files."""
    if folder.exists() and not folder.is_dir():
        raise ExportRefused(f"{folder} is a file, not a folder; name a new or empty folder")
    if folder.is_dir():
        inside = sorted(entry.name for entry in folder.iterdir())
        if inside:
            shown = ", ".join(inside[:3]) + (", …" if len(inside) > 3 else "")
            raise ExportRefused(
                f"{folder} already holds {len(inside)} file(s) or folder(s) ({shown}); "
                "export into a new or empty folder"
            )


def context_for(
    settings: SiteSettings, *, private: bool = False, media_folder: Path | None = None
) -> ExportContext:
    """The settings the exported site will have: the imported `_config.yml`'s, else the
    blog's own (PERMALINK, TIMEZONE)."""
    config = stored_site_config()
    site_settings = settings_from_config(config, settings) if config else settings
    return ExportContext(settings, config, site_settings, private, media_folder)


def write_file(folder: Path, exported: ExportedFile) -> None:
    target = folder / exported.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if exported.source is not None:
        shutil.copy2(exported.source, target)
    else:
        target.write_bytes(exported.data or b"")
    if exported.mtime is not None:
        stamp = as_utc(exported.mtime).timestamp()
        os.utime(target, (stamp, stamp))


def export_site(
    folder: Path,
    settings: SiteSettings,
    app_config: dict[str, Any],
    *,
    private: bool = False,
    media_folder: Path | None = None,
    on_file: Callable[[ExportedFile], None] | None = None,
) -> ExportReport:
    """Write the whole blog as a Jekyll site into `folder` (new or empty: ExportRefused)."""
    refuse_unless_empty(folder)
    context = context_for(settings, private=private, media_folder=media_folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    config = yaml_text(config_of(context, app_config)).encode("utf-8")
    context.taken.add("_config.yml")
    write_file(folder, ExportedFile("_config.yml", config))
    for part in PARTS:
        for exported in part(context):
            write_file(folder, exported)
            report.counts[exported.kind] = report.counts.get(exported.kind, 0) + 1
            if on_file is not None:
                on_file(exported)
    check_posts(folder, context)
    report.notes.extend(context.notes)
    return report


def export_zip(
    settings: SiteSettings, app_config: dict[str, Any], media_folder: Path | None = None
) -> io.BytesIO:
    """The same site as a zip (the download on /admin/posts), files in a stable order."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "site"
        export_site(root, settings, app_config, media_folder=media_folder)
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                # A zip keeps times from 1980 on; a draft is dated by its file's time.
                moment = datetime.fromtimestamp(max(path.stat().st_mtime, 315_619_200), UTC)
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), moment.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    buffer.seek(0)
    return buffer
