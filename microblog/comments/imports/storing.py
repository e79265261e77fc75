"""Imported comments stored: once each, on their post, sanitised, in the caller's
transaction (the caller commits, or rolls back for a dry run), with no mail queued.

Once each: a comment's source id becomes its `submission_key` (hashed, with the format's
name), which the database keeps unique, so a second import of the same file finds every
comment already there. A comment that came here another way (a Staticman file exported
from this blog) is recognised by its post, name and second of writing.

Threads: a reply keeps the comment it answers; as on the blog's own form, replies are one
level deep, so a reply to a reply answers the first comment of its thread.
"""

from __future__ import annotations

import hashlib
import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from microblog.comments import sanitize
from microblog.comments.imports.matching import PostFinder
from microblog.comments.imports.records import SourceComment, SourceExport
from microblog.comments.imports.wordpress import paragraphs
from microblog.comments.intake import EMAIL_RE, UNPRINTABLE, valid_url
from microblog.comments.rules import LIMITS
from microblog.extensions import db
from microblog.models import Comment, CommentStatus
from microblog.posts.site_changes import mark_comments_changed, mark_site_changed
from microblog.timeutil import as_utc, now_utc

# Longer than any comment a person writes; a file holding more is hostile or broken.
MAX_IMPORTED_CHARS = 100_000
KEY_PREFIX = "import:"
CHUNK = 500


def stored_key(source_key: str) -> str:
    """The `submission_key` an imported comment is kept under (fits its 64 characters)."""
    return KEY_PREFIX + hashlib.blake2b(source_key.encode("utf-8"), digest_size=24).hexdigest()


@dataclass
class ImportOutcome:
    """What one file (or folder) of comments did: per-thread lines and the counts."""

    format: str
    lines: list[str] = field(default_factory=list)
    imported: Counter[str] = field(default_factory=Counter)
    already: int = 0
    skipped: int = 0
    threads: int = 0
    unmatched_threads: int = 0
    unmatched_comments: int = 0

    @property
    def matched_nothing(self) -> bool:
        """Comments were there, and no thread was on any post of this blog."""
        return self.threads > 0 and self.unmatched_threads == self.threads

    def summary(self) -> str:
        total = sum(self.imported.values())
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.imported.items()))
        parts = [f"{self.format}: {total} comments imported" + (f" ({statuses})" if total else "")]
        parts.append(f"{self.already} already there")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.unmatched_threads:
            parts.append(
                f"{self.unmatched_threads} of {self.threads} threads"
                f" ({self.unmatched_comments} comments) matched no post"
            )
        return ", ".join(parts)


def _one_line(value: str) -> str:
    return " ".join(sanitize.strip_bidi_controls(UNPRINTABLE.sub("", value)).split())


def _email(value: str) -> str | None:
    email = _one_line(value).lower()
    return email if email and len(email) <= LIMITS.email and EMAIL_RE.match(email) else None


def _url(value: str) -> str | None:
    url = sanitize.neutralise_bidi_in_url(UNPRINTABLE.sub("", value).strip())
    return url if url and valid_url(url) else None


def render(comment: SourceComment, backend: str) -> tuple[str, str]:
    """The comment's text kept (control and bidi characters out) and its sanitised HTML."""
    text = sanitize.strip_bidi_controls(UNPRINTABLE.sub("", comment.text.replace("\r\n", "\n")))
    if comment.markup == "html":
        return text, sanitize.clean_imported_html(text, backend)
    try:
        return text, sanitize.render_comment(text, backend)
    except sanitize.CommentTooComplex:
        # Past what the form's Markdown takes: kept as plain text, every character shown.
        return text, sanitize.clean_html(paragraphs(html.escape(text)), backend).strip()


def _second(moment: datetime) -> datetime:
    return as_utc(moment).replace(microsecond=0)


