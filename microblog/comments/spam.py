"""Spam signals: what files a new comment as spam, what holds it for the author, and what
lets a returning reader's comment through at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select

from microblog.comments import sanitize
from microblog.comments.rules import IntakeRules
from microblog.extensions import db
from microblog.models import Comment, CommentStatus


class Sent(Protocol):
    """The parts of a submission the signals look at."""

    name: str
    email: str
    url: str
    body: str
    honeypot: str


@dataclass
class Signals:
    """Reasons to file a comment as spam, and reasons to hold it for the author."""

    spam: list[str] = field(default_factory=list)
    hold: list[str] = field(default_factory=list)

    def reasons(self) -> str | None:
        """Every reason, as the moderation queue shows them."""
        return "; ".join(self.spam + self.hold) or None


def signals(sent: Sent, body_html: str, token_age: float, rules: IntakeRules) -> Signals:
    """What speaks against a comment: a filled honeypot, a form sent back too soon, a
    blocklisted word (spam); more links than allowed (hold)."""
    found = Signals()
    if sent.honeypot.strip():
        found.spam.append("honeypot field filled")
    if rules.min_seconds > 0 and token_age < rules.min_seconds:
        found.spam.append(f"sent {token_age:.1f} s after the form was served")
    text = " ".join([sent.name, sent.email, sent.url, sent.body]).lower()
    for word in rules.blocklist:
        if word in text:
            found.spam.append(f"blocklisted word: {word}")
            break
    links = sanitize.count_links(body_html)
    if links > rules.max_links:
        found.hold.append(f"{links} links (more than {rules.max_links})")
    return found


def is_returning(email: str, name: str) -> bool:
    """Whether this email, under this very name, already has an approved comment.

    The address alone is no proof (anyone may type an approved reader's address, in any
    case): like WordPress, the name must match too, as the reader wrote it before.
    """
    if not email or not name:
        return False
    found = db.session.execute(
        select(Comment.id)
        .where(
            Comment.author_email == email.lower(),
            Comment.status == CommentStatus.APPROVED,
            Comment.author_name == name,
        )
        .limit(1)
    ).first()
    return found is not None


def first_status(found: Signals, email: str, name: str, rules: IntakeRules) -> CommentStatus:
    """A new comment's status: spam on any spam signal, pending when held, approved at once
    for a returning reader (when the rules trust them), pending otherwise."""
    if found.spam:
        return CommentStatus.SPAM
    if found.hold:
        return CommentStatus.PENDING
    if rules.trust_returning and is_returning(email, name):
        return CommentStatus.APPROVED
    return CommentStatus.PENDING
