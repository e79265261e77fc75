"""RFC 5005 paged feeds: which page a feed document is, and the pages it links to.

Page 1 is the feed's own URL (no argument); page N > 1 is `?page=N`. Pages run from the
newest posts to the oldest, `FEED_MAX_ITEMS` a page, so following `next` from the feed
reads every published post once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CANONICAL_PAGE = re.compile(r"[1-9][0-9]{0,5}")


@dataclass(frozen=True)
class FeedPage:
    """Page `number` of `last` pages of a feed (an empty feed still has page 1)."""

    number: int = 1
    last: int = 1

    @classmethod
    def of(cls, number: int, total_items: int, per_page: int) -> FeedPage:
        """Page `number` of a feed holding `total_items`."""
        return cls(number, max(1, -(-total_items // max(1, per_page))))

    @property
    def exists(self) -> bool:
        """Whether the feed has this page."""
        return 1 <= self.number <= self.last

    def offset(self, per_page: int) -> int:
        """How many newer items come before this page's first."""
        return (self.number - 1) * per_page

    def links(self, feed_url: str) -> dict[str, str]:
        """rel → URL for `self`, `first`, `previous`, `next` and `last` (those that exist)."""
        links = {
            "self": page_url(feed_url, self.number),
            "first": page_url(feed_url, 1),
        }
        if self.number > 1:
            links["previous"] = page_url(feed_url, self.number - 1)
        if self.number < self.last:
            links["next"] = page_url(feed_url, self.number + 1)
        links["last"] = page_url(feed_url, self.last)
        return links


def page_url(feed_url: str, number: int) -> str:
    """The URL of page `number` of the feed at `feed_url`."""
    return feed_url if number == 1 else f"{feed_url}?page={number}"


def parse_page_argument(raw: str | None) -> int | None:
    """The page a `?page=` argument names, or None when it is not the canonical form.

    Absent is page 1; `?page=1`, `?page=01`, `?page=x` are not a page's URL (404), so a
    page has exactly one address and one cache entry.
    """
    if raw is None:
        return 1
    if not CANONICAL_PAGE.fullmatch(raw) or raw == "1":
        return None
    return int(raw)


@dataclass(frozen=True)
class FeedScope:
    """Which feed a document is: where the feed lives (`self_path`, its first page), the
    HTML page it mirrors (`page_path`), the tag it is limited to, and which of its pages
    this document is. Paths are under the site URL."""

    self_path: str
    page_path: str = "/"
    tag_name: str | None = None
    # A Jekyll category's feed names its category instead (`/categories/<slug>/feed.xml`).
    category_name: str | None = None
    page: FeedPage = field(default_factory=FeedPage)
