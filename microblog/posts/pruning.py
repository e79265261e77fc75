"""Posts whose files are gone: found after an import of their folder, removed on request."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select

from microblog.models import Comment
from microblog.posts.import_report import FileResult
from microblog.posts.index import StoredPost
from microblog.posts.writer import PostWriter


def absolute(path: str | Path) -> Path:
    """The path made absolute without resolving links (as the importer stores it)."""
    return Path(os.path.abspath(path))


def file_is_gone(post: StoredPost) -> bool:
    """Whether the post came from a file that no longer exists."""
    return (
        post.source_key is not None
        and bool(post.source_path)
        and not (absolute(post.source_path).exists())
    )


def imported_under(post: StoredPost, roots: list[Path]) -> bool:
    """Whether the post's file lay under (or was) one of `roots`."""
    path = absolute(post.source_path)
    return any(path == root or root in path.parents for root in roots)


def comment_counts(writer: PostWriter, post_ids: list[int]) -> dict[int, int]:
    """How many comments each post has (all statuses)."""
    if not post_ids:
        return {}
    rows = writer.session.execute(
        select(Comment.post_id, func.count())
        .where(Comment.post_id.in_(post_ids))
        .group_by(Comment.post_id)
    )
    return {post_id: count for post_id, count in rows}


def plural(count: int, word: str) -> str:
    """`1 comment`, `2 comments`."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def prune_gone(
    writer: PostWriter,
    roots: Iterable[Path],
    *,
    remove: bool,
    force: bool,
    notes: list[str],
) -> list[FileResult]:
    """One `removed:` result per post under `roots` whose file is gone (when `remove`),
    else a note with their count. A post edited in the app since its import stays as a
    `conflict:` unless `force`."""
    folders = [absolute(root) for root in roots]
    gone = sorted(
        (
            post
            for post in writer.index.posts.values()
            if file_is_gone(post) and imported_under(post, folders)
        ),
        key=lambda post: post.source_path,
    )
    if not gone:
        return []
    if not remove:
        shown = ", ".join(str(root) for root in roots)
        notes.append(
            f"note: {plural(len(gone), 'post')} imported from under {shown} "
            "no longer have their file; --prune removes them"
        )
        return []
    results: list[FileResult] = []
    doomed: list[StoredPost] = []
    for post in gone:
        if post.edited_since_import and not force:
            why = "its file is gone, but the post was edited in the app since; --force removes it"
            results.append(FileResult(post.source_path, "conflict", why, permalink=post.permalink))
        else:
            doomed.append(post)
    counts = comment_counts(writer, [post.id for post in doomed])
    writer.delete(post.id for post in doomed)
    for post in doomed:
        comments = plural(counts.get(post.id, 0), "comment")
        why = f"its file is gone; {post.permalink} removed with {comments}"
        results.append(FileResult(post.source_path, "removed", why, permalink=post.permalink))
    return results
