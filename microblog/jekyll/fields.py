"""One small function per front-matter concern: slug, date, title, tags and categories,
permalink, redirects, draft and comments switches, excerpt, last change.

Each reads the loaded front matter (`meta`) and follows what Jekyll 4 does with the key:

- The front matter `date` wins over the file name's; the slug (`:title`) always comes from
  the file name unless the front matter has `slug`; a missing title is made from the slug.
- `tags`/`categories` given as a string are split on whitespace; `tag`/`category` are not.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import PurePath
from typing import Any, NamedTuple

from microblog.jekyll import permalinks
from microblog.jekyll.dates import parse_date
from microblog.jekyll.errors import NotAPost, PostError
from microblog.jekyll.files import DATE_FILENAME
from microblog.jekyll.post_input import MAX_PERMALINK, MAX_SLUG, MAX_TAG, MAX_TITLE
from microblog.jekyll.settings import SiteSettings
from microblog.jekyll.slugs import tag_slug

FALSE_WORDS = {"false", "no", "off"}


class FileName(NamedTuple):
    """What a post's file name says: its date (when it starts with one) and its slug."""

    date: tuple[str, str, str] | None
    slug: str


def file_name(path: PurePath) -> FileName:
    """`2020-01-02-hello.md` → (("2020", "01", "02"), "hello"); `notes.md` → (None, "notes")."""
    match = DATE_FILENAME.match(path.stem)
    if match is None:
        return FileName(None, path.stem.rstrip("."))
    return FileName((match.group(1), match.group(2), match.group(3)), match.group(4).rstrip("."))


def is_blank(value: Any) -> bool:
    """A key that is absent, null or the empty string (Jekyll treats all three alike)."""
    return value is None or value == ""


def slug_of(meta: dict[str, Any], name: FileName) -> str:
    """The front matter's `slug`, else the file name's."""
    return name.slug if is_blank(meta.get("slug")) else str(meta["slug"])


