"""The comments a post page shows: the approved ones as threads, and a reader's own pending
ones (found by the ids their cookie lists)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Post

# Statuses shown to their own writer as "awaiting moderation": spam is not told apart.
SHOWN_AS_PENDING = (CommentStatus.PENDING, CommentStatus.SPAM)


@dataclass
class Threads:
    """A post's approved comments: top-level ones in reading order, each with its replies."""

    threads: list[Comment] = field(default_factory=list)
    replies: dict[int, list[Comment]] = field(default_factory=lambda: defaultdict(list))
    count: int = 0


def approved_threads(post: Post) -> Threads:
    """The approved comments of `post`, oldest first, replies under what they answer."""
    approved = db.session.execute(Comment.approved_for(post)).scalars().all()
    ids = {comment.id for comment in approved}
    found = Threads(count=len(approved))
    for comment in approved:
        if comment.parent_id is not None and comment.parent_id in ids:
            found.replies[comment.parent_id].append(comment)
        else:
            found.threads.append(comment)
    return found


def pending_of_reader(post: Post, ids: Iterable[int]) -> list[Comment]:
    """Those of the comments `ids` on `post` that still await moderation, oldest first."""
    wanted = list(ids)
    if not wanted:
        return []
    return list(
        db.session.execute(
            select(Comment)
            .where(
                Comment.id.in_(wanted),
                Comment.post_id == post.id,
                Comment.status.in_(SHOWN_AS_PENDING),
            )
            .order_by(Comment.created_at, Comment.id)
        ).scalars()
    )
