"""Jekyll permalinks: named styles, `:placeholders`, and Jekyll's sanitising of the result."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import unquote

# Jekyll's built-in permalink styles (Jekyll 4, `permalink:` in `_config.yml`).
STYLES: dict[str, str] = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}

# Paths the application itself answers: a post there would be shadowed or would shadow. The
# one list the writer asks (editor, Micropub, import, pages); tests/app/test_reserved_paths
# walks the app's URL map so that a new route cannot be left out.
RESERVED_PREFIXES = (
    "/admin/",
    "/tags/",
    "/static/",
    "/moderate/",
    "/replies/",
    "/micropub/",
    "/auth/",
    "/token/",
    "/.well-known/",
    "/search/",
    "/archive/",
    "/categories/",
    "/theme/",
    "/activitypub/",
    "/nodeinfo/",
)
RESERVED_PATHS = {
    "/",
    "/admin",
    "/tags",
    "/static",
    "/feed.xml",
    "/atom.xml",
    "/feed.json",
    "/sitemap.xml",
    "/robots.txt",
    "/favicon.ico",
    "/opensearch.xml",
    "/micropub",
    "/webmention",
    "/moderate",
    "/replies",
    "/auth",
    "/token",
    "/search",
    "/archive",
    "/categories",
    "/theme",
    "/.well-known",
    "/activitypub",
    "/nodeinfo",
}
# Every post's own routes: `<post>comments` (the form's target), its feed and a reader's edit
# page. A permalink ending so would be answered by another post's comment routes.
COMMENT_ROUTES = re.compile(r"comments(?:/|/feed\.xml|/\d+/edit)?$")
# An encoded slash or backslash: the server decodes it before routing, so a post whose
# permalink holds one can never be reached at it.
ENCODED_SEPARATOR = re.compile(r"%(?:2f|5c)", re.IGNORECASE)

ABSOLUTE_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)

# Jekyll's slugify modes: "default" keeps letters, marks and digits; "pretty" also keeps
# the URL-safe punctuation `._~!$&'()+,;=@`, underscores included (so `:title` keeps a file
# name's `my_post` as written).
SLUG_DEFAULT = re.compile(r"(?:[^\w]|_)+")
SLUG_PRETTY = re.compile(r"[^\w.~!$&'()+,;=@]+")


class PermalinkError(ValueError):
    """A permalink that cannot be a path on this site."""


def jekyll_slugify(text: str, *, pretty: bool = False, cased: bool = False) -> str:
    """Jekyll's `Utils.slugify` in its "default" or "pretty" mode."""
    slug = (SLUG_PRETTY if pretty else SLUG_DEFAULT).sub("-", text).strip("-")
    return slug if cased else slug.lower()


def template_for(style_or_template: str) -> str:
    """The template for a Jekyll style name (`pretty`, `date`, …), or the template itself."""
    value = style_or_template.strip()
    return STYLES.get(value, value)


def placeholders(
    date: datetime, slug: str, categories: Sequence[str], output_ext: str = ".html"
) -> dict[str, str]:
    """Values for Jekyll's `:placeholders`, from a post's local date, slug and categories."""
    lowered = list(dict.fromkeys(str(c).lower() for c in categories))
    iso_year, iso_week, iso_weekday = date.isocalendar()
    return {
        "year": f"{date.year:04d}",
        "month": f"{date.month:02d}",
        "day": f"{date.day:02d}",
        "hour": f"{date.hour:02d}",
        "minute": f"{date.minute:02d}",
        "second": f"{date.second:02d}",
        "i_day": str(date.day),
        "i_month": str(date.month),
        "short_year": f"{date.year % 100:02d}",
        "short_month": date.strftime("%b"),
        "long_month": date.strftime("%B"),
        "y_day": f"{date.timetuple().tm_yday:03d}",
        "w_year": str(iso_year),
        "week": f"{iso_week:02d}",
        "w_day": str(iso_weekday),
        "short_day": date.strftime("%a"),
        "long_day": date.strftime("%A"),
        "title": jekyll_slugify(slug, pretty=True, cased=True),
        "slug": jekyll_slugify(slug),
        "name": jekyll_slugify(slug),
        "categories": "/".join(lowered),
        "slugified_categories": "/".join(jekyll_slugify(c) for c in lowered),
        "output_ext": output_ext,
    }


