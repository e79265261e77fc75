"""What the fediverse reads of the blog: WebFinger, NodeInfo, the author's actor (a
`Person`), the outbox, the followers collection, and each post as an `Article` (a note as a
`Note`), as Mastodon reads them.

The actor lives at fixed paths (`/activitypub/…`), not under the author's name, so a
follower's link stays good whatever the username becomes.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from datetime import datetime
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import current_app
from slugify import slugify
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.fediverse.keys import current_key
from microblog.feeds.uris import uri
from microblog.models import Author, Comment, CommentStatus, FederatedPost, Follower, Post
from microblog.models.fediverse import RemoteReply
from microblog.timeutil import as_utc, now_utc

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "Hashtag": "as:Hashtag",
        "sensitive": "as:sensitive",
    },
]
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
OUTBOX_ITEMS = 20

ACTOR_PATH = "/activitypub/actor"
INBOX_PATH = "/activitypub/inbox"
OUTBOX_PATH = "/activitypub/outbox"
FOLLOWERS_PATH = "/activitypub/followers"
FOLLOWING_PATH = "/activitypub/following"


def site_url() -> str:
    return str(current_app.config["SITE_URL"]).rstrip("/")


def site_host() -> str:
    """The host of the handle: SITE_URL's (with its port, if it has one)."""
    return urlsplit(site_url()).netloc.lower()


def actor_url() -> str:
    return site_url() + ACTOR_PATH


def key_id() -> str:
    return actor_url() + "#main-key"


def the_author() -> Author | None:
    """The blog's author (the first account): the one actor."""
    return db.session.execute(select(Author).order_by(Author.id).limit(1)).scalar_one_or_none()


def handle(author: Author) -> str:
    """`@username@host`, what a fediverse reader types to follow the blog."""
    return f"@{author.username}@{site_host()}"


def iso(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def absolute(path_or_url: str) -> str:
    return uri(urljoin(site_url() + "/", path_or_url))


# ------------------------------------------------------------------------------ discovery


def webfinger(resource: str) -> dict[str, Any] | None:
    """The WebFinger answer for `acct:user@host` or the actor's URL (None: not ours)."""
    author = the_author()
    if author is None:
        return None
    resource = resource.strip()
    subject = f"acct:{author.username}@{site_host()}"
    names = {subject.lower(), actor_url().lower(), (site_url() + "/").lower(), site_url().lower()}
    wanted = resource.lower()
    if wanted.startswith("acct:@"):
        wanted = "acct:" + wanted[6:]
    if wanted not in names:
        return None
    return {
        "subject": subject,
        "aliases": [actor_url(), site_url() + "/"],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor_url()},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": site_url() + "/",
            },
        ],
    }


def nodeinfo_links() -> dict[str, Any]:
    """`/.well-known/nodeinfo`: where the NodeInfo document is."""
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": site_url() + "/nodeinfo/2.1"}]}


def nodeinfo() -> dict[str, Any]:
    """NodeInfo 2.1: what software this is, one user, how many posts."""
    posts = db.session.execute(
        select(func.count()).select_from(Post.published().subquery())
    ).scalar_one()
    return {
        "version": "2.1",
        "software": {"name": "microblog", "version": "1.0"},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1},
            "localPosts": posts,
        },
        "metadata": {"nodeName": str(current_app.config["SITE_TITLE"])},
    }


def author_photo() -> str | None:
    photo = str(current_app.config.get("SITE_AUTHOR_PHOTO") or "").strip()
    return absolute(photo) if photo else None


def actor_document(author: Author) -> dict[str, Any]:
    """The author as a `Person`, with the key that signs everything the blog sends."""
    config = current_app.config
    key = current_key()
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": actor_url(),
        "type": "Person",
        "preferredUsername": author.username,
        "name": str(config["SITE_AUTHOR"]),
        "summary": f"<p>{escape(str(config['SITE_DESCRIPTION']))}</p>",
        "url": site_url() + "/",
        "inbox": site_url() + INBOX_PATH,
        "outbox": site_url() + OUTBOX_PATH,
        "followers": site_url() + FOLLOWERS_PATH,
        "following": site_url() + FOLLOWING_PATH,
        "endpoints": {"sharedInbox": site_url() + INBOX_PATH},
        "manuallyApprovesFollowers": bool(config["ACTIVITYPUB_MANUAL_APPROVAL"]),
        "discoverable": True,
        "published": iso(author.created_at),
        "publicKey": {"id": key_id(), "owner": actor_url(), "publicKeyPem": key.public_pem},
    }
    photo = author_photo()
    if photo:
        kind = mimetypes.guess_type(urlsplit(photo).path)[0] or "image/jpeg"
        document["icon"] = {"type": "Image", "mediaType": kind, "url": photo}
    return document


def followers_collection() -> dict[str, Any]:
    """How many follow the blog (who they are is theirs to tell, not ours)."""
    count = db.session.execute(
        select(func.count()).select_from(Follower).where(Follower.accepted.is_(True))
    ).scalar_one()
    return {
        "@context": CONTEXT[0],
        "id": site_url() + FOLLOWERS_PATH,
        "type": "OrderedCollection",
        "totalItems": count,
    }


def following_collection() -> dict[str, Any]:
    return {
        "@context": CONTEXT[0],
        "id": site_url() + FOLLOWING_PATH,
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    }


