"""What readers asked of the blog's mail: reply subscriptions and opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import Model
from microblog.timeutil import UTCDateTime, now_utc

if TYPE_CHECKING:
    from microblog.models.comments import Comment


class ReplySubscription(Model):
    """A reader's wish to be mailed replies to their comment (double opt-in: it counts only
    once `confirmed_at` is set, by the link mailed to `email`)."""

    __tablename__ = "reply_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), unique=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    comment: Mapped[Comment] = relationship()

    @property
    def active(self) -> bool:
        """Confirmed and not unsubscribed: replies are mailed."""
        return self.confirmed_at is not None and self.unsubscribed_at is None


class MailOptOut(Model):
    """An address that asked for no mail about any of its comments on this site."""

    __tablename__ = "mail_opt_outs"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
