"""A Jekyll post file → `PostSource`: front matter, the file name's date and slug, Liquid.

Decisions follow what Jekyll (4.x) does with the same file, so that what Jekyll would
publish is published here and what it would not is skipped or refused with a reason:

- In a `_posts` folder only `YYYY-MM-DD-slug.ext` names are posts (Jekyll's
  DATE_FILENAME_MATCHER); elsewhere a file may take its date from the front matter, like a
  Jekyll collection document.
- Only Markdown (`markdown_ext`: markdown, mkdown, mkdn, mkd, md) and `.html` files are
  posts here; a file without front matter is not a post (Jekyll copies it as a static file).
- The front matter `date` wins over the file name's; the slug (`:title`) always comes from
  the file name unless the front matter has `slug`; a missing title is made from the slug.
- `tags`/`categories` given as a string are split on whitespace; `tag`/`category` are not.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml
from frontmatter.default_handlers import YAMLHandler

from . import permalinks
from .slugs import tag_slug

# Bump when the parsing or rendering changes, so that a re-import renders every post again.
PIPELINE_VERSION = "1"

MARKDOWN_EXTENSIONS = frozenset({".markdown", ".mkdown", ".mkdn", ".mkd", ".md"})
HTML_EXTENSIONS = frozenset({".html"})
POST_EXTENSIONS = MARKDOWN_EXTENSIONS | HTML_EXTENSIONS

DATE_FILENAME = re.compile(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-(.*)$", re.DOTALL)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
DATE_VALUE = re.compile(
    r"""^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)
    (?:(?:[Tt]|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,6})\d*)?)?)?
    (?P<rest>(?:\s.*?)?)\s*(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{1,2})?$""",
    re.VERBOSE | re.DOTALL,
)
FALSE_WORDS = {"false", "no", "off"}

LIQUID = re.compile(
    r"\{%-?\s*(?P<name>\w*)(?P<args>.*?)-?%\}|\{\{-?(?P<expr>.*?)-?\}\}",
    re.DOTALL,
)
LINK_FILTER = re.compile(
    r"""^(['"])(?P<path>[^'"]*)\1\s*\|\s*(?P<filter>relative_url|absolute_url)$"""
)

# Column sizes of the `posts` / `tags` tables.
MAX_TITLE = 500
MAX_PERMALINK = 1000
MAX_TAG = 200


class NotAPost(Exception):
    """A file Jekyll would not treat as a post: reported as skipped, with the reason."""


class PostError(Exception):
    """A post that cannot be imported as written: reported as failed, with the reason."""


# libyaml's loader when PyYAML was built with it: ten times faster on big imports.
BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StringDatesLoader(BaseLoader):
    """SafeLoader that leaves dates as strings, so that every date is parsed one way here
    (PyYAML would turn `2015-10-20` into a date but keep `2015-10-20 11:12:00-0400` a string,
    and raises a bare ValueError on `1000-00-00`)."""


StringDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in BaseLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class SiteSettings:
    """What of the site's configuration goes into a post: its URL, permalinks and zone."""

    site_url: str = "http://127.0.0.1:5000"
    permalink: str = "/posts/:year/:month/:title/"
    timezone: str = "UTC"

    @classmethod
    def from_config(cls, config: Any) -> SiteSettings:
        """The settings from a Flask config mapping."""
        return cls(
            site_url=str(config.get("SITE_URL", cls.site_url)).rstrip("/"),
            permalink=str(config.get("PERMALINK") or cls.permalink),
            timezone=str(config.get("TIMEZONE") or cls.timezone),
        )

    @property
    def base_path(self) -> str:
        """The path part of SITE_URL (`site.baseurl`), "" when the site is at the root."""
        return urlsplit(self.site_url).path.rstrip("/")

    @property
    def zone(self) -> tzinfo:
        """The zone of dates written without an offset."""
        return UTC if self.timezone.upper() == "UTC" else ZoneInfo(self.timezone)

    def fingerprint(self) -> str:
        """A string that changes whenever a setting that shapes a post changes."""
        return f"{PIPELINE_VERSION}|{self.site_url}|{self.permalink}|{self.timezone}"


@dataclass
class PostSource:
    """One Jekyll post, parsed and with its Liquid resolved, ready to render and store."""

    source_key: str
    source_path: str
    source_text: str
    content_hash: str
    front_matter: dict[str, Any]
    body: str
    is_markdown: bool
    title: str
    slug: str
    published_at: datetime
    permalink: str
    tag_names: list[str]
    categories: list[str]
    is_draft: bool = False
    comments_enabled: bool = True
    excerpt: str | None = None
    excerpt_separator: str | None = None
    redirect_from: list[str] = field(default_factory=list)
    last_modified_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)


