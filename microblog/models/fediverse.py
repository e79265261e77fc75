"""ActivityPub's tables: the blog's own keys, its followers, who is blocked, the keys and
inboxes of remote actors, the replies and reactions that came from the fediverse, and the
posts that went out (so an edit is an Update and a deletion a Delete of the same object).

Written by `microblog/fediverse/` only; read by the admin's followers page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microblog.extensions import Model
from microblog.models.comments import Comment
from microblog.timeutil import UTCDateTime, now_utc

URL_MAX = 1000


class ActorKey(Model):
    """An RSA key pair of the blog's actor; the newest one not retired is the current one."""

    __tablename__ = "activitypub_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_pem: Mapped[str] = mapped_column(Text)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Follower(Model):
    """A remote actor that follows the blog (`accepted`), or asks to (pending approval)."""

    __tablename__ = "activitypub_followers"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_url: Mapped[str] = mapped_column(String(URL_MAX), unique=True)
    inbox: Mapped[str] = mapped_column(String(URL_MAX))
    shared_inbox: Mapped[str | None] = mapped_column(String(URL_MAX))
    handle: Mapped[str] = mapped_column(String(300), default="")
    name: Mapped[str] = mapped_column(String(300), default="")
    profile_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    # The Follow activity's id: the Accept (or Reject) names it.
    follow_id: Mapped[str] = mapped_column(String(URL_MAX), default="")
    accepted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def delivery_inbox(self) -> str:
        """Where this follower's copy goes: its server's shared inbox when it has one."""
        return self.shared_inbox or self.inbox


class Block(Model):
    """An actor (`kind` "actor", its URL) or a whole domain ("domain", its host) the author
    blocked: nothing it sends is taken, nothing is delivered to it."""

    __tablename__ = "activitypub_blocks"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(URL_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class RemoteActor(Model):
    """What we know of a remote actor from its document: its key (cached, fetched again when
    a signature stops matching it: the actor rotated it), inboxes and name."""

    __tablename__ = "activitypub_remote_actors"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_url: Mapped[str] = mapped_column(String(URL_MAX), unique=True)
    key_id: Mapped[str] = mapped_column(String(URL_MAX), index=True)
    public_pem: Mapped[str] = mapped_column(Text)
    inbox: Mapped[str] = mapped_column(String(URL_MAX))
    shared_inbox: Mapped[str | None] = mapped_column(String(URL_MAX))
    handle: Mapped[str] = mapped_column(String(300), default="")
    name: Mapped[str] = mapped_column(String(300), default="")
    profile_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class RemoteReply(Model):
    """A fediverse Note that became a comment: its id, so that an Update or Delete from its
    author changes or removes that comment, and a reply to it finds its thread."""

    __tablename__ = "activitypub_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[str] = mapped_column(String(URL_MAX), unique=True)
    actor_url: Mapped[str] = mapped_column(String(URL_MAX))
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    comment: Mapped[Comment] = relationship()


class Reaction(Model):
    """A Like or Announce of a post: counted on the page; who sent it is never shown."""

    __tablename__ = "activitypub_reactions"
    __table_args__ = (UniqueConstraint("post_id", "kind", "actor_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    actor_url: Mapped[str] = mapped_column(String(URL_MAX))
    activity_id: Mapped[str] = mapped_column(String(URL_MAX), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class FederatedPost(Model):
    """A post that went out to followers under `object_id` (its URL then): later edits are
    Updates of that object and its deletion a Delete, even after its permalink changed."""

    __tablename__ = "activitypub_posts"

    object_id: Mapped[str] = mapped_column(String(URL_MAX), primary_key=True)
    # The post (no foreign key: the row outlives the post, to send its Delete).
    post_id: Mapped[int] = mapped_column(Integer, index=True)
    permalink: Mapped[str] = mapped_column(String(URL_MAX), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