def outbox() -> dict[str, Any]:
    """The newest posts, as the Create activities that published them."""
    total = db.session.execute(
        select(func.count()).select_from(Post.published().subquery())
    ).scalar_one()
    posts = db.session.execute(Post.published().limit(OUTBOX_ITEMS)).scalars().all()
    return {
        "@context": CONTEXT,
        "id": site_url() + OUTBOX_PATH,
        "type": "OrderedCollection",
        "totalItems": total,
        "orderedItems": [wrap("Create", post_object(post)) for post in posts],
    }


# ------------------------------------------------------------------------------ objects


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img" and values.get("src"):
            self.images.append((str(values["src"]), str(values.get("alt") or "")))


def image_attachments(html: str) -> list[dict[str, Any]]:
    """The post's images as `Image` attachments (absolute URLs, once each)."""
    parser = _Images()
    parser.feed(html)
    seen: set[str] = set()
    found = []
    for src, alt in parser.images:
        url = absolute(src)
        if url in seen or urlsplit(url).scheme not in ("http", "https"):
            continue
        seen.add(url)
        kind = mimetypes.guess_type(urlsplit(url).path)[0] or "image/jpeg"
        found.append({"type": "Image", "mediaType": kind, "url": url, "name": alt})
    return found


def hashtags(names: Iterable[str]) -> list[dict[str, str]]:
    """The post's tags as Mastodon's `Hashtag`s, each linking to the tag's page."""
    tags = []
    for name in names:
        slug = slugify(name)
        if not slug:
            continue
        tag_name = "#" + "".join(name.split())
        tags.append({"type": "Hashtag", "href": site_url() + f"/tags/{slug}/", "name": tag_name})
    return tags


def object_id_of(post: Post) -> str:
    """The id the post went out under (its first URL), else its URL now."""
    federated = db.session.execute(
        select(FederatedPost.object_id)
        .where(FederatedPost.post_id == post.id)
        .order_by(FederatedPost.sent_at)
        .limit(1)
    ).scalar_one_or_none()
    return federated or absolute(post.permalink)


def is_note(post: Post) -> bool:
    """A post without a title is a note (Mastodon shows a `Note` whole in the timeline)."""
    return not post.title.strip()


def replies_of(post: Post, object_id: str) -> dict[str, Any]:
    """The post's approved comments, by their ids (a fediverse reply keeps its own)."""
    rows = db.session.execute(
        select(Comment.id, RemoteReply.note_id)
        .outerjoin(RemoteReply, RemoteReply.comment_id == Comment.id)
        .where(Comment.post_id == post.id, Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    page_url = absolute(post.permalink)
    items = [note_id or f"{page_url}#comment-{comment_id}" for comment_id, note_id in rows]
    return {
        "id": object_id + "#replies",
        "type": "Collection",
        "totalItems": len(items),
        "items": items,
    }


def post_object(post: Post) -> dict[str, Any]:
    """The post as an ActivityStreams object: an `Article` (a note: a `Note`)."""
    object_id = object_id_of(post)
    url = absolute(post.permalink)
    document: dict[str, Any] = {
        "id": object_id,
        "type": "Note" if is_note(post) else "Article",
        "url": url,
        "attributedTo": actor_url(),
        "to": [PUBLIC],
        "cc": [site_url() + FOLLOWERS_PATH],
        "published": iso(post.published_at),
        "content": post.body_html,
        "mediaType": "text/html",
        "tag": hashtags(post.tag_names),
        "attachment": image_attachments(post.body_html),
        "replies": replies_of(post, object_id),
        "sensitive": False,
    }
    if not is_note(post):
        document["name"] = post.title
    changed = post.last_modified_at or post.updated_at
    if changed is not None and as_utc(changed) > as_utc(post.published_at):
        document["updated"] = iso(changed)
    return document


def comment_note(comment: Comment, in_reply_to: str, to: list[str]) -> dict[str, Any]:
    """The author's comment on the blog as a `Note` in reply to `in_reply_to`."""
    page_url = absolute(comment.post.permalink)
    return {
        "id": f"{page_url}#comment-{comment.id}",
        "type": "Note",
        "url": f"{page_url}#comment-{comment.id}",
        "attributedTo": actor_url(),
        "inReplyTo": in_reply_to,
        "to": to,
        "cc": [PUBLIC, site_url() + FOLLOWERS_PATH],
        "published": iso(comment.created_at),
        "content": comment.body_html,
        "mediaType": "text/html",
        "tag": [{"type": "Mention", "href": address} for address in to],
    }


def wrap(kind: str, obj: dict[str, Any], activity_id: str | None = None) -> dict[str, Any]:
    """An activity of `kind` (Create, Update, Delete) by the actor, around `obj`."""
    if activity_id is None:
        # An Update needs an id of its own each time (servers drop an id they have seen).
        stamp = f"-{iso(now_utc())}" if kind == "Update" else ""
        activity_id = f"{obj['id']}#{kind.lower()}{stamp}"
    return {
        "@context": CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor_url(),
        "published": obj.get("updated") or obj.get("published"),
        "to": obj.get("to", [PUBLIC]),
        "cc": obj.get("cc", []),
        "object": obj,
    }
