"""The comment form's POST, the per-post comment feed, and the reader's pending-comment view.

The post page itself belongs to `public.py`; what it needs from here:
- `comment_section(post)` (a template global) gives the shared part of the comments block:
  approved comments, their count, whether comments are open, and the form's token. This is
  the same for every reader, so the page may be cached by generation.
- `personalised_post_response(post)` answers the page for a reader whose signed cookie
  lists comments of theirs still awaiting moderation on this post. It is called before any
  cache lookup, renders outside the cache and sends `Cache-Control: private, no-store`, so a
  pending comment never enters a page other readers get.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
)
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import moderation
from ..caching import cached_response
from ..extensions import csrf, db, limiter
from ..models import Comment, CommentStatus, Post
from ..syndication_comments import FeedSite, comments_atom, comments_feed_updated

bp = Blueprint("comments", __name__)

PENDING_COOKIE = "pending_comments"
PENDING_SALT = "pending-comments"
PENDING_KEEP = 20  # the newest ids a reader's cookie remembers per post
PENDING_MAX_AGE = 30 * 24 * 3600
# Statuses shown to their own writer as "awaiting moderation": spam is not told apart.
SHOWN_AS_PENDING = (CommentStatus.PENDING, CommentStatus.SPAM)


def published_post(permalink: str) -> Post | None:
    """The published post at exactly this permalink."""
    return db.session.execute(Post.at_permalink(permalink)).scalar_one_or_none()


def rules() -> moderation.IntakeRules:
    """The intake rules from the app's config."""
    return moderation.IntakeRules.from_config(current_app.config)


# ---------------------------------------------------------------------------- the shared block


def comment_section(post: Post) -> dict[str, Any]:
    """What every reader's copy of the comments block shows (cacheable)."""
    approved = db.session.execute(Comment.approved_for(post)).scalars().all()
    ids = {c.id for c in approved}
    threads: list[Comment] = []
    replies: dict[int, list[Comment]] = defaultdict(list)
    for comment in approved:
        if comment.parent_id is not None and comment.parent_id in ids:
            replies[comment.parent_id].append(comment)
        else:
            threads.append(comment)
    config = current_app.config
    return {
        "threads": threads,
        "replies": replies,
        "count": len(approved),
        "open": moderation.comments_open(post, rules()),
        "token": moderation.issue_form_token(config["SECRET_KEY"], post.id),
        "limits": {
            "name": moderation.NAME_MAX,
            "email": moderation.EMAIL_MAX,
            "url": moderation.URL_MAX,
            "body": moderation.BODY_MAX,
        },
        "feed_url": f"{post.permalink}comments/feed.xml",
    }


@bp.app_context_processor
def comment_globals() -> dict[str, Any]:
    """Make the comments block's data available to the post template."""
    return {"comment_section": comment_section}


# ---------------------------------------------------------------------------- the pending cookie


def _cookie_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=PENDING_SALT)


def pending_ids_from_cookie() -> list[int]:
    """The comment ids this reader's signed cookie lists (for the post whose path it is on).

    The cookie's path is the post's permalink, so the browser only sends it there.
    """
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw:
        return []
    try:
        ids = _cookie_serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(ids, list):
        return []
    return [i for i in ids if isinstance(i, int)][-PENDING_KEEP:]


