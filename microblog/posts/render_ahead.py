"""Render ahead: while an import goes through its files one by one (parse, check, write, in
order, in one process), worker processes parse and render the Markdown of the files still to
come. Markdown is most of an import's time, and rendering is pure (text in, HTML out), so on
a machine with several cores a big import takes about the time of its parsing and writing.

The writer takes a render from here only when its inputs are exactly the ones it would
render (`writer.render_inputs`); anything else (a file that changed meanwhile, a failure in
a worker) it renders itself, so the result is the same whether this runs or not. Files the
import will find unchanged are not rendered, and a small import (under MIN_FILES) or a
one-core machine starts no process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from microblog.jekyll.files import content_hash, source_key_for
from microblog.jekyll.post_file import parse_post
from microblog.jekyll.settings import SiteSettings
from microblog.jekyll.site import JekyllSite
from microblog.posts.pruning import absolute
from microblog.posts.writer import PostWriter, RenderInputs, render, render_inputs

MIN_FILES = 40
MAX_WORKERS = 4

Rendered = tuple[RenderInputs, tuple[str, str]]

# What a forked worker needs (inherited, never pickled): the site and its settings.
_job: tuple[JekyllSite | None, SiteSettings] | None = None


def key_of(path: Path, site: JekyllSite | None) -> str:
    return site.key_for(path) if site else source_key_for(path)


def render_one(path: Path) -> Rendered | None:
    """In a worker: the file's render, or None (the import reports whatever went wrong)."""
    assert _job is not None
    site, settings = _job
    try:
        options = site.parse_options(path) if site else {}
        source = parse_post(
            path.read_bytes(),
            path,
            settings,
            source_key=key_of(path, site),
            source_path=str(absolute(path)),
            **options,
        )
        inputs = render_inputs(source, settings)
        return inputs, render(inputs)
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
    """Feeds the writer the renders of the files as the import reaches them."""

    def __init__(self, writer: PostWriter, todo: list[Path], results: Iterator[Rendered | None]):
        self.writer = writer
        self.todo = todo
        self.results = results
        self.next = 0

    def before(self, path: Path) -> None:
        """Called just before the import takes `path`: its render (rendered by now, or
        waited for) goes to the writer."""
        while self.next < len(self.todo) and self.todo[self.next] == path:
            self.next += 1
            done = next(self.results, None)
            if done is not None:
                inputs, html = done
                self.writer.rendered_ahead[inputs] = html


@contextmanager
def rendering_ahead(
    paths: Sequence[Path],
    writer: PostWriter,
    site: JekyllSite | None,
    settings: SiteSettings,
) -> Iterator[Ahead]:
    """Workers rendering `paths` (in order) until the block ends; `.before(path)` as the
    import reaches each file."""
    global _job
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cores or 1, MAX_WORKERS)
    todo = changed_files(paths, writer, site, settings) if len(paths) >= MIN_FILES else []
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if workers < 2 or len(todo) < MIN_FILES or not can_fork:
        yield Ahead(writer, [], iter(()))  # renders nothing: the writer renders each post
        return
    _job = (site, settings)
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        yield Ahead(writer, todo, pool.imap(render_one, todo, chunksize=4))
    finally:
        pool.terminate()
        pool.join()
        _job = None
