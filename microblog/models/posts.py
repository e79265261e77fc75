"""Posts, their tags and their old addresses (redirects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    exists,
    false,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import Model, db
from microblog.timeutil import UTCDateTime, now_utc

post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # The primary key (post_id, tag_id) serves "does this post have the tag" (the EXISTS
    # form of a tag page); this one serves "the posts of a tag" and tag counts.
    Index("ix_post_tags_tag_id_post_id", "tag_id", "post_id"),
)

# Each post's related posts (`posts/related.py` works them out at write time): rank 1 shares
# the most tags with it.
related_posts = Table(
    "related_posts",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("related_id", ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("shared", Integer, nullable=False),
    info={"backup": False},  # derived from the posts' tags: worked out again, not archived
)

# A post's Jekyll categories (`categories:` and the folders above `_posts`), as links to
# Category rows kept by the writer beside `Post.categories`, so a category page is a lookup.
post_categories = Table(
    "post_categories",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_post_categories_category_id_post_id", "category_id", "post_id"),
)


class Post(Model):
    """One post, with its body rendered once when written (content/posts.py is its writer).

    A post may come from a Jekyll file (then `source_key` names it) or from the app alone.
    """

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_is_draft_published_at", "is_draft", "published_at"),
        # Search checks each match is published from this small index (search/query.py).
        Index("ix_posts_search_visibility", "id", "is_draft", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What identifies the source file across re-imports (see content/importer.py); None
    # for a post written in the app.
    source_key: Mapped[str | None] = mapped_column(String(500), unique=True)
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    # The Jekyll file as imported (for export); pages never need it, so it loads on demand.
    source_text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # The body as the author wrote it (Markdown or HTML, Liquid resolved): what an editor
    # shows and an export writes.
    body_source: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    # Grows by one with every change (import, edit): the editor's optimistic lock.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The version the last import wrote; a larger `version` = edited in the app since.
    imported_version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    slug: Mapped[str] = mapped_column(String(300))
    permalink: Mapped[str] = mapped_column(String(1000), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_draft: Mapped[bool] = mapped_column(Boolean, default=False)
    comments_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    excerpt_html: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Tag names as written, in the order the front matter gives them, for display.
    tag_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The whole front matter, unknown keys included, so nothing the author wrote is lost.
    front_matter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, back_populates="posts", lazy="select"
    )
    redirects: Mapped[list[Redirect]] = relationship(
        back_populates="post", cascade="all, delete-orphan"
    )

    @property
    def edited_since_import(self) -> bool:
        """Whether the app changed the post after its file was last imported."""
        return self.imported_version is not None and self.version != self.imported_version

    @property
    def changed_at(self) -> datetime:
        """When a reader would say the post last changed."""
        return self.last_modified_at or self.published_at

    @staticmethod
    def published(now: datetime | None = None) -> Select[Post]:
        """Posts a reader may see (not drafts, not dated in the future), newest first."""
        now = now or now_utc()
        return (
            select(Post)
            .where(Post.is_draft.is_(False), Post.published_at <= now)
            .order_by(Post.published_at.desc(), Post.id.desc())
        )

    @staticmethod
    def older_than(post: Post, now: datetime | None = None) -> Select[Post]:
        """The published post just before `post` (rel="prev")."""
        earlier = (Post.published_at < post.published_at) | (
            (Post.published_at == post.published_at) & (Post.id < post.id)
        )
        return Post.published(now).where(earlier).limit(1)

    @staticmethod
    def newer_than(post: Post, now: datetime | None = None) -> Select[Post]:
        """The published post just after `post` (rel="next")."""
        later = (Post.published_at > post.published_at) | (
            (Post.published_at == post.published_at) & (Post.id > post.id)
        )
        return (
            Post.published(now)
            .where(later)
            .order_by(None)
            .order_by(Post.published_at.asc(), Post.id.asc())
            .limit(1)
        )

    @staticmethod
    def related_to(post: Post, now: datetime | None = None) -> Select[Post]:
        """The related posts worked out for `post` at write time, best first (still
        published: one may have become a draft since)."""
        return (
            Post.published(now)
            .join(related_posts, related_posts.c.related_id == Post.id)
            .where(related_posts.c.post_id == post.id)
            .order_by(None)
            .order_by(related_posts.c.rank)
        )

    @staticmethod
    def at_permalink(path: str, now: datetime | None = None) -> Select[Post]:
        """The published post whose permalink is exactly `path`."""
        return Post.published(now).where(Post.permalink == path)

    @staticmethod
    def find_published(path: str) -> Post | None:
        """The published post at exactly `path`: the one lookup every view uses."""
        return db.session.execute(Post.at_permalink(path)).scalar_one_or_none()

    @staticmethod
    def next_scheduled(now: datetime | None = None) -> Select[datetime]:
        """The publication time of the next post dated in the future."""
        now = now or now_utc()
        return select(func.min(Post.published_at)).where(
            Post.is_draft.is_(False), Post.published_at > now
        )

    @staticmethod
    def tagged(tag: Tag, now: datetime | None = None) -> Select[Post]:
        """Published posts carrying `tag`, newest first.

        EXISTS rather than a JOIN so that SQLite walks the published-date index and stops
        at the LIMIT instead of reading every post of the tag.
        """
        has_tag = exists().where(post_tags.c.post_id == Post.id, post_tags.c.tag_id == tag.id)
        return Post.published(now).where(has_tag)

    @staticmethod
    def count_tagged(tag: Tag, now: datetime | None = None) -> Select[int]:
        """How many published posts carry `tag`.

        From the tag's side of the link table, so the count reads only the tag's posts
        (the EXISTS form, right for a page of them, would probe every published post).
        """
        now = now or now_utc()
        return (
            select(func.count())
            .select_from(post_tags.join(Post, Post.id == post_tags.c.post_id))
            .where(
                post_tags.c.tag_id == tag.id,
                Post.is_draft.is_(False),
                Post.published_at <= now,
            )
        )


# Core handles on the tables, for bulk statements (to a type checker a declarative class's
# `__table__` is only a FromClause, which insert() / update() / delete() do not take).
def table_of(model: type[Model]) -> Table:
    return cast(Table, model.__table__)


class Redirect(Model):
    """An old path that answers 301 to a post's permalink: the author's `redirect_from`, or
    (`automatic`) a permalink the post had before."""

    __tablename__ = "redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    post: Mapped[Post] = relationship(back_populates="redirects")


class Tag(Model):
    """A tag; its name is kept as first written, its slug is what URLs use."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    # Once a published post carried it: its feeds then stay (empty) when its posts all become
    # drafts; a tag only ever on drafts stays a 404. Set by `SiteState.bump()`.
    published_once: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    posts: Mapped[list[Post]] = relationship(
        secondary=post_tags, back_populates="tags", lazy="select"
    )


