"""The author's own comments: a reply (or a comment) written by the signed-in author, from
the post page, the moderation queue or a moderation mail's page.

Approved at once and marked as the author's (`by_author`: a visible mark and an h-card);
never held by the spam rules and never mailed to the author; the readers subscribed to the
thread it answers get their reply mail (the same job an approval queues).
"""

from __future__ import annotations

from microblog import mail as notify
from microblog.comments import sanitize
from microblog.comments.rules import LIMITS, IntakeRules
from microblog.comments.status import apply
from microblog.extensions import db
from microblog.models import Author, Comment, CommentStatus, Post
from microblog.posts.site_changes import mark_comments_changed, mark_site_changed
from microblog.timeutil import now_utc


class AuthorCommentRefused(ValueError):
    """The author's text cannot be stored (empty, too long, too deeply nested)."""


def check_body(body: str) -> str:
    """The body as stored (CRLF as LF, no control characters); refused when unusable."""
    body = sanitize.strip_bidi_controls(body.replace("\r\n", "\n").replace("\r", "\n"))
    body = "".join(ch for ch in body if ch in "\n\t" or ord(ch) >= 32)
    if sanitize.is_blank(body):
        raise AuthorCommentRefused("Write the reply first.")
    if len(body) > LIMITS.body:
        raise AuthorCommentRefused(
            f"The reply is too long: {len(body)} characters, at most {LIMITS.body}."
        )
    problem = sanitize.markdown_problem(body)
    if problem:
        raise AuthorCommentRefused(problem)
    return body


def thread_of(parent: Comment | None) -> Comment | None:
    """What a reply to `parent` hangs under: threads are one level deep."""
    if parent is not None and parent.parent_id is not None and parent.parent is not None:
        return parent.parent
    return parent


def write(
    post: Post,
    body: str,
    rules: IntakeRules,
    *,
    name: str,
    site_url: str,
    parent: Comment | None = None,
    by: Author | None = None,
) -> Comment:
    """Store the author's comment, approved, in the caller's transaction (it commits)."""
    text = check_body(body)
    now = now_utc()
    thread = thread_of(parent)
    comment = Comment(
        post_id=post.id,
        parent_id=thread.id if thread is not None else None,
        author_name=(" ".join(name.split()) or "The author")[: LIMITS.name],
        author_email=None,
        author_url=site_url or None,
        body_source=text,
        body_html=sanitize.render_comment(text, rules.sanitizer),
        status=CommentStatus.APPROVED,
        by_author=True,
        created_at=now,
        status_changed_at=now,
        status_changed_by_id=by.id if by is not None else None,
    )
    db.session.add(comment)
    db.session.flush()
    mark_site_changed(db.session)
    mark_comments_changed(db.session, post.permalink)
    # Approved: its thread's subscribed readers are mailed; the author never is.
    notify.comment_received(comment)
    return comment


def approve_and_reply(
    comment: Comment,
    body: str,
    rules: IntakeRules,
    *,
    name: str,
    site_url: str,
    by: Author | None,
    seen: CommentStatus | None = None,
) -> Comment:
    """Approve a waiting comment and answer it, in one transaction (both or neither)."""
    check_body(body)  # refuse before anything changes
    if comment.status != CommentStatus.APPROVED:
        apply(comment, "approve", by, seen=seen)
        db.session.refresh(comment)
    return write(comment.post, body, rules, name=name, site_url=site_url, parent=comment, by=by)
