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
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from flask import Flask, current_app, request
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from werkzeug.http import http_date, is_resource_modified, quote_etag
from werkzeug.wrappers import Response

from .extensions import db
from .models import Post, SiteState
from .security import HEADERS as SECURITY_HEADERS
from .timeutil import as_utc, now_utc

GENERATION_SQL_TEXT = "SELECT generation FROM site_state WHERE id = 1"


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


class GenerationReader:
    """Reads `site_state.generation` over a connection kept for that alone, one per thread.

    This runs on every cached request, so it skips the ORM session and the pool checkout:
    a plain cursor on a kept connection costs microseconds. The connection is in autocommit
    (PostgreSQL) or outside any transaction (SQLite), so each read sees the latest commit.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.local = threading.local()
        self.opened: list = []
        self.lock = threading.Lock()

    def read(self) -> int:
        """The generation now; one retry on a fresh connection if the kept one broke."""
        try:
            return self.read_once()
        except Exception:
            self.discard()
            return self.read_once()

    def read_once(self) -> int:
        connection = getattr(self.local, "connection", None) or self.open()
        cursor = connection.cursor()
        try:
            cursor.execute(GENERATION_SQL_TEXT)
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()

    def open(self):
        """A connection of the engine's own kind, taken out of its pool for good."""
        connection = self.engine.raw_connection()
        connection.detach()
        if self.engine.dialect.name == "postgresql":
            connection.rollback()
            connection.dbapi_connection.autocommit = True
        self.local.connection = connection
        with self.lock:
            self.opened.append(connection)
        return connection

    def discard(self) -> None:
        """Forget this thread's connection (it failed); the next read opens another."""
        connection = getattr(self.local, "connection", None)
        self.local.connection = None
        if connection is not None:
            with self.lock:
                if connection in self.opened:
                    self.opened.remove(connection)
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - it is already broken; nothing to save
                pass

    def close(self) -> None:
        """Close every kept connection (app shutdown, end of a test)."""
        with self.lock:
            opened, self.opened = self.opened, []
        for connection in opened:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing at shutdown, best effort
                pass


def current_generation() -> int:
    """The site's content generation, as the database has it now."""
    return current_app.extensions["generation_reader"].read()


@dataclass(frozen=True)
class CachedResponse:
    """A rendered response body with the validators a client re-checks it by."""

    generation: int
    body: bytes
    etag: str
    last_modified: datetime | None
    # Content-Type, Content-Length, ETag, Last-Modified, Cache-Control and the security
    # headers, computed once so that a cache hit only copies them.
    headers: tuple[tuple[str, str], ...]
    # A post scheduled for later goes live without any write: the entry expires then.
    valid_until: datetime | None = None

    def is_fresh(self, generation: int) -> bool:
        """Whether this entry still shows the site as it is at `generation`."""
        if self.generation != generation:
            return False
        return self.valid_until is None or now_utc() < self.valid_until


class ResponseCache:
    """A bounded, thread-safe map of URLs to rendered responses (least recently used out)."""

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self.entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, generation: int) -> CachedResponse | None:
        """The entry for `key` if it is still fresh at `generation`."""
        entry = self.entries.get(key)
        if entry is None or not entry.is_fresh(generation):
            return None
        with self.lock:
            if key in self.entries:
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
        """Forget everything."""
        with self.lock:
            self.entries.clear()


def cache_key(environ: dict) -> str:
    """What a response is cached under: the path, and the page number of a listing.

    Other query arguments change nothing a page or feed shows, so they are left out: a
    crawler adding `?x=1`, `?x=2`… cannot push real pages out of the cache.
    """
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    if not query:
        return path
    pages = parse_qs(query).get("page")
    return f"{path}?page={pages[0]}" if pages else path