class Category(Model):
    """A Jekyll category, named as first written; its page is `/categories/<slug>/`."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)

    @staticmethod
    def filed(category: Category, now: datetime | None = None) -> Select[Post]:
        """Published posts in `category`, newest first."""
        inside = exists().where(
            post_categories.c.post_id == Post.id, post_categories.c.category_id == category.id
        )
        return Post.published(now).where(inside)

    @staticmethod
    def count_filed(category: Category, now: datetime | None = None) -> Select[int]:
        """How many published posts are in `category`."""
        now = now or now_utc()
        return (
            select(func.count())
            .select_from(post_categories.join(Post, Post.id == post_categories.c.post_id))
            .where(
                post_categories.c.category_id == category.id,
                Post.is_draft.is_(False),
                Post.published_at <= now,
            )
        )


posts_table = table_of(Post)
tags_table = table_of(Tag)


class PostTombstone(Model):
    """What is left of a deleted post: its address answers 410 Gone, a Webmention telling
    the sites it linked to can say so, and Micropub `undelete` can bring it back from the
    post as it was (`snapshot`, a PostInput's fields as JSON)."""

    __tablename__ = "post_tombstones"

    id: Mapped[int] = mapped_column(primary_key=True)
    permalink: Mapped[str] = mapped_column(String(1000), unique=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
