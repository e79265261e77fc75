"""Deleted posts' tombstones: their address answers 410 Gone, and Micropub can undelete them.

A tombstone keeps the post as its author wrote it (a `PostInput`'s fields as JSON), not its
comments: deleting a post deletes them, as it always has. A new post at the same address
(or the undeleted one) removes the tombstone.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from microblog.jekyll.post_input import PostInput
from microblog.models import PostTombstone
from microblog.posts.index import SessionLike

DATE_FIELDS = ("published_at", "last_modified_at")


def snapshot_of(post: PostInput) -> dict[str, Any]:
    """A post's fields as JSON values (dates as ISO 8601; front matter values as text when
    JSON has no type for them)."""
    values = asdict(post)
    for name in DATE_FIELDS:
        if values[name] is not None:
            values[name] = values[name].isoformat()
    values["front_matter"] = {
        key: value if isinstance(value, str | int | float | bool | list | dict) else str(value)
        for key, value in (post.front_matter or {}).items()
    }
    return values


def input_from(snapshot: dict[str, Any]) -> PostInput:
    """The post a snapshot holds (fields it does not know are ignored)."""
    known = {f.name for f in fields(PostInput)}
    values = {key: value for key, value in snapshot.items() if key in known}
    for name in DATE_FIELDS:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    return PostInput(**values)


def bury(session: SessionLike, post: PostInput, permalink: str) -> None:
    """Leave a tombstone at `permalink` for the post deleted there (the newest one wins)."""
    session.execute(delete(PostTombstone).where(PostTombstone.permalink == permalink))
    session.add(
        PostTombstone(permalink=permalink, title=post.title[:500], snapshot=snapshot_of(post))
    )


def clear(session: SessionLike, permalink: str) -> None:
    """A post lives at `permalink` again: no tombstone there."""
    session.execute(delete(PostTombstone).where(PostTombstone.permalink == permalink))


def tombstone_at(session: SessionLike, paths: set[str]) -> PostTombstone | None:
    """The tombstone at one of these paths, if a post was deleted there."""
    return session.execute(
        select(PostTombstone).where(PostTombstone.permalink.in_(paths)).limit(1)
    ).scalar_one_or_none()
