"""What every feed says about the site and about each post, whatever its format.

Pure: posts and settings in, values out; no request, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal, Protocol

from markupsafe import Markup

from microblog.feeds.uris import uri
from microblog.timeutil import as_utc, in_zone, zone_named

FeedKind = Literal["rss", "atom", "json"]

MIMETYPES: dict[str, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}

# An empty feed still needs an `updated`; a fixed instant keeps its bytes deterministic.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What XML 1.0 does not allow in a document at all: C0 controls other than tab, newline
# and carriage return, lone surrogates, and the two non-characters U+FFFE and U+FFFF.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# A row written and then updated within this long was not edited by anyone: it was stored.
EDIT_GRACE = timedelta(seconds=1)


class FeedPost(Protocol):
    """What a feed needs from a post (a `models.Post` has it all).

    Optional, read with `getattr`: `categories`, `front_matter` (for `author:`), and
    `created_at` / `updated_at` (an edit of the stored post moves its `updated`).
    """

    title: str
    permalink: str
    published_at: datetime
    last_modified_at: datetime | None
    tag_names: list[str]
    excerpt_html: str
    body_html: str


@dataclass(frozen=True)
class FeedSettings:
    """What every feed of the site says about the site."""

    site_url: str
    title: str
    description: str
    author: str
    language: str = "en"
    full_text: bool = True
    ttl_minutes: int | None = None
    # The WebSub hub the feeds name (`rel="hub"`), if any.
    hub_url: str | None = None
    # Dates are written as wall-clock time in this zone, with its offset (TIMEZONE).
    timezone: str = "UTC"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FeedSettings:
        """The feed settings in an app's configuration."""
        max_age = int(config.get("FEED_MAX_AGE") or 0)
        return cls(
            site_url=str(config["SITE_URL"]).rstrip("/"),
            title=config["SITE_TITLE"],
            description=config["SITE_DESCRIPTION"],
            author=config["SITE_AUTHOR"],
            language=config["SITE_LANGUAGE"],
            full_text=bool(config["FEED_FULL_TEXT"]),
            ttl_minutes=max(1, max_age // 60) if max_age else None,
            hub_url=config.get("WEBSUB_HUB") or None,
            timezone=str(config.get("TIMEZONE") or "UTC"),
        )

    @property
    def zone(self) -> tzinfo:
        """The zone feed dates are written in (UTC while TIMEZONE names none)."""
        try:
            return zone_named(self.timezone)
        except ValueError:
            return UTC


def xml_text(value: object) -> str:
    """`value` as text with every character XML 1.0 forbids removed."""
    return XML_FORBIDDEN.sub("", str(value or ""))


def note_title(post: FeedPost, words: int = 8, zone: tzinfo = UTC) -> str:
    """What stands as a note's title where a format requires one (Atom): its first words.

    Feed readers show an entry's title as its headline; a URL there is what nobody wants to
    read, and an empty one is shown as "(untitled)" by some. A note with no words at all (a
    photo) is named by its date.
    """
    text = Markup(post.excerpt_html or post.body_html or "").striptags().split()
    if text:
        return xml_text(" ".join(text[:words]) + ("…" if len(text) > words else ""))
    return f"Note of {in_zone(post.published_at, zone).date().isoformat()}"


def post_title(post: FeedPost) -> str | None:
    """The post's title; None for a note (RSS and JSON Feed then carry no title at all)."""
    return xml_text(post.title).strip() or None


def post_url(post: FeedPost, site_url: str) -> str:
    """The post's absolute, percent-encoded address: its id in every feed."""
    return uri(site_url.rstrip("/") + post.permalink)


def entry_updated(post: FeedPost) -> datetime:
    """When a reader would say the post last changed (never before it was published).

    The front matter's `last_modified_at` when it has one (the author's own word), unless
    the post was edited in the app since its import; otherwise the time its text last
    changed in the database (a re-import of a changed file, the editor), if ever.
    """
    published = as_utc(post.published_at)
    moments = [published]
    if post.last_modified_at is not None:
        moments.append(as_utc(post.last_modified_at))
    created, updated = (
        getattr(post, "created_at", None),
        getattr(post, "updated_at", None),
    )
    imported, version = getattr(post, "imported_version", None), getattr(post, "version", None)
    edited_in_app = imported is None or version != imported
    if post.last_modified_at is not None and not edited_in_app:
        return max(moments)
    if created is not None and updated is not None and updated - created > EDIT_GRACE:
        moments.append(as_utc(updated).replace(microsecond=0))
    return max(moments)


def newest_change(posts: Iterable[FeedPost]) -> datetime | None:
    """The latest `entry_updated` among `posts`, or None when there are none."""
    return max((entry_updated(post) for post in posts), default=None)


def post_authors(post: FeedPost, default: str) -> list[str]:
    """The names the post's front matter gives as `author:` / `authors:`, else `default`.

    Jekyll themes accept a name, a mapping with a `name`, or a list of either.
    """
    front_matter = getattr(post, "front_matter", None) or {}
    given = front_matter.get("authors") or front_matter.get("author")
    items = given if isinstance(given, list) else [given]
    names: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str | int | float) and not isinstance(name, bool):
            name = xml_text(name).strip()
            if name and name not in names:
                names.append(name)
    return names or [xml_text(default).strip()]


def post_terms(post: FeedPost) -> list[str]:
    """The post's tags, then its front-matter categories, each once, as written."""
    terms: list[str] = []
    for name in [*(post.tag_names or []), *(getattr(post, "categories", None) or [])]:
        name = xml_text(name).strip()
        if name and name not in terms:
            terms.append(name)
    return terms
