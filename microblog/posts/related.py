"""Related posts, worked out at write time: for each post, the published posts that share
the most tags with it (newest first among equals), kept in `related_posts`.

A transaction that saves posts queues one `posts.related` job (in that transaction); the
job works the lists out again for those posts and for every post sharing a tag with them
(a new post may now be one of their best matches). A page only reads the stored list.
"""

from __future__ import annotations

from typing import Any

from flask import has_app_context
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from microblog import jobs
from microblog.extensions import db
from microblog.models import Post, post_tags, related_posts
from microblog.posts.site_changes import FEED_CHANGES, FeedChanges, mark_site_changed
from microblog.timeutil import now_utc

RELATED_COUNT = 3


def best_matches(session: Any, post_id: int) -> list[tuple[int, int]]:
    """(post id, shared tags) of the posts sharing most tags with `post_id`."""
    its_tags = select(post_tags.c.tag_id).where(post_tags.c.post_id == post_id)
    shared = func.count().label("shared")
    now = now_utc()
    rows = session.execute(
        select(post_tags.c.post_id, shared)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(
            post_tags.c.tag_id.in_(its_tags),
            post_tags.c.post_id != post_id,
            Post.is_draft.is_(False),
            Post.published_at <= now,
        )
        .group_by(post_tags.c.post_id, Post.published_at)
        .order_by(shared.desc(), Post.published_at.desc(), post_tags.c.post_id.desc())
        .limit(RELATED_COUNT)
    ).all()
    return [(int(row[0]), int(row[1])) for row in rows]


def sharing_a_tag(session: Any, post_ids: list[int]) -> set[int]:
    """The posts that share at least one tag with any of `post_ids`."""
    their_tags = select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(post_ids))
    found = session.execute(
        select(post_tags.c.post_id).where(post_tags.c.tag_id.in_(their_tags)).distinct()
    ).scalars()
    return {int(post_id) for post_id in found}


def refresh(session: Any, post_ids: list[int]) -> int:
    """Work out the related lists of these posts and of the posts sharing their tags;
    how many lists were written."""
    existing = set(session.execute(select(Post.id).where(Post.id.in_(post_ids))).scalars())
    affected = sorted(existing | sharing_a_tag(session, sorted(existing)))
    for post_id in affected:
        session.execute(delete(related_posts).where(related_posts.c.post_id == post_id))
        matches = best_matches(session, post_id)
        if matches:
            session.execute(
                insert(related_posts),
                [
                    {"post_id": post_id, "rank": rank, "related_id": other, "shared": count}
                    for rank, (other, count) in enumerate(matches, start=1)
                ],
            )
    return len(affected)


def queue_before_commit(session: Session) -> None:
    """One `posts.related` job for the posts this transaction saved (same transaction)."""
    changes: FeedChanges | None = session.info.get(FEED_CHANGES)
    if changes is None or not changes.saved_posts or not has_app_context():
        return
    saved = sorted(changes.saved_posts)
    if may_change_lists(session, saved):
        jobs.enqueue("posts.related", session=session, post_ids=saved)


def may_change_lists(session: Any, post_ids: list[int]) -> bool:
    """Whether saving these posts can change any related list: another post shares a tag
    with one of them, or one of them is on some post's list (it may have left a tag)."""
    their_tags = select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(post_ids))
    shares = session.execute(
        select(post_tags.c.post_id)
        .where(post_tags.c.tag_id.in_(their_tags), post_tags.c.post_id.not_in(post_ids))
        .limit(1)
    ).first()
    listed = session.execute(
        select(related_posts.c.post_id).where(related_posts.c.related_id.in_(post_ids)).limit(1)
    ).first()
    within = (
        len(post_ids) > 1
        and session.execute(
            select(post_tags.c.tag_id)
            .where(post_tags.c.post_id.in_(post_ids))
            .group_by(post_tags.c.tag_id)
            .having(func.count() > 1)
            .limit(1)
        ).first()
    )
    return bool(shares or listed or within)


@jobs.task("posts.related", attempts=3)
def related_job(post_ids: list[int]) -> None:
    """Work the related lists out again after posts were saved (the pages change)."""
    if refresh(db.session, [int(post_id) for post_id in post_ids]):
        jobs.wrote()
        mark_site_changed(db.session)
