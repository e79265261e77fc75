"""Pages of the site: written in the app (`/admin/pages`) or imported from a Jekyll site,
rendered once when written, served at their permalink; no date, no tags, no feed entry.

- `PageWriter.save` is the one writer of pages: it checks the address (a path no post,
  other page or route of the blog has), renders the body (Markdown, or HTML as written),
  sizes its images, grows `version` (the editor's optimistic lock) and marks the site
  changed in the caller's transaction (the caller commits).
- `import_pages` reads a whole site's pages with its Liquid (`site.posts` included), its
  own 404 page and its navigation (`_data/navigation.yml`, `_config.yml`'s `header_pages`
  or `navigation`, or the pages' own `nav_order`, else every titled page as minima does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select, update

from microblog.extensions import db
from microblog.jekyll import permalinks
from microblog.jekyll.errors import PostError
from microblog.jekyll.liquid import JekyllTime
from microblog.jekyll.markdown import printable, render_post
from microblog.jekyll.page_file import PageSource, is_page_file, parse_page
from microblog.jekyll.settings import SiteSettings
from microblog.jekyll.site import JekyllSite
from microblog.jekyll.site_files import read_bytes_no_link
from microblog.models import Page, Post, Redirect
from microblog.posts.import_report import FileResult
from microblog.posts.index import SessionLike
from microblog.posts.media import enhance_body
from microblog.posts.site_changes import mark_site_changed
from microblog.posts.site_settings import NAVIGATION, get_setting, set_setting
from microblog.timeutil import now_utc


class PageRejected(ValueError):
    """A page that cannot be saved as written; `field` names the form field to blame."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.field = field


