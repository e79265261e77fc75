"""The comments block under a post, as the page shows it: approved threads, the form's
fresh signed token, likes and reposts, and (on a reader's private page) their own pending
comments with how long they may still change them. Built in one call for the view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from microblog.comments import own, threads
from microblog.comments.rules import LIMITS, FieldLimits, IntakeRules, comments_open
from microblog.comments.tokens import issue_form_token
from microblog.extensions import db
from microblog.mail import mail_enabled
from microblog.models import Comment, Post, Reaction
from microblog.models.openweb import Webmention


@dataclass
class CommentSection:
    """What the comments block under a post shows, built by the view for the template."""

    threads: list[Comment]
    replies: dict[int, list[Comment]]
    count: int
    open: bool
    token: str
    feed_url: str
    limits: FieldLimits = LIMITS
    # The reader's own comments awaiting moderation (only on a private page).
    pending: list[Comment] = field(default_factory=list)
    # Likes and reposts other sites sent as Webmentions.
    reactions: list[Webmention] = field(default_factory=list)
    # Whether the form offers "mail me replies" (only when the site sends mail).
    offers_replies: bool = False
    # The pending comments their writer may still edit or withdraw, with the deadline.
    editable: dict[int, datetime] = field(default_factory=dict)
    # The author photos of comments that came as Webmentions (comment id → URL).
    photos: dict[int, str] = field(default_factory=dict)


def intake_rules() -> IntakeRules:
    """The comment intake rules from the app's config."""
    return IntakeRules.from_config(current_app.config)


def comment_section(post: Post, pending: list[Comment] | None = None) -> CommentSection:
    """The comments block for `post`: approved threads, the form's fresh token, and (on a
    reader's private page) their pending comments."""
    approved = threads.approved_threads(post)
    return CommentSection(
        threads=approved.threads,
        replies=approved.replies,
        count=approved.count,
        open=comments_open(post, intake_rules()),
        token=issue_form_token(current_app.config["SECRET_KEY"], post.id),
        feed_url=f"{post.permalink}comments/feed.xml",
        pending=pending or [],
        reactions=[
            *sorted(
                db.session.execute(Webmention.reactions(post.id)).scalars(),
                key=lambda mention: (mention.verified_at, mention.id),
            ),
            # Likes and boosts from the fediverse: counted with the others, never named.
            *db.session.execute(select(Reaction).where(Reaction.post_id == post.id)).scalars(),
        ],
        offers_replies=mail_enabled(),
        photos=mention_photos(post),
        editable={
            comment.id: own.editable_until(comment)
            for comment in pending or []
            if own.may_change(comment, [comment.id])
        },
    )


def mention_photos(post: Post) -> dict[int, str]:
    """The author photos the Webmentions that became this post's comments named."""
    rows = db.session.execute(
        select(Webmention.comment_id, Webmention.author_photo).where(
            Webmention.post_id == post.id,
            Webmention.comment_id.is_not(None),
            Webmention.author_photo.is_not(None),
        )
    )
    return {int(comment_id): str(photo) for comment_id, photo in rows if comment_id and photo}


def pending_of_reader(post: Post, comment_ids: list[int]) -> list[Comment]:
    """The comments among `comment_ids` (from the reader's signed cookie) that are theirs on
    `post` and still await moderation."""
    return threads.pending_of_reader(post, comment_ids)
