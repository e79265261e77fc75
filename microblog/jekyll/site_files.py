"""Which files of a Jekyll site are what, as `jekyll build` sorts them, and copying the
site's own files (images, downloads, scripts) into the app's media folder.

- `_posts` and `_drafts` folders at any depth hold posts and drafts; the folders above them
  are the posts' categories (`en/news/_posts/x.md` → en, news).
- Other names starting with `_`, `.`, `#` or ending in `~`, the site's `exclude` list and
  Jekyll's own (Gemfile, node_modules, vendor…) are never read nor copied.
- A file starting with a front matter line (`---`) is a page (Jekyll renders it; the app
  does not import pages, but knows their URLs for `{% link %}`); any other file is a
  static file Jekyll copies as is, and so does the importer.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Jekyll's default `exclude`, and what `jekyll build` itself writes or reads.
JEKYLL_EXCLUDES = frozenset(
    {
        ".sass-cache",
        ".jekyll-cache",
        "gemfiles",
        "Gemfile",
        "Gemfile.lock",
        "node_modules",
        "vendor",
        "_site",
        "_config.yml",
    }
)
POSTS_DIR = "_posts"
DRAFTS_DIR = "_drafts"


@dataclass
class SiteFiles:
    """A site's files by kind, each path relative to the site's root (POSIX form)."""

    posts: list[PurePosixPath] = field(default_factory=list)
    drafts: list[PurePosixPath] = field(default_factory=list)
    pages: list[PurePosixPath] = field(default_factory=list)
    static: list[PurePosixPath] = field(default_factory=list)


def ignored_name(name: str, excluded: frozenset[str]) -> bool:
    """Whether Jekyll leaves a file or folder of this name out of the site."""
    return name.startswith((".", "_", "#")) or name.endswith("~") or name in excluded


def starts_with_front_matter(path: Path) -> bool:
    """Whether the file begins with a `---` line (Jekyll then renders it, not copies it)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
    except OSError:
        return False
    return head.startswith(b"---") and head[3:4] in {b"\n", b"\r", b" ", b"\t"}


def every_file_under(folder: Path) -> Iterable[Path]:
    """Every file under a folder (hidden ones left out), in a stable order."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            yield Path(root) / name


def sort_site_files(root: Path, exclude: Iterable[str] = ()) -> SiteFiles:
    """The site's posts, drafts, pages and static files, as Jekyll finds them."""
    excluded = JEKYLL_EXCLUDES | frozenset(str(name).strip("/") for name in exclude)
    found = SiteFiles()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        relative_here = PurePosixPath(here.relative_to(root).as_posix())
        kept = []
        for name in sorted(dirs):
            if name in (POSTS_DIR, DRAFTS_DIR):
                into = found.posts if name == POSTS_DIR else found.drafts
                into.extend(
                    PurePosixPath(path.relative_to(root).as_posix())
                    for path in every_file_under(here / name)
                )
            elif not ignored_name(name, excluded) and str(relative_here / name) not in excluded:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            relative = relative_here / name
            if ignored_name(name, excluded) or str(relative) in excluded:
                continue
            kind = found.pages if starts_with_front_matter(here / name) else found.static
            kind.append(PurePosixPath(str(relative).removeprefix("./")))
    return found


def folder_categories(relative: PurePosixPath) -> list[str]:
    """The folders above a post's `_posts` (or `_drafts`): `en/news/_posts/x.md` → en, news."""
    parts = relative.parts
    for index, part in enumerate(parts):
        if part in (POSTS_DIR, DRAFTS_DIR):
            return list(parts[:index])
    return []


@dataclass
class CopyCount:
    """What copying the site's files did."""

    copied: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)


def copy_static_files(root: Path, files: Iterable[PurePosixPath], media: Path) -> CopyCount:
    """Copy each file to the same path under `media`, skipping those already there with the
    same size and time (so a re-import copies only what changed)."""
    count = CopyCount()
    for relative in files:
        source, target = root / relative, media / relative
        try:
            stat = source.stat()
            there = target.stat() if target.exists() else None
            if there and there.st_size == stat.st_size and there.st_mtime_ns == stat.st_mtime_ns:
                count.unchanged += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            shutil.copy2(source, partial)
            os.replace(partial, target)  # a reader never sees half a file
            count.copied += 1
        except OSError as exc:
            count.failed.append(f"{relative} ({exc.strerror or exc})")
    return count
