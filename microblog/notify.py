"""What the author and readers are mailed, and how a mail leaves: always from a job.

Each mail is multipart (plain text and HTML), both from templates in `templates/mail/`. The
HTML templates autoescape everything, and the only markup a reader wrote that reaches them is
the comment's `body_html`, already cleaned by `sanitize` at submission; no template carries
script. No MAIL_SERVER, no mail: nothing is queued, nothing else changes.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, render_template
from flask_mail import Connection, Message
from sqlalchemy import select

from . import jobs, links
from .extensions import db
from .models import Author, Comment, CommentStatus

# What a moderation link may do from the pending queue, in the order a mail lists them.
MAIL_ACTIONS = ("approve", "spam", "trash")
MODERATION_LINK_DAYS = 14


def mail_enabled(config: Mapping[str, Any] | None = None) -> bool:
    """Whether mail is configured (a MAIL_SERVER is set)."""
    config = current_app.config if config is None else config
    return bool(config.get("MAIL_SERVER"))


class TimedConnection(Connection):
    """Flask-Mail's connection with a timeout: a server that accepts and then hangs must not
    hold a job past its lease."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = float(current_app.config["MAIL_TIMEOUT"])
        state = self.mail
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


def message_id() -> str:
    """A Message-ID that is the same for every attempt of the running job."""
    job_id = jobs.current_job_id.get()
    domain = current_app.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip("> ")
    domain = domain or socket.getfqdn()
    if job_id is None:
        from email.utils import make_msgid

        return make_msgid(domain=domain)
    return f"<microblog-job-{job_id}@{domain}>"


def one_line(text: str, limit: int = 150) -> str:
    """Text fit for a header: one line, bounded (a reader's words can be anything)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compose(
    template: str,
    subject: str,
    recipient: str,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Message:
    """A multipart mail from `templates/mail/<template>.txt` and `.html`."""
    context = {"site_title": current_app.config["SITE_TITLE"], **context}
    message = Message(
        subject=one_line(subject, 200),
        recipients=[recipient],
        body=render_template(f"mail/{template}.txt", **context),
        html=render_template(f"mail/{template}.html", **context),
        extra_headers=dict(headers or {}),
    )
    message.msgId = message_id()
    return message


def deliver(message: Message) -> None:
    """Hand one message to the SMTP server (raises when it is down or refuses)."""
    with TimedConnection(current_app.extensions["mail"]) as connection:
        message.send(connection)


# ---------------------------------------------------------------------------- moderation links


def _stamp(comment: Comment) -> int:
    changed = comment.status_changed_at or comment.created_at
    return int(changed.timestamp() * 1000)


def moderation_token(comment: Comment, action: str) -> str:
    """A signed link token for one action on one comment, in the state it is in now."""
    payload = {"c": comment.id, "a": action, "s": comment.status.value, "t": _stamp(comment)}
    return links.sign("moderate", payload)


def moderation_link(comment: Comment, action: str) -> str:
    """The absolute URL of a moderation link."""
    return links.absolute(f"/moderate/{moderation_token(comment, action)}")


def read_moderation_token(token: str) -> tuple[Comment, str] | None:
    """The comment and action a token names, if it is genuine, fresh and still current.

    Void once the comment changed state since the token was made (so also once used), for a
    deleted comment, and after MODERATION_LINK_DAYS.
    """
    payload = links.read("moderate", token, max_age=MODERATION_LINK_DAYS * 86400)
    if payload is None:
        return None
    try:
        comment_id, action = int(payload["c"]), str(payload["a"])
        status, stamp = str(payload["s"]), int(payload["t"])
    except (KeyError, TypeError, ValueError):
        return None
    if action not in MAIL_ACTIONS:
        return None
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status.value != status or _stamp(comment) != stamp:
        return None
    return comment, action


# ---------------------------------------------------------------------------- the author's mail


def author_addresses() -> list[str]:
    """Where the author's notifications go."""
    return [
        address
        for address in db.session.scalars(select(Author.email).where(Author.email.is_not(None)))
        if address
    ]


def queue_author_mail(comment: Comment) -> None:
    """In the caller's transaction: mail the author about a comment that waits (if mail is on).

    The comment must have its id (flushed). Nothing for a comment filed as spam.
    """
    if mail_enabled() and comment.status == CommentStatus.PENDING:
        jobs.enqueue("mail.author", comment_id=comment.id)


@jobs.task("mail.author", attempts=10)
def mail_author(comment_id: int) -> None:
    """Mail the author a comment that waits, with signed links to act on it."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status != CommentStatus.PENDING:
        return  # already moderated (or withdrawn) before the mail could go: nothing to say
    post = comment.post
    actions = {action: moderation_link(comment, action) for action in MAIL_ACTIONS}
    for address in author_addresses():
        deliver(
            compose(
                "author_comment",
                f"[{current_app.config['SITE_TITLE']}] Comment waiting on “{post.title}”"
                f" from {comment.author_name}",
                address,
                comment=comment,
                post=post,
                post_url=links.absolute(post.permalink),
                queue_url=links.absolute("/admin/comments?status=pending"),
                actions=actions,
            )
        )


def init_app(app: Flask) -> None:
    """Nothing to bind: importing this module registered its jobs."""