def expand(template: str, values: dict[str, str]) -> str:
    """Replace the known `:placeholders` of a template; anything else stays as written."""
    names = "|".join(sorted(map(re.escape, values), key=len, reverse=True))
    return re.sub(rf":({names})", lambda m: values[m.group(1)], template)


def check_not_absolute(url: str) -> None:
    """Refuse a permalink written as an absolute URL (a scheme, or `//host`)."""
    raw = url.strip()
    if ABSOLUTE_URL.match(raw) or ABSOLUTE_URL.match(unquote(raw)):
        raise PermalinkError(f"permalink {raw!r} is an absolute URL, not a path on this site")


def sanitize(url: str) -> str:
    """A site path from a permalink the way Jekyll's `URL#sanitize_url` makes one.

    Percent-escapes are decoded first (so `%2e%2e/` is caught too), then `..` becomes `/`,
    `./` goes and repeated slashes collapse: the result never climbs out of the site.
    `?` and `#`, which a browser never sends as part of the path, are refused (absolute
    URLs are refused by `check_not_absolute`, before placeholders are expanded).
    """
    raw = url.strip()
    decoded = unquote(raw)
    if "?" in decoded or "#" in decoded:
        raise PermalinkError(f"permalink {raw!r} contains '?' or '#'")
    if any(ord(ch) < 32 for ch in decoded):
        raise PermalinkError(f"permalink {raw!r} contains control characters")
    path = ("/" + decoded.replace("\\", "/")).replace("..", "/").replace("./", "")
    return re.sub(r"/{2,}", "/", path)


def reserved_reason(path: str) -> str | None:
    """Why a post cannot live at `path` because the blog answers it otherwise, or None."""
    if path in RESERVED_PATHS or path.startswith(RESERVED_PREFIXES):
        return f"permalink {path!r} is a path the blog itself uses"
    if COMMENT_ROUTES.search(path):
        return (
            f"permalink {path!r} ends like a post's comment address (comments, comments/feed.xml)"
        )
    if ENCODED_SEPARATOR.search(path):
        return f"permalink {path!r} holds an encoded slash (%2F or %5C), which no request keeps"
    return None


def check_reserved(path: str) -> None:
    """Refuse a path the application itself answers."""
    why = reserved_reason(path)
    if why is not None:
        raise PermalinkError(why)


def check_path(path: str) -> str:
    """`path` itself when it can be a post's address as written, else a PermalinkError.

    For a permalink given as a path (the editor, a built one passed on): nothing is
    expanded or rewritten, only refused: a URL, `..`, `?`, `#`, control characters, a path
    not starting with `/`, a path the blog uses.
    """
    check_not_absolute(path)
    decoded = unquote(path)
    if not path.startswith("/"):
        raise PermalinkError(f"permalink {path!r} is not a path starting with '/'")
    if "?" in decoded or "#" in decoded:
        raise PermalinkError(f"permalink {path!r} contains '?' or '#'")
    if any(ord(ch) < 32 for ch in decoded):
        raise PermalinkError(f"permalink {path!r} contains control characters")
    if ".." in decoded or "\\" in decoded:
        raise PermalinkError(f"permalink {path!r} contains '..' or a backslash")
    check_reserved(path)
    return path


def build(
    template: str,
    *,
    date: datetime,
    slug: str,
    categories: Sequence[str],
    output_ext: str = ".html",
) -> str:
    """The sanitised permalink for a post from a template or style name."""
    check_not_absolute(template)
    values = placeholders(date, slug, categories, output_ext)
    path = sanitize(expand(template_for(template), values))
    check_reserved(path)
    return path
