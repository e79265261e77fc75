"""What the database holds about posts, as far as the writer's checks need to know:
who has a permalink, who has an old address, a post's version, a tag's id.

An import preloads it all into dictionaries (an unchanged file then costs no query); a
single save from the editor asks the database for just the rows it needs. Either way the
writer keeps the dictionaries true after each of its writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from microblog.models import Post, PostTombstone, Redirect, Tag

# The app's scoped session or a plain one (a script, a test).
SessionLike = Session | scoped_session[Any]


@dataclass
class StoredPost:
    """One post as the writer sees it (no body, no front matter)."""

    id: int
    source_key: str | None
    source_path: str
    content_hash: str
    permalink: str
    title: str
    version: int
    imported_version: int | None

    @property
    def edited_since_import(self) -> bool:
        """Whether the app changed the post after its file was last imported."""
        return self.imported_version is not None and self.version != self.imported_version

    @property
    def label(self) -> str:
        """How a report names the post: its file's key, else its title and permalink."""
        return self.source_key or f"the post {self.title!r} at {self.permalink}"


@dataclass(frozen=True)
class RedirectOwner:
    """Whose an old address is, and whether the app made it when a permalink changed."""

    post_id: int
    automatic: bool


STORED_COLUMNS = (
    Post.id,
    Post.source_key,
    Post.source_path,
    Post.content_hash,
    Post.permalink,
    Post.title,
    Post.version,
    Post.imported_version,
)


def stored(row: object) -> StoredPost:
    """A StoredPost from a row of STORED_COLUMNS."""
    return StoredPost(*row)  # type: ignore[misc]


class PostIndex:
    """Lookups by id, source key, permalink, old address and tag slug."""

    def __init__(self, session: SessionLike) -> None:
        self.session = session
        self.complete = False
        # Addresses of deleted posts (known once preloaded; kept up to date by the writer).
        self.tombstones: set[str] = set()
        self.posts: dict[int, StoredPost] = {}
        self.by_key: dict[str, int] = {}
        self.by_permalink: dict[str, int] = {}
        self.redirects: dict[str, RedirectOwner] = {}
        # post id → its old addresses (only for posts whose addresses were read).
        self.redirect_paths: dict[int, set[str]] = {}
        self.tag_ids: dict[str, int] = {}

    def preload(self) -> None:
        """Read every post's key, permalink and version, every old address and tag id."""
        self.posts, self.by_key, self.by_permalink = {}, {}, {}
        for row in self.session.execute(select(*STORED_COLUMNS)).all():
            self.remember(stored(row))
        self.redirects, self.redirect_paths = {}, {}
        rows = self.session.execute(select(Redirect.path, Redirect.post_id, Redirect.automatic))
        for redirect in rows:
            self.redirects[redirect.path] = RedirectOwner(redirect.post_id, redirect.automatic)
            self.redirect_paths.setdefault(redirect.post_id, set()).add(redirect.path)
        self.tag_ids = {row.slug: row.id for row in self.session.execute(select(Tag.slug, Tag.id))}
        self.tombstones = set(self.session.scalars(select(PostTombstone.permalink)))
        self.complete = True

    def may_have_tombstone(self, permalink: str) -> bool:
        """Whether a deleted post may have left a tombstone at `permalink` (an import of a
        thousand new posts need not ask the database a thousand times)."""
        return not self.complete or permalink in self.tombstones

    def remember(self, post: StoredPost) -> None:
        """Keep one post's entries (after a read or a write)."""
        old = self.posts.get(post.id)
        if old is not None:
            self.forget(old)
        self.posts[post.id] = post
        if post.source_key is not None:
            self.by_key[post.source_key] = post.id
        self.by_permalink[post.permalink] = post.id

    def forget(self, post: StoredPost) -> None:
        """Drop one post's entries (before it changes, or once it is deleted)."""
        self.posts.pop(post.id, None)
        if post.source_key is not None and self.by_key.get(post.source_key) == post.id:
            del self.by_key[post.source_key]
        if self.by_permalink.get(post.permalink) == post.id:
            del self.by_permalink[post.permalink]

    def load(self, *conditions: object) -> StoredPost | None:
        """Read one post matching `conditions` from the database and remember it."""
        row = self.session.execute(select(*STORED_COLUMNS).where(*conditions)).first()  # type: ignore[arg-type]
        if row is None:
            return None
        post = stored(row)
        self.remember(post)
        return post

    def get(self, post_id: int) -> StoredPost | None:
        """The post with this id."""
        if post_id in self.posts or self.complete:
            return self.posts.get(post_id)
        return self.load(Post.id == post_id)

    def with_key(self, key: str) -> StoredPost | None:
        """The post imported from the file with this key."""
        if key in self.by_key:
            return self.posts[self.by_key[key]]
        return None if self.complete else self.load(Post.source_key == key)

    def at_permalink(self, path: str) -> StoredPost | None:
        """The post whose permalink is `path`, drafts and scheduled posts included."""
        if path in self.by_permalink:
            return self.posts[self.by_permalink[path]]
        return None if self.complete else self.load(Post.permalink == path)

    def redirect_owner(self, path: str) -> RedirectOwner | None:
        """Whose old address `path` is."""
        if path in self.redirects or self.complete:
            return self.redirects.get(path)
        row = self.session.execute(
            select(Redirect.post_id, Redirect.automatic).where(Redirect.path == path)
        ).first()
        owner = RedirectOwner(row.post_id, row.automatic) if row else None
        if owner is not None:
            self.redirects[path] = owner
        return owner

    def redirects_of(self, post_id: int) -> dict[str, bool]:
        """A post's old addresses, each with whether it is automatic."""
        if not self.complete and post_id not in self.redirect_paths:
            rows = self.session.execute(
                select(Redirect.path, Redirect.automatic).where(Redirect.post_id == post_id)
            ).all()
            self.set_redirects(post_id, {row.path: row.automatic for row in rows})
        paths = self.redirect_paths.get(post_id, set())
        return {path: self.redirects[path].automatic for path in paths}

    def set_redirects(self, post_id: int, redirects: dict[str, bool]) -> None:
        """Record a post's old addresses (replacing what it had)."""
        self.drop_redirects(post_id)
        for path, automatic in redirects.items():
            self.drop_redirect(path)
            self.redirects[path] = RedirectOwner(post_id, automatic)
        self.redirect_paths[post_id] = set(redirects)

    def drop_redirects(self, post_id: int) -> None:
        """Forget every old address of a post."""
        for path in self.redirect_paths.pop(post_id, set()):
            owner = self.redirects.get(path)
            if owner is not None and owner.post_id == post_id:
                del self.redirects[path]

    def drop_redirect(self, path: str) -> None:
        """Forget one old address (a post now lives there)."""
        owner = self.redirects.pop(path, None)
        if owner is not None:
            self.redirect_paths.get(owner.post_id, set()).discard(path)

    def tag_id(self, slug: str) -> int | None:
        """The id of the tag with this slug."""
        if slug in self.tag_ids or self.complete:
            return self.tag_ids.get(slug)
        found = self.session.execute(select(Tag.id).where(Tag.slug == slug)).scalar()
        if found is not None:
            self.tag_ids[slug] = found
        return found
