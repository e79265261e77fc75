"""Jekyll's rules for post files: which names are posts, a file's key, its text and hash.

- In a `_posts` folder only `YYYY-MM-DD-slug.ext` names are posts (Jekyll's
  DATE_FILENAME_MATCHER); elsewhere a file may take its date from the front matter, like a
  Jekyll collection document.
- Only Markdown (`markdown_ext`: markdown, mkdown, mkdn, mkd, md) and `.html` files are
  posts here.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath

from microblog.jekyll.errors import PostError
from microblog.jekyll.settings import SiteSettings

MARKDOWN_EXTENSIONS = frozenset({".markdown", ".mkdown", ".mkdn", ".mkd", ".md"})
HTML_EXTENSIONS = frozenset({".html"})
POST_EXTENSIONS = MARKDOWN_EXTENSIONS | HTML_EXTENSIONS

DATE_FILENAME = re.compile(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-(.*)$", re.DOTALL)


def content_hash(data: bytes, settings: SiteSettings) -> str:
    """What decides `unchanged`: the file's bytes and the settings that shape the post."""
    digest = hashlib.sha256(settings.fingerprint().encode())
    digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def in_posts_folder(path: PurePath) -> bool:
    """Whether the file lies under a `_posts` folder (where Jekyll's naming rule applies)."""
    return "_posts" in path.parent.parts


def in_drafts_folder(path: PurePath) -> bool:
    """Whether the file lies under a `_drafts` folder."""
    return "_drafts" in path.parent.parts


def source_key_for(path: PurePath) -> str:
    """The key that identifies a file across re-imports.

    Under a `_posts` folder: the path relative to the nearest `_posts` (Jekyll's own notion
    of a post's relative path, so `_posts/es/x.md` is `es/x.md` whichever folder the import
    was pointed at); anywhere else the file's name. Moving the site's folder, or importing
    `content/` instead of `content/_posts/`, therefore still updates the same posts.
    """
    parts = path.parts
    if in_posts_folder(path):
        index = len(parts) - 1 - parts[::-1].index("_posts")
        return "/".join(parts[index + 1 :])
    return path.name


def skip_reason_for_name(path: PurePath) -> str | None:
    """Why Jekyll would not read this file as a post, judging by its name alone."""
    name = path.name
    if name.startswith((".", "_", "#")) or name.endswith("~"):
        return "Jekyll ignores files whose names start with '.', '_' or '#' or end with '~'"
    suffix = path.suffix.lower()
    if suffix not in POST_EXTENSIONS:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        if in_posts_folder(path) and DATE_FILENAME.match(path.stem):
            return (
                f"not a Markdown or HTML file ({shown}): Jekyll publishes it as it is, the "
                "app imports only .md, .markdown and .html posts"
            )
        return f"not a Markdown or HTML file ({shown}); posts are .md, .markdown or .html"
    if in_posts_folder(path) and not DATE_FILENAME.match(path.stem):
        return "in _posts, Jekyll only reads names like YYYY-MM-DD-title.md"
    return None


def is_markdown(path: PurePath) -> bool:
    """Whether the file's body is Markdown (else it is HTML, kept as written)."""
    return path.suffix.lower() in MARKDOWN_EXTENSIONS


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without a BOM, or UTF-16 with a BOM."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise PostError(f"not UTF-8 text (byte 0x{bad} at offset {exc.start})") from None
    if "\x00" in text:
        raise PostError("contains NUL characters (a binary file, or UTF-16 without a BOM?)")
    return text
