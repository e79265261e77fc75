"""What arrives in the inbox, once its signature is checked (the view does that): what
each activity changes, in the caller's transaction.

- Follow of the blog's actor → a follower (accepted at once, or waiting for the author when
  ACTIVITYPUB_MANUAL_APPROVAL), with an Accept queued back.
- Undo of a Follow, Like or Announce → undone.
- Create of a Note in reply to a post (or to a comment on it) → a pending comment, through
  the comments' own intake; Update and Delete by its author change or remove it.
- Like and Announce of a post → counted (`Reaction`); nobody's name is shown.
- Anything else, or anything from a blocked actor or domain, is dropped without a word: the
  blog relays nothing for others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import delete, select

from microblog.comments import sanitize
from microblog.comments.intake import RemoteReply as Reply
from microblog.comments.intake import body_problem, take_remote, valid_url
from microblog.comments.rules import LIMITS, IntakeRules, comments_open
from microblog.extensions import db
from microblog.fediverse import delivery, documents
from microblog.fediverse.remote import is_blocked
from microblog.models import (
    Comment,
    CommentStatus,
    FederatedPost,
    Follower,
    Post,
    Reaction,
    RemoteActor,
)
from microblog.models.fediverse import RemoteReply
from microblog.posts.site_changes import mark_comments_changed, mark_site_changed
from microblog.timeutil import now_utc

COMMENT_FRAGMENT = re.compile(r"^comment-(\d{1,12})$")


def id_of(value: Any) -> str | None:
    """An object's id, whether the object is given whole or by its id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def handle(activity: dict[str, Any], sender: RemoteActor) -> str:
    """Do what `activity` (sent and signed by `sender`) asks; a word on what was done."""
    if is_blocked(sender.actor_url):
        return "blocked"
    kind = activity.get("type")
    obj = activity.get("object")
    if kind == "Follow" and id_of(obj) == documents.actor_url():
        return follow(activity, sender)
    if kind == "Undo" and isinstance(obj, dict | str):
        return undo(obj, sender)
    if kind == "Create" and isinstance(obj, dict):
        return create(obj, sender)
    if kind == "Update" and isinstance(obj, dict):
        return update(obj, sender)
    if kind == "Delete":
        return remove(obj, sender)
    if kind in ("Like", "Announce"):
        return react(str(kind), activity, sender)
    return "ignored"


# ---------------------------------------------------------------------------- followers


def follow(activity: dict[str, Any], sender: RemoteActor) -> str:
    """A follower, accepted now unless the author approves each one."""
    row = db.session.execute(
        select(Follower).where(Follower.actor_url == sender.actor_url)
    ).scalar_one_or_none()
    if row is None:
        row = Follower(actor_url=sender.actor_url, accepted=False, created_at=now_utc())
        db.session.add(row)
    row.inbox = sender.inbox
    row.shared_inbox = sender.shared_inbox
    row.handle = sender.handle
    row.name = sender.name
    row.profile_url = sender.profile_url
    row.follow_id = (id_of(activity) or "")[:1000]
    if row.accepted or not current_app.config["ACTIVITYPUB_MANUAL_APPROVAL"]:
        row.accepted = True
        db.session.flush()
        delivery.queue_accept(row)
        return "accepted"
    db.session.flush()
    return "waiting for approval"


def undo(obj: dict[str, Any] | str, sender: RemoteActor) -> str:
    """Undo a Follow (given whole, or by its id) or a Like or Announce (by its id)."""
    kind = obj.get("type") if isinstance(obj, dict) else None
    activity_id = id_of(obj)
    follower = db.session.execute(
        select(Follower).where(Follower.actor_url == sender.actor_url)
    ).scalar_one_or_none()
    if follower is not None and (
        kind == "Follow" or (kind is None and activity_id == follower.follow_id)
    ):
        db.session.delete(follower)
        return "unfollowed"
    if kind in ("Like", "Announce", None) and activity_id:
        gone = db.session.execute(
            select(Reaction).where(
                Reaction.activity_id == activity_id, Reaction.actor_url == sender.actor_url
            )
        ).scalar_one_or_none()
        if gone is not None:
            db.session.delete(gone)
            mark_site_changed(db.session)
            return "undone"
    return "ignored"


# ---------------------------------------------------------------------------- replies


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p") and self.parts:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts).strip()


@dataclass(frozen=True)
class NoteText:
    """What a Note says, as a comment takes it: who, the text, its HTML (cleaned), where."""

    reply: Reply
    body_html: str
    source_url: str
    written: datetime


def read_note(note: dict[str, Any], sender: RemoteActor) -> NoteText:
    """The Note's words through the comments' one sanitiser, with its author's name and
    profile, its public URL and date (never one still to come)."""
    html = note.get("content") if isinstance(note.get("content"), str) else ""
    published = note.get("published")
    try:
        written = datetime.fromisoformat(str(published).replace("Z", "+00:00"))
        if written.tzinfo is None:
            raise ValueError
    except ValueError:
        written = now_utc()
    note_url = note.get("url") if isinstance(note.get("url"), str) else None
    profile = sender.profile_url or sender.actor_url
    sanitizer = str(current_app.config["SANITIZER"])
    reply = Reply(
        name=(sender.name or sender.handle)[: LIMITS.name],
        url=profile if valid_url(profile) else "",
        body=plain_text(str(html))[: LIMITS.body],
    )
    return NoteText(
        reply=reply,
        body_html=sanitize.clean_html(str(html)[: LIMITS.body * 4], sanitizer).strip(),
        source_url=(note_url or str(note.get("id")))[:1000],
        written=min(written, now_utc()),
    )


