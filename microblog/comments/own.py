"""A writer's own pending comment: for EDIT_MINUTES after sending it, the browser that sent
it (its signed pending cookie lists the comment) may change its text or withdraw it, as
Isso allows. The author's mail and private feed read the comment when they are built, so
they show the current text; a withdrawn comment is gone, and its mail is not sent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from microblog.comments import sanitize, spam
from microblog.comments.intake import _printable, body_problem
from microblog.comments.rules import IntakeRules
from microblog.extensions import db
from microblog.models import Comment, CommentStatus
from microblog.timeutil import now_utc

EDIT_MINUTES = 15


def editable_until(comment: Comment) -> datetime:
    """Until when its writer may change or withdraw it."""
    return comment.created_at + timedelta(minutes=EDIT_MINUTES)


def may_change(
    comment: Comment | None, own_ids: Iterable[int], now: datetime | None = None
) -> bool:
    """Whether this writer (whose cookie lists `own_ids`) may still change `comment`."""
    if comment is None or comment.id not in set(own_ids):
        return False
    return comment.status == CommentStatus.PENDING and (now or now_utc()) <= editable_until(comment)


def clean_body(text: str) -> str:
    """The body as intake stores it (CRLF as LF, no control characters)."""
    return _printable(text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class EditedText:
    """A comment as the spam signals read it after its writer's edit (no form, no honeypot)."""

    name: str
    email: str
    url: str
    body: str
    honeypot: str = ""


def edit(comment: Comment, body: str, rules: IntakeRules) -> str | None:
    """Replace the comment's text (in the caller's transaction); a message when refused.

    The same checks as a new comment's text (a body Markdown cannot render in its budget is
    a 422 here too), and the same spam rules: an edit that adds a blocklisted word files the
    comment as spam, one that adds links holds it with the reason. The text changed, so
    every moderation link mailed for the old text is void (mail/author.py signs the text).
    """
    body = clean_body(body)
    if problem := body_problem(body):
        return problem
    comment.body_source = body
    comment.body_html = sanitize.render_comment(body, rules.sanitizer)
    sent = EditedText(
        comment.author_name, comment.author_email or "", comment.author_url or "", body
    )
    found = spam.signals(sent, comment.body_html, float("inf"), rules)
    comment.hold_reason = found.reasons()
    if found.spam and comment.status == CommentStatus.PENDING:
        comment.previous_status = CommentStatus.PENDING
        comment.status = CommentStatus.SPAM
        comment.status_changed_at = now_utc()
    return None


def withdraw(comment: Comment) -> None:
    """Remove the comment for good (in the caller's transaction)."""
    db.session.delete(comment)
