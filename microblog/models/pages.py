"""Pages of the site (about, archive, 404): no date, no tags, no feed entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, Select, String, Text, false, select
from sqlalchemy.orm import Mapped, mapped_column

from microblog.extensions import Model
from microblog.timeutil import UTCDateTime, now_utc


class Page(Model):
    """One page at its permalink, its body rendered once when written."""

    __tablename__ = "pages"
    # The navigation on every page reads the pages in order from this index (no scan).
    __table_args__ = (Index("ix_pages_navigation", "nav_order", "title", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The page's path in the Jekyll site it was imported from ("about.md"); None for a page
    # written in the app.
    source_key: Mapped[str | None] = mapped_column(String(500), unique=True)
    source_text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    permalink: Mapped[str] = mapped_column(String(1000), unique=True)
    body_source: Mapped[str] = mapped_column(Text, default="", deferred=True)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # "markdown" or "html" (an imported .html page is kept as its Liquid rendered it).
    markup: Mapped[str] = mapped_column(String(20), default="markdown")
    # In the site's navigation, at this place (lower first); None: not in it.
    nav_order: Mapped[int | None] = mapped_column(Integer)
    # The site's own 404 page (a Jekyll site's 404.md).
    is_not_found: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    front_matter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    imported_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    @staticmethod
    def in_navigation() -> Select[Page]:
        """The pages the site's navigation names, in its order."""
        return (
            select(Page)
            .where(Page.nav_order.is_not(None))
            .order_by(Page.nav_order, Page.title, Page.id)
        )

    @staticmethod
    def at(path: str) -> Select[Page]:
        """The page at exactly `path`."""
        return select(Page).where(Page.permalink == path)


class SiteSetting(Model):
    """One setting the site itself holds (a whole-site import's permalink style, its
    navigation), beside the operator's configuration; `key` names it, `value` is JSON."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