def remember_pending(response: Response, post: Post, comment_id: int) -> None:
    """Add a comment to the reader's pending cookie for this post."""
    ids = [i for i in pending_ids_from_cookie() if i != comment_id] + [comment_id]
    response.set_cookie(
        PENDING_COOKIE,
        _cookie_serializer().dumps(ids[-PENDING_KEEP:]),
        max_age=PENDING_MAX_AGE,
        path=post.permalink,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def reader_pending(post: Post) -> list[Comment]:
    """This reader's own comments on `post` that still await moderation."""
    ids = pending_ids_from_cookie()
    if not ids:
        return []
    return list(
        db.session.execute(
            select(Comment)
            .where(
                Comment.id.in_(ids),
                Comment.post_id == post.id,
                Comment.status.in_(SHOWN_AS_PENDING),
            )
            .order_by(Comment.created_at, Comment.id)
        ).scalars()
    )


def private(response: Response) -> Response:
    """Mark a response personalised: no shared cache may keep it."""
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
    return response


def render_post(post: Post, status: int = 200, **context: Any) -> Response:
    """The post page with this reader's own additions (never cached)."""
    body = render_template(
        "public/post.html", post=post, reader_pending=reader_pending(post), **context
    )
    return private(current_app.response_class(body, status=status, mimetype="text/html"))


def personalised_post_response(post: Post) -> Response | None:
    """The post page for a reader with pending comments on it; None when the shared page fits.

    Call it before any cache lookup: only the shared page may be cached.
    """
    if PENDING_COOKIE not in request.cookies:
        return None
    if reader_pending(post):
        return render_post(post)
    return None


def personalised_post_response_at(path: str) -> Response | None:
    """`personalised_post_response` for a permalink path; cheap when there is no cookie."""
    if PENDING_COOKIE not in request.cookies:
        return None
    post = published_post(path)
    return None if post is None else personalised_post_response(post)


def form_token_page_lifetime() -> float:
    """How long a cached post page may be served: half the form token's lifetime.

    The cached page carries the token of the moment it was rendered, so a served token is
    never more than half its lifetime old and a reader always has the other half to write.
    """
    return max(float(current_app.config["COMMENTS_TOKEN_MAX_AGE"]) / 2, 1.0)


# ---------------------------------------------------------------------------- the POST


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
    return current_app.config["COMMENTS_RATE_LIMIT"]


@bp.post("/<path:path>comments")
@csrf.exempt  # the form carries its own signed token; see moderation.issue_form_token
@limiter.limit(comment_rate_limit, methods=["POST"])
def submit(path: str):
    """Take a reader's comment: refused → the form again (4xx); accepted → 303 to the post."""
    post = published_post("/" + path)
    if post is None:
        abort(404)
    if cross_site():
        abort(403, description="Comments can only be sent from this site's own pages.")
    form = request.form
    submission = moderation.Submission(
        name=form.get("name", ""),
        email=form.get("email", ""),
        url=form.get("url", ""),
        body=form.get("body", ""),
        parent_id=form.get("parent_id", ""),
        honeypot=form.get("homepage", ""),
        remote_addr=request.remote_addr,
    )
    config = current_app.config
    token = moderation.read_form_token(
        config["SECRET_KEY"],
        form.get("comment_token", ""),
        post.id,
        max_age=float(config["COMMENTS_TOKEN_MAX_AGE"]),
    )
    intake = rules()
    errors = moderation.validate(post, submission, intake)
    if token is None:
        errors["form"] = (
            "This form has expired or could not be verified. Your text is kept below; "
            "please send it again."
        )
    if errors or token is None:
        status = 400 if token is None else 422
        return render_post(
            post, status=status, comment_form=submission.as_form(), comment_errors=errors
        )
    comment = moderation.receive(post, submission, token, intake)
    response = redirect(f"{post.permalink}#comment-{comment.id}", code=303)
    if comment.status != CommentStatus.APPROVED:
        remember_pending(response, post, comment.id)
    return private(response)


@bp.get("/<path:path>comments")
def comments_anchor(path: str):
    """The comments live on the post page."""
    post = published_post("/" + path)
    if post is None:
        abort(404)
    return redirect(f"{post.permalink}#comments", code=301)


# ---------------------------------------------------------------------------- the feed


@bp.get("/<path:path>comments/feed.xml")
def feed(path: str):
    """A post's approved comments as Atom, with ETag / Last-Modified / 304."""
    post = published_post("/" + path)
    if post is None:
        abort(404)
    config = current_app.config

    def render():
        comments = db.session.execute(Comment.approved_for(post)).scalars().all()
        site = FeedSite(config["SITE_URL"], config["SITE_TITLE"], config["SITE_LANGUAGE"])
        return comments_atom(site, post, comments), comments_feed_updated(post, comments)

    return cached_response(
        render,
        "application/atom+xml",
        int(config["FEED_MAX_AGE"]),
    )
