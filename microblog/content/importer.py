"""PostSource → Post rows, with one report line per file.

`import_paths()` is the whole job (`flask posts import` is a thin wrapper); `Importer` is the
piece a seed script can feed files or bytes to one at a time.

Speed: what decides each file's fate (keys, content hashes, permalinks, old addresses, tag
ids) is read once into dictionaries, so an unchanged file costs no query and a new one a
handful of inserts; work is committed in batches, and `SiteState.bump()` is called once per
batch that changed something, in that batch's transaction. A unique-constraint race with
another writer rolls the batch back and replays it one file per transaction, so that only
the file that really clashes fails.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Post, Redirect, SiteState, Tag, post_tags
from .errors import NotAPost, PostError
from .files import content_hash, skip_reason_for_name, source_key_for
from .jekyll import PostSource, parse_post
from .markdown import render_post
from .settings import SiteSettings
from .slugs import tag_slug

STATUSES = ("imported", "updated", "unchanged", "skipped", "failed")


@dataclass
class FileResult:
    """What became of one file."""

    path: str
    status: str
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    permalink: str | None = None

    def lines(self) -> list[str]:
        """The report: `status: file[: why]`, then one `warning: file: …` line per warning."""
        head = f"{self.status}: {self.path}" + (f": {self.reason}" if self.reason else "")
        return [head] + [f"warning: {self.path}: {w}" for w in self.warnings]


@dataclass
class ImportReport:
    """Every file's result, and how long the whole import took."""

    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def counts(self) -> Counter[str]:
        """How many files ended in each status."""
        return Counter(result.status for result in self.results)

    @property
    def failed(self) -> bool:
        """Whether any file failed."""
        return self.counts["failed"] > 0

    def summary(self) -> str:
        """One line with the counts, the time and the rate."""
        counts = self.counts
        done = ", ".join(f"{counts[status]} {status}" for status in STATUSES)
        posts = counts["imported"] + counts["updated"] + counts["unchanged"]
        rate = posts / self.seconds if self.seconds > 0 else 0.0
        line = f"{done} ({len(self.results)} files in {self.seconds:.2f} s, {rate:.0f} posts/s)"
        return line + (" — dry run, nothing was changed" if self.dry_run else "")


@dataclass
class Known:
    """What the database holds about one post, as far as the importer needs to know."""

    id: int | None
    content_hash: str
    permalink: str
    source_path: str


def find_post_files(paths: Iterable[Path | str]) -> Iterator[Path]:
    """Every file named, and every file under every folder named (hidden folders left out),
    in a stable order."""
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                yield Path(root) / name


