"""Which files of a Jekyll site are what, as `jekyll build` sorts them, and copying the
site's own files (images, downloads, scripts) into the app's media folder.

- `_posts` and `_drafts` folders at any depth hold posts and drafts; the folders above them
  are the posts' categories (`en/news/_posts/x.md` → en, news).
- Other names starting with `_`, `.`, `#` or ending in `~`, the site's `exclude` list and
  Jekyll's own (Gemfile, node_modules, vendor…) are never read nor copied.
- A file starting with a front matter line (`---`) is a page (Jekyll renders it; the app
  does not import pages, but knows their URLs for `{% link %}`); any other file is a
  static file Jekyll copies as is, and so does the importer.
- A symbolic link, to a file or a folder, inside the site or out of it, is never followed
  (as Jekyll's safe mode and GitHub Pages have it): a link to `/etc/passwd` or to an SSH key
  beside the site was once copied and served publicly. Each is listed in `links` (the
  import says so, one line each), and every reader opens files with `O_NOFOLLOW` below a
  path checked for links, so a link made after the walk is refused too.
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
    # Symbolic links found where the import reads: never followed, each reported.
    links: list[PurePosixPath] = field(default_factory=list)


# The underscore folders a whole-site import reads besides `_posts` and `_drafts`.
READ_FOLDERS = ("_data", "_includes")
LINK_REFUSAL = "a symbolic link: an import follows none (copy the file into the site instead)"


class LinkRefused(OSError):
    """A path goes through a symbolic link, which an import never follows."""


def link_on_the_way(root: Path, path: Path) -> Path | None:
    """The first symbolic link from `root` (not included) down to `path` (included)."""
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def open_no_link(root: Path, path: Path) -> int:
    """A read-only file descriptor for `path` under `root`, refusing any link on the way;
    the last step opens with O_NOFOLLOW, so a link swapped in meanwhile is refused too."""
    link = link_on_the_way(root, path)
    if link is not None:
        raise LinkRefused(f"{link} is {LINK_REFUSAL}")
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if Path(path).is_symlink():
            raise LinkRefused(f"{path} is {LINK_REFUSAL}") from None
        raise exc


def read_bytes_no_link(root: Path, path: Path) -> bytes:
    """The file's bytes, read without following any symbolic link (LinkRefused)."""
    with os.fdopen(open_no_link(root, path), "rb") as handle:
        return handle.read()


def read_text_no_link(root: Path, path: Path) -> str:
    """The file's text (UTF-8, a BOM dropped), read without following any link."""
    return read_bytes_no_link(root, path).decode("utf-8-sig")


def links_under(root: Path, folder: Path) -> list[PurePosixPath]:
    """Every symbolic link under `folder` (itself included), relative to `root`."""
    if folder.is_symlink():
        return [PurePosixPath(folder.relative_to(root).as_posix())]
    found = []
    for here, dirs, files in os.walk(folder):
        for name in sorted(dirs + files):
            if (Path(here) / name).is_symlink():
                found.append(PurePosixPath((Path(here) / name).relative_to(root).as_posix()))
    return found


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


def every_file_under(folder: Path, links: list[Path] | None = None) -> Iterable[Path]:
    """Every file under a folder (hidden ones left out), in a stable order; symbolic links
    (files or folders) are not followed but added to `links`."""
    if folder.is_symlink():
        if links is not None:
            links.append(folder)
        return
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        for name in sorted(dirs + files):
            if (here / name).is_symlink() and not name.startswith(".") and links is not None:
                links.append(here / name)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(files):
            if not (here / name).is_symlink():
                yield here / name


def sort_site_files(root: Path, exclude: Iterable[str] = ()) -> SiteFiles:
    """The site's posts, drafts, pages and static files, as Jekyll finds them."""
    excluded = JEKYLL_EXCLUDES | frozenset(str(name).strip("/") for name in exclude)
    found = SiteFiles()
    links: list[Path] = []

    def site_path(path: Path) -> PurePosixPath:
        return PurePosixPath(path.relative_to(root).as_posix())

    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        relative_here = PurePosixPath(here.relative_to(root).as_posix())
        kept = []
        for name in sorted(dirs):
            if name in (POSTS_DIR, DRAFTS_DIR):
                into = found.posts if name == POSTS_DIR else found.drafts
                into.extend(site_path(path) for path in every_file_under(here / name, links))
            elif not ignored_name(name, excluded) and str(relative_here / name) not in excluded:
                if (here / name).is_symlink():
                    links.append(here / name)
                else:
                    kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            relative = relative_here / name
            if ignored_name(name, excluded) or str(relative) in excluded:
                continue
            if (here / name).is_symlink():
                links.append(here / name)
                continue
            kind = found.pages if starts_with_front_matter(here / name) else found.static
            kind.append(PurePosixPath(str(relative).removeprefix("./")))
    for name in READ_FOLDERS:
        if (root / name).exists() or (root / name).is_symlink():
            found.links.extend(links_under(root, root / name))
    found.links = sorted(set(found.links) | {site_path(link) for link in links})
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
            stat = source.lstat()
            there = target.stat() if target.exists() else None
            if there and there.st_size == stat.st_size and there.st_mtime_ns == stat.st_mtime_ns:
                count.unchanged += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            with os.fdopen(open_no_link(root, source), "rb") as reading:
                with partial.open("wb") as writing:
                    shutil.copyfileobj(reading, writing)
            os.utime(partial, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            os.replace(partial, target)  # a reader never sees half a file
            count.copied += 1
        except OSError as exc:
            count.failed.append(f"{relative} ({exc.strerror or exc})")
    return count
