"""What the blog sends: Accepts, posts' Create/Update/Delete, the author's replies; each as
one signed POST per inbox (a server's shared inbox once for all its followers), from the
durable queue.

The writer marks which posts it saved or deleted (`posts/site_changes.py`); at the commit
of that same transaction `queue_before_commit` turns the marks into one `fediverse.publish`
job per post (due when a scheduled post goes live), which, when it runs, queues one
`fediverse.deliver` job per inbox. A failing server is retried alone, with backoff, for
ACTIVITYPUB_GIVE_UP_DAYS, and only ever holds its own jobs: every POST has a short total
deadline. An import (`flask posts import`, first or again) sends nothing: its posts are the
archive, and followers would be flooded with it; only what the author publishes or changes
in the editor or through Micropub goes out.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from microblog import jobs
from microblog.extensions import db
from microblog.fediverse import documents
from microblog.fediverse.keys import current_key
from microblog.fediverse.remote import actor_by_url
from microblog.fediverse.signatures import signed_headers
from microblog.indieweb.fetch import FetchRefused, FetchTimedOut, post_bytes
from microblog.models import Comment, CommentStatus, FederatedPost, Follower, Post
from microblog.models.fediverse import RemoteReply
from microblog.posts.site_changes import FEED_CHANGES, FeedChanges
from microblog.timeutil import as_utc, now_utc

# Set in a session's `info` by an import: nothing it saves is federated.
QUIET = "microblog.no_federation"
# Set by `note_comments`: the author's comments written in this transaction.
AUTHOR_COMMENTS = "microblog.author_comments"
POST_SECONDS = 15.0
# Attempts of a delivery: with the queue's backoff (doubling to JOBS_RETRY_LONGEST, an hour
# by default) this spans ACTIVITYPUB_GIVE_UP_DAYS; the job also gives up once that passed.
DELIVERY_ATTEMPTS = 200


def enabled() -> bool:
    return has_app_context() and bool(current_app.config["ACTIVITYPUB_ENABLED"])


# ---------------------------------------------------------------------------- hooks


def queue_before_commit(session: Session) -> None:
    """Queue the fediverse's share of what this transaction changed: posts saved (a
    publish job each, due when it goes live), posts deleted, the author's replies."""
    if not enabled() or session.info.get(QUIET):
        session.info.pop(AUTHOR_COMMENTS, None)
        return
    changes: FeedChanges | None = session.info.get(FEED_CHANGES)
    if changes is not None:
        now = now_utc()
        for post_id, live_at in sorted(changes.saved_posts.items()):
            delay = max(0.0, (as_utc(live_at) - now).total_seconds() + 1) if live_at else 0.0
            jobs.enqueue("fediverse.publish", session=session, delay=delay, post_id=post_id)
        for permalink in sorted(changes.deleted_posts):
            jobs.enqueue("fediverse.retract", session=session, permalink=permalink)
        for comment_id in sorted(changes.approved_comments):
            jobs.enqueue("fediverse.share", session=session, comment_id=comment_id)
    for comment_id in sorted(session.info.pop(AUTHOR_COMMENTS, set())):
        jobs.enqueue("fediverse.reply", session=session, comment_id=comment_id)


def note_comments(session: Session, _flush_context: object) -> None:
    """Remember the author's comments flushed in this transaction (for `fediverse.reply`)."""
    for obj in session.new:
        if isinstance(obj, Comment) and obj.by_author and obj.id is not None:
            session.info.setdefault(AUTHOR_COMMENTS, set()).add(obj.id)


def forget_on_rollback(session: Session) -> None:
    session.info.pop(AUTHOR_COMMENTS, None)


# ---------------------------------------------------------------------------- fan-out


def inboxes() -> list[str]:
    """Every accepted follower's inbox, a shared inbox once for all behind it."""
    rows = db.session.execute(
        select(Follower.inbox, Follower.shared_inbox).where(Follower.accepted.is_(True))
    ).all()
    return sorted({shared or inbox for inbox, shared in rows})


def fan_out(activity: dict[str, Any], targets: list[str]) -> None:
    """One delivery job per inbox, in the current transaction."""
    body = json.dumps(activity, separators=(",", ":"))
    first_try = now_utc().isoformat()
    jobs.enqueue_many(
        "fediverse.deliver",
        [{"inbox": inbox, "body": body, "first_try": first_try} for inbox in targets],
    )


def by_the_actor(
    kind: str, activity_id: str, obj: Any, context: Any = None, **more: Any
) -> dict[str, Any]:
    """An activity of `kind` by the blog's actor around `obj`, with `more` fields (`to`,
    `cc`, `published`); `context` when it needs more than the ActivityStreams one."""
    return {
        "@context": context or documents.CONTEXT[0],
        "id": activity_id,
        "type": kind,
        "actor": documents.actor_url(),
        **more,
        "object": obj,
    }


def queue_accept(follower: Follower) -> None:
    """Answer a Follow with an Accept, to the follower's own inbox."""
    follow = {
        "id": follower.follow_id or None,
        "type": "Follow",
        "actor": follower.actor_url,
        "object": documents.actor_url(),
    }
    stamp = f"{follower.id}-{int(now_utc().timestamp())}"
    accept = by_the_actor("Accept", f"{documents.actor_url()}#accept-{stamp}", follow)
    fan_out(accept, [follower.inbox])


