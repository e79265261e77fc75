"""Readers told of replies, with double opt-in: the `notify` box makes a subscription and
mails a confirmation link; only once confirmed do approved replies reach the reader, each mail
with a one-click unsubscribe (RFC 8058). Every mail goes to one reader and names no other
reader's address."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from microblog import jobs
from microblog.extensions import db
from microblog.mail import links
from microblog.mail.sending import compose, deliver, mail_enabled
from microblog.models import Comment, CommentStatus, MailOptOut, ReplySubscription
from microblog.timeutil import now_utc

CONFIRM_DAYS = 14
# At most one confirmation mail per address in this time (the mail promises silence).
CONFIRM_MAIL_EVERY = timedelta(days=1)


def opted_out(email: str) -> bool:
    """Whether this address asked for no mail about any of its comments."""
    return db.session.get(MailOptOut, email.lower()) is not None


# ---------------------------------------------------------------------------- subscribing


def subscribe(comment: Comment) -> ReplySubscription | None:
    """In the caller's transaction: the comment's writer asked to be told of replies.

    Queues the confirmation mail. Nothing for a comment without an address, one filed as
    spam, an address that opted out, or when mail is off.
    """
    email = (comment.author_email or "").lower()
    if not email or not mail_enabled() or comment.status == CommentStatus.SPAM:
        return None
    if opted_out(email):
        return None
    asked_lately = db.session.execute(
        select(ReplySubscription.id)
        .where(
            ReplySubscription.email == email,
            ReplySubscription.created_at > now_utc() - CONFIRM_MAIL_EVERY,
        )
        .limit(1)
    ).first()
    subscription = ReplySubscription(comment_id=comment.id, email=email, created_at=now_utc())
    db.session.add(subscription)
    db.session.flush()
    if asked_lately is None:
        # One confirmation mail per address per CONFIRM_MAIL_EVERY, however many comments
        # name it (anyone may type anyone's address): confirming it confirms them all.
        jobs.enqueue("mail.confirm_replies", subscription_id=subscription.id)
    return subscription


def confirm_token(subscription: ReplySubscription) -> str:
    return links.sign("confirm-replies", {"s": subscription.id, "e": subscription.email})


def unsubscribe_token(subscription: ReplySubscription) -> str:
    return links.sign("unsubscribe", {"s": subscription.id, "e": subscription.email})


def _subscription(purpose: str, token: str, max_age: int | None) -> ReplySubscription | None:
    payload = links.read(purpose, token, max_age=max_age)
    if payload is None:
        return None
    try:
        subscription_id, email = int(payload["s"]), str(payload["e"])
    except (KeyError, TypeError, ValueError):
        return None
    subscription = db.session.get(ReplySubscription, subscription_id)
    if subscription is None or subscription.email != email:
        return None
    return subscription


def read_confirm_token(token: str) -> ReplySubscription | None:
    """The subscription a confirmation link names, while it is fresh."""
    return _subscription("confirm-replies", token, CONFIRM_DAYS * 86400)


def read_unsubscribe_token(token: str) -> ReplySubscription | None:
    """The subscription an unsubscribe link names (these links never expire)."""
    return _subscription("unsubscribe", token, None)


def confirm(subscription: ReplySubscription) -> None:
    """The reader confirmed their address: replies will reach them, for this comment and
    for the others they asked about since the confirmation mail went (no mail was sent for
    those), unless they unsubscribed."""
    now = now_utc()
    db.session.execute(
        update(ReplySubscription)
        .where(
            ReplySubscription.email == subscription.email,
            ReplySubscription.confirmed_at.is_(None),
            ReplySubscription.unsubscribed_at.is_(None),
            ReplySubscription.created_at >= subscription.created_at,
        )
        .values(confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    if subscription.confirmed_at is None:
        subscription.confirmed_at = now


def unsubscribe(subscription: ReplySubscription, everything: bool = False) -> None:
    """No more replies for this comment; with `everything`, for any comment by this address."""
    now = now_utc()
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = now
    if everything:
        if not opted_out(subscription.email):
            db.session.add(MailOptOut(email=subscription.email, created_at=now))
        db.session.execute(
            update(ReplySubscription)
            .where(
                ReplySubscription.email == subscription.email,
                ReplySubscription.unsubscribed_at.is_(None),
            )
            .values(unsubscribed_at=now)
            .execution_options(synchronize_session=False)
        )


@jobs.task("mail.confirm_replies", attempts=10)
def mail_confirmation(subscription_id: int) -> None:
    """Ask the reader to confirm that they want replies (double opt-in)."""
    subscription = db.session.get(ReplySubscription, subscription_id)
    if subscription is None or subscription.confirmed_at or subscription.unsubscribed_at:
        return
    comment = subscription.comment
    if comment.status in (CommentStatus.SPAM, CommentStatus.TRASH):
        return
    post = comment.post
    deliver(
        compose(
            "confirm_replies",
            f"[{current_app.config['SITE_TITLE']}] Confirm: mail me replies on “{post.title}”",
            subscription.email,
            headers=unsubscribe_headers(subscription),
            comment=comment,
            post=post,
            confirm_url=links.absolute(f"/replies/confirm/{confirm_token(subscription)}"),
            unsubscribe_url=unsubscribe_url(subscription),
            days=CONFIRM_DAYS,
        )
    )


# ---------------------------------------------------------------------------- replies


def unsubscribe_url(subscription: ReplySubscription) -> str:
    return links.absolute(f"/replies/unsubscribe/{unsubscribe_token(subscription)}")


def unsubscribe_headers(subscription: ReplySubscription) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail programs show an Unsubscribe button that POSTs."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def queue_reply_mails(comment: Comment) -> None:
    """In the caller's transaction: a reply just became public; tell its thread's readers."""
    if mail_enabled() and comment.parent_id is not None:
        if comment.status == CommentStatus.APPROVED:
            jobs.enqueue("mail.replies", comment_id=comment.id)


def readers_to_tell(reply: Comment) -> list[ReplySubscription]:
    """The confirmed subscriptions of the thread a reply joins, one per address, without the
    reply's own writer and without anyone who opted out.

    Replies nest one level (a reply to a reply joins its thread), so "replies to my comment"
    means the thread: its first comment and the replies written before this one.
    """
    thread = Comment.id == reply.parent_id
    earlier = (Comment.parent_id == reply.parent_id) & (Comment.id < reply.id)
    rows = db.session.scalars(
        select(ReplySubscription)
        .join(Comment, Comment.id == ReplySubscription.comment_id)
        .where(
            thread | earlier,
            ReplySubscription.confirmed_at.is_not(None),
            ReplySubscription.unsubscribed_at.is_(None),
            ReplySubscription.email.not_in(select(MailOptOut.email)),
        )
        .order_by(ReplySubscription.id)
    )
    own = (reply.author_email or "").lower()
    chosen: dict[str, ReplySubscription] = {}
    for subscription in rows:
        if subscription.email != own:
            chosen.setdefault(subscription.email, subscription)
    return list(chosen.values())


@jobs.task("mail.replies", attempts=10)
def fan_out_reply(comment_id: int) -> None:
    """One job per reader to tell, so a failure for one never mails the others twice."""
    reply = db.session.get(Comment, comment_id)
    if reply is None or reply.status != CommentStatus.APPROVED:
        return
    for subscription in readers_to_tell(reply):
        jobs.enqueue("mail.reply", comment_id=reply.id, subscription_id=subscription.id)


@jobs.task("mail.reply", attempts=10)
def mail_reply(comment_id: int, subscription_id: int) -> None:
    """Mail one reader one reply, with a link to it and a one-click unsubscribe."""
    reply = db.session.get(Comment, comment_id)
    subscription = db.session.get(ReplySubscription, subscription_id)
    if reply is None or subscription is None or reply.status != CommentStatus.APPROVED:
        return
    if not subscription.active or opted_out(subscription.email):
        return
    post = reply.post
    deliver(
        compose(
            "reply",
            f"[{current_app.config['SITE_TITLE']}] {reply.author_name} replied on “{post.title}”",
            subscription.email,
            headers=unsubscribe_headers(subscription),
            reply=reply,
            yours=subscription.comment,
            post=post,
            reply_url=links.absolute(f"{post.permalink}#comment-{reply.id}"),
            unsubscribe_url=unsubscribe_url(subscription),
        )
    )
