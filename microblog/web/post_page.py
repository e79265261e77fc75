"""The post page, shared by the permalink route (public.py) and the comment POST (comments.py).

The view asks `comments.section` for the comment section (its queries, the form's signed
token) and hands it to the template; templates query nothing.

Two kinds of copy:
- the shared page, the same for every reader, which public.py serves through the response
  cache (its lifetime bounded by the form token's, see `form_token_page_lifetime`);
- a reader's private page, for a reader whose signed cookie lists comments of theirs still
  awaiting moderation on this post: rendered outside the cache with `Cache-Control:
  private, no-store`, so a pending comment never enters a page other readers get.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from microblog.comments.intake import reply_target
from microblog.comments.section import comment_section, pending_of_reader
from microblog.extensions import db
from microblog.feeds import entry_updated
from microblog.feeds.cards import LinkCard, link_card
from microblog.models import Comment, Post
from microblog.web.dates import site_zone

# The reader's own pending comments: a signed list of ids, on the post's path only. A
# request that carries it is personal: the response cache is told so (see create_app).
PENDING_COOKIE = "pending_comments"
PENDING_SALT = "pending-comments"
PENDING_KEEP = 20  # the newest ids a reader's cookie remembers per post
PENDING_MAX_AGE = 30 * 24 * 3600


@dataclass(frozen=True)
class Surroundings:
    """What a post page shows around the post: its link card, the posts before and after
    it, and the posts that share its tags."""

    card: LinkCard
    older: Post | None
    newer: Post | None
    related: list[Post]


def surroundings(post: Post) -> Surroundings:
    """The link card and the neighbours of `post` (looked up once per render; the page is
    cached until the site changes)."""
    config = current_app.config
    zone = site_zone()
    updated = entry_updated(post)
    card = link_card(
        post,
        site_url=str(config["SITE_URL"]).rstrip("/"),
        site_name=str(config["SITE_TITLE"]),
        author=str(config["SITE_AUTHOR"]),
        published=post.published_at.astimezone(zone),
        modified=updated.astimezone(zone),
    )
    return Surroundings(
        card=card,
        older=db.session.execute(Post.older_than(post)).scalar_one_or_none(),
        newer=db.session.execute(Post.newer_than(post)).scalar_one_or_none(),
        related=list(db.session.execute(Post.related_to(post)).scalars()),
    )


def shared_post_html(post: Post) -> str:
    """The post page every reader gets (cacheable)."""
    return render_template(
        "public/post.html", post=post, section=comment_section(post), around=surroundings(post)
    )


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
    return pending_of_reader(post, pending_ids_from_cookie())


# ---------------------------------------------------------------------------- private pages


def private(response: Response) -> Response:
    """Mark a response personalised: no shared cache may keep it."""
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
    return response


def render_post(
    post: Post, status: int = 200, pending: list[Comment] | None = None, **context: Any
) -> Response:
    """The post page with this reader's own additions (never cached)."""
    pending = reader_pending(post) if pending is None else pending
    section = comment_section(post, pending=pending)
    body = render_template(
        "public/post.html", post=post, section=section, around=surroundings(post), **context
    )
    return private(current_app.response_class(body, status=status, mimetype="text/html"))


def reply_form_response_at(path: str) -> Response | None:
    """`?reply=<id>`: the post page with its form answering that comment (private: the form
    is filled in, and a signed-in author is told their reply goes out at once). None when
    no published post is at `path` (the usual 301/404 follow)."""
    post = Post.find_published(path)
    if post is None:
        return None
    raw = request.args.get("reply", "")
    target = reply_target(post, raw)
    form: dict[str, str] = {}
    if target is not None:
        form["parent_id"] = str(target.id)
    author = bool(current_user.is_authenticated)
    if author:
        form["name"] = str(current_app.config["SITE_AUTHOR"])
    return render_post(post, comment_form=form, replying_to=target, author_signed_in=author)


def personalised_post_response_at(path: str) -> Response | None:
    """The private post page for a reader with pending comments on the post at `path`; None
    when the shared page fits (cheap when there is no cookie). Call it before any cache
    lookup: only the shared page may be cached."""
    if PENDING_COOKIE not in request.cookies:
        return None
    post = Post.find_published(path)
    if post is None:
        return None
    pending = reader_pending(post)
    return render_post(post, pending=pending) if pending else None


def token_window() -> float:
    """The length of a form-token window: half the token's lifetime (at least a second)."""
    return max(float(current_app.config["COMMENTS_TOKEN_MAX_AGE"]) / 2, 1.0)


def form_token_page_lifetime(now: float | None = None) -> float:
    """How long a cached post page may be served: until the current token window ends.

    Windows are counted from the epoch, so every worker and host starts and ends them at the
    same moments. A cached page carries the token of the moment it was rendered, so a served
    token is never more than half its lifetime old and a reader always has the other half.
    """
    window = token_window()
    now = time.time() if now is None else now
    return window - now % window


TOKEN_FIELD = re.compile(rb'(name="comment_token" value=")[^"]*(")')


def page_without_token(body: bytes) -> bytes:
    """A post page's bytes as the same for every render in this token window: its form token
    (its own time and nonce on each render) stands as the window's number.

    Its ETag is computed from this, so every worker and host gives a post page the same
    (weak) ETag, and a browser's copy revalidates anywhere while its token is still good.
    """
    window = int(time.time() // token_window())
    return TOKEN_FIELD.sub(rb"\g<1>window-%d\g<2>" % window, body)