def queue_actor_update() -> None:
    """Tell every follower's server the actor changed (a new key, say)."""
    author = documents.the_author()
    if author is None:
        return
    update = by_the_actor(
        "Update",
        f"{documents.actor_url()}#update-{int(now_utc().timestamp())}",
        documents.actor_document(author),
        context=documents.CONTEXT,  # the actor carries its key: the security context too
        to=[documents.PUBLIC],
    )
    fan_out(update, inboxes())


@jobs.task("fediverse.publish", attempts=8)
def publish(post_id: int) -> None:
    """A saved post goes out: Create the first time it is live, Update after."""
    post = db.session.get(Post, post_id)
    if post is None or Post.find_published(post.permalink) is None:
        return  # a draft, deleted, or not live yet (a later publish job comes then)
    if documents.the_author() is None:
        return
    federated = db.session.execute(
        select(FederatedPost).where(FederatedPost.post_id == post.id).limit(1)
    ).scalar_one_or_none()
    kind = "Update" if federated is not None and not federated.deleted else "Create"
    if federated is None:
        db.session.add(
            FederatedPost(
                object_id=documents.absolute(post.permalink),
                post_id=post.id,
                permalink=post.permalink,
                sent_at=now_utc(),
            )
        )
        db.session.flush()
    else:
        federated.permalink = post.permalink
    fan_out(documents.wrap(kind, documents.post_object(post)), inboxes())


@jobs.task("fediverse.retract", attempts=8)
def retract(permalink: str) -> None:
    """A deleted post's Delete, if it ever went out."""
    federated = db.session.execute(
        select(FederatedPost).where(
            FederatedPost.permalink == permalink, FederatedPost.deleted.is_(False)
        )
    ).scalar_one_or_none()
    if federated is None:
        return
    federated.deleted = True
    tombstone = {"id": federated.object_id, "type": "Tombstone"}
    delete = by_the_actor(
        "Delete", f"{federated.object_id}#delete", tombstone, to=[documents.PUBLIC]
    )
    fan_out(delete, inboxes())


def remote_reply_of(comment_id: int) -> RemoteReply | None:
    """The fediverse reply comment `comment_id` came from, if it came from one."""
    return db.session.execute(
        select(RemoteReply).where(RemoteReply.comment_id == comment_id).limit(1)
    ).scalar_one_or_none()


@jobs.task("fediverse.reply", attempts=8)
def reply(comment_id: int) -> None:
    """The author's reply on the blog goes out as a Note in reply, when it answers a
    comment that came from the fediverse: to its writer and the blog's followers."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.parent_id is None:
        return
    answered = remote_reply_of(comment.parent_id)
    if answered is None:
        return
    # The one it answers may be a later reply in the thread: the newest from that writer.
    latest = db.session.execute(
        select(RemoteReply)
        .join(Comment, Comment.id == RemoteReply.comment_id)
        .where(
            (Comment.parent_id == comment.parent_id) | (Comment.id == comment.parent_id),
            Comment.created_at <= comment.created_at,
        )
        .order_by(Comment.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    target = latest or answered
    note = documents.comment_note(comment, target.note_id, [target.actor_url])
    activity = documents.wrap("Create", note)
    remote = actor_by_url(target.actor_url)
    targets = set(inboxes())
    if remote is not None:
        targets.add(remote.shared_inbox or remote.inbox)
    fan_out(activity, sorted(targets))


@jobs.task("fediverse.share", attempts=8)
def share(comment_id: int) -> None:
    """A reply from the fediverse the author approved goes out to the blog's followers, as
    the blog's Announce (a boost) of it: they see the conversation the post has."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED:
        return
    reply = remote_reply_of(comment.id)
    if reply is None:
        return
    announce = by_the_actor(
        "Announce",
        f"{documents.actor_url()}#announce-{comment.id}",
        reply.note_id,
        published=documents.iso(now_utc()),
        to=[documents.PUBLIC],
        cc=[documents.site_url() + documents.FOLLOWERS_PATH, reply.actor_url],
    )
    fan_out(announce, inboxes())


# ---------------------------------------------------------------------------- delivery


@jobs.task("fediverse.deliver", attempts=DELIVERY_ATTEMPTS, seconds=30)
def deliver(inbox: str, body: str, first_try: str = "") -> None:
    """POST one activity to one inbox, signed; a server that keeps failing is given up on
    after ACTIVITYPUB_GIVE_UP_DAYS, and a refusal (4xx) at once."""
    days = float(current_app.config["ACTIVITYPUB_GIVE_UP_DAYS"])
    if first_try:
        started = as_utc(datetime.fromisoformat(first_try))
        if now_utc() - started > timedelta(days=days):
            raise jobs.GiveUp(f"{inbox} failed for over {days:g} days")
    key = current_key()
    payload = body.encode("utf-8")
    headers = signed_headers(
        key.private_pem,
        documents.key_id(),
        "POST",
        inbox,
        payload,
        extra={"Content-Type": documents.ACTIVITY_JSON, "Accept": documents.ACTIVITY_JSON},
    )
    try:
        status = post_bytes(
            inbox,
            payload,
            headers,
            allow_private=bool(current_app.config["ACTIVITYPUB_ALLOW_PRIVATE"]),
            seconds=POST_SECONDS,
        )
    except FetchTimedOut as slow:
        raise RuntimeError(f"{inbox}: {slow}") from slow  # down or slow: later
    except FetchRefused as refused:
        raise jobs.GiveUp(f"{inbox}: {refused}") from refused
    if 200 <= status < 300:
        return
    if 400 <= status < 500 and status not in (408, 429):
        raise jobs.GiveUp(f"{inbox} refused the activity ({status})")
    raise RuntimeError(f"{inbox} answered {status}")  # retried with backoff
