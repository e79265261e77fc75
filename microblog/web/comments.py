"""The comment form's POST and a post's comment feed.

The post page itself, with its comment section and the reader's pending-comment cookie, is
`post_page.py`; the rules a comment goes through are the `comments` package.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask_login import current_user
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from microblog.comments import author_comments, intake, own
from microblog.comments.rules import IntakeRules
from microblog.comments.section import intake_rules
from microblog.comments.tokens import read_form_token
from microblog.extensions import csrf, db
from microblog.feeds.comments import FeedSite, comments_atom
from microblog.models import Comment, Post, SiteState
from microblog.models.database import is_busy
from microblog.web import ratelimits
from microblog.web.caching import cached_response
from microblog.web.dates import site_zone
from microblog.web.feeds import websub_links
from microblog.web.post_page import (
    pending_ids_from_cookie,
    private,
    remember_pending,
    render_post,
)

bp = Blueprint("comments", __name__)
log = logging.getLogger(__name__)

STORAGE_DOWN = (
    "Comments cannot be taken right now. Your text is kept below; please send it again in a minute."
)
DATABASE_BUSY = (
    "The blog is busy (the author is updating it). Your text is kept below; please send it "
    "again in half a minute."
)
COMMENT_SCOPE = "comment"
STORAGE_DOWN_RETRY_AFTER = 30


def post_or_404(path: str) -> Post:
    """The published post whose comments live under `/<path>comments`."""
    post = Post.find_published("/" + path)
    if post is None:
        abort(404)
    return post


def allowed_origins() -> set[str]:
    """The origins a comment may be sent from: the site's own and the host asked."""
    site = urlsplit(current_app.config["SITE_URL"])
    here = urlsplit(request.host_url)
    return {
        f"{site.scheme}://{site.netloc}".lower(),
        f"{here.scheme}://{here.netloc}".lower(),
    }


def cross_site() -> bool:
    """Whether the browser says this request comes from another site."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return origin.strip().rstrip("/").lower() not in allowed_origins()


def comment_rate_limit() -> str:
    """The per-client limit on posting comments."""
    limit: str = current_app.config["COMMENTS_RATE_LIMIT"]
    return limit


def submission_from_form() -> intake.Submission:
    """What the reader sent, as plain strings."""
    form = request.form
    return intake.Submission(
        name=form.get("name", ""),
        email=form.get("email", ""),
        url=form.get("url", ""),
        body=form.get("body", ""),
        parent_id=form.get("parent_id", ""),
        honeypot=form.get("homepage", ""),
        remote_addr=request.remote_addr,
        notify=bool(form.get("notify")),
    )


@bp.post("/<path:path>comments")
@csrf.exempt  # the form carries its own signed token; see comments/tokens.py
def submit(path: str) -> Response:
    """Take a reader's comment: refused → the form again (4xx); accepted → 303 to the post."""
    post = post_or_404(path)
    if cross_site():
        abort(403, description="Comments can only be sent from this site's own pages.")
    submission = submission_from_form()
    rules = intake_rules()
    if current_user.is_authenticated:
        return author_submit(post, submission, rules)
    try:
        # Counted before anything else is checked (see ratelimits.py).
        verdict = ratelimits.count_attempt(COMMENT_SCOPE, comment_rate_limit())
    except ratelimits.StorageDown:
        # Deliberately closed: without the shared count there is no limit.
        return unavailable(post, submission, STORAGE_DOWN)
    if not verdict.allowed:
        raise TooManyRequests(
            "You have sent many comments in a short time. Please wait a while.",
            retry_after=verdict.retry_after,
        )
    try:
        comment = intake.take(post, submission, request.form.get("comment_token", ""), rules)
        if isinstance(comment, intake.Refused):
            return render_post(
                post,
                status=comment.status,
                comment_form=submission.as_form(),
                comment_errors=comment.errors,
            )
        db.session.commit()
    except OperationalError as error:
        if not is_busy(error):
            raise
        # Another writer (a long import) held the database past DATABASE_LOCK_TIMEOUT.
        db.session.rollback()
        log.warning(
            "comment on %s answered 503: the database was busy (%s)",
            post.permalink,
            error,
        )
        return unavailable(post, submission, DATABASE_BUSY)
    response = redirect(f"{post.permalink}#comment-{comment.id}", code=303)
    # The same answer whether the comment went live at once or waits: a difference would
    # tell anyone whether an address (and name) ever had a comment approved.
    remember_pending(response, post, comment.id)
    return private(response)


