"""Which post a thread of comments was written on.

A thread names its page by URL (Disqus's `link`, a WXR item's `link`, Staticman's `_parent`)
or by an identifier (`disqus_identifier`, a Staticman folder's slug). The URL's host and
scheme are not compared (the blog may have moved from http to https, or from one domain to
another); its path is looked up among the posts' permalinks and their old addresses (the
`redirects` rows, which hold `redirect_from` and earlier permalinks, and `redirect_from`
as the front matter says it). Paths are compared without case, a trailing slash, an
`index.html` or an `.html` ending, so `/2019/01/03/hello.html` finds `/2019/01/03/hello/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select

from microblog.comments.imports.records import SourceThread
from microblog.extensions import db
from microblog.models import Post, Redirect

JEKYLL_ID = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
IDENTIFIER_KEYS = ("disqus_identifier", "comments_id", "comment_id", "id", "slug")
AMBIGUOUS = -1


def path_key(value: str) -> str | None:
    """The comparable form of a URL's or path's path; None when `value` is neither."""
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if not (parts.scheme in ("http", "https") or value.startswith("/")):
        return None
    path = unquote(parts.path).lower().rstrip("/")
    for ending in ("/index.html", "/index.htm", ".html", ".htm"):
        if path.endswith(ending):
            path = path[: -len(ending)]
            break
    return path.rstrip("/") or "/"


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value if isinstance(item, str | int)]
    if isinstance(value, int):
        return [str(value)]
    return []


class PostFinder:
    """The posts' addresses and identifiers, read once, to find many threads' posts."""

    def __init__(self) -> None:
        self.by_path: dict[str, int] = {}
        self.by_identifier: dict[str, int] = {}
        self.permalinks: dict[int, str] = {}
        rows = db.session.execute(
            select(
                Post.id,
                Post.permalink,
                Post.slug,
                Post.source_key,
                Post.categories,
                Post.front_matter,
            )
        ).all()
        for post_id, permalink, slug, source_key, categories, front_matter in rows:
            self.permalinks[post_id] = permalink
            self._add_path(permalink, post_id)
            matter = front_matter if isinstance(front_matter, dict) else {}
            for old in _as_list(matter.get("redirect_from")):
                self._add_path(old, post_id)
            # A folder of comments may be named by the slug or by the whole permalink.
            identifiers = [slug, permalink.strip("/"), permalink.strip("/").replace("/", "-")]
            for name in IDENTIFIER_KEYS:
                identifiers.extend(_as_list(matter.get(name)))
            if source_key:
                stem = PurePosixPath(source_key).stem
                identifiers.extend([stem, stem[11:] if stem[:4].isdigit() else stem])
                jekyll_id = JEKYLL_ID.match(stem)
                if jekyll_id:
                    # Jekyll's `page.id` (what many themes give Disqus as the identifier):
                    # /categories/YYYY/MM/DD/slug, whatever the permalink.
                    parts = [str(c) for c in (categories or [])] + list(jekyll_id.groups())
                    self._add_path("/" + "/".join(parts), post_id)
            for identifier in identifiers:
                self._add(self.by_identifier, identifier.strip().lower(), post_id)
        for path, post_id in db.session.execute(select(Redirect.path, Redirect.post_id)):
            self._add_path(path, post_id)

    @staticmethod
    def _add(index: dict[str, int], key: str, post_id: int) -> None:
        if not key:
            return
        found = index.get(key)
        # Two posts behind one key: the key names neither.
        index[key] = post_id if found in (None, post_id) else AMBIGUOUS

    def _add_path(self, value: str, post_id: int) -> None:
        key = path_key(value if value.startswith(("/", "http")) else "/" + value)
        if key:
            self._add(self.by_path, key, post_id)

    def _lookup(self, candidates: Iterable[str]) -> int | None:
        for candidate in candidates:
            key = path_key(candidate)
            found = self.by_path.get(key) if key else None
            if found is None:
                found = self.by_identifier.get(candidate.strip().lower())
            if found is not None and found != AMBIGUOUS:
                return found
        return None

    def post_for(self, thread: SourceThread) -> int | None:
        """The id of the post the thread was on, or None."""
        return self._lookup([*thread.links, *thread.identifiers])