def content_hash(data: bytes, settings: SiteSettings) -> str:
    """What decides `unchanged`: the file's bytes and the settings that shape the post."""
    digest = hashlib.sha256(settings.fingerprint().encode())
    digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def in_posts_folder(path: PurePath) -> bool:
    """Whether the file lies under a `_posts` folder (where Jekyll's naming rule applies)."""
    return "_posts" in path.parent.parts


def source_key_for(path: PurePath) -> str:
    """The key that identifies a file across re-imports.

    Under a `_posts` folder: the path relative to the nearest `_posts` (Jekyll's own notion
    of a post's relative path, so `_posts/es/x.md` is `es/x.md` whichever folder the import
    was pointed at); anywhere else the file's name. Moving the site's folder, or importing
    `content/` instead of `content/_posts/`, therefore still updates the same posts.
    """
    parts = path.parts
    if in_posts_folder(path):
        index = len(parts) - 1 - parts[::-1].index("_posts")
        return "/".join(parts[index + 1 :])
    return path.name


def skip_reason_for_name(path: PurePath) -> str | None:
    """Why Jekyll would not read this file as a post, judging by its name alone."""
    name = path.name
    if name.startswith((".", "_", "#")) or name.endswith("~"):
        return "Jekyll ignores files whose names start with '.', '_' or '#' or end with '~'"
    suffix = path.suffix.lower()
    if suffix not in POST_EXTENSIONS:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        return f"not a Markdown or HTML file ({shown}); posts are .md, .markdown or .html"
    if in_posts_folder(path) and not DATE_FILENAME.match(path.stem):
        return "in _posts, Jekyll only reads names like YYYY-MM-DD-title.md"
    return None


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without a BOM, or UTF-16 with a BOM."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise PostError(f"not UTF-8 text (byte 0x{bad} at offset {exc.start})") from None
    if "\x00" in text:
        raise PostError("contains NUL characters (a binary file, or UTF-16 without a BOM?)")
    return text


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter YAML, body) of LF text; NotAPost when there is no front matter."""
    match = FRONT_MATTER.match(text)
    if match is None:
        first = text.split("\n", 1)[0]
        if re.match(r"^-{3}\s*$", first):
            raise PostError("front matter is never closed (no second '---' line)")
        if "\n---" in "\n" + text and first.strip() == "":
            why = "it begins with a blank line, so its '---' is not front matter"
        elif re.search(r"^---[ \t]*$", text, re.MULTILINE):
            why = "there is text before its '---' line, so that is not front matter"
        else:
            why = "no front matter"
        raise NotAPost(f"{why} (Jekyll copies such a file as is, it is not a post)")
    return match.group(1) or "", text[match.end() :]


def load_yaml(front: str) -> dict[str, Any]:
    """The front matter as a mapping, by python-frontmatter's YAML handler."""
    try:
        data = YAMLHandler().load(front, Loader=StringDatesLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PostError(f"front matter is not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PostError(f"front matter is a YAML {type(data).__name__}, not a mapping of keys")
    return data


def json_safe(value: Any) -> Any:
    """The front matter in a form JSON keeps: dates as ISO strings, sets as lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def parse_date(raw: Any, zone: tzinfo, warnings: list[str], what: str = "date") -> datetime:
    """An aware UTC datetime from a Jekyll date (`2015-10-20 11:12:00 -0400`, `2025-09-30`).

    A date without an offset is in the site's zone. Like Ruby's Time.parse (which Jekyll
    uses), words it does not understand after the time are ignored, with a warning.
    """
    text = str(raw).strip()
    match = DATE_VALUE.match(text)
    if match is None:
        raise PostError(f"{what} {text!r} is not a date like YYYY-MM-DD [HH:MM:SS] [+HHMM]")
    parts = match.groupdict()
    fraction = (parts["f"] or "0").ljust(6, "0")
    try:
        value = datetime(
            int(parts["y"]),
            int(parts["m"]),
            int(parts["d"]),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0),
            int(fraction),
        )
    except ValueError as exc:
        raise PostError(f"{what} {text!r} does not exist ({exc})") from None
    if parts["rest"].strip():
        warnings.append(f"ignored {parts['rest'].strip()!r} in the {what} {text!r}")
    offset = parts["tz"]
    try:
        if offset is None:
            value = value.replace(tzinfo=zone)
        elif offset.upper() in {"Z", "UTC", "GMT"}:
            value = value.replace(tzinfo=UTC)
        else:
            digits = offset[1:].replace(":", "")
            hours, minutes = (
                (int(digits[:-2]), int(digits[-2:]))
                if len(digits) > 2
                else (
                    int(digits),
                    0,
                )
            )
            delta = timedelta(hours=hours, minutes=minutes)
            value = value.replace(tzinfo=timezone(-delta if offset[0] == "-" else delta))
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise PostError(f"{what} {text!r} is out of range ({exc})") from None


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


def pluralized(data: dict[str, Any], singular: str, plural: str) -> list[str]:
    """Jekyll's `pluralized_array_from_hash`: the singular key wins and is not split."""
    if data.get(singular) is not None:
        value = data[singular]
        return flat_strings(value if isinstance(value, list) else [value])
    return flat_strings(split_words(data.get(plural)))


def tags_of(data: dict[str, Any]) -> list[str]:
    """The post's tags as written, in order, one per slug (the first spelling wins)."""
    names: dict[str, str] = {}
    for name in pluralized(data, "tag", "tags"):
        if len(name) > MAX_TAG:
            raise PostError(f"tag {name[:40]!r}… is longer than {MAX_TAG} characters")
        names.setdefault(tag_slug(name), name)
    return list(names.values())


def categories_of(data: dict[str, Any]) -> list[str]:
    """Jekyll's categories: `categories` (split when a string) plus `category`."""
    both = flat_strings(split_words(data.get("categories"))) + pluralized(
        data, "category", "categories"
    )
    return list(dict.fromkeys(both))


def is_false(value: Any) -> bool:
    """Whether a front matter switch says no (`false`, or a string like "false")."""
    return value is False or (isinstance(value, str) and value.strip().lower() in FALSE_WORDS)


def resolve_output(expr: str, settings: SiteSettings) -> str | None:
    """The value of a `{{ … }}` expression we know, or None."""
    expr = " ".join(expr.split())
    if expr == "site.url":
        return settings.site_url
    if expr in {"site.baseurl", "base_path", "site.base_path"}:
        return settings.base_path
    link = LINK_FILTER.match(expr)
    if link:
        path = link.group("path")
        if path and not path.startswith("/"):
            path = "/" + path
        base = settings.site_url if link.group("filter") == "absolute_url" else settings.base_path
        return base + path
    return None


def fence_for(code: str) -> str:
    """A backtick fence longer than any backtick run inside `code`."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def find_end(text: str, start: int, name: str) -> re.Match[str]:
    """The `{% endNAME %}` after `start`, or a PostError (Jekyll refuses unclosed blocks)."""
    match = re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}").search(text, start)
    if match is None:
        raise PostError(f"Liquid {{% {name} %}} is never closed with {{% end{name} %}}")
    return match


def render_liquid(text: str, settings: SiteSettings, dropped: list[str]) -> str:
    """Resolve the Liquid a post may hold, before Markdown (Jekyll's order).

    `site.url`, `site.baseurl` and `base_path` become the site's; `{% raw %}` keeps its
    text; `{% highlight lang %}` becomes a fenced code block; `{% comment %}` goes away;
    any other tag or output is dropped and named in `dropped` for a warning.
    """
    out: list[str] = []
    pos = 0
    for_strip = False
    while True:
        match = LIQUID.search(text, pos)
        if match is None:
            tail = text[pos:]
            out.append(tail.lstrip() if for_strip else tail)
            break
        before = text[pos : match.start()]
        if for_strip:
            before = before.lstrip()
        token = match.group(0)
        if token.startswith(("{%-", "{{-")):
            before = before.rstrip()
        out.append(before)
        for_strip = token.endswith(("-%}", "-}}"))
        pos = match.end()
        if match.group("expr") is not None:
            value = resolve_output(match.group("expr"), settings)
            if value is None:
                dropped.append("{{ " + " ".join(match.group("expr").split()) + " }}")
            else:
                out.append(value)
            continue
        name = match.group("name")
        if name in {"raw", "comment", "highlight"}:
            end = find_end(text, pos, name)
            inner = text[pos : end.start()]
            pos = end.end()
            for_strip = end.group(0).endswith("-%}")
            if name == "raw":
                out.append(inner)
            elif name == "highlight":
                words = match.group("args").split()
                lang = words[0] if words else ""
                code = render_liquid(inner, settings, dropped).strip("\n")
                fence = fence_for(code)
                last = next((chunk for chunk in reversed(out) if chunk), "\n")
                if not last.endswith("\n"):
                    out.append("\n")
                out.append(f"{fence}{lang}\n{code}\n{fence}\n")
            continue
        dropped.append("{% " + name + " %}")
    return "".join(out)


def title_from_slug(slug: str) -> str:
    """Jekyll's `Utils.titleize_slug`: `edge-case-no-title` → `Edge Case No Title`."""
    return " ".join(word.capitalize() for word in slug.split("-") if word)


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
    zone = settings.zone

    name_match = DATE_FILENAME.match(path.stem)
    file_slug = (name_match.group(4) if name_match else path.stem).rstrip(".")
    slug = str(meta["slug"]) if meta.get("slug") not in (None, "") else file_slug

    if meta.get("date") not in (None, ""):
        published_at = parse_date(meta["date"], zone, warnings)
    elif name_match:
        y, m, d = (int(part) for part in name_match.group(1, 2, 3))
        try:
            published_at = datetime(y, m, d, tzinfo=zone).astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            when = "-".join(name_match.group(1, 2, 3))
            raise PostError(f"the file name's date {when!r} does not exist ({exc})") from None
    else:
        raise NotAPost("no date: neither a YYYY-MM-DD- file name nor a 'date' in the front matter")

    title = meta.get("title")
    title = " ".join(str(title).split()) if title not in (None, "") else title_from_slug(slug)
    if not title:
        raise PostError("no title, and none can be made from the file name")
    if len(title) > MAX_TITLE:
        raise PostError(f"title is longer than {MAX_TITLE} characters")

    categories = categories_of(meta)
    template = meta.get("permalink")
    template = str(template) if template not in (None, "") else settings.permalink
    local_date = published_at.astimezone(zone)
    try:
        permalink = permalinks.build(template, date=local_date, slug=slug, categories=categories)
    except permalinks.PermalinkError as exc:
        raise PostError(str(exc)) from None
    if len(permalink) > MAX_PERMALINK:
        raise PostError(f"permalink is longer than {MAX_PERMALINK} characters")

    redirects: list[str] = []
    raw_redirects = meta.get("redirect_from")
    for old in flat_strings(raw_redirects if isinstance(raw_redirects, list) else [raw_redirects]):
        try:
            permalinks.check_not_absolute(old)
            redirects.append(permalinks.sanitize(old))
        except permalinks.PermalinkError as exc:
            warnings.append(f"redirect_from ignored: {exc}")

    last_modified_at = None
    if meta.get("last_modified_at") not in (None, ""):
        try:
            last_modified_at = parse_date(
                meta["last_modified_at"], zone, warnings, "last_modified_at"
            )
        except PostError as exc:
            warnings.append(f"last_modified_at ignored: {exc}")

    dropped: list[str] = []
    body = render_liquid(body, settings, dropped)
    excerpt = meta.get("excerpt")
    excerpt = render_liquid(str(excerpt), settings, dropped) if excerpt is not None else None
    if dropped:
        shown = ", ".join(dict.fromkeys(dropped))
        warnings.append(f"dropped Liquid it cannot run: {shown}")
    separator = meta.get("excerpt_separator")

    return PostSource(
        source_key=source_key or source_key_for(path),
        source_path=source_path if source_path is not None else str(path),
        source_text=text,
        content_hash=content_hash(data, settings),
        front_matter=json_safe(meta),
        body=body,
        is_markdown=path.suffix.lower() in MARKDOWN_EXTENSIONS,
        title=title,
        slug=slug[:300],
        published_at=published_at,
        permalink=permalink,
        tag_names=tags_of(meta),
        categories=categories,
        is_draft=meta.get("published") is False,
        comments_enabled=not is_false(meta.get("comments")),
        excerpt=excerpt,
        excerpt_separator=str(separator) if separator not in (None, "") else None,
        redirect_from=list(dict.fromkeys(r for r in redirects if r != permalink)),
        last_modified_at=last_modified_at,
        warnings=warnings,
    )
