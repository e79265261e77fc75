"""Posts changed in a transaction → the site's change counter, bumped once at its commit.

The writer marks the session; the counter (`SiteState.bump()`) is bumped just before that
transaction commits, so an import batch of 500 posts bumps it once, and what the bump
records sees every post of the batch. A rolled-back transaction bumps nothing.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..models import SiteState
from .post_index import SessionLike

# Set in a session's `info` when posts changed in its current transaction.
POSTS_CHANGED = "microblog.posts_changed"


def mark_changed(session: SessionLike) -> None:
    """Note that posts changed in the session's transaction (bumped at its commit)."""
    session.info[POSTS_CHANGED] = True


@event.listens_for(Session, "before_commit")
def bump_before_commit(session: Session) -> None:
    """Mark every cached page and feed stale, in the transaction that changed posts."""
    if session.info.pop(POSTS_CHANGED, False):
        SiteState.bump()


@event.listens_for(Session, "after_rollback")
def forget_changes(session: Session) -> None:
    """A rolled-back transaction changed nothing."""
    session.info.pop(POSTS_CHANGED, None)