def author_submit(post: Post, submission: intake.Submission, rules: IntakeRules) -> Response:
    """The signed-in author's comment or reply: published at once, marked as theirs."""
    config = current_app.config
    token = read_form_token(
        config["SECRET_KEY"],
        request.form.get("comment_token", ""),
        post.id,
        max_age=float(config["COMMENTS_TOKEN_MAX_AGE"]),
    )
    parent = None
    errors: dict[str, str] = {}
    if token is None:
        errors["form"] = intake.EXPIRED_FORM
    if submission.parent_id:
        parent = intake.reply_target(post, submission.parent_id)
        if parent is None:
            errors["parent_id"] = "That comment cannot be answered; choose another or none."
    comment = None
    if not errors:
        try:
            comment = author_comments.write(
                post,
                submission.body,
                rules,
                name=submission.name or str(config["SITE_AUTHOR"]),
                site_url=str(config["SITE_URL"]),
                parent=parent,
                by=current_user._get_current_object(),
            )
        except author_comments.AuthorCommentRefused as exc:
            errors["body"] = str(exc)
    if comment is None:
        db.session.rollback()
        return render_post(
            post,
            status=400 if "form" in errors else 422,
            comment_form=submission.as_form(),
            comment_errors=errors,
            author_signed_in=True,
        )
    db.session.commit()
    return private(redirect(f"{post.permalink}#comment-{comment.id}", code=303))


def unavailable(post: Post, submission: intake.Submission, message: str) -> Response:
    """503 with `Retry-After`: the form again with the reader's text, nothing stored."""
    response = render_post(
        post,
        status=503,
        comment_form=submission.as_form(),
        comment_errors={"form": message},
    )
    response.headers["Retry-After"] = str(STORAGE_DOWN_RETRY_AFTER)
    return response


@bp.get("/<path:path>comments")
def comments_anchor(path: str) -> Response:
    """The comments live on the post page."""
    return redirect(f"{post_or_404(path).permalink}#comments", code=301)


@bp.get("/<path:path>comments/feed.xml")
def feed(path: str) -> Response:
    """A post's approved comments as Atom, with ETag / Last-Modified / 304."""
    post = post_or_404(path)
    config = current_app.config

    def render() -> tuple[bytes, datetime | None]:
        # The newest FEED_MAX_ITEMS, oldest first: a feed is bounded like every other.
        newest = (
            Comment.approved_for(post)
            .order_by(None)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
        )
        limit = max(1, int(config["FEED_MAX_ITEMS"]))
        comments = list(reversed(db.session.execute(newest.limit(limit)).scalars().all()))
        site = FeedSite(
            config["SITE_URL"],
            config["SITE_TITLE"],
            config["SITE_LANGUAGE"],
            hub_url=config.get("WEBSUB_HUB") or None,
            zone=site_zone(),
        )
        # Last-Modified is the site's last change, not the newest comment's: a comment taken
        # back (unapproved) must not move it backwards, or a reader sending only
        # If-Modified-Since would keep the copy that still shows it.
        return comments_atom(site, post, comments), SiteState.last_change()

    # Named by its hub in the header too, as the post feeds are: a hub checks it.
    return cached_response(
        render, "application/atom+xml", int(config["FEED_MAX_AGE"]), headers=websub_links(1)
    )


def own_comment_or_404(path: str, comment_id: int) -> tuple[Post, Comment]:
    """The post and this writer's own comment on it, while they may still change it."""
    post = post_or_404(path)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.post_id != post.id:
        abort(404)
    if not own.may_change(comment, pending_ids_from_cookie()):
        abort(
            403,
            description=(
                "This comment can no longer be changed from this browser: only its writer may,"
                f" for {own.EDIT_MINUTES} minutes after sending it, while it awaits moderation."
            ),
        )
    return post, comment


def edit_page(post: Post, comment: Comment, status: int = 200, **context: Any) -> Response:
    body = render_template(
        "public/edit_comment.html",
        post=post,
        comment=comment,
        until=own.editable_until(comment),
        **context,
    )
    return private(current_app.response_class(body, status=status, mimetype="text/html"))


@bp.get("/<path:path>comments/<int:comment_id>/edit")
def edit_form(path: str, comment_id: int) -> Response:
    """The writer's own pending comment, to change or withdraw."""
    post, comment = own_comment_or_404(path, comment_id)
    return edit_page(post, comment)


@bp.post("/<path:path>comments/<int:comment_id>/edit")
@csrf.exempt  # the signed pending cookie (SameSite=Lax, HttpOnly) names the writer
def edit_comment(path: str, comment_id: int) -> Response:
    """Save the new text, or withdraw the comment; 303 back to the post."""
    if cross_site():
        abort(403, description="Comments can only be changed from this site's own pages.")
    post, comment = own_comment_or_404(path, comment_id)
    if request.form.get("action") == "withdraw":
        own.withdraw(comment)
        db.session.commit()
        return private(redirect(f"{post.permalink}#comments", code=303))
    error = own.edit(comment, request.form.get("body", ""), intake_rules())
    if error:
        db.session.rollback()
        return edit_page(post, comment, 422, error=error, text=request.form.get("body", ""))
    db.session.commit()
    return private(redirect(f"{post.permalink}#comment-{comment.id}", code=303))
