"""What the author and readers are mailed, and the signed links in those mails.

    mail.py      how a mail is built (templates/mail/, multipart) and leaves (Flask-Mail)
    author.py    the author's mail per waiting comment, moderation links, the private feed
    readers.py   reply notifications: double opt-in, one-click unsubscribe

Every mail is sent by a job (microblog/jobs.py), queued in the transaction of the change that
causes it; the functions here that queue take the caller's session and never commit.
"""

from __future__ import annotations

from flask import Flask

from microblog.mail.author import (
    MAIL_ACTIONS,
    author_addresses,
    feed_url,
    moderation_links,
    moderation_token,
    queue_author_mail,
    read_feed_token,
    read_moderation_token,
)
from microblog.mail.readers import queue_reply_mails, subscribe
from microblog.mail.sending import mail_enabled
from microblog.models import Comment, CommentStatus


def comment_received(comment: Comment, wants_replies: bool = False) -> None:
    """A comment was just stored (flushed, in the caller's transaction): queue what it calls
    for. Waiting: the author's mail. Public at once: its thread's readers. Spam: nothing."""
    if comment.status == CommentStatus.PENDING:
        queue_author_mail(comment)
    elif comment.status == CommentStatus.APPROVED:
        queue_reply_mails(comment)
    if wants_replies:
        subscribe(comment)


def comment_approved(comment: Comment) -> None:
    """A comment just became public (in the caller's transaction): tell its thread's readers."""
    queue_reply_mails(comment)


def init_app(app: Flask) -> None:
    """Nothing to bind: importing this package registered its jobs."""


__all__ = [
    "MAIL_ACTIONS",
    "author_addresses",
    "comment_approved",
    "comment_received",
    "feed_url",
    "mail_enabled",
    "moderation_links",
    "moderation_token",
    "queue_author_mail",
    "read_feed_token",
    "read_moderation_token",
]