class CommentStore:
    """Stores the comments of one or more exports against the posts `finder` knows."""

    def __init__(self, finder: PostFinder, sanitizer: str = "bleach") -> None:
        self.finder = finder
        self.sanitizer = sanitizer
        # Source key → (comment id, post id, parent id), for those stored or already there.
        self.known: dict[str, tuple[int, int, int | None]] = {}

    def _existing(self, comments: list[tuple[SourceComment, int]]) -> dict[str, Comment]:
        """Comments of earlier imports (by key), or the same comment come another way."""
        found: dict[str, Comment] = {}
        by_key = {stored_key(comment.key): comment.key for comment, _ in comments}
        keys = list(by_key)
        for first in range(0, len(keys), CHUNK):
            rows = db.session.execute(
                select(Comment).where(Comment.submission_key.in_(keys[first : first + CHUNK]))
            ).scalars()
            for row in rows:
                found[by_key[row.submission_key or ""]] = row
        post_ids = sorted({post_id for _, post_id in comments})
        same: dict[tuple[int, str, datetime], Comment] = {}
        for first in range(0, len(post_ids), CHUNK):
            rows = db.session.execute(
                select(Comment).where(Comment.post_id.in_(post_ids[first : first + CHUNK]))
            ).scalars()
            for row in rows:
                same[(row.post_id, row.author_name, _second(row.created_at))] = row
        for comment, post_id in comments:
            if comment.key not in found and comment.created_at is not None:
                twin = same.get((post_id, _one_line(comment.name), _second(comment.created_at)))
                if twin is not None:
                    found[comment.key] = twin
        return found

    def store(self, export: SourceExport) -> ImportOutcome:
        """Store `export`'s comments; returns the lines and counts to report."""
        outcome = ImportOutcome(format=export.format, lines=list(export.notes))
        outcome.skipped = sum(1 for note in export.notes if note.startswith("failed"))
        by_thread = Counter(comment.thread for comment in export.comments)
        posts: dict[str, int] = {}
        for key, thread in export.threads.items():
            if not by_thread[key]:
                continue
            outcome.threads += 1
            post_id = self.finder.post_for(thread)
            if post_id is None:
                outcome.unmatched_threads += 1
                outcome.unmatched_comments += by_thread[key]
                outcome.lines.append(
                    f"no post for thread {thread.describe()}: {by_thread[key]} comments left out"
                )
            else:
                posts[key] = post_id
        wanted = [(c, posts[c.thread]) for c in export.comments if c.thread in posts]
        epoch = datetime.min.replace(tzinfo=now_utc().tzinfo)
        wanted.sort(key=lambda pair: (pair[0].created_at or epoch, pair[0].key))
        for key, there in self._existing(wanted).items():
            self.known[key] = (there.id, there.post_id, there.parent_id)
            outcome.already += 1
        added: list[tuple[SourceComment, Comment]] = []
        changed_posts: set[int] = set()
        for comment, post_id in wanted:
            if comment.key in self.known:
                continue
            row = self._row(comment, post_id, outcome)
            if row is None:
                continue
            db.session.add(row)
            added.append((comment, row))
            outcome.imported[row.status.value] += 1
            if row.status == CommentStatus.APPROVED:
                changed_posts.add(post_id)
        db.session.flush()
        for comment, row in added:
            self.known[comment.key] = (row.id, row.post_id, None)
        parents = {c.key: c.parent for c in export.comments}
        for comment, row in added:
            row.parent_id = self._thread_root(comment, row.post_id, parents)
            self.known[comment.key] = (row.id, row.post_id, row.parent_id)
        if changed_posts:
            mark_site_changed(db.session)
            for post_id in changed_posts:
                mark_comments_changed(db.session, self.finder.permalinks[post_id])
        return outcome

    def _thread_root(
        self, comment: SourceComment, post_id: int, parents: dict[str, str | None]
    ) -> int | None:
        """The id of the first comment of the thread `comment` answers (None: it starts one)."""
        seen = {comment.key}
        answered = comment.parent
        root: tuple[int, int, int | None] | None = None
        while answered and answered not in seen and answered in self.known:
            seen.add(answered)
            root = self.known[answered]
            if root[2] is not None:  # an existing reply: its thread's first comment
                root = (root[2], root[1], None)
                break
            answered = parents.get(answered)
        if root is None or root[1] != post_id:
            return None
        return root[0]

    def _row(self, comment: SourceComment, post_id: int, outcome: ImportOutcome) -> Comment | None:
        where = f"{comment.key.partition(':')[0]} comment {comment.key.partition(':')[2]}"
        if len(comment.text) > MAX_IMPORTED_CHARS:
            outcome.skipped += 1
            outcome.lines.append(
                f"skipped: {where}: {len(comment.text):,} characters,"
                f" more than {MAX_IMPORTED_CHARS:,}"
            )
            return None
        source, body_html = render(comment, self.sanitizer)
        if sanitize.is_blank(source) or not body_html:
            outcome.skipped += 1
            outcome.lines.append(f"skipped: {where}: no text left once sanitised")
            return None
        created = comment.created_at or now_utc()
        pingback = comment.kind in ("pingback", "trackback")
        return Comment(
            post_id=post_id,
            author_name=(_one_line(comment.name) or "Anonymous")[: LIMITS.name],
            author_email=_email(comment.email),
            author_url=_url(comment.url),
            body_source=source,
            body_html=body_html,
            status=comment.status,
            submission_key=stored_key(comment.key),
            source_url=_url(comment.url) if pingback else None,
            remote_addr=_one_line(comment.remote_addr)[:64] or None,
            created_at=created,
            status_changed_at=comment.changed_at or created,
        )