def own_path(url: str) -> tuple[str, str] | None:
    """The path and fragment of a URL on this site (None: elsewhere)."""
    site = urlsplit(documents.site_url())
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc.lower()) != (site.scheme, site.netloc.lower()):
        return None
    return unquote(parts.path or "/"), parts.fragment


def post_at(url: str) -> Post | None:
    """The published post `url` names (its page, or the id it went out under)."""
    federated = db.session.get(FederatedPost, url)
    if federated is not None and not federated.deleted:
        post = db.session.get(Post, federated.post_id)
        if post is not None:
            return Post.find_published(post.permalink)
    place = own_path(url)
    return Post.find_published(place[0]) if place else None


def reply_target(in_reply_to: str) -> tuple[Post, Comment | None] | None:
    """What a Note answers: a post, a comment on one (`#comment-N`), or an earlier reply
    from the fediverse; None when it is none of ours."""
    earlier = db.session.execute(
        select(RemoteReply).where(RemoteReply.note_id == in_reply_to)
    ).scalar_one_or_none()
    if earlier is not None:
        comment = earlier.comment
        if comment.status != CommentStatus.APPROVED:
            return None
        post = Post.find_published(comment.post.permalink)
        return (post, comment) if post is not None else None
    place = own_path(in_reply_to)
    if place is None:
        return None
    post = post_at(in_reply_to.split("#", 1)[0])
    if post is None:
        return None
    found = COMMENT_FRAGMENT.match(place[1])
    if not found:
        return post, None
    parent = db.session.get(Comment, int(found.group(1)))
    if parent is None or parent.post_id != post.id or parent.status != CommentStatus.APPROVED:
        return None
    return post, parent


def create(note: dict[str, Any], sender: RemoteActor) -> str:
    """A Note in reply to one of ours becomes a pending comment (once per Note)."""
    note_id = id_of(note)
    in_reply_to = id_of(note.get("inReplyTo"))
    if note.get("type") != "Note" or not note_id or not in_reply_to:
        return "ignored"
    if urlsplit(note_id).netloc.lower() != urlsplit(sender.actor_url).netloc.lower():
        return "ignored"  # a Note is created by its own server, nobody else's
    if id_of(note.get("attributedTo")) not in (None, sender.actor_url):
        return "ignored"
    known = db.session.execute(
        select(RemoteReply).where(RemoteReply.note_id == note_id)
    ).scalar_one_or_none()
    if known is not None:
        return "known"
    target = reply_target(in_reply_to)
    if target is None:
        return "not a reply to this blog"
    post, parent = target
    if not comments_open(post, IntakeRules.from_config(current_app.config)):
        return "comments are closed on this post"
    text = read_note(note, sender)
    problem = body_problem(text.reply.body)
    if problem:
        return "refused: " + problem
    comment = take_remote(post, text.reply, text.body_html, text.source_url)
    comment.parent_id = parent.parent_id or parent.id if parent is not None else None
    comment.created_at = text.written
    db.session.add(
        RemoteReply(note_id=note_id[:1000], actor_url=sender.actor_url, comment_id=comment.id)
    )
    return "comment waiting for moderation"


def own_reply(note_id: str | None, sender: RemoteActor) -> RemoteReply | None:
    if not note_id:
        return None
    return db.session.execute(
        select(RemoteReply).where(
            RemoteReply.note_id == note_id, RemoteReply.actor_url == sender.actor_url
        )
    ).scalar_one_or_none()


def update(obj: dict[str, Any], sender: RemoteActor) -> str:
    """A reply's author changed it."""
    row = own_reply(id_of(obj), sender)
    if row is None or obj.get("type") != "Note":
        return "ignored"
    text = read_note(obj, sender)
    if body_problem(text.reply.body):
        return "refused"
    comment = row.comment
    take_remote(comment.post, text.reply, text.body_html, text.source_url, comment=comment)
    return "comment changed"


def remove(obj: Any, sender: RemoteActor) -> str:
    """A reply's author deleted it (or the actor deleted itself: it follows no more)."""
    object_id = id_of(obj)
    if object_id == sender.actor_url:
        db.session.execute(delete(Follower).where(Follower.actor_url == sender.actor_url))
        return "actor gone"
    row = own_reply(object_id, sender)
    if row is None:
        return "ignored"
    comment = row.comment
    if comment.status == CommentStatus.APPROVED:
        mark_site_changed(db.session)
        mark_comments_changed(db.session, comment.post.permalink)
    db.session.delete(row)
    db.session.delete(comment)
    return "comment removed"


# ---------------------------------------------------------------------------- reactions


def react(kind: str, activity: dict[str, Any], sender: RemoteActor) -> str:
    """A Like or Announce of a post, counted once per actor (as a like or a repost, the
    words the post page counts Webmentions by)."""
    kind = "like" if kind == "Like" else "repost"
    object_id = id_of(activity.get("object"))
    post = post_at(object_id) if object_id else None
    if post is None:
        return "ignored"
    exists = db.session.execute(
        select(Reaction.id).where(
            Reaction.post_id == post.id,
            Reaction.kind == kind,
            Reaction.actor_url == sender.actor_url,
        )
    ).scalar_one_or_none()
    if exists is None:
        db.session.add(
            Reaction(
                post_id=post.id,
                kind=kind,
                actor_url=sender.actor_url,
                activity_id=(id_of(activity) or "")[:1000],
            )
        )
        mark_site_changed(db.session)
    return "counted"
