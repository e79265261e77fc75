"""The pages' part of `flask posts export` (registered with the exporter by create_app):
each page as its file was when imported and unchanged since, else a generated Jekyll page
(title, permalink, nav_order, the other front matter kept, the body protected from Liquid)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import undefer

from microblog.extensions import db
from microblog.models import Page
from microblog.posts.exporter import ExportContext, ExportedFile, protected_body, yaml_key

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


def page_files(context: ExportContext) -> Iterator[ExportedFile]:
    """Every page of the blog as a file of the exported site."""
    statement = select(Page).options(
        undefer(Page.source_text), undefer(Page.body_source), undefer(Page.front_matter)
    )
    for page in db.session.execute(statement.order_by(Page.id)).scalars():
        if page.source_key and page.source_text and page.imported_version == page.version:
            text = page.source_text
            name = page.source_key
        else:
            text = page_text(page)
            name = page.source_key or page_file_name(page)
        yield ExportedFile(context.unique(name), text.encode("utf-8"), kind="pages")
