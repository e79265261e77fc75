"""Jekyll files → posts (through `posts.PostWriter`), with one report line per file.

`import_paths()` is the whole job (`flask posts import` is a thin wrapper); `Importer` is the
piece a seed script can feed files or bytes to one at a time.

Speed: the writer preloads what decides each file's fate (keys, content hashes,
permalinks, old addresses, tag ids), so an unchanged file costs no query and a new one a
handful of inserts; work is committed in batches. A unique-constraint race with another
writer rolls the batch back and replays it one file per transaction, so that only the file
that really clashes fails.

Identity: a file is its key (`files.source_key_for`). A file renamed while keeping its
permalink takes over the post whose file is gone (its comments stay with it). A post
edited in the app since its last import is not overwritten (`conflict`) unless forced.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePath, PurePosixPath
from typing import TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from microblog.extensions import db
from microblog.jekyll.errors import NotAPost, PostError
from microblog.jekyll.files import content_hash, skip_reason_for_name, source_key_for
from microblog.jekyll.front_matter import json_safe
from microblog.jekyll.post_file import PostSource, parse_post
from microblog.jekyll.settings import SiteSettings
from microblog.jekyll.site import JekyllSite
from microblog.jekyll.site_files import LINK_REFUSAL, copy_static_files, read_bytes_no_link
from microblog.models import Post
from microblog.posts.import_report import FileResult, ImportReport
from microblog.posts.index import SessionLike, StoredPost
from microblog.posts.pages import import_pages
from microblog.posts.pruning import absolute, file_is_gone, prune_gone
from microblog.posts.render_ahead import rendering_ahead
from microblog.posts.site_settings import JEKYLL_CONFIG, PERMALINK, set_setting
from microblog.posts.writer import ImportOrigin, PostRejected, PostWriter

__all__ = [
    "FileResult",
    "ImportReport",
    "Importer",
    "database_has_posts",
    "import_paths",
    "import_site",
]

# A file to import: its bytes (None = read it from disk), its path, how the report names it.
Pending = tuple[bytes | None, PurePath, str, FileResult]


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
        session: SessionLike | None = None,
        dry_run: bool = False,
        force: bool = False,
        batch_size: int = 500,
        on_result: Callable[[FileResult], None] | None = None,
        site: JekyllSite | None = None,
    ) -> None:
        self.site = site
        self.settings = site.settings if site else settings
        self.session = session if session is not None else db.session
        self.dry_run = dry_run
        self.force = force
        self.batch_size = max(1, batch_size)
        self.on_result = on_result
        self.report = ImportReport(dry_run=dry_run)
        # Inputs and results of the batch not yet committed (replayed after a race).
        self.pending: list[Pending] = []
        self.seen_keys: dict[str, str] = {}
        self.parsed_ahead: dict[tuple[str, str], PostSource] = {}
        self.writer = PostWriter(settings, self.session, dry_run=dry_run, preload=True)

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
        """Decide what one file is, and write it when it is a change."""
        key = self.site.key_for(Path(path)) if self.site else source_key_for(path)
        try:
            if data is None:
                reason = skip_reason_for_name(path)
                if reason:
                    raise NotAPost(reason)
                if Path(path).is_symlink():
                    raise NotAPost(LINK_REFUSAL)
                data = read_bytes_no_link(Path(path).parent, Path(path))
            if key in self.seen_keys:
                raise PostError(
                    f"another file in this import, {self.seen_keys[key]}, has the same "
                    f"name ({key}); rename one of them"
                )
            known = self.known_for(key, path)
            digest = content_hash(data, self.settings)
            same = (
                known is not None
                and known.content_hash == digest
                and not self.another_files_post(known, path)
            )
            if known and same and not (self.force and known.edited_since_import):
                self.seen_keys[key] = display
                return FileResult(display, "unchanged", permalink=known.permalink)
            source_path = str(absolute(path)) if isinstance(path, Path) else str(path)
            # Parsed ahead by a worker from these very bytes (posts/render_ahead.py), or now.
            source = self.parsed_ahead.pop((source_path, digest), None)
            if source is None:
                options = self.site.parse_options(Path(path)) if self.site else {}
                source = parse_post(
                    data,
                    path,
                    self.settings,
                    source_key=key,
                    source_path=source_path,
                    **options,
                )
            self.seen_keys[key] = display
            return self.store(source, known, display)
        except NotAPost as exc:
            return FileResult(display, "skipped", str(exc))
        except (PostError, PostRejected) as exc:
            return FileResult(display, "failed", str(exc))
        except OSError as exc:
            return FileResult(display, "failed", f"cannot read it ({exc.strerror or exc})")

    def known_for(self, key: str, path: PurePath) -> StoredPost | None:
        """The post this file updates: the one with its key, or (importing a whole site) the
        one a folder import made from this very file under its shorter key."""
        known = self.writer.index.with_key(key)
        if known is None and self.site and isinstance(path, Path):
            earlier = self.writer.index.with_key(source_key_for(path))
            if earlier and earlier.source_path and absolute(earlier.source_path) == absolute(path):
                return earlier
        return known

    @staticmethod
    def another_files_post(known: StoredPost, path: PurePath) -> bool:
        """Whether the post came from another file that still exists (a same-named file in
        another folder: in Jekyll, another post)."""
        if not isinstance(path, Path) or not known.source_path:
            return False
        return absolute(known.source_path) != absolute(path) and not file_is_gone(known)

    def renamed_from(self, source: PostSource) -> StoredPost | None:
        """The post this file takes over: the one at its permalink whose own file is gone."""
        owner = self.writer.index.at_permalink(source.permalink)
        if owner is None or owner.source_key in (None, source.source_key):
            return None
        if owner.source_key in self.seen_keys or not file_is_gone(owner):
            return None
        return owner

    def store(self, source: PostSource, known: StoredPost | None, display: str) -> FileResult:
        """Create or update the post through the writer, and say what happened."""
        reasons: list[str] = []
        if known is None and os.path.isabs(source.source_path):
            known = self.renamed_from(source)
            if known is not None:
                reasons.append(f"renamed from {known.source_path}, keeps its post and comments")
        if known is not None and known.edited_since_import and not self.force:
            why = "the post was edited in the app since its last import; --force overwrites it"
            return FileResult(display, "conflict", why, permalink=known.permalink)
        moved = (
            known
            and known.source_path
            and absolute(known.source_path) != absolute(source.source_path)
        )
        if moved and known and not reasons:
            if not file_is_gone(known):
                # Two files of the same name in different folders are two posts in Jekyll.
                why = (
                    f"another folder's file of the same name, {known.source_path}, has its post"
                    f" ({known.permalink}); import the whole site (flask posts import"
                    " SITE_ROOT) to keep both, or delete that post first"
                )
                return FileResult(display, "failed", why, permalink=known.permalink)
            reasons.append(f"replaces the post imported from {known.source_path}")
        if source.is_draft:
            reasons.append("a draft (published: false), not shown")
        origin = ImportOrigin(
            source.source_key,
            source.source_path,
            source.source_text,
            source.content_hash,
        )
        saved = self.writer.save(source, post_id=known.id if known else None, origin=origin)
        status = "imported" if saved.created else "updated"
        warnings = source.warnings + saved.warnings
        return FileResult(display, status, "; ".join(reasons), warnings, saved.permalink)

    def prune(self, roots: Iterable[Path], *, remove: bool) -> None:
        """Report the posts imported from under `roots` whose files are gone; remove them
        when asked (a post edited in the app since is a conflict unless forced)."""
        self.flush_batch()
        found = prune_gone(
            self.writer, roots, remove=remove, force=self.force, notes=self.report.notes
        )
        for result in found:
            self.pending.append((None, PurePath(result.path), result.path, result))
        self.flush_batch()

    def flush_batch(self) -> None:
        """Commit the batch, then report its files."""
        if self.dry_run:
            self.emit_pending()
            return
        try:
            self.session.commit()
        except DBAPIError:
            self.session.rollback()
            self.replay()
            return
        self.emit_pending()

    def replay(self) -> list[FileResult]:
        """After the database refused a write: redo the batch one file per transaction."""
        batch, self.pending = self.pending, []
        for _, path, _, _ in batch:
            self.seen_keys.pop(source_key_for(path), None)
        self.writer.index.preload()
        results = []
        for data, path, display, _ in batch:
            try:
                result = self.process(data, path, display)
                self.session.commit()
            except DBAPIError as exc:
                self.session.rollback()
                self.writer.index.preload()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                result = FileResult(display, "failed", f"the database refused it: {reason}")
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


class ImportOptions(TypedDict, total=False):
    """How `import_paths` and `import_site` import: what `Importer` takes."""

    session: SessionLike | None
    dry_run: bool
    force: bool
    batch_size: int
    on_result: Callable[[FileResult], None] | None


def import_paths(
    paths: Iterable[Path | str],
    settings: SiteSettings,
    *,
    prune: bool = False,
    on_start: Callable[[int], None] | None = None,
    **options: Unpack[ImportOptions],
) -> ImportReport:
    """Import Jekyll files and folders of them; one FileResult per file found
    (`on_start` is told how many files there are, before the first).

    Posts once imported from under `paths` whose files are gone are counted in a note, or
    removed with `prune`.
    """
    started = time.perf_counter()
    roots = [Path(path) for path in paths]
    importer = Importer(settings, **options)
    import_files(importer, list(find_post_files(roots)), roots, prune, on_start)
    report = importer.close()
    report.seconds = time.perf_counter() - started
    return report


def import_files(
    importer: Importer,
    files: list[Path],
    roots: list[Path],
    prune: bool,
    on_start: Callable[[int], None] | None,
) -> None:
    """Each file in turn (rendered ahead in worker processes), then the posts once imported
    from under `roots` whose files are gone: counted in a note, or removed with `prune`."""
    if on_start:
        on_start(len(files))
    with rendering_ahead(files, importer, importer.site, importer.settings) as ahead:
        for path in files:
            ahead.before(path)
            importer.add_file(path)
    importer.prune(roots, remove=prune)


# Site files a browser would run as a document of the blog's own origin; they are served
# with a sandboxing Content-Security-Policy (web/media.py), so their scripts never run.
ACTIVE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".svg", ".svgz", ".xml"})
NAMED_ACTIVE = 10


def sandbox_notes(static: Iterable[PurePosixPath]) -> list[str]:
    """One refusal line per site file whose scripts will not run where it is served."""
    active = [str(p) for p in static if PurePosixPath(p).suffix.lower() in ACTIVE_SUFFIXES]
    lines = [
        f"refused to run scripts: {name}: served sandboxed (its scripts and forms do not run "
        "with the blog's cookies); host it elsewhere if it needs them"
        for name in active[:NAMED_ACTIVE]
    ]
    if len(active) > NAMED_ACTIVE:
        lines.append(f"refused to run scripts: {len(active) - NAMED_ACTIVE} more such files")
    return lines


def database_has_posts(session: SessionLike | None = None) -> bool:
    """Whether any post exists (for `--if-empty`)."""
    session = session if session is not None else db.session
    return session.execute(select(Post.id).limit(1)).first() is not None


def import_site(
    site: JekyllSite,
    *,
    media_folder: Path | None,
    prune: bool = False,
    on_start: Callable[[int], None] | None = None,
    **options: Unpack[ImportOptions],
) -> ImportReport:
    """Import a whole Jekyll site: its posts and drafts with its `_config.yml`, `_data` and
    `_includes`; its static files copied into `media_folder` (not on a dry run)."""
    started = time.perf_counter()
    dry_run, force = options.get("dry_run", False), options.get("force", False)
    on_result = options.get("on_result")
    importer = Importer(site.settings, site=site, **options)
    importer.report.notes.extend(site.config_notes())
    for link in site.files.links:
        # One refusal line per link, in the report like any file the import leaves out.
        refusal = FileResult(str(site.root / link), "skipped", LINK_REFUSAL)
        importer.pending.append((None, PurePath(link), refusal.path, refusal))
    import_files(importer, site.post_paths(), [site.root], prune, on_start)
    if not dry_run:
        # New posts (editor, Micropub) follow the site's own addresses from now on.
        set_setting(PERMALINK, site.settings.permalink, importer.writer.session)
        # What it read, for the export to write back (its `_config.yml` says the same).
        set_setting(JEKYLL_CONFIG, json_safe(site.config), importer.writer.session)
    report = importer.close()
    # Pages after posts: their Liquid may list the posts (site.posts).
    for result in import_pages(site, importer.writer.session, dry_run=dry_run, force=force):
        report.pages.append(result)
        if on_result:
            on_result(result)
    if report.pages:
        page_counts = Counter(result.status for result in report.pages)
        report.notes.append(
            "pages: " + ", ".join(f"{n} {status}" for status, n in sorted(page_counts.items()))
        )
    if not dry_run:
        importer.writer.session.commit()  # the pages, as each batch of posts was
    report.notes.extend(sandbox_notes(site.files.static))
    if media_folder is not None and not dry_run:
        copied = copy_static_files(site.root, site.files.static, media_folder)
        report.notes.append(
            f"site files: {copied.copied} copied to {media_folder}, {copied.unchanged} unchanged"
        )
        report.notes.extend(f"failed to copy: {failure}" for failure in copied.failed)
    elif site.files.static:
        report.notes.append(f"site files: {len(site.files.static)} would be copied")
    report.seconds = time.perf_counter() - started
    return report
