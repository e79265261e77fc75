"""Receiving Webmentions: checked at once for what needs no fetch, verified in a job.

`refusal()` says why a request is refused (400); `accept()` queues the verification in the
caller's transaction, unless too many already wait (a flood fills neither queue nor
database: one job per request, at most WEBMENTION_MAX_QUEUED waiting). The job fetches the
source under the SSRF guard and stores what it is (see `record`): a reply or mention is a
pending comment in the moderation queue, sanitised like any comment; likes and reposts are
counted on the post. A source sent again updates what it made; a source gone (404/410) or
no longer linking to the post removes it.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from microblog import jobs
from microblog.comments import intake, sanitize
from microblog.comments.rules import LIMITS
from microblog.extensions import db
from microblog.indieweb.fetch import FetchRefused, fetch
from microblog.indieweb.mentions import Mention, TooComplex, links_to, parse_page, read_mention
from microblog.models import Comment, CommentStatus, Job, JobState, Post
from microblog.models.openweb import Webmention
from microblog.posts.site_changes import mark_comments_changed, mark_site_changed
from microblog.timeutil import now_utc

MAX_URL = 1000
GONE = (404, 410)


def target_post(target: str) -> Post | None:
    """The published post of this site that `target` names, if any."""
    site = urlsplit(str(current_app.config["SITE_URL"]))
    parts = urlsplit(target)
    if (parts.scheme, parts.netloc.lower()) != (site.scheme, site.netloc.lower()):
        return None
    return Post.find_published(unquote(parts.path or "/"))


def refusal(source: str, target: str) -> str | None:
    """Why this Webmention is refused at once (None: it is accepted for verification)."""
    for name, url in (("source", source), ("target", target)):
        if not url:
            return f"The {name} field is missing."
        if len(url) > MAX_URL:
            return f"The {name} URL is too long (at most {MAX_URL} characters)."
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"The {name} must be an http:// or https:// URL."
    if source.split("#")[0] == target.split("#")[0]:
        return "The source and the target are the same page."
    if target_post(target) is None:
        return "The target is not a post of this site."
    return None


def queue_full(client: str = "") -> bool:
    """Whether as many verifications wait as the site allows, in all or from this client
    (one client may hold at most WEBMENTION_MAX_QUEUED_PER_CLIENT of them)."""
    waiting = list(
        db.session.execute(
            select(Job.args)
            .where(Job.kind == "webmention.verify", Job.state == JobState.WAITING)
            .limit(int(current_app.config["WEBMENTION_MAX_QUEUED"]))
        ).scalars()
    )
    if len(waiting) >= int(current_app.config["WEBMENTION_MAX_QUEUED"]):
        return True
    mine = sum(1 for args in waiting if client and (args or {}).get("client") == client)
    return mine >= int(current_app.config["WEBMENTION_MAX_QUEUED_PER_CLIENT"])


def accept(source: str, target: str, client: str = "") -> None:
    """Queue the verification in the caller's transaction (`client`: who sent it)."""
    jobs.enqueue("webmention.verify", source=source, target=target, client=client)


@jobs.task("webmention.verify", attempts=5, seconds=60)
def verify(source: str, target: str, client: str = "") -> None:
    """Fetch the source and record, update or remove what it says about the target.

    A source that cannot be read (refused, too slow, too complex) fails the job at once
    with its reason (`flask jobs` shows it): the next attempt would fare no better.
    """
    post = target_post(target)
    if post is None:
        return  # the post went away meanwhile
    allow_private = bool(current_app.config["WEBMENTION_ALLOW_PRIVATE"])
    try:
        page = fetch(source, allow_private=allow_private)
    except FetchRefused as refused:
        current_app.logger.info("webmention from %s refused: %s", source, refused)
        raise jobs.GiveUp(f"{source}: {refused}") from refused
    if page.status in GONE:
        remove(post, source)
        return
    if not 200 <= page.status < 300:
        raise RuntimeError(f"{source} answered {page.status}")  # retried later
    try:
        root = parse_page(page.text)
        if not links_to(root, page.url, target):
            remove(post, source)
            return
        record(post, source, read_mention(root, page.url, target))
    except (TooComplex, RecursionError) as error:
        why = str(error) if isinstance(error, TooComplex) else "the page nests too deeply"
        raise jobs.GiveUp(f"{source}: {why}") from None


def existing(post: Post, source: str) -> Webmention | None:
    return db.session.execute(
        select(Webmention).where(Webmention.post_id == post.id, Webmention.source == source)
    ).scalar_one_or_none()


def remove(post: Post, source: str) -> None:
    """Forget what `source` said about `post` (its comment too)."""
    mention = existing(post, source)
    if mention is None:
        return
    drop_comment(post, mention.comment)
    db.session.delete(mention)
    mark_site_changed(db.session)


def drop_comment(post: Post, comment: Comment | None) -> None:
    if comment is None:
        return
    if comment.status == CommentStatus.APPROVED:
        mark_comments_changed(db.session, post.permalink)
    db.session.delete(comment)


def record(post: Post, source: str, mention: Mention) -> None:
    """Store the mention, updating the one this source made before (never a duplicate; a
    like or repost once per reader, and no more than the post may hold)."""
    row = existing(post, source)
    if mention.kind in ("like", "repost") and counted_already(post, source, mention):
        if row is not None:
            remove(post, source)  # this source changed into a reaction counted elsewhere
        return
    if row is None:
        row = Webmention(post_id=post.id, source=source)
        db.session.add(row)
    row.kind = mention.kind
    row.author_name = mention.author_name
    row.author_url = mention.author_url
    row.author_photo = mention.author_photo
    row.verified_at = now_utc()
    if mention.kind in ("reply", "mention"):
        row.comment = comment_for(post, source, mention, row.comment)
    else:
        drop_comment(post, row.comment)
        row.comment = None
    mark_site_changed(db.session)


def reaction_key(source: str, author_url: str | None) -> str:
    """Who a like or repost is from: the author's URL, else the source page's, each without
    query or fragment (`?n=1`, `?n=2`… of one page are one reader, not six)."""
    parts = urlsplit(author_url or source)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/') or '/'}"


def counted_already(post: Post, source: str, mention: Mention) -> bool:
    """Whether this like or repost must not add a row: its reader already has one of that
    kind on the post, or the post holds as many as it may (WEBMENTION_MAX_REACTIONS)."""
    rows = db.session.execute(Webmention.reactions(post.id)).scalars().all()
    others = [row for row in rows if row.source != source]
    if len(others) >= int(current_app.config["WEBMENTION_MAX_REACTIONS"]):
        return True
    key = reaction_key(source, mention.author_url)
    return any(
        row.kind == mention.kind and reaction_key(row.source, row.author_url) == key
        for row in others
    )


def comment_for(post: Post, source: str, mention: Mention, comment: Comment | None) -> Comment:
    """The comment a reply or mention is, taken through the readers' intake (spam rules, the
    author's mail): its earlier one, changed, if any."""
    sanitizer = str(current_app.config["SANITIZER"])
    if mention.content_html:
        body_html = sanitize.clean_html(mention.content_html[: LIMITS.body * 4], sanitizer).strip()
    else:
        body_html = sanitize.render_comment(mention.content_text or "(mentioned this post)")
    body_source = (mention.content_text or source)[: LIMITS.body]
    reply = intake.RemoteReply(
        mention.author_name, mention.author_url or "", body_source, published=mention.published
    )
    return intake.take_remote(post, reply, body_html, source, comment)