def etag_for(body: bytes) -> str:
    """A strong validator for a body: the same bytes always give the same ETag."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def build_entry(
    generation: int,
    body: bytes,
    mimetype: str,
    last_modified: datetime | None,
    max_age: int,
    valid_until: datetime | None,
) -> CachedResponse:
    """A cache entry with every header its responses will carry."""
    etag = etag_for(body)
    content_type = mimetype if "charset" in mimetype else f"{mimetype}; charset=utf-8"
    cache_control = f"public, max-age={max_age}" + (", must-revalidate" if max_age == 0 else "")
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("ETag", quote_etag(etag)),
        ("Cache-Control", cache_control),
    ]
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    headers += list(SECURITY_HEADERS.items())
    return CachedResponse(generation, body, etag, last_modified, tuple(headers), valid_until)


def page_last_modified() -> datetime:
    """When anything a page shows last changed: the site's last recorded change, or the
    newest post to go live (a post scheduled for later goes live without any write)."""
    now = now_utc()
    changed = db.session.execute(
        select(SiteState.changed_at).where(SiteState.id == 1)
    ).scalar_one_or_none()
    newest = db.session.execute(
        select(func.max(Post.published_at)).where(
            Post.is_draft.is_(False), Post.published_at <= now
        )
    ).scalar_one_or_none()
    moments = [as_utc(moment) for moment in (changed, newest) if moment is not None]
    return min(max(moments), now) if moments else now


def cached_page(render_html: Callable[[], str], lifetime: float | None = None) -> Response:
    """An HTML page served through the response cache; browsers revalidate it every time.

    max-age 0 because a reader who just commented is sent back to the page and must see it.
    `lifetime` (seconds) bounds how long the entry is served even if nothing changes.
    Last-Modified is `page_last_modified()`; a post page re-rendered only for a fresh form
    token keeps it (its ETag changes, and browsers send If-None-Match, which wins).
    """

    def render() -> tuple[bytes, datetime]:
        return render_html().encode(), page_last_modified()

    return cached_response(
        render,
        "text/html",
        current_app.config["PAGE_MAX_AGE"],
        lifetime=lifetime,
    )


def cached_response(
    render: Callable[[], tuple[bytes, datetime | None]],
    mimetype: str,
    max_age: int,
    lifetime: float | None = None,
) -> Response:
    """Serve this URL from the cache while the site has not changed, else `render` it once.

    `render` returns the body and the time of the newest change it shows (Last-Modified).
    Entries are stored under `cache_key(request.environ)`, which is also what the
    middleware looks up.
    """
    generation = current_generation()
    cache: ResponseCache = current_app.extensions["response_cache"]
    url = cache_key(request.environ)
    entry = cache.get(url, generation)
    if entry is None:
        valid_until = next_scheduled_post()
        if lifetime is not None:
            # A page that embeds something time-limited (the comment form's token).
            expires = now_utc() + timedelta(seconds=lifetime)
            valid_until = expires if valid_until is None else min(valid_until, expires)
        body, last_modified = render()
        entry = build_entry(generation, body, mimetype, last_modified, max_age, valid_until)
        cache.put(url, entry)
    response = current_app.response_class(entry.body, headers=list(entry.headers))
    return response.make_conditional(request)


class CachedResponseMiddleware:
    """Answers GET and HEAD for cached URLs before Flask is involved at all.

    A hit costs a dictionary lookup and one read of the generation, so a cached page or feed
    answers nearly as fast as a hello-world. Requests that may be personal (they carry one of
    PERSONAL_COOKIES) always go through to Flask.
    """

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.cache: ResponseCache = app.extensions["response_cache"]
        self.generations: GenerationReader = app.extensions["generation_reader"]
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        if method in ("GET", "HEAD") and not is_personal(environ):
            entry = self.cache.entries.get(cache_key(environ))
            if entry is not None and entry.is_fresh(self.generations.read()):
                return self.serve(entry, environ, start_response, method == "HEAD")
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def serve(entry: CachedResponse, environ, start_response, head: bool):
        """The cached response, or 304 when the client's copy is current."""
        if not is_resource_modified(environ, etag=entry.etag, last_modified=entry.last_modified):
            headers = [(k, v) for k, v in entry.headers if k not in ENTITY_HEADERS]
            start_response("304 Not Modified", headers)
            return []
        start_response("200 OK", list(entry.headers))
        return [] if head else [entry.body]


# Cookies that make a page personal: a reader's own pending comments (views/comments.py
# sets it, with the post's permalink as its path). Such requests are never served cached.
PENDING_COMMENTS_COOKIE = "pending_comments"
PERSONAL_COOKIES: tuple[str, ...] = (PENDING_COMMENTS_COOKIE,)
ENTITY_HEADERS = {"Content-Type", "Content-Length"}


def is_personal(environ: dict) -> bool:
    """Whether the request carries a cookie that changes what the page shows."""
    cookies = environ.get("HTTP_COOKIE", "")
    return bool(cookies) and any(name + "=" in cookies for name in PERSONAL_COOKIES)


def init_app(app: Flask) -> None:
    """Give the app its response cache and generation reader, and serve hits up front."""
    app.extensions["response_cache"] = ResponseCache()
    with app.app_context():
        app.extensions["generation_reader"] = GenerationReader(db.engine)
    app.wsgi_app = CachedResponseMiddleware(app, app.wsgi_app)
