"""The signed links in the author's mail and private feed: `GET /moderate/<token>` shows the
comment and one button (mail scanners and link previews follow links, so GET changes
nothing); `POST` does that one action without signing in. The token is the credential."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template, request
from flask.typing import ResponseReturnValue

from microblog import mail as notify
from microblog.comments import author_comments
from microblog.comments.rules import IntakeRules
from microblog.comments.status import TransitionError, apply
from microblog.extensions import csrf, db
from microblog.feeds.comments import FeedSite, QueueEntry, moderation_atom
from microblog.models import Comment
from microblog.web.dates import site_zone

bp = Blueprint("moderate", __name__)
# The token in the URL is the proof; there is no session to forge a request with.
csrf.exempt(bp)

FEED_ENTRIES = 50
VERBS = {"approve": "Approve", "spam": "Mark as spam", "trash": "Move to the trash"}
DONE = {"approve": "approved", "spam": "marked as spam", "trash": "moved to the trash"}


def private(response: Response) -> Response:
    """Never stored by any cache, never indexed, and the token never leaks as a Referer."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def void_link() -> Response:
    """The one answer for a token that is altered, expired, used or outdated."""
    return private(make_response(render_template("moderate/void.html"), 404))


@bp.get("/moderate/<token>")
def confirm_page(token: str) -> ResponseReturnValue:
    """The comment and one button."""
    found = notify.read_moderation_token(token)
    if found is None:
        return void_link()
    comment, action = found
    return private(
        make_response(
            render_template(
                "moderate/confirm.html",
                comment=comment,
                action=action,
                verb=VERBS[action],
            )
        )
    )


@bp.post("/moderate/<token>")
def act(token: str) -> ResponseReturnValue:
    """Do the link's one action."""
    found = notify.read_moderation_token(token)
    if found is None:
        return void_link()
    comment, action = found
    reply_text = request.form.get("reply", "")
    try:
        if action == "approve" and reply_text.strip():
            config = current_app.config
            author_comments.approve_and_reply(
                comment,
                reply_text,
                IntakeRules.from_config(config),
                name=str(config["SITE_AUTHOR"]),
                site_url=str(config["SITE_URL"]),
                by=None,
            )
        else:
            apply(comment, action, None)
    except author_comments.AuthorCommentRefused as error:
        db.session.rollback()
        page = render_template(
            "moderate/confirm.html",
            comment=comment,
            action=action,
            verb=VERBS[action],
            error=str(error),
        )
        return private(make_response(page, 422))
    except TransitionError:
        db.session.rollback()
        return void_link()
    db.session.commit()
    page = render_template("moderate/done.html", comment=comment, done=DONE[action])
    return private(make_response(page))


@bp.get("/moderate/feed/<token>.atom")
def author_feed(token: str) -> ResponseReturnValue:
    """The author's private feed of comments waiting, newest first, with their links."""
    author = notify.read_feed_token(token)
    if author is None:
        return void_link()
    waiting = db.session.scalars(Comment.pending().limit(FEED_ENTRIES)).all()
    entries = [
        QueueEntry(
            comment,
            comment.post,
            render_template(
                "moderate/feed_entry.html",
                comment=comment,
                links=notify.moderation_links(comment, feed=author),
            ),
        )
        for comment in waiting
    ]
    config = current_app.config
    site = FeedSite(
        config["SITE_URL"],
        config["SITE_TITLE"],
        config.get("SITE_LANGUAGE", "en"),
        zone=site_zone(),
    )
    body = moderation_atom(site, notify.feed_url(author), entries)
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return private(response)
