"""Intake: what a reader sent, cleaned, validated, judged (spam.py) and stored once.

The view reads the request and hands in a `Submission` of plain strings and the form's
token; `take` is the one door: it reads the token, `validate`s (what is wrong, field by
field) and `receive`s (stored in the caller's transaction; the caller commits, see the
package docstring), or says why not.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from microblog import mail as notify
from microblog.comments import sanitize, spam
from microblog.comments.rules import LIMITS, IntakeRules, comments_open
from microblog.comments.tokens import FormToken, read_form_token
from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Post
from microblog.models.database import savepoint
from microblog.models.ids import parse_id
from microblog.posts.site_changes import mark_comments_changed, mark_site_changed
from microblog.timeutil import now_utc

EMAIL_RE = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+$")
# Characters that have no place in text and that XML (the comment feed) cannot carry.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
EXPIRED_FORM = (
    "This form has expired or could not be verified. Your text is kept below; please send it again."
)


@dataclass(frozen=True)
class Refused:
    """Why a comment was not taken: a message per field (`form` for the whole form), and
    the status to answer: 400 when the form's token is missing or expired, else 422."""

    errors: dict[str, str]
    status: int


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
    # The `notify` box: mail me replies (after I confirm by a mailed link).
    notify: bool = False

    def __post_init__(self) -> None:
        # Bidi controls would let a stranger's text reorder what the author reads.
        self.name = " ".join(sanitize.strip_bidi_controls(_printable(self.name)).split())
        # Stored lower-case, so that "is this a returning reader" is an indexed lookup.
        self.email = sanitize.strip_bidi_controls(_printable(self.email)).strip().lower()
        self.url = sanitize.neutralise_bidi_in_url(_printable(self.url).strip())
        # Browsers send line breaks as CRLF; count and store them as one character.
        body = self.body.replace("\r\n", "\n").replace("\r", "\n")
        self.body = sanitize.strip_bidi_controls(_printable(body))
        self.parent_id = self.parent_id.strip()

    def as_form(self) -> dict[str, str]:
        """The values to put back in the form when it is shown again."""
        return {
            "name": self.name,
            "email": self.email,
            "url": self.url,
            "body": self.body,
            "parent_id": self.parent_id,
            "notify": "on" if self.notify else "",
        }


def valid_url(value: str) -> bool:
    """An absolute http(s) URL with a host, without spaces."""
    if len(value) > LIMITS.url or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def reply_target(post: Post, parent_id: str) -> Comment | None:
    """The approved comment on `post` a reply answers (replies nest one level only)."""
    number = parse_id(parent_id)
    if number is None:
        return None
    parent = db.session.get(Comment, number)
    if parent is None or parent.post_id != post.id or parent.status != CommentStatus.APPROVED:
        return None
    # One level: answering a reply answers the thread it is in.
    if parent.parent_id is not None and parent.parent is not None:
        return parent.parent
    return parent


def body_problem(body: str) -> str | None:
    """Why a comment's text is refused (blank, too long, Markdown past its budget), or None:
    the one check for a new comment and for its writer's edit."""
    if sanitize.is_blank(body):
        return "Please write a comment."
    if len(body) > LIMITS.body:
        return f"The comment is too long: {len(body)} characters, at most {LIMITS.body}."
    return sanitize.markdown_problem(body)


def validate(
    post: Post, submission: Submission, rules: IntakeRules, now: datetime | None = None
) -> dict[str, str]:
    """A message per field that is refused; empty when the submission may be stored."""
    errors: dict[str, str] = {}
    if not comments_open(post, rules, now):
        errors["form"] = "Comments are closed on this post."
    # Invisible characters alone (zero-width spaces, joiners, BOMs) are no name and no text.
    if sanitize.is_blank(submission.name):
        errors["name"] = "Please give a name (any name you like)."
    elif len(submission.name) > LIMITS.name:
        errors["name"] = f"The name is too long: at most {LIMITS.name} characters."
    if submission.email and (
        len(submission.email) > LIMITS.email or not EMAIL_RE.match(submission.email)
    ):
        errors["email"] = "That does not look like an email address (it is optional)."
    if submission.url and not valid_url(submission.url):
        errors["url"] = "The website must be a full http:// or https:// address (it is optional)."
    if problem := body_problem(submission.body):
        errors["body"] = problem
    if submission.parent_id and reply_target(post, submission.parent_id) is None:
        errors["parent_id"] = "That comment cannot be answered; choose another or none."
    if submission.notify and not submission.email:
        errors["notify"] = "To be mailed replies, give your email address above."
    return errors


