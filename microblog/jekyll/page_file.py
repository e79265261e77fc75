"""A Jekyll page (a `.md` or `.html` file with front matter outside `_posts`) → `PageSource`.

Its URL is the one `jekyll build` gives it (Jekyll 4's `Page#template` and
`Utils.add_permalink_suffix`): the front matter's `permalink`, else `index` files at their
folder (`/docs/`), else `/:path/:basename` with the site's permalink style deciding the end
(`/` for a style that ends in a slash or `pretty`, else `.html`). Its Liquid runs with the
site (`site.posts` given by the caller), its body is Markdown or HTML as its extension says.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from microblog.jekyll import permalinks
from microblog.jekyll.errors import PostError
from microblog.jekyll.files import MARKDOWN_EXTENSIONS, decode
from microblog.jekyll.front_matter import json_safe, load_yaml, split_front_matter
from microblog.jekyll.liquid import LiquidContext, SiteContext, render_liquid
from microblog.jekyll.settings import SiteSettings

# What a page may be made from; other files with front matter (SCSS, feeds, robots.txt)
# are the site's plumbing, which the app has its own of.
PAGE_EXTENSIONS = frozenset({*MARKDOWN_EXTENSIONS, ".html", ".htm"})
NOT_FOUND_NAMES = frozenset({"404.md", "404.markdown", "404.html"})


@dataclass(frozen=True)
class PageSource:
    """One page, its Liquid resolved, ready to render and store."""

    source_key: str
    source_text: str
    title: str
    permalink: str
    body: str
    is_markdown: bool
    nav_order: int | None
    is_not_found: bool
    front_matter: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def is_page_file(relative: PurePosixPath) -> bool:
    """Whether Jekyll would render this file (with front matter) into a page of the site."""
    return relative.suffix.lower() in PAGE_EXTENSIONS


def permalink_suffix(style: str) -> str:
    """How a page URL ends under the site's permalink style ("/" or ".html")."""
    value = style.strip()
    if value == "pretty" or (value not in permalinks.STYLES and value.endswith("/")):
        return "/"
    return ".html"


def page_url(relative: PurePosixPath, meta: Mapping[str, Any], style: str) -> str:
    """The URL Jekyll gives the page at `relative` in the site."""
    output_ext = ".html"
    folder = posixpath.dirname(str(relative))
    basename = relative.stem
    raw = meta.get("permalink")
    if isinstance(raw, str) and raw.strip():
        url = raw.strip()
        url = url.replace(":path", folder).replace(":basename", basename)
        url = url.replace(":output_ext", output_ext)
    elif basename == "index":
        url = f"/{folder}/" if folder else "/"
    else:
        url = f"/{folder}/{basename}" if folder else f"/{basename}"
        url += "/" if permalink_suffix(style) == "/" else output_ext
    url = "/" + url.lstrip("/")
    return posixpath.normpath(url) + ("/" if url.endswith("/") and url != "/" else "")


def title_of(meta: Mapping[str, Any], relative: PurePosixPath) -> str:
    """The page's title: its front matter's, else none (a page need not have one)."""
    raw = meta.get("title")
    return " ".join(str(raw).split())[:500] if raw is not None else ""


def nav_order_of(meta: Mapping[str, Any]) -> int | None:
    """`nav_order` (just-the-docs and others): a whole number, else None."""
    raw = meta.get("nav_order")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return int(raw)
    if (
        isinstance(raw, str)
        and raw.strip().lstrip("-").isascii()
        and raw.strip().lstrip("-").isdigit()
    ):
        return int(raw.strip())
    return None


def parse_page(
    data: bytes,
    relative: PurePosixPath,
    settings: SiteSettings,
    site: SiteContext,
    *,
    root: Path | None = None,
    defaults: Mapping[str, Any] | None = None,
    site_posts: Sequence[Mapping[str, Any]] = (),
) -> PageSource:
    """Read one page file; PostError when it cannot be a page as written."""
    text = decode(data)
    lf_text = text.replace("\r\n", "\n")
    front, body = split_front_matter(lf_text)
    warnings: list[str] = []
    meta = load_yaml(front, warnings)
    if defaults:
        meta = {**defaults, **meta}
    if meta.get("published") is False:
        raise PostError("published: false (Jekyll does not publish it)")
    url = page_url(relative, meta, settings.page_permalink)
    try:
        url = permalinks.check_path(url)
    except permalinks.PermalinkError as exc:
        raise PostError(f"its URL {url!r} cannot be served: {exc}") from None
    markdown = relative.suffix.lower() in MARKDOWN_EXTENSIONS
    title = title_of(meta, relative)
    variables = {**site.variables, "posts": list(site_posts)}
    liquid = LiquidContext(
        site=replace(site, variables=variables),
        page={**meta, "title": title, "url": url, "path": str(relative), "dir": url},
        source_dir=(root / relative).parent if root is not None else None,
        is_markdown=markdown,
        first_line=lf_text.count("\n", 0, len(lf_text) - len(body)) + 1,
    )
    result = render_liquid(body, liquid)
    warnings.extend(result.warnings)
    return PageSource(
        source_key=str(relative),
        source_text=text,
        title=title,
        permalink=url,
        body=result.text,
        is_markdown=markdown,
        nav_order=nav_order_of(meta),
        is_not_found=relative.name.lower() in NOT_FOUND_NAMES and "/" not in str(relative),
        front_matter=json_safe(meta),
        warnings=warnings,
    )
