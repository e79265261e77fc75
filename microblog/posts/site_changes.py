"""Posts changed in a transaction → the site's change counter, bumped once at its commit.

The writer marks the session; the counter (`SiteState.bump()`) is bumped just before that
transaction commits, so an import batch of 500 posts bumps it once, and what the bump
records sees every post of the batch. A rolled-back transaction bumps nothing.

The marks also say which feeds changed (the tags touched, the comment feeds whose approved
comments changed, when a scheduled post goes live), for whoever announces them at the same
commit (`openweb/websub.py` takes them with `take_feed_changes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from microblog.models import SiteState
from microblog.posts.index import SessionLike

# Set in a session's `info` when posts changed in its current transaction.
POSTS_CHANGED = "microblog.posts_changed"
# What changed for the feeds in the current transaction (a FeedChanges).
FEED_CHANGES = "microblog.feed_changes"


@dataclass
class FeedChanges:
    """The feeds a transaction changed: the site's (when `site`), its tags', comment feeds'."""

    site: bool = False
    tag_slugs: set[str] = field(default_factory=set)
    # Permalinks of the posts whose comment feed changed.
    comment_feeds: set[str] = field(default_factory=set)
    # When posts written now, dated later, go live (their feeds change then, unwritten).
    going_live: dict[datetime, set[str]] = field(default_factory=dict)
    # The posts saved, with when each goes live (None: live now, or a draft).
    saved_posts: dict[int, datetime | None] = field(default_factory=dict)
    # The posts deleted: permalink → the HTML they had (the sites they linked to are told).
    deleted_posts: dict[str, str] = field(default_factory=dict)
    # The comments that became public (a fediverse reply among them is shared with followers).
    approved_comments: set[int] = field(default_factory=set)


def feed_changes(session: SessionLike) -> FeedChanges:
    """The session's record of changed feeds for its current transaction."""
    changes = session.info.get(FEED_CHANGES)
    if changes is None:
        changes = session.info[FEED_CHANGES] = FeedChanges()
    return changes


def mark_changed(
    session: SessionLike,
    tag_slugs: Iterable[str] = (),
    goes_live: datetime | None = None,
    post_id: int | None = None,
) -> None:
    """Note that posts changed in the session's transaction (bumped at its commit), with the
    tags whose feeds they touch and, for a post dated later, when it goes live."""
    session.info[POSTS_CHANGED] = True
    changes = feed_changes(session)
    changes.site = True
    changes.tag_slugs.update(tag_slugs)
    if goes_live is not None:
        changes.going_live.setdefault(goes_live, set()).update(tag_slugs)
    if post_id is not None:
        changes.saved_posts[post_id] = goes_live


def mark_deleted(session: SessionLike, permalink: str, body_html: str) -> None:
    """Note that the post at `permalink` was deleted (its links, for Webmentions)."""
    feed_changes(session).deleted_posts[permalink] = body_html


def mark_site_changed(session: SessionLike) -> None:
    """Note that what readers see changed in the session's transaction (a comment approved,
    a Webmention counted): every cached page and feed goes stale at its commit. The one way
    to say "the site changed"; posts say it through `mark_changed`."""
    session.info[POSTS_CHANGED] = True


def mark_comments_changed(session: SessionLike, permalink: str) -> None:
    """Note that a post's approved comments (its comment feed) changed."""
    feed_changes(session).comment_feeds.add(permalink)


def mark_comment_approved(session: SessionLike, comment_id: int) -> None:
    """Note that a comment became public in the session's transaction."""
    feed_changes(session).approved_comments.add(comment_id)


def take_feed_changes(session: SessionLike) -> FeedChanges | None:
    """The feeds changed in the committing transaction, once (None if none)."""
    changes: FeedChanges | None = session.info.pop(FEED_CHANGES, None)
    return changes


def bump_before_commit(session: Session) -> None:
    """Mark every cached page and feed stale, in the transaction that changed posts."""
    if session.info.pop(POSTS_CHANGED, False):
        SiteState.bump()


def forget_changes(session: Session) -> None:
    """A rolled-back transaction changed nothing."""
    session.info.pop(POSTS_CHANGED, None)
    session.info.pop(FEED_CHANGES, None)
