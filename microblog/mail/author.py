"""What the author is told: a mail per comment that waits, the signed links in it, and the
private feed of the queue."""

from __future__ import annotations

import base64
import hashlib

from flask import current_app
from sqlalchemy import select

from microblog import jobs
from microblog.extensions import db
from microblog.mail import links
from microblog.mail.sending import compose, deliver, mail_enabled
from microblog.models import Author, Comment, CommentStatus

# What a moderation link may do to a waiting comment, in the order a mail lists them.
MAIL_ACTIONS = ("approve", "spam", "trash")
MODERATION_LINK_DAYS = 14


# ---------------------------------------------------------------------------- moderation links


def _stamp(comment: Comment) -> int:
    changed = comment.status_changed_at or comment.created_at
    return int(changed.timestamp() * 1000)


def _words(comment: Comment) -> str:
    """A digest of everything of the comment its writer (or a Webmention's source) can change
    after the mail went out: a link approves the text the author read, not a later one."""
    digest = hashlib.blake2b(digest_size=9)
    for part in (
        comment.author_name,
        comment.author_email or "",
        comment.author_url or "",
        comment.body_source or "",
        comment.body_html or "",
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return base64.urlsafe_b64encode(digest.digest()).decode()


def moderation_token(comment: Comment, action: str, feed: Author | None = None) -> str:
    """A signed token for one action on one comment, in the state the comment is in now and
    with the words it holds now. Made for `feed` (the author's private feed), it also names
    that feed's generation: `author feed-url --rotate` voids the links already read from the
    old feed, as it voids the feed itself (a mailed link is not the feed's to void)."""
    payload: dict[str, object] = {
        "c": comment.id,
        "a": action,
        "s": comment.status.value,
        "t": _stamp(comment),
        "w": _words(comment),
    }
    if feed is not None:
        payload["f"] = [feed.id, feed.feed_generation]
    return links.sign("moderate", payload)


def moderation_link(comment: Comment, action: str, feed: Author | None = None) -> str:
    """The absolute URL of a moderation link (for a mail; for `feed`'s entries)."""
    return links.absolute(f"/moderate/{moderation_token(comment, action, feed)}")


def moderation_links(comment: Comment, feed: Author | None = None) -> dict[str, str]:
    """One link per action a mail (or, with `feed`, the author's private feed) offers."""
    return {action: moderation_link(comment, action, feed) for action in MAIL_ACTIONS}


def read_moderation_token(token: str) -> tuple[Comment, str] | None:
    """The comment and action a token names, if it is genuine, fresh and still current.

    Void once the comment changed state since the token was made (so once used, or acted on
    from the queue), for a deleted comment, and after MODERATION_LINK_DAYS.
    """
    payload = links.read("moderate", token, max_age=MODERATION_LINK_DAYS * 86400)
    if payload is None:
        return None
    try:
        comment_id, action = int(payload["c"]), str(payload["a"])
        status, stamp = str(payload["s"]), int(payload["t"])
    except (KeyError, TypeError, ValueError):
        return None
    if action not in MAIL_ACTIONS:
        return None
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status.value != status or _stamp(comment) != stamp:
        return None
    if payload.get("w") != _words(comment):
        return None  # the text changed since the link was made: the author never read it
    if "f" in payload and not _current_feed(payload["f"]):
        return None  # read from a feed URL rotated since
    return comment, action


def _current_feed(feed: object) -> bool:
    """Whether a feed link's [author id, generation] is that author's feed of today."""
    if not isinstance(feed, list) or len(feed) != 2:
        return False
    try:
        author = db.session.get(Author, int(feed[0]))
        return author is not None and author.feed_generation == int(feed[1])
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------- the private feed


def feed_token(author: Author) -> str:
    """The secret part of the author's private feed URL (void once the generation moves)."""
    return links.sign("author-feed", {"a": author.id, "g": author.feed_generation})


def feed_url(author: Author) -> str:
    """The author's private moderation feed, as an absolute URL."""
    return links.absolute(f"/moderate/feed/{feed_token(author)}.atom")


def read_feed_token(token: str) -> Author | None:
    """The author whose current feed URL this is; None for an old, altered or foreign one."""
    payload = links.read("author-feed", token)
    if payload is None:
        return None
    try:
        author_id, generation = int(payload["a"]), int(payload["g"])
    except (KeyError, TypeError, ValueError):
        return None
    author = db.session.get(Author, author_id)
    if author is None or author.feed_generation != generation:
        return None
    return author


# ---------------------------------------------------------------------------- the author's mail


def author_addresses() -> list[str]:
    """Where the author's notifications go."""
    return [
        address
        for address in db.session.scalars(select(Author.email).where(Author.email.is_not(None)))
        if address
    ]


def queue_author_mail(comment: Comment) -> None:
    """In the caller's transaction: mail the author about a comment that waits (if mail is on).

    The comment must have its id (flushed). Nothing for a comment filed as spam.
    """
    if mail_enabled() and comment.status == CommentStatus.PENDING:
        jobs.enqueue("mail.author", comment_id=comment.id)


@jobs.task("mail.author", attempts=10)
def mail_author(comment_id: int) -> None:
    """Mail the author a comment that waits, with signed links to act on it."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status != CommentStatus.PENDING:
        return  # moderated (or withdrawn) before the mail could go: nothing to say
    post = comment.post
    for number, address in enumerate(author_addresses()):
        deliver(
            compose(
                "author_comment",
                f"[{current_app.config['SITE_TITLE']}] Comment waiting on “{post.title}”"
                f" from {comment.author_name}",
                address,
                id_part=f".{number}" if number else "",
                comment=comment,
                post=post,
                post_url=links.absolute(post.permalink),
                queue_url=links.absolute("/admin/comments?status=pending"),
                actions=moderation_links(comment),
            )
        )
