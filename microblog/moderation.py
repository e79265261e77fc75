"""Comment intake (limits, the form token, spam signals) and every status change.

One function per status change; each records when and by whom, and calls
`SiteState.bump()` in the same transaction when what a public page shows changes
(a comment becomes approved or stops being approved). Nothing here reads a request or
imports a view: the views hand in what the reader sent, as plain values.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import sanitize
from .extensions import db
from .models import Author, Comment, CommentStatus, Post, SiteState
from .timeutil import now_utc

NAME_MAX = 100
EMAIL_MAX = 254
URL_MAX = 2000
BODY_MAX = 5000
TOKEN_SALT = "comment-form"
EMAIL_RE = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+$")


class TransitionError(ValueError):
    """A status change that is not allowed from the comment's current status."""


# ---------------------------------------------------------------------------- the form token
#
# The reader's form carries a signed token instead of a session CSRF token, so that the post
# page is the same for every reader and can be cached. The token holds the post id, the time
# the page was rendered (milliseconds) and a random nonce.
#
# A cached page serves the same token to many readers for a while, so:
# - its time is when the *page* was rendered, not when this reader loaded it. The minimum
#   time-to-submit is checked against it ("not too fresh"), which a cached page can only
#   make older, so a human is never wrongly flagged; a bot that re-fetches a fresh page
#   still is. Its maximum age (COMMENTS_TOKEN_MAX_AGE) bounds how long a token is good for:
#   an expired token re-shows the form, the reader's text kept, with a fresh token.
# - its nonce is shared by everyone who got that copy, so it alone cannot be the one-time
#   submission key; the key is the nonce hashed with what the reader sent. A POST sent twice
#   (a double click, a browser retry) gives the same key and stores one comment; two
#   readers writing different comments from the same cached page get different keys.


@dataclass(frozen=True)
class FormToken:
    """What a valid token says."""

    post_id: int
    issued_at: float  # seconds since the epoch
    nonce: str


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT)


def issue_form_token(secret_key: str, post_id: int, now: float | None = None) -> str:
    """A signed token for the comment form of one post."""
    issued = int((time.time() if now is None else now) * 1000)
    payload = {"p": post_id, "t": issued, "n": secrets.token_urlsafe(12)}
    return _serializer(secret_key).dumps(payload)