def submission_key(token: FormToken, post: Post, submission: Submission) -> str:
    """The one-time key of a submission: the form's nonce with what the reader sent and
    where from.

    A POST sent twice (a double click, a browser retry) gives the same key and stores one
    comment; two readers writing different comments from one cached page get two keys, and
    so do two readers who got the same cached page and wrote the same words ("Thank you!")
    from two addresses (the client address as the proxy reports it).
    """
    digest = hashlib.blake2b(digest_size=24)
    for part in (
        token.nonce,
        submission.remote_addr or "",
        str(post.id),
        submission.name,
        submission.email,
        submission.url,
        submission.parent_id,
        submission.body,
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()


def stored_with_key(key: str) -> Comment | None:
    """The comment a submission with this key already became, if any."""
    return db.session.execute(
        select(Comment).where(Comment.submission_key == key)
    ).scalar_one_or_none()


def take(
    post: Post, submission: Submission, raw_token: str, rules: IntakeRules
) -> Comment | Refused:
    """A reader's comment through the one door: the form's signed token read, the fields
    validated, then stored once in the caller's transaction; or why it was refused."""
    config = current_app.config
    token = read_form_token(
        config["SECRET_KEY"],
        raw_token,
        post.id,
        max_age=float(config["COMMENTS_TOKEN_MAX_AGE"]),
    )
    errors = validate(post, submission, rules)
    if token is None:
        errors["form"] = EXPIRED_FORM
        return Refused(errors, 400)
    if errors:
        return Refused(errors, 422)
    return receive(post, submission, token, rules)


def receive(post: Post, submission: Submission, token: FormToken, rules: IntakeRules) -> Comment:
    """Store a validated submission once, in the caller's transaction (the caller commits);
    a submission sent again returns the comment it already became.

    The comment is pending unless a spam signal files it as spam or a returning reader's
    earlier approved comment lets it through at once (then the site's pages change). The
    mails it calls for are queued as jobs in the same transaction (see `notify`).
    """
    key = submission_key(token, post, submission)
    existing = stored_with_key(key)
    if existing is not None:
        return existing

    body_html = sanitize.render_comment(submission.body, rules.sanitizer)
    found = spam.signals(submission, body_html, time.time() - token.issued_at, rules)
    status = spam.first_status(found, submission.email, submission.name, rules)
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
        hold_reason=found.reasons(),
        submission_key=key,
        remote_addr=(submission.remote_addr or "")[:64] or None,
        created_at=now,
        status_changed_at=now,
    )
    try:
        # In a savepoint: the same submission stored a moment ago by a concurrent request
        # (a double click) clashes on its key, and the caller's transaction carries on.
        with savepoint(db.session):
            db.session.add(comment)
    except IntegrityError:
        existing = stored_with_key(key)
        if existing is None:
            raise
        return existing
    if status == CommentStatus.APPROVED:
        mark_site_changed(db.session)
    # Same transaction: the author's mail (or the thread's readers') goes if and only if
    # the comment is stored.
    notify.comment_received(comment, wants_replies=submission.notify)
    return comment


@dataclass
class RemoteReply:
    """A reply another site sent (a verified Webmention), as the spam signals read it."""

    name: str
    url: str
    body: str
    email: str = ""
    honeypot: str = ""
    # When the other site says it was written (its dt-published), if it says so.
    published: datetime | None = None


def take_remote(
    post: Post,
    reply: RemoteReply,
    body_html: str,
    source_url: str,
    comment: Comment | None = None,
) -> Comment:
    """A reply from another site through the same door as a reader's comment, in the
    caller's transaction: the same spam rules (a blocklisted word files it as spam, extra
    links hold it with the reason), never approved on its own, and a new one held for the
    author mails them as any held comment does. `comment` is the one this source made before:
    changed text goes back to pending (the old mail's links are void: they sign the text)."""
    rules = IntakeRules.from_config(current_app.config)
    found = spam.signals(reply, body_html, float("inf"), rules)
    now = now_utc()
    fresh = comment is None
    # Dated as the source dates it (never later than now), not when it reached us.
    written = reply.published if reply.published and reply.published <= now else now
    if comment is None:
        comment = Comment(post_id=post.id, status=CommentStatus.PENDING, created_at=written)
        db.session.add(comment)
    elif reply.published and written != comment.created_at:
        comment.created_at = written
    changed = fresh or comment.body_html != body_html or comment.author_name != reply.name
    if changed and comment.status == CommentStatus.APPROVED:
        mark_comments_changed(db.session, post.permalink)  # it leaves the page until read again
    if changed:
        comment.status = CommentStatus.SPAM if found.spam else CommentStatus.PENDING
        comment.previous_status = CommentStatus.PENDING if found.spam else None
        comment.status_changed_at = now
    comment.author_name = reply.name
    comment.author_url = reply.url or None
    comment.body_source = reply.body
    comment.body_html = body_html
    comment.source_url = source_url
    comment.hold_reason = found.reasons()
    if fresh:
        db.session.flush()
        notify.comment_received(comment)
    return comment