class PageConflict(Exception):
    """The page changed since the form was served (its version moved on)."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the page is at version {current} now")
        self.current = current


@dataclass
class PageInput:
    """A page as its author wrote it."""

    title: str
    body: str
    permalink: str
    is_markdown: bool = True
    nav_order: int | None = None
    is_not_found: bool = False
    front_matter: dict[str, Any] = field(default_factory=dict)


def slug_path(title: str) -> str:
    """The address of a new page without one: `/<title-slug>/`."""
    slug = permalinks.jekyll_slugify(title) or "page"
    return f"/{slug[:200]}/"


# Set by the web layer: whether a path is one of the blog's own routes (a page there would
# never be reached). Kept as a hook so this room needs no request or URL map.
ROUTE_CHECK: list[Callable[[str], bool]] = []


def address_problem(session: SessionLike, path: str, page_id: int | None) -> str | None:
    """Why a page cannot live at `path`; None when it can."""
    try:
        permalinks.check_path(path)
    except permalinks.PermalinkError as exc:
        return str(exc)
    if any(check(path) for check in ROUTE_CHECK):
        return f"{path} is an address the blog itself answers"
    variants = {path, path.rstrip("/") or "/", path if path.endswith("/") else path + "/"}
    if session.execute(select(Post.id).where(Post.permalink.in_(variants)).limit(1)).first():
        return f"{path} is already the address of a post"
    if session.execute(select(Redirect.id).where(Redirect.path.in_(variants)).limit(1)).first():
        return f"{path} is an old address of a post (it leads there)"
    other = session.execute(
        select(Page.id).where(Page.permalink.in_(variants), Page.id != (page_id or 0)).limit(1)
    ).first()
    if other:
        return f"{path} is already the address of another page"
    return None


def render_body(session: SessionLike, page: PageInput, settings: SiteSettings) -> str:
    """The page's HTML, as a post's body is rendered (Markdown, or HTML kept), images sized."""
    html, _ = render_post(page.body, is_markdown=page.is_markdown, gfm=settings.gfm)
    return enhance_body(session, printable(html), settings.site_url)


def save_page(
    session: SessionLike,
    page: PageInput,
    settings: SiteSettings,
    *,
    page_id: int | None = None,
    expected_version: int | None = None,
    source: PageSource | None = None,
) -> Page:
    """Create or change a page in the caller's transaction; PageRejected / PageConflict."""
    path = page.permalink.strip() or slug_path(page.title)
    problem = address_problem(session, path, page_id)
    if problem:
        raise PageRejected(problem, "permalink")
    row = session.get(Page, page_id) if page_id is not None else None
    if page_id is not None and row is None:
        raise PageRejected("no such page", "form")
    if row is not None and expected_version is not None and row.version != expected_version:
        raise PageConflict(row.version)
    values: dict[str, Any] = {
        "title": printable(" ".join(page.title.split()))[:500],
        "permalink": path,
        "body_source": page.body,
        "body_html": render_body(session, page, settings),
        "markup": "markdown" if page.is_markdown else "html",
        "nav_order": page.nav_order,
        "is_not_found": page.is_not_found,
        "front_matter": page.front_matter,
        "updated_at": now_utc(),
    }
    if source is not None:
        values.update(source_key=source.source_key, source_text=source.source_text)
    if page.is_not_found:
        # One page is the site's 404 page.
        session.execute(update(Page).where(Page.id != (page_id or 0)).values(is_not_found=False))
    if row is None:
        row = Page(**values, version=1, created_at=now_utc())
        row.imported_version = 1 if source is not None else None
        session.add(row)
    else:
        done = session.execute(
            update(Page)
            .where(Page.id == row.id, Page.version == row.version)
            .values(**values, version=Page.version + 1)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise PageConflict(row.version + 1)
        session.expire(row)
        if source is not None:
            row.imported_version = row.version
    session.flush()
    mark_site_changed(session)
    return row


def delete_page(session: SessionLike, page: Page) -> None:
    """Remove a page (its address answers 404 from then on)."""
    session.delete(page)
    mark_site_changed(session)


def input_of(page: Page) -> PageInput:
    """A stored page as the editor shows it."""
    return PageInput(
        title=page.title,
        body=page.body_source,
        permalink=page.permalink,
        is_markdown=page.markup != "html",
        nav_order=page.nav_order,
        is_not_found=page.is_not_found,
        front_matter=dict(page.front_matter or {}),
    )


# ---------------------------------------------------------------------------- navigation


@dataclass(frozen=True)
class NavLink:
    """One entry of the site's navigation."""

    title: str
    url: str


def navigation(session: SessionLike | None = None) -> list[NavLink]:
    """The site's navigation: the list an imported site named, else the pages' order."""
    session = session if session is not None else db.session
    stored = get_setting(NAVIGATION, session)
    if isinstance(stored, list) and stored:
        return [NavLink(str(item["title"]), str(item["url"])) for item in stored]
    pages = session.execute(Page.in_navigation()).scalars().all()
    return [NavLink(page.title or page.permalink, page.permalink) for page in pages]


def named_navigation(site: JekyllSite) -> list[dict[str, str]] | None:
    """`_data/navigation.yml` (or `_config.yml`'s `navigation`/`nav`): [{title, url}]."""
    data = site.context.variables.get("data") or {}
    for candidate in (
        data.get("navigation") if isinstance(data, Mapping) else None,
        site.config.get("navigation"),
        site.config.get("nav"),
    ):
        items = candidate.get("main") if isinstance(candidate, Mapping) else candidate
        if isinstance(items, list):
            links = [
                {"title": str(i.get("title") or i.get("name")), "url": str(i.get("url"))}
                for i in items
                if isinstance(i, Mapping) and (i.get("title") or i.get("name")) and i.get("url")
            ]
            if links:
                return links
    return None


# ---------------------------------------------------------------------------- import


def site_posts(session: SessionLike) -> list[dict[str, Any]]:
    """`site.posts` for a page's Liquid: the published posts, newest first."""
    rows = session.execute(Post.published()).scalars().all()
    return [
        {
            "title": post.title,
            "url": post.permalink,
            "date": JekyllTime.of(post.published_at),
            "excerpt": post.excerpt_html,
            "categories": list(post.categories or []),
            "tags": list(post.tag_names or []),
            "id": post.permalink.rstrip("/"),
        }
        for post in rows
    ]


def import_pages(
    site: JekyllSite,
    session: SessionLike,
    *,
    dry_run: bool = False,
    force: bool = False,
) -> list[FileResult]:
    """Every page of the site imported (after its posts: `site.posts` is read from the
    database), its navigation stored; one result per page file."""
    results: list[FileResult] = []
    posts = site_posts(session)
    header_pages = site.config.get("header_pages")
    sources: list[PageSource] = []
    for relative in site.files.pages:
        relative = PurePosixPath(relative)
        if not is_page_file(relative):
            continue
        display = str(relative)
        try:
            data = read_bytes_no_link(site.root, site.root / relative)
            defaults = site.defaults_for_page(relative)
            source = parse_page(
                data,
                relative,
                site.settings,
                site.context,
                root=site.root,
                defaults=defaults,
                site_posts=posts,
            )
        except (PostError, OSError) as exc:
            results.append(FileResult(display, "failed", str(exc)))
            continue
        if source.permalink == "/":
            results.append(
                FileResult(display, "skipped", "the blog's front page is its list of posts")
            )
            continue
        sources.append(source)
    if isinstance(header_pages, list):
        order = {str(name): index for index, name in enumerate(header_pages)}
        sources = [_with_nav(source, order.get(source.source_key)) for source in sources]
    elif not any(source.nav_order is not None for source in sources):
        titled = sorted(
            (s for s in sources if s.title and not s.is_not_found), key=lambda s: s.title
        )
        order = {source.source_key: index for index, source in enumerate(titled)}
        sources = [_with_nav(source, order.get(source.source_key)) for source in sources]
    for source in sources:
        results.append(store_imported(session, source, site.settings, dry_run, force))
    if not dry_run:
        set_setting(NAVIGATION, named_navigation(site), session)
    return results


def _with_nav(source: PageSource, order: int | None) -> PageSource:
    return replace(source, nav_order=order)


def store_imported(
    session: SessionLike, source: PageSource, settings: SiteSettings, dry_run: bool, force: bool
) -> FileResult:
    """One imported page stored: imported, updated, unchanged, conflict or failed."""
    display = source.source_key
    row = session.execute(
        select(Page).where(Page.source_key == source.source_key)
    ).scalar_one_or_none()
    if (
        row is not None
        and row.source_text == source.source_text
        and (row.permalink == source.permalink and row.nav_order == source.nav_order)
    ):
        return FileResult(display, "unchanged", permalink=row.permalink)
    if row is not None and not force and row.imported_version not in (None, row.version):
        return FileResult(
            display,
            "conflict",
            "its page was changed in the app since the last import (--force replaces it)",
            permalink=row.permalink,
        )
    page = PageInput(
        title=source.title,
        body=source.body,
        permalink=source.permalink,
        is_markdown=source.is_markdown,
        nav_order=source.nav_order,
        is_not_found=source.is_not_found,
        front_matter=source.front_matter,
    )
    if dry_run:
        return FileResult(
            display, "imported" if row is None else "updated", permalink=page.permalink
        )
    try:
        with session.begin_nested():
            saved = save_page(
                session,
                page,
                settings,
                page_id=row.id if row is not None else None,
                source=source,
            )
    except (PageRejected, PageConflict) as exc:
        return FileResult(display, "failed", str(exc))
    return FileResult(
        display,
        "imported" if row is None else "updated",
        warnings=list(source.warnings),
        permalink=saved.permalink,
    )


def page_count(session: SessionLike | None = None) -> int:
    session = session if session is not None else db.session
    return int(session.execute(select(func.count(Page.id))).scalar_one())
