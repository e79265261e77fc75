"""`site.<label>` for a site's own collections (`collections:` in `_config.yml`, other than
posts), as Jekyll gives them to Liquid: each document of `_<label>/` that has front matter,
with its front matter (after `defaults` for its type), `url`, `path`, `relative_path`,
`collection`, `slug`, `title`, `date` and `id`; in Jekyll's order (the `sort_by` key the
collection names, else date, then path). bitcoincore.org's release list and download page
read `site.releases`.

Made only when some text asks for it. A document's `content` and `output` are not given
(the import renders posts, not the site's other collections), nor `next`/`previous`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from microblog.jekyll import fields
from microblog.jekyll.errors import NotAPost, PostError
from microblog.jekyll.files import decode
from microblog.jekyll.front_matter import load_yaml, split_front_matter
from microblog.jekyll.liquid import JekyllTime
from microblog.jekyll.settings import SiteSettings

MARKUP = {".md", ".markdown", ".mkd", ".mkdn", ".mdown", ".html", ".htm"}
IGNORED_START = (".", "_", "#")
# Jekyll's own names for what is not a collection of the site's documents.
NOT_COLLECTIONS = frozenset({"posts", "drafts", "data", "pages", "static_files", "html_pages"})


def collection_labels(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each collection `_config.yml` declares (a mapping or a list of names) → its
    metadata, posts aside."""
    declared = config.get("collections")
    if isinstance(declared, list):
        declared = {str(name): {} for name in declared}
    if not isinstance(declared, dict):
        return {}
    return {
        str(label): meta if isinstance(meta, dict) else {}
        for label, meta in declared.items()
        if str(label) not in NOT_COLLECTIONS and str(label).replace("-", "_").isidentifier()
    }


def document_url(template: str, relative: PurePosixPath, label: str, slug: str) -> str:
    """A document's URL from its collection's permalink template (Jekyll's default
    `/:collection/:path:output_ext`), with the placeholders a collection's URL uses."""
    output_ext = ".html" if relative.suffix.lower() in MARKUP else relative.suffix
    path = str(relative.with_suffix(""))
    url = (
        template.replace(":collection", label)
        .replace(":path", path)
        .replace(":name", relative.stem)
        .replace(":title", slug)
        .replace(":output_ext", output_ext)
    )
    url = "/" + url.lstrip("/")
    return posixpath.normpath(url) + ("/" if url.endswith("/") and url != "/" else "")


def collection_docs(
    root: Path,
    label: str,
    metadata: Mapping[str, Any],
    defaults_for: Callable[[PurePosixPath, str], dict[str, Any]],
    settings: SiteSettings,
) -> list[dict[str, Any]]:
    """`site.<label>`: the collection's documents as Liquid sees them."""
    folder = root / f"_{label}"
    if not folder.is_dir() or folder.is_symlink():
        return []
    template = str(metadata.get("permalink") or "/:collection/:path:output_ext")
    now = datetime.now(UTC)
    docs = []
    for path in sorted(folder.rglob("*")):
        inside = path.relative_to(folder)
        if any(part.startswith(IGNORED_START) or part.endswith("~") for part in inside.parts):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        drop = document_drop(root, path, label, template, defaults_for, settings, now)
        if drop is not None:
            docs.append(drop)
    sort_by = metadata.get("sort_by")
    if isinstance(sort_by, str) and sort_by:
        with_key = [doc for doc in docs if doc.get(sort_by) is not None]
        without = [doc for doc in docs if doc.get(sort_by) is None]
        try:
            with_key.sort(key=lambda doc: doc[sort_by])
        except TypeError:
            pass  # values Ruby could not compare either: left in path order
        return with_key + without
    return sorted(docs, key=lambda doc: (doc["date"], doc["path"]))


def document_drop(
    root: Path,
    path: Path,
    label: str,
    template: str,
    defaults_for: Callable[[PurePosixPath, str], dict[str, Any]],
    settings: SiteSettings,
    now: datetime,
) -> dict[str, Any] | None:
    """One document; None for a file without front matter (a static file to Jekyll) or one
    that cannot be read."""
    relative = PurePosixPath(path.relative_to(root).as_posix())
    try:
        text = decode(path.read_bytes()).replace("\r\n", "\n")
        front, _ = split_front_matter(text)
        meta = {**defaults_for(relative, label), **load_yaml(front)}
        name = fields.file_name(relative)
        slug = fields.slug_of(meta, name)
        date = fields.date_of(meta, name, settings.zone, [], now)
        title = fields.title_of(meta, slug)
    except (NotAPost, PostError, OSError, ValueError):
        return None
    inside = PurePosixPath(*relative.parts[1:])
    raw = meta.get("permalink")
    own = isinstance(raw, str) and bool(raw.strip())
    url = document_url(str(raw) if own else template, inside, label, slug)
    return {
        **meta,
        "title": title,
        "slug": slug,
        "url": url,
        "id": url.removesuffix(".html"),
        "date": JekyllTime.of(date.astimezone(settings.zone)),
        "path": str(relative),
        "relative_path": str(relative),
        "collection": label,
    }
