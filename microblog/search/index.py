"""The search index: one row per post, written in the post writer's transaction.

SQLite: the FTS5 table `post_search(title, terms, body)` whose rowid is the post's id,
tokenised by `unicode61 remove_diacritics 2` (so "cafe" finds "café"). PostgreSQL: the table
`post_search(post_id, title, terms, body, document)` where `document` is the weighted
`tsvector` (title A, tags and categories B, body C) under a GIN index. Both tables are made
by the migration; `rebuild` fills them again from the posts (`flask search rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import lxml.html  # type: ignore[import-untyped]
from lxml.etree import ParserError  # type: ignore[import-untyped]
from sqlalchemy import select, text
from sqlalchemy.orm import Session, scoped_session

from microblog.models import Post

# The text-search configuration on PostgreSQL (made by the migration): `simple` (no stemming,
# no stop words: the blog's language is not known) with accents folded by `unaccent`.
PG_CONFIG = "microblog_search"
# The writer's session (a plain Session, or Flask-SQLAlchemy's scoped one).
SessionLike = Session | scoped_session[Any]
REBUILD_BATCH = 500


def plain_text(html: str) -> str:
    """The words a reader sees in a post's HTML, without its markup."""
    if not html.strip():
        return ""
    try:
        return str(lxml.html.fromstring(html).text_content())
    except (ParserError, ValueError):
        return html


def is_postgres(session: SessionLike) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Entry:
    """What the index holds of one post."""

    post_id: int
    title: str
    body_html: str
    terms: Sequence[str]

    def row(self) -> dict[str, object]:
        return {
            "id": self.post_id,
            "title": self.title,
            "terms": " ".join(self.terms),
            "body": plain_text(self.body_html),
        }


PG_INSERT = (
    "INSERT INTO post_search (post_id, title, terms, body, document) VALUES "
    "(:id, :title, :terms, :body, "
    f"setweight(to_tsvector('{PG_CONFIG}', :title), 'A') || "
    f"setweight(to_tsvector('{PG_CONFIG}', :terms), 'B') || "
    f"setweight(to_tsvector('{PG_CONFIG}', :body), 'C'))"
)
SQLITE_INSERT = (
    "INSERT INTO post_search (rowid, title, terms, body) VALUES (:id, :title, :terms, :body)"
)


def put(
    session: SessionLike,
    post_id: int,
    *,
    title: str,
    body_html: str,
    terms: Sequence[str],
) -> None:
    """Index (or index again) one post, in the caller's transaction."""
    remove(session, [post_id])
    add(session, [Entry(post_id, title, body_html, terms)])


def add(session: SessionLike, entries: Iterable[Entry]) -> None:
    """Index posts not yet in the index, in one batch (the seeder's and rebuild's way)."""
    rows = [entry.row() for entry in entries]
    if rows:
        session.execute(text(PG_INSERT if is_postgres(session) else SQLITE_INSERT), rows)


def remove(session: SessionLike, post_ids: Iterable[int]) -> None:
    """Take these posts out of the index, in the caller's transaction."""
    ids = list(post_ids)
    if not ids:
        return
    column = "post_id" if is_postgres(session) else "rowid"
    for post_id in ids:
        session.execute(text(f"DELETE FROM post_search WHERE {column} = :id"), {"id": post_id})


def rebuild(session: SessionLike) -> int:
    """Index every post again from its stored HTML (a repair); how many were indexed."""
    session.execute(text("DELETE FROM post_search"))
    count = 0
    last_id = 0
    while True:
        batch = session.execute(
            select(Post.id, Post.title, Post.body_html, Post.tag_names, Post.categories)
            .where(Post.id > last_id)
            .order_by(Post.id)
            .limit(REBUILD_BATCH)
        ).all()
        if not batch:
            return count
        add(
            session,
            (
                Entry(post_id, title, body_html, [*tag_names, *categories])
                for post_id, title, body_html, tag_names, categories in batch
            ),
        )
        count += len(batch)
        last_id = batch[-1][0]
