"""HTTP validators (ETag / Last-Modified / 304) and the response cache.

Every change a page or feed could show (an import, a moderation action) calls
`content_changed()` inside its transaction; that bumps the one-row `site_state.generation`.
Each worker keeps rendered responses in memory tagged with the generation they were built
at, and a request only has to read that one integer to know whether its copy is still good,
so caches stay right across workers and hosts that share the database.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, request
from sqlalchemy import text, update
from werkzeug.wrappers import Response

from .extensions import db
from .models import Post, SiteState
from .timeutil import now_utc

GENERATION_SQL = text("SELECT generation FROM site_state WHERE id = 1")


def content_changed() -> None:
    """Mark every cached page and feed stale, in the caller's transaction."""
    db.session.execute(
        update(SiteState)
        .where(SiteState.id == 1)
        .values(generation=SiteState.generation + 1, changed_at=now_utc())
    )


def next_scheduled_post() -> datetime | None:
    """When the next post dated in the future goes live, if there is one."""
    return db.session.execute(Post.next_scheduled()).scalar_one_or_none()


def current_generation() -> int:
    """The site's content generation, as the database has it now."""
    return int(db.session.execute(GENERATION_SQL).scalar_one())


@dataclass(frozen=True)
class CachedResponse:
    """A rendered response body with the validators a client re-checks it by."""

    generation: int
    body: bytes
    mimetype: str
    etag: str
    last_modified: datetime | None
    max_age: int
    # A post scheduled for later goes live without any write: the entry expires then.
    valid_until: datetime | None = None


class ResponseCache:
    """A bounded, thread-safe map of cache keys to rendered responses (least recently used out)."""

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self.entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, generation: int) -> CachedResponse | None:
        """The entry for `key` if it was built at `generation`."""
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry.generation != generation:
                return None
            if entry.valid_until is not None and now_utc() >= entry.valid_until:
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CachedResponse) -> None:
        """Keep `entry`, dropping the least recently used one when full."""
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (tests, and a worker that wants a cold start)."""
        with self.lock:
            self.entries.clear()


def response_cache() -> ResponseCache:
    """This app's response cache."""
    return current_app.extensions["response_cache"]


def etag_for(body: bytes) -> str:
    """A strong validator for a body: the same bytes always give the same ETag."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def send_cached(entry: CachedResponse) -> Response:
    """A response for `entry`, answering 304 when the client's copy is current."""
    response = current_app.response_class(entry.body, mimetype=entry.mimetype)
    response.set_etag(entry.etag)
    if entry.last_modified is not None:
        response.last_modified = entry.last_modified
    response.cache_control.public = True
    response.cache_control.max_age = entry.max_age
    if entry.max_age == 0:
        response.cache_control.must_revalidate = True
    return response.make_conditional(request)


def cached_page(key: str, render_html: Callable[[], str]) -> Response:
    """An HTML page served through the response cache; browsers revalidate it every time.

    max-age 0 because a reader who just commented is sent back to the page and must see it.
    """
    return cached_response(
        "page:" + key,
        lambda: (render_html().encode(), None),
        "text/html",
        current_app.config["PAGE_MAX_AGE"],
    )


def cached_response(
    key: str,
    render: Callable[[], tuple[bytes, datetime | None]],
    mimetype: str,
    max_age: int,
) -> Response:
    """Serve `key` from the cache while the site has not changed, else `render` it once.

    `render` returns the body and the time of the newest change it shows (Last-Modified).
    """
    generation = current_generation()
    cache = response_cache()
    entry = cache.get(key, generation)
    if entry is None:
        valid_until = next_scheduled_post()
        body, last_modified = render()
        entry = CachedResponse(
            generation, body, mimetype, etag_for(body), last_modified, max_age, valid_until
        )
        cache.put(key, entry)
    return send_cached(entry)


def init_app(app: Flask) -> None:
    """Give the app its own response cache."""
    app.extensions["response_cache"] = ResponseCache()