def read_form_token(
    secret_key: str, token: str, post_id: int, max_age: float, now: float | None = None
) -> FormToken | None:
    """The token's content when it is genuine, for this post and not expired; else None."""
    if not token or len(token) > 500:
        return None
    try:
        payload = _serializer(secret_key).loads(token)
        found = FormToken(int(payload["p"]), int(payload["t"]) / 1000, str(payload["n"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    if found.post_id != post_id or not (-5 <= now - found.issued_at <= max_age):
        return None
    return found


# ---------------------------------------------------------------------------- intake


@dataclass(frozen=True)
class IntakeRules:
    """The settings intake follows, read once from the app's config."""

    min_seconds: float = 2
    max_links: int = 2
    blocklist: tuple[str, ...] = ()
    trust_returning: bool = True
    close_after_days: int = 0
    sanitizer: str = "bleach"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IntakeRules:
        """The rules as the config sets them."""
        words = re.split(r"[,\n]", str(config.get("COMMENTS_BLOCKLIST") or ""))
        return cls(
            min_seconds=float(config.get("COMMENTS_MIN_SECONDS") or 0),
            max_links=int(config.get("COMMENTS_MAX_LINKS", 2)),
            blocklist=tuple(w.strip().lower() for w in words if w.strip()),
            trust_returning=bool(config.get("COMMENTS_TRUST_RETURNING", True)),
            close_after_days=int(config.get("COMMENTS_CLOSE_AFTER_DAYS") or 0),
            sanitizer=str(config.get("SANITIZER") or "bleach"),
        )


# Characters that have no place in text and that XML (the comment feed) cannot carry.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _printable(value: str) -> str:
    return UNPRINTABLE.sub("", value)


@dataclass
class Submission:
    """What a reader sent, as plain text (the view reads the request, not this module)."""

    name: str = ""
    email: str = ""
    url: str = ""
    body: str = ""
    parent_id: str = ""
    honeypot: str = ""
    remote_addr: str | None = None

    def __post_init__(self) -> None:
        self.name = " ".join(_printable(self.name).split())
        # Stored lower-case, so that "is this a returning reader" is an indexed lookup.
        self.email = _printable(self.email).strip().lower()
        self.url = _printable(self.url).strip()
        # Browsers send line breaks as CRLF; count and store them as one character.
        self.body = _printable(self.body.replace("\r\n", "\n").replace("\r", "\n"))
        self.parent_id = self.parent_id.strip()

    def as_form(self) -> dict[str, str]:
        """The values to put back in the form when it is shown again."""
        return {
            "name": self.name,
            "email": self.email,
            "url": self.url,
            "body": self.body,
            "parent_id": self.parent_id,
        }


def comments_open(post: Post, rules: IntakeRules, now: datetime | None = None) -> bool:
    """Whether a post takes comments: not switched off, and not past the closing age."""
    if not post.comments_enabled:
        return False
    if rules.close_after_days > 0:
        now = now or now_utc()
        return now - post.published_at <= timedelta(days=rules.close_after_days)
    return True


def valid_url(value: str) -> bool:
    """An absolute http(s) URL with a host, without spaces."""
    if len(value) > URL_MAX or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def reply_target(post: Post, parent_id: str) -> Comment | None:
    """The approved comment on `post` a reply answers (replies nest one level only)."""
    if not parent_id.isdigit():
        return None
    parent = db.session.get(Comment, int(parent_id))
    if parent is None or parent.post_id != post.id or parent.status != CommentStatus.APPROVED:
        return None
    # One level: answering a reply answers the thread it is in.
    if parent.parent_id is not None and parent.parent is not None:
        return parent.parent
    return parent


def validate(
    post: Post, submission: Submission, rules: IntakeRules, now: datetime | None = None
) -> dict[str, str]:
    """A message per field that is refused; empty when the submission may be stored."""
    errors: dict[str, str] = {}
    if not comments_open(post, rules, now):
        errors["form"] = "Comments are closed on this post."
    if not submission.name:
        errors["name"] = "Please give a name (any name you like)."
    elif len(submission.name) > NAME_MAX:
        errors["name"] = f"The name is too long: at most {NAME_MAX} characters."
    if submission.email and (
        len(submission.email) > EMAIL_MAX or not EMAIL_RE.match(submission.email)
    ):
        errors["email"] = "That does not look like an email address (it is optional)."
    if submission.url and not valid_url(submission.url):
        errors["url"] = "The website must be a full http:// or https:// address (it is optional)."
    if not submission.body.strip():
        errors["body"] = "Please write a comment."
    elif len(submission.body) > BODY_MAX:
        errors["body"] = (
            f"The comment is too long: {len(submission.body)} characters, at most {BODY_MAX}."
        )
    if submission.parent_id and reply_target(post, submission.parent_id) is None:
        errors["parent_id"] = "That comment cannot be answered; choose another or none."
    return errors


def spam_signals(
    submission: Submission, body_html: str, token_age: float, rules: IntakeRules
) -> tuple[list[str], list[str]]:
    """Reasons to file as spam, and reasons to hold for the author, in that order."""
    spam: list[str] = []
    hold: list[str] = []
    if submission.honeypot.strip():
        spam.append("honeypot field filled")
    if rules.min_seconds > 0 and token_age < rules.min_seconds:
        spam.append(f"sent {token_age:.1f} s after the form was served")
    text = " ".join([submission.name, submission.email, submission.url, submission.body]).lower()
    for word in rules.blocklist:
        if word in text:
            spam.append(f"blocklisted word: {word}")
            break
    links = sanitize.count_links(body_html)
    if links > rules.max_links:
        hold.append(f"{links} links (more than {rules.max_links})")
    return spam, hold


def is_returning(email: str) -> bool:
    """Whether this email already has an approved comment."""
    if not email:
        return False
    found = db.session.execute(
        select(Comment.id)
        .where(
            Comment.author_email == email.lower(),
            Comment.status == CommentStatus.APPROVED,
        )
        .limit(1)
    ).first()
    return found is not None


def submission_key(token: FormToken, post: Post, submission: Submission) -> str:
    """The one-time key of a submission: the form's nonce with what the reader sent."""
    digest = hashlib.blake2b(digest_size=24)
    for part in (
        token.nonce,
        str(post.id),
        submission.name,
        submission.email,
        submission.url,
        submission.parent_id,
        submission.body,
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()


def receive(post: Post, submission: Submission, token: FormToken, rules: IntakeRules) -> Comment:
    """Store a validated submission once and commit; a re-sent one returns the first copy.

    The comment is pending unless a spam signal files it as spam or a returning reader's
    earlier approved comment lets it through at once.
    """
    key = submission_key(token, post, submission)
    existing = db.session.execute(
        select(Comment).where(Comment.submission_key == key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing

    body_html = sanitize.render_comment(submission.body, rules.sanitizer)
    spam, hold = spam_signals(submission, body_html, time.time() - token.issued_at, rules)
    if spam:
        status = CommentStatus.SPAM
    elif hold:
        status = CommentStatus.PENDING
    elif rules.trust_returning and is_returning(submission.email):
        status = CommentStatus.APPROVED
    else:
        status = CommentStatus.PENDING
    parent = reply_target(post, submission.parent_id) if submission.parent_id else None
    now = now_utc()
    comment = Comment(
        post_id=post.id,
        parent_id=parent.id if parent else None,
        author_name=submission.name,
        author_email=submission.email or None,
        author_url=submission.url or None,
        body_source=submission.body,
        body_html=body_html,
        status=status,
        previous_status=CommentStatus.PENDING if status == CommentStatus.SPAM else None,
        hold_reason="; ".join(spam + hold) or None,
        submission_key=key,
        remote_addr=(submission.remote_addr or "")[:64] or None,
        created_at=now,
        status_changed_at=now,
    )
    db.session.add(comment)
    if status == CommentStatus.APPROVED:
        SiteState.bump()
    try:
        db.session.commit()
    except IntegrityError:
        # The same submission, committed by a concurrent request a moment ago.
        db.session.rollback()
        existing = db.session.execute(
            select(Comment).where(Comment.submission_key == key)
        ).scalar_one_or_none()
        if existing is None:
            raise
        return existing
    return comment


# ---------------------------------------------------------------------------- status changes


def _change(
    comment: Comment,
    to: CommentStatus,
    by: Author | None,
    allowed_from: Iterable[CommentStatus],
    action: str,
    remember_previous: bool = False,
) -> Comment:
    """Move `comment` to `to`, recording who and when; bump the site when pages change."""
    allowed = frozenset(allowed_from)
    if comment.status not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise TransitionError(
            f"Cannot {action} a comment that is {comment.status.value} (only from: {names})."
        )
    was_public = comment.status == CommentStatus.APPROVED
    if remember_previous:
        comment.previous_status = comment.status
    comment.status = to
    comment.status_changed_at = now_utc()
    comment.status_changed_by = by
    if was_public != (to == CommentStatus.APPROVED):
        SiteState.bump()
    return comment


def approve(comment: Comment, by: Author | None) -> Comment:
    """Publish a pending comment, or one wrongly filed as spam."""
    return _change(
        comment, CommentStatus.APPROVED, by, {CommentStatus.PENDING, CommentStatus.SPAM}, "approve"
    )


def unapprove(comment: Comment, by: Author | None) -> Comment:
    """Take an approved comment off the page, back to the queue."""
    return _change(comment, CommentStatus.PENDING, by, {CommentStatus.APPROVED}, "unapprove")


def mark_spam(comment: Comment, by: Author | None) -> Comment:
    """File a comment as spam (restorable)."""
    return _change(
        comment,
        CommentStatus.SPAM,
        by,
        {CommentStatus.PENDING, CommentStatus.APPROVED},
        "mark as spam",
        remember_previous=True,
    )


def trash(comment: Comment, by: Author | None) -> Comment:
    """Move a comment to the trash (restorable)."""
    return _change(
        comment,
        CommentStatus.TRASH,
        by,
        {CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM},
        "trash",
        remember_previous=True,
    )


def restore(comment: Comment, by: Author | None) -> Comment:
    """Return a trashed or spam comment to the status it had before (pending if none)."""
    target = comment.previous_status or CommentStatus.PENDING
    if target == comment.status or target == CommentStatus.TRASH:
        target = CommentStatus.PENDING
    _change(comment, target, by, {CommentStatus.TRASH, CommentStatus.SPAM}, "restore")
    comment.previous_status = None
    return comment


def delete(comment: Comment, by: Author | None) -> None:
    """Delete a trashed comment for good (only from the trash, so one click loses nothing)."""
    if comment.status != CommentStatus.TRASH:
        raise TransitionError(
            f"Only a comment in the trash can be deleted; this one is {comment.status.value}."
        )
    db.session.delete(comment)


ACTIONS: dict[str, Callable[[Comment, Author | None], Comment | None]] = {
    "approve": approve,
    "unapprove": unapprove,
    "spam": mark_spam,
    "trash": trash,
    "restore": restore,
    "delete": delete,
}


def apply(action: str, comment: Comment, by: Author | None) -> None:
    """Run one named action on one comment (raises TransitionError or KeyError)."""
    ACTIONS[action](comment, by)


def apply_many(
    action: str, comments: Iterable[Comment], by: Author | None
) -> tuple[int, list[str]]:
    """Run an action on several comments; those it does not apply to are skipped, not fatal.

    Returns how many changed and a message for each skipped one.
    """
    done = 0
    skipped: list[str] = []
    for comment in comments:
        try:
            apply(action, comment, by)
        except TransitionError as error:
            skipped.append(f"#{comment.id}: {error}")
        else:
            done += 1
    return done, skipped


def status_counts() -> dict[CommentStatus, int]:
    """How many comments each status holds."""
    rows = db.session.execute(select(Comment.status, func.count()).group_by(Comment.status))
    counts = dict.fromkeys(CommentStatus, 0)
    for status, count in rows:
        counts[status] = count
    return counts
