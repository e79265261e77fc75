"""The Webmention table: other pages that link to a post, and what kind of response each is.

Written only by the verification job (openweb/webmention.py); read by the post page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Select, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import Model
from microblog.models.comments import Comment
from microblog.timeutil import UTCDateTime, now_utc


class Webmention(Model):
    """A verified Webmention: another page that links to a post, what kind of response it is
    (reply, like, repost, mention) and who wrote it. A reply or mention holds its comment."""

    __tablename__ = "webmentions"
    __table_args__ = (UniqueConstraint("post_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(16))
    author_name: Mapped[str] = mapped_column(String(100))
    author_url: Mapped[str | None] = mapped_column(String(1000))
    author_photo: Mapped[str | None] = mapped_column(String(1000))
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    comment: Mapped[Comment | None] = relationship()

    @staticmethod
    def reactions(post_id: int) -> Select[Webmention]:
        """A post's likes and reposts."""
        # Unordered: found by the (post_id, source) index; the few rows are sorted by the
        # caller, so the page's query needs no sort step of the database's.
        return select(Webmention).where(
            Webmention.post_id == post_id, Webmention.kind.in_(["like", "repost"])
        )


class SentWebmention(Model):
    """A link a post of ours made, that we notified (or will): so that a link later removed,
    or the post deleted, is notified again (the spec's "update and delete")."""

    __tablename__ = "sent_webmentions"

    source: Mapped[str] = mapped_column(String(1000), primary_key=True)
    target: Mapped[str] = mapped_column(String(1000), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