class Importer:
    """Imports files one at a time into the session, committing every `batch_size` files.

    Call `close()` at the end to commit the last batch (or, on a dry run, roll back).
    """

    def __init__(
        self,
        settings: SiteSettings,
        *,
        session: Session | None = None,
        dry_run: bool = False,
        batch_size: int = 500,
        on_result: Callable[[FileResult], None] | None = None,
    ) -> None:
        self.settings = settings
        self.session = session or db.session
        self.dry_run = dry_run
        self.batch_size = max(1, batch_size)
        self.on_result = on_result
        self.report = ImportReport(dry_run=dry_run)
        # Inputs and results of the batch not yet committed (replayed after a race).
        self.pending: list[tuple[bytes | None, PurePath, str, FileResult]] = []
        self.changed = False
        self.seen_keys: dict[str, str] = {}
        self.load_state()

    def load_state(self) -> None:
        """Read keys, hashes, permalinks, old addresses and tag ids from the database."""
        rows = self.session.execute(
            select(Post.id, Post.source_key, Post.content_hash, Post.permalink, Post.source_path)
        ).all()
        self.posts = {row.source_key: Known(row.id, row[2], row.permalink, row[4]) for row in rows}
        self.permalink_owner = {row.permalink: row.source_key for row in rows}
        self.redirect_owner = dict(
            self.session.execute(
                select(Redirect.path, Post.source_key).join(Post, Redirect.post_id == Post.id)
            ).all()
        )
        self.tag_ids = dict(self.session.execute(select(Tag.slug, Tag.id)).all())

    def add_file(self, path: Path, display: str | None = None) -> FileResult:
        """Import one file from disk."""
        return self.add(None, path, display or str(path))

    def add_bytes(
        self, data: bytes, path: PurePath | str, display: str | None = None
    ) -> FileResult:
        """Import a file's bytes as though read from `path` (its name decides key and slug)."""
        return self.add(data, PurePath(path), display or str(path))

    def add(self, data: bytes | None, path: PurePath, display: str) -> FileResult:
        """Import one file and report it (the report line is given once its batch commits)."""
        try:
            result = self.process(data, path, display)
        except DBAPIError:
            # The database refused a write (a clash with another writer, a value it will not
            # hold): the transaction is gone, so redo the batch a file at a time.
            self.session.rollback()
            self.pending.append((data, path, display, FileResult(display, "failed")))
            return self.replay()[-1]
        self.pending.append((data, path, display, result))
        if len(self.pending) >= self.batch_size:
            self.flush_batch()
        return result

    def process(self, data: bytes | None, path: PurePath, display: str) -> FileResult:
        """Decide what one file is, and write it into the session when it is a change."""
        key = source_key_for(path)
        try:
            if data is None:
                reason = skip_reason_for_name(path)
                if reason:
                    raise NotAPost(reason)
                data = Path(path).read_bytes()
            if key in self.seen_keys:
                raise PostError(
                    f"another file in this import, {self.seen_keys[key]}, has the same "
                    f"name ({key}); rename one of them"
                )
            known = self.posts.get(key)
            if known and known.content_hash == content_hash(data, self.settings):
                self.seen_keys[key] = display
                return FileResult(display, "unchanged", permalink=known.permalink)
            source = parse_post(data, path, self.settings, source_key=key, source_path=str(path))
            self.seen_keys[key] = display
            return self.store(source, known, display)
        except NotAPost as exc:
            return FileResult(display, "skipped", str(exc))
        except PostError as exc:
            return FileResult(display, "failed", str(exc))
        except OSError as exc:
            return FileResult(display, "failed", f"cannot read it ({exc.strerror or exc})")

    def store(self, source: PostSource, known: Known | None, display: str) -> FileResult:
        """Check the post against the others, then insert or update it."""
        owner = self.permalink_owner.get(source.permalink)
        if owner is not None and owner != source.source_key:
            raise PostError(
                f"permalink {source.permalink} is already the address of {owner}; "
                "give this post its own permalink"
            )
        warnings = list(source.warnings)
        redirects: list[str] = []
        for old in source.redirect_from:
            taken = self.permalink_owner.get(old) or self.redirect_owner.get(old)
            if taken is not None and taken != source.source_key:
                warnings.append(f"redirect_from {old} ignored: it is already used by {taken}")
            else:
                redirects.append(old)
        body_html, excerpt_html = render_post(
            source.body,
            is_markdown=source.is_markdown,
            excerpt=source.excerpt,
            excerpt_separator=source.excerpt_separator,
        )
        status = "updated" if known else "imported"
        reason = ""
        if known and known.source_path != source.source_path and known.source_path:
            reason = f"replaces the post imported from {known.source_path}"
        if source.is_draft:
            reason = (reason + "; " if reason else "") + "a draft (published: false), not shown"
        if not self.dry_run:
            post_id = self.write(source, known, body_html, excerpt_html, redirects)
            self.changed = True
        else:
            post_id = None
        self.remember(source, known, post_id, redirects)
        return FileResult(display, status, reason, warnings, source.permalink)

    def write(
        self,
        source: PostSource,
        known: Known | None,
        body_html: str,
        excerpt_html: str,
        redirects: list[str],
    ) -> int:
        """Insert or update the post, its tags and its old addresses; return its id."""
        session = self.session
        values = dict(
            source_key=source.source_key,
            source_path=source.source_path,
            source_text=source.source_text,
            content_hash=source.content_hash,
            title=source.title,
            slug=source.slug,
            permalink=source.permalink,
            published_at=source.published_at,
            last_modified_at=source.last_modified_at,
            is_draft=source.is_draft,
            comments_enabled=source.comments_enabled,
            excerpt_html=excerpt_html,
            body_html=body_html,
            tag_names=source.tag_names,
            categories=source.categories,
            front_matter=source.front_matter,
        )
        # Core statements, not ORM objects: an import of many posts need not keep them.
        posts = Post.__table__
        if known and known.id is not None:
            post_id = known.id
            session.execute(update(posts).where(posts.c.id == post_id).values(values))
            session.execute(delete(post_tags).where(post_tags.c.post_id == post_id))
            session.execute(delete(Redirect).where(Redirect.post_id == post_id))
        else:
            post_id = session.execute(
                insert(posts).values(values).returning(posts.c.id)
            ).scalar_one()
        tag_ids = [self.tag_id(name) for name in source.tag_names]
        if tag_ids:
            session.execute(
                insert(post_tags), [{"post_id": post_id, "tag_id": tid} for tid in tag_ids]
            )
        if redirects:
            session.execute(
                insert(Redirect), [{"path": path, "post_id": post_id} for path in redirects]
            )
        return post_id

    def tag_id(self, name: str) -> int:
        """The id of the tag with this name's slug, creating the tag (named as written)."""
        slug = tag_slug(name)
        if slug not in self.tag_ids:
            self.tag_ids[slug] = self.session.execute(
                insert(Tag.__table__).values(name=name, slug=slug).returning(Tag.__table__.c.id)
            ).scalar_one()
        return self.tag_ids[slug]

    def remember(
        self, source: PostSource, known: Known | None, post_id: int | None, redirects: list[str]
    ) -> None:
        """Keep the dictionaries true after a write (or, on a dry run, as if written)."""
        key = source.source_key
        if known and self.permalink_owner.get(known.permalink) == key:
            del self.permalink_owner[known.permalink]
        if known:
            for path in [p for p, owner in self.redirect_owner.items() if owner == key]:
                del self.redirect_owner[path]
        self.permalink_owner[source.permalink] = key
        for path in redirects:
            self.redirect_owner[path] = key
        self.posts[key] = Known(
            post_id if post_id is not None else (known.id if known else None),
            source.content_hash,
            source.permalink,
            source.source_path,
        )

    def flush_batch(self) -> None:
        """Commit the batch (with one `SiteState.bump()`), then report its files."""
        if self.dry_run:
            self.emit_pending()
            return
        try:
            if self.changed:
                SiteState.bump()
            self.session.commit()
        except DBAPIError:
            self.session.rollback()
            self.replay()
            return
        self.changed = False
        self.emit_pending()

    def replay(self) -> list[FileResult]:
        """After the database refused a write: redo the batch one file per transaction."""
        batch, self.pending = self.pending, []
        self.changed = False
        for _, path, _, _ in batch:
            self.seen_keys.pop(source_key_for(path), None)
        self.load_state()
        results = []
        for data, path, display, _ in batch:
            try:
                result = self.process(data, path, display)
                if self.changed:
                    SiteState.bump()
                self.session.commit()
            except DBAPIError as exc:
                self.session.rollback()
                self.load_state()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                result = FileResult(display, "failed", f"the database refused it: {reason}")
            self.changed = False
            results.append(result)
            self.pending.append((data, path, display, result))
        self.emit_pending()
        return results

    def emit_pending(self) -> None:
        """Hand the batch's results to the report and the caller."""
        for *_, result in self.pending:
            self.report.results.append(result)
            if self.on_result:
                self.on_result(result)
        self.pending = []

    def close(self) -> ImportReport:
        """Finish: commit the last batch, or roll everything back on a dry run."""
        self.flush_batch()
        if self.dry_run:
            self.session.rollback()
        return self.report


def import_paths(
    paths: Iterable[Path | str],
    settings: SiteSettings,
    *,
    dry_run: bool = False,
    batch_size: int = 500,
    on_result: Callable[[FileResult], None] | None = None,
    session: Session | None = None,
) -> ImportReport:
    """Import Jekyll files and folders of them; one FileResult per file found."""
    started = time.perf_counter()
    importer = Importer(
        settings, session=session, dry_run=dry_run, batch_size=batch_size, on_result=on_result
    )
    for path in find_post_files(paths):
        importer.add_file(path)
    report = importer.close()
    report.seconds = time.perf_counter() - started
    return report


def database_has_posts(session: Session | None = None) -> bool:
    """Whether any post exists (for `--if-empty`)."""
    session = session or db.session
    return session.execute(select(Post.id).limit(1)).first() is not None
