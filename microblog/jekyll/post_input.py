"""What a post is made of, whatever it comes from: a Jekyll file, the editor, Micropub.

A `PostInput` needs no source file; `posts.PostWriter` turns one into a stored post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from microblog.timeutil import as_utc, now_utc

# Column sizes of the `posts` / `tags` tables.
MAX_TITLE = 500
MAX_SLUG = 300
MAX_PERMALINK = 1000
MAX_TAG = 200


@dataclass(kw_only=True)
class PostInput:
    """One post as its author wrote it, before it is rendered and stored."""

    title: str
    body: str
    published_at: datetime
    # "" = from the site's PERMALINK pattern (and the slug).
    permalink: str = ""
    # "" = from the title, or from the date and time for a post without one (a note).
    slug: str = ""
    is_markdown: bool = True
    tag_names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    is_draft: bool = False
    comments_enabled: bool = True
    excerpt: str | None = None
    excerpt_separator: str | None = None
    # A Jekyll file's excerpt as Jekyll makes it: cut from the text before its Liquid ran,
    # then its own Liquid run (Markdown still to render); None = cut from `body`
    excerpt_markdown: str | None = None
    # Old addresses the author names (Jekyll's `redirect_from`); a changed permalink adds
    # its old one by itself.
    redirect_from: list[str] = field(default_factory=list)
    last_modified_at: datetime | None = None
    # Front matter keys the app has no column for, kept so that an export gives them back.
    front_matter: dict[str, Any] = field(default_factory=dict)

    def goes_live(self) -> datetime | None:
        """When a post dated later than now goes live (None: a draft, or live already)."""
        published = as_utc(self.published_at)
        return published if not self.is_draft and published > now_utc() else None