def date_of(
    meta: dict[str, Any],
    name: FileName,
    zone: tzinfo,
    warnings: list[str],
    fallback: datetime | None = None,
) -> datetime:
    """The front matter's `date`, else the file name's (midnight in the site's zone), else
    `fallback` (a draft's: its file's last change, as Jekyll dates drafts)."""
    if not is_blank(meta.get("date")):
        return parse_date(meta["date"], zone, warnings)
    if name.date is None and fallback is not None:
        return fallback.astimezone(UTC)
    if name.date is None:
        raise NotAPost("no date: neither a YYYY-MM-DD- file name nor a 'date' in the front matter")
    year, month, day = (int(part) for part in name.date)
    try:
        return datetime(year, month, day, tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        when = "-".join(name.date)
        raise PostError(f"the file name's date {when!r} does not exist ({exc})") from None


def title_from_slug(slug: str) -> str:
    """Jekyll's `Utils.titleize_slug`: `edge-case-no-title` → `Edge Case No Title`."""
    return " ".join(word.capitalize() for word in slug.split("-") if word)


def title_of(meta: dict[str, Any], slug: str) -> str:
    """The `title` on one line, else one made from the slug; `title: ""` is a note.

    Jekyll fills a missing title with `data["title"] ||= titleize_slug(slug)`: Ruby keeps
    an empty string there, so an empty title stays empty (a post without a title).
    """
    raw = meta.get("title")
    if isinstance(raw, str) and not raw.strip():
        return ""
    title = title_from_slug(slug) if is_blank(raw) else " ".join(str(raw).split())
    if not title:
        raise PostError("no title, and none can be made from the file name")
    if len(title) > MAX_TITLE:
        raise PostError(f"title is longer than {MAX_TITLE} characters")
    return title


def split_words(value: Any) -> list[Any]:
    """A Jekyll plural key's value: a string splits on whitespace, a list stays."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    return list(value) if isinstance(value, list | tuple) else [value]


def flat_strings(values: list[Any]) -> list[str]:
    """Names as strings, nested lists flattened, empties dropped."""
    out: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            out.extend(flat_strings(list(value)))
        elif value is not None and str(value).strip():
            out.append(str(value).strip())
    return out


def pluralized(meta: dict[str, Any], singular: str, plural: str) -> list[str]:
    """Jekyll's `pluralized_array_from_hash`: the singular key wins and is not split."""
    if meta.get(singular) is not None:
        value = meta[singular]
        return flat_strings(value if isinstance(value, list) else [value])
    return flat_strings(split_words(meta.get(plural)))


def tags_of(meta: dict[str, Any]) -> list[str]:
    """The post's tags as written, in order, one per slug (the first spelling wins)."""
    names: dict[str, str] = {}
    for name in pluralized(meta, "tag", "tags"):
        if len(name) > MAX_TAG:
            raise PostError(f"tag {name[:40]!r}… is longer than {MAX_TAG} characters")
        names.setdefault(tag_slug(name), name)
    return list(names.values())


def categories_of(meta: dict[str, Any]) -> list[str]:
    """Jekyll's categories: `categories` (split when a string) plus `category`."""
    both = flat_strings(split_words(meta.get("categories"))) + pluralized(
        meta, "category", "categories"
    )
    return list(dict.fromkeys(both))


def permalink_of(
    meta: dict[str, Any],
    settings: SiteSettings,
    published_at: datetime,
    slug: str,
    categories: list[str],
) -> str:
    """The front matter's `permalink` (a template or a style), else the site's pattern."""
    raw = meta.get("permalink")
    template = settings.permalink if is_blank(raw) else str(raw)
    local_date = published_at.astimezone(settings.zone)
    try:
        permalink = permalinks.build(template, date=local_date, slug=slug, categories=categories)
    except permalinks.PermalinkError as exc:
        raise PostError(str(exc)) from None
    if len(permalink) > MAX_PERMALINK:
        raise PostError(f"permalink is longer than {MAX_PERMALINK} characters")
    return permalink


def redirects_of(meta: dict[str, Any], permalink: str, warnings: list[str]) -> list[str]:
    """`redirect_from` as site paths (jekyll-redirect-from); unusable ones are warnings."""
    raw = meta.get("redirect_from")
    redirects: list[str] = []
    for old in flat_strings(raw if isinstance(raw, list) else [raw]):
        try:
            permalinks.check_not_absolute(old)
            redirects.append(permalinks.sanitize(old))
        except permalinks.PermalinkError as exc:
            warnings.append(f"redirect_from ignored: {exc}")
    return list(dict.fromkeys(r for r in redirects if r != permalink))


def last_modified_of(meta: dict[str, Any], zone: tzinfo, warnings: list[str]) -> datetime | None:
    """`last_modified_at` (jekyll-last-modified-at); an unreadable one is a warning."""
    if is_blank(meta.get("last_modified_at")):
        return None
    try:
        return parse_date(meta["last_modified_at"], zone, warnings, "last_modified_at")
    except PostError as exc:
        warnings.append(f"last_modified_at ignored: {exc}")
        return None


def is_false(value: Any) -> bool:
    """Whether a front matter switch says no (`false`, or a string like "false")."""
    return value is False or (isinstance(value, str) and value.strip().lower() in FALSE_WORDS)


def is_draft_of(meta: dict[str, Any]) -> bool:
    """`published: false` makes a draft (Jekyll builds it only with --unpublished)."""
    return meta.get("published") is False


def comments_enabled_of(meta: dict[str, Any]) -> bool:
    """Comments are on unless `comments` says no."""
    return not is_false(meta.get("comments"))


def excerpt_of(meta: dict[str, Any]) -> str | None:
    """The `excerpt` as written (its Liquid still to resolve), or None."""
    excerpt = meta.get("excerpt")
    return str(excerpt) if excerpt is not None else None


def excerpt_separator_of(meta: dict[str, Any]) -> str | None:
    """The post's own `excerpt_separator`, or None for the site's."""
    separator = meta.get("excerpt_separator")
    return None if is_blank(separator) else str(separator)


def short_slug(slug: str) -> str:
    """The slug cut to the column's size."""
    return slug[:MAX_SLUG]
