"""Staticman data files: `_data/comments/<post>/<id>.yml` (or `.yaml`, `.json`), one comment
each, as Staticman commits them to a Jekyll site (`_id`, `name`, `email`, `url`, `message`,
`date`, and for threads `replying_to` or `replying_to_uid`: the `_id` of the comment
answered). `flask posts export` writes approved comments this way, so an export comes back.

A post's folder is named by its slug; `_parent` or `slug` inside a file name it too when the
files lie loose in `_data/comments/`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from microblog.comments.imports.dates import parse_date
from microblog.comments.imports.records import (
    ImportFileError,
    SourceComment,
    SourceExport,
    SourceThread,
)
from microblog.jekyll.errors import PostError
from microblog.jekyll.front_matter import load_yaml
from microblog.models import CommentStatus

SUFFIXES = (".yml", ".yaml", ".json")
PARENT_KEYS = ("replying_to_uid", "replying_to", "parent_id", "_parent_id")
STATUSES = {
    "approved": CommentStatus.APPROVED,
    "pending": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.TRASH,
    "deleted": CommentStatus.TRASH,
}
MAX_FILE_BYTES = 2 * 1024 * 1024


def comments_folder(root: Path) -> Path | None:
    """A Jekyll site's `_data/comments` folder, if it has one."""
    folder = root / "_data" / "comments"
    return folder if folder.is_dir() else None


def _data_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and not path.is_symlink()  # an import follows no link (see jekyll/site_files.py)
        and path.suffix.lower() in SUFFIXES
        and not path.name.startswith(".")
    )


def staticman_files(paths: Iterable[Path]) -> Iterator[tuple[str, Path]]:
    """Each data file named or found under the paths, with the post folder it lies in
    ('' for files loose in `_data/comments/`)."""
    for given in paths:
        if given.is_file():
            parent = given.parent.name
            yield ("" if parent == "comments" else parent), given
            continue
        folder = comments_folder(given) or given
        loose = "" if folder.name == "comments" else folder.name
        for path in _data_files(folder):
            yield loose, path
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()):
            if not sub.name.startswith("."):
                for path in _data_files(sub):
                    yield sub.name, path


def _load(path: Path) -> Any:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportFileError(f"{path}: cannot be read ({error})") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except ValueError as error:
            raise ImportFileError(f"{path}: not JSON ({error})") from None
    try:
        # The front matter's reader: YAML alias bombs are refused before anything expands.
        return load_yaml(text)
    except PostError as error:
        raise ImportFileError(f"{path}: {error}".replace("front matter", "the file")) from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _status(entry: dict[str, Any]) -> CommentStatus:
    if entry.get("approved") is False or _text(entry.get("approved")).lower() == "false":
        return CommentStatus.PENDING
    return STATUSES.get(_text(entry.get("status")).lower(), CommentStatus.APPROVED)


def read_staticman(paths: Iterable[Path]) -> SourceExport:
    """Every comment in the Staticman data files under `paths`."""
    export = SourceExport(format="Staticman")
    for folder, path in staticman_files(paths):
        try:
            data = _load(path)
        except ImportFileError as error:
            export.notes.append(f"failed: {error}")
            continue
        entries = data if isinstance(data, list) else [data]
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                export.notes.append(f"failed: {path}: not a mapping of fields")
                continue
            comment = _comment(entry, folder, path, index if len(entries) > 1 else None)
            if comment is None:
                export.notes.append(f"failed: {path}: no post named (no folder, _parent or slug)")
                continue
            thread = export.threads.setdefault(comment.thread, SourceThread(key=comment.thread))
            parent_page = _text(entry.get("_parent"))
            if folder:
                thread.identifiers = [folder]
            if parent_page and parent_page not in thread.links + thread.identifiers:
                (thread.links if "/" in parent_page else thread.identifiers).append(parent_page)
            export.comments.append(comment)
    return export


def _comment(
    entry: dict[str, Any], folder: str, path: Path, index: int | None
) -> SourceComment | None:
    thread = folder or _text(entry.get("slug")) or _text(entry.get("_parent"))
    if not thread:
        return None
    own_id = _text(entry.get("_id")) or _text(entry.get("id"))
    key = own_id or f"{thread}/{path.stem}" + (f"#{index}" if index is not None else "")
    parent = next((_text(entry[name]) for name in PARENT_KEYS if _text(entry.get(name))), "")
    email = _text(entry.get("email"))
    return SourceComment(
        key=f"staticman:{key}",
        thread=thread,
        parent=f"staticman:{parent}" if parent and parent != "0" else None,
        name=_text(entry.get("name")),
        # Staticman often keeps only an MD5 of the address (for Gravatar): no address.
        email=email if "@" in email else "",
        url=_text(entry.get("url")),
        remote_addr=_text(entry.get("ip")),
        created_at=parse_date(entry.get("date")),
        status=_status(entry),
        text=_text(entry.get("message") or entry.get("comment") or entry.get("body")),
        markup="markdown",
        changed_at=parse_date(entry.get("approved_at")),
    )
