"""Database models and the reusable queries over them (as `Select` builders)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, cast

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Enum,
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
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .author_account import AccountMixin
from .extensions import Model, db

# The queue's and the mail's tables live in models_mail.py; they are re-exported here.
from .models_mail import Job, JobState, MailOptOut, ReplySubscription  # noqa: F401
from .timeutil import UTCDateTime, as_utc, now_utc

post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # The primary key (post_id, tag_id) serves "does this post have the tag" (the EXISTS
    # form of a tag page); this one serves "the posts of a tag" and tag counts.
    Index("ix_post_tags_tag_id_post_id", "tag_id", "post_id"),
)


class Post(Model):
    """One post, with its body rendered once when written (content/posts.py is its writer).

    A post may come from a Jekyll file (then `source_key` names it) or from the app alone.
    """

    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_is_draft_published_at", "is_draft", "published_at"),)

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
    def published(now: datetime | None = None) -> Select:
        """Posts a reader may see (not drafts, not dated in the future), newest first."""
        now = now or now_utc()
        return (
            select(Post)
            .where(Post.is_draft.is_(False), Post.published_at <= now)
            .order_by(Post.published_at.desc(), Post.id.desc())
        )

    @staticmethod
    def at_permalink(path: str, now: datetime | None = None) -> Select:
        """The published post whose permalink is exactly `path`."""
        return Post.published(now).where(Post.permalink == path)

    @staticmethod
    def find_published(path: str) -> Post | None:
        """The published post at exactly `path`: the one lookup every view uses."""
        return db.session.execute(Post.at_permalink(path)).scalar_one_or_none()

    @staticmethod
    def next_scheduled(now: datetime | None = None) -> Select:
        """The publication time of the next post dated in the future."""
        now = now or now_utc()
        return select(func.min(Post.published_at)).where(
            Post.is_draft.is_(False), Post.published_at > now
        )

    @staticmethod
    def tagged(tag: Tag, now: datetime | None = None) -> Select:
        """Published posts carrying `tag`, newest first.

        EXISTS rather than a JOIN so that SQLite walks the published-date index and stops
        at the LIMIT instead of reading every post of the tag.
        """
        has_tag = exists().where(post_tags.c.post_id == Post.id, post_tags.c.tag_id == tag.id)
        return Post.published(now).where(has_tag)

    @staticmethod
    def count_tagged(tag: Tag, now: datetime | None = None) -> Select:
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
def _table(model: type[Model]) -> Table:
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


class CommentStatus(enum.Enum):
    """Where a comment stands in moderation."""

    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


def status_type() -> Enum:
    """The column type of a CommentStatus: its value as a short string, on every database."""
    return Enum(
        CommentStatus,
        native_enum=False,
        length=16,
        values_callable=lambda statuses: [status.value for status in statuses],
    )


class Comment(Model):
    """A reader's comment; its body is sanitised once, at submission, into `body_html`."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_id_status_created_at", "post_id", "status", "created_at"),
        Index("ix_comments_status_created_at", "status", "created_at"),
        Index("ix_comments_author_email_status", "author_email", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(100))
    author_email: Mapped[str | None] = mapped_column(String(254))
    author_url: Mapped[str | None] = mapped_column(String(2000))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(status_type(), default=CommentStatus.PENDING)
    # The status before trash or spam, so that `restore` can put the comment back.
    previous_status: Mapped[CommentStatus | None] = mapped_column(status_type())
    hold_reason: Mapped[str | None] = mapped_column(String(200))
    # The form's one-time nonce: a POST sent twice stores the comment once.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A Webmention's source page (the comment was written there; shown "via" it).
    source_url: Mapped[str | None] = mapped_column(String(1000))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("authors.id", ondelete="SET NULL")
    )

    post: Mapped[Post] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id])
    status_changed_by: Mapped[Author | None] = relationship()

    @staticmethod
    def with_status(status: CommentStatus) -> Select:
        """Comments in one moderation state, newest first (the queue's order)."""
        return (
            select(Comment)
            .where(Comment.status == status)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
        )

    @staticmethod
    def pending() -> Select:
        """The moderation queue."""
        return Comment.with_status(CommentStatus.PENDING)

    @staticmethod
    def approved_for(post: Post) -> Select:
        """A post's approved comments, oldest first (the reading order)."""
        return (
            select(Comment)
            .where(Comment.post_id == post.id, Comment.status == CommentStatus.APPROVED)
            .order_by(Comment.created_at, Comment.id)
        )


class Author(AccountMixin, UserMixin, Model):
    """The blog's author: the one who signs in to moderate."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # Where notifications for this author go (`flask author create --email`); none: no mail.
    email: Mapped[str | None] = mapped_column(String(254))
    # The private moderation feed's URL is signed with this; `feed-url --rotate` bumps it,
    # which voids every URL made before.
    feed_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


NO_SYNC = {"synchronize_session": False}


class SiteState(Model):
    """One row whose `generation` grows with every change a page or feed could show.

    Change tracking lives here, in the model layer: every writer (the importer, the comment
    rules, later the editor) calls `SiteState.bump()` in its own transaction, and the
    response cache only reads the counter (see `generation.py`), knowing nothing of who wrote.
    """

    __tablename__ = "site_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    @staticmethod
    def bump() -> None:
        """Record a change pages or feeds could show, in the caller's transaction."""
        now = now_utc()
        db.session.execute(
            update(SiteState)
            .where(SiteState.id == 1)
            .values(generation=SiteState.generation + 1, changed_at=now)
        )
        # What the change made public stays known: a tag with a published post now has had one.
        published = exists().where(post_tags.c.tag_id == Tag.id, post_tags.c.post_id == Post.id)
        published = published.where(Post.is_draft.is_(False), Post.published_at <= now)
        tags = update(Tag).where(Tag.published_once.is_(False), published)
        db.session.execute(tags.values(published_once=True), execution_options=NO_SYNC)

    @staticmethod
    def last_change(now: datetime | None = None) -> datetime:
        """When anything a page shows last changed: the last recorded change, or the
        newest post to go live (a post scheduled for later goes live without any write)."""
        now = now or now_utc()
        changed = db.session.execute(
            select(SiteState.changed_at).where(SiteState.id == 1)
        ).scalar_one_or_none()
        newest = db.session.execute(
            select(func.max(Post.published_at)).where(
                Post.is_draft.is_(False), Post.published_at <= now
            )
        ).scalar_one_or_none()
        moments = [as_utc(moment) for moment in (changed, newest) if moment is not None]
        return min(max(moments), now) if moments else now

    @staticmethod
    def next_scheduled_post() -> datetime | None:
        """When the next post dated in the future goes live (the site changes then, unbumped)."""
        return db.session.execute(Post.next_scheduled()).scalar_one_or_none()


# The counter as one plain SQL statement, for `generation.GenerationReader`'s raw cursor.
GENERATION_SQL = "SELECT generation FROM site_state WHERE id = 1"


posts_table = _table(Post)
tags_table = _table(Tag)
