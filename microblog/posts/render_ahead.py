"""Render ahead: while an import goes through its files one by one (check, write, in order,
in one process), worker processes parse the files still to come and render their Markdown.
Markdown is most of an import's time, and parsing and rendering are pure (bytes in, a
PostSource and HTML out), so on a machine with several cores a big import takes about the
time of its writing.

The importer takes a parse only for the very bytes it read (path and content hash), and the
writer a render only when its inputs are exactly the ones it would render
(`writer.render_inputs`); anything else (a file that changed meanwhile, a failure in a
worker) they do themselves, so the result is the same whether this runs or not. Files the
import will find unchanged are not rendered, and a small import (under MIN_FILES) or a
one-core machine starts no process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from microblog.jekyll.files import content_hash, source_key_for
from microblog.jekyll.post_file import PostSource, parse_post
from microblog.jekyll.settings import SiteSettings
from microblog.jekyll.site import JekyllSite
from microblog.posts.pruning import absolute
from microblog.posts.writer import PostWriter, RenderInputs, render, render_inputs

if TYPE_CHECKING:
    from microblog.posts.importer import Importer

MIN_FILES = 40
MAX_WORKERS = 4

# A file's path and content hash, what it parsed to, and its render.
Prepared = tuple[str, str, PostSource, RenderInputs, tuple[str, str]]

# What a forked worker needs (inherited, never pickled): the site and its settings.
_job: tuple[JekyllSite | None, SiteSettings] | None = None


def key_of(path: Path, site: JekyllSite | None) -> str:
    return site.key_for(path) if site else source_key_for(path)


def render_one(path: Path) -> Prepared | None:
    """In a worker: the file parsed and rendered, or None (the import reports whatever
    went wrong when it parses the file itself)."""
    assert _job is not None
    site, settings = _job
    try:
        data = path.read_bytes()
        source_path = str(absolute(path))
        options = site.parse_options(path) if site else {}
        source = parse_post(
            data,
            path,
            settings,
            source_key=key_of(path, site),
            source_path=source_path,
            **options,
        )
        inputs = render_inputs(source, settings)
        return source_path, content_hash(data, settings), source, inputs, render(inputs)
    except Exception:  # noqa: BLE001 (the import itself meets and reports it)
        return None


def changed_files(
    paths: Sequence[Path], writer: PostWriter, site: JekyllSite | None, settings: SiteSettings
) -> list[Path]:
    """The files whose text differs from what their post was imported from."""
    found = []
    for path in paths:
        known = writer.index.with_key(key_of(path, site))
        try:
            if known is None or known.content_hash != content_hash(path.read_bytes(), settings):
                found.append(path)
        except OSError:
            continue
    return found


class Ahead:
    """Hands the import what the workers prepared, file by file, as the import reaches it."""

    def __init__(
        self, importer: Importer, todo: list[Path], results: Iterator[Prepared | None]
    ) -> None:
        self.importer = importer
        self.todo = todo
        self.results = results
        self.next = 0

    def before(self, path: Path) -> None:
        """Called just before the import takes `path`: its parse goes to the importer and
        its render to the writer (done by now, or waited for)."""
        while self.next < len(self.todo) and self.todo[self.next] == path:
            self.next += 1
            done = next(self.results, None)
            if done is not None:
                source_path, digest, source, inputs, html = done
                self.importer.parsed_ahead[(source_path, digest)] = source
                self.importer.writer.rendered_ahead[inputs] = html


@contextmanager
def rendering_ahead(
    paths: Sequence[Path],
    importer: Importer,
    site: JekyllSite | None,
    settings: SiteSettings,
) -> Iterator[Ahead]:
    """Workers rendering `paths` (in order) until the block ends; `.before(path)` as the
    import reaches each file."""
    global _job
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cores or 1, MAX_WORKERS)
    todo = changed_files(paths, importer.writer, site, settings) if len(paths) >= MIN_FILES else []
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if workers < 2 or len(todo) < MIN_FILES or not can_fork:
        yield Ahead(importer, [], iter(()))  # renders nothing: the writer renders each post
        return
    _job = (site, settings)
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        yield Ahead(importer, todo, pool.imap(render_one, todo, chunksize=4))
    finally:
        pool.terminate()
        pool.join()
        _job = None
