"""`flask posts delete`: find posts by permalink, then remove them through the writer."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from microblog.extensions import db
from microblog.jekyll.settings import SiteSettings
from microblog.posts.index import StoredPost
from microblog.posts.pruning import comment_counts
from microblog.posts.writer import PostWriter


def writer() -> PostWriter:
    """A writer on the app's session and settings."""
    return PostWriter(SiteSettings.from_config(current_app.config), db.session)


def find_posts(
    permalinks: Iterable[str],
) -> tuple[list[tuple[StoredPost, int]], list[str]]:
    """(posts found with their comment counts, permalinks no post has).

    A permalink matches as written or with its trailing slash added or removed.
    """
    posts_writer = writer()
    index = posts_writer.index
    found: dict[int, StoredPost] = {}
    missing: list[str] = []
    for permalink in permalinks:
        path = permalink.strip()
        candidates = [path, path.rstrip("/") if path.endswith("/") else path + "/"]
        post = next((p for p in map(index.at_permalink, candidates) if p is not None), None)
        if post is None:
            missing.append(permalink)
        else:
            found.setdefault(post.id, post)
    counts = comment_counts(posts_writer, list(found))
    return [(post, counts.get(post.id, 0)) for post in found.values()], missing


def remove_posts(posts: list[StoredPost]) -> list[tuple[StoredPost, int]]:
    """Delete the posts with their comments in the caller's transaction (the caller
    commits); each with its count."""
    posts_writer = writer()
    counts = comment_counts(posts_writer, [post.id for post in posts])
    removed = posts_writer.delete(post.id for post in posts)
    return [(post, counts.get(post.id, 0)) for post in removed]
