"""A reader's comment and its moderation status."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    false,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import Model
from microblog.models.posts import Post
from microblog.timeutil import UTCDateTime, now_utc

if TYPE_CHECKING:
    from microblog.models.accounts import Author


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
    # Written by the signed-in author: approved at once, shown with the author's mark.
    by_author: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    def with_status(status: CommentStatus) -> Select[Comment]:
        """Comments in one moderation state, newest first (the queue's order)."""
        return (
            select(Comment)
            .where(Comment.status == status)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
        )

    @staticmethod
    def pending() -> Select[Comment]:
        """The moderation queue."""
        return Comment.with_status(CommentStatus.PENDING)

    @staticmethod
    def approved_counts(post_ids: list[int]) -> Select[int, int]:
        """(post id, approved comments) for these posts (a listing's counts)."""
        return (
            select(Comment.post_id, func.count())
            .where(Comment.post_id.in_(post_ids), Comment.status == CommentStatus.APPROVED)
            .group_by(Comment.post_id)
        )

    @staticmethod
    def approved_for(post: Post) -> Select[Comment]:
        """A post's approved comments, oldest first (the reading order)."""
        return (
            select(Comment)
            .where(Comment.post_id == post.id, Comment.status == CommentStatus.APPROVED)
            .order_by(Comment.created_at, Comment.id)
        )
