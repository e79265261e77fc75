"""HTTP only: validators (ETag / Last-Modified / 304), the response cache and its middleware.

A leaf: it imports no model, no view and no header policy. The app tells it, through
`CacheHooks`, how to read the site's change counter, what makes a request personal, when
the site changes without a write, when pages last changed, and which headers every response
carries. Each worker keeps rendered responses in memory tagged with the counter's value they
were built at, so a request only reads that one integer to know whether its copy is still
good, and caches stay right across workers and hosts that share the database.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from flask import Flask, abort, current_app, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.wrappers import Response as FlaskResponse
from werkzeug.http import http_date, is_resource_modified, parse_cookie, quote_etag
from werkzeug.wrappers import Response

from microblog.timeutil import now_utc
from microblog.web.compression import (
    MIN_SIZE,
    VARY,
    accepts_gzip,
    compress_response,
    gzip_bytes,
    gzip_etag,
    is_compressible,
)
from microblog.web.response_store import ENTRY_OVERHEAD, ResponseCache

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@dataclass(frozen=True)
class CacheHooks:
    """What the app tells the cache, so that the cache needs to know no model and no view."""

    # The site's change counter as the database has it now (every write bumps it).
    read_generation: Callable[[], int]
    # Whether a request may see something personal (it is never answered from the cache).
    is_personal: Callable[[WSGIEnvironment], bool]
    # When the site next changes without a write (a scheduled post going live), if ever.
    next_change: Callable[[], datetime | None]
    # When anything a page shows last changed (HTML pages' Last-Modified).
    pages_changed_at: Callable[[], datetime]
    # Headers every cached response carries (the security headers).
    headers: tuple[tuple[str, str], ...] = ()
    # One consistent read of the database for a whole render, yielding the counter as that
    # read sees it (what the entry is kept under). None: renders read the counter first.
    snapshot: Callable[[], AbstractContextManager[int]] | None = None


def carries_cookie(*names: str) -> Callable[[WSGIEnvironment], bool]:
    """A test for requests that carry a cookie with exactly one of these names."""
    wanted = frozenset(names)

    def test(environ: WSGIEnvironment) -> bool:
        header = environ.get("HTTP_COOKIE", "")
        # The substring check keeps the common request (no such cookie) free of parsing.
        if not header or not any(name in header for name in wanted):
            return False
        return not wanted.isdisjoint(parse_cookie(header).keys())

    return test


@dataclass(frozen=True)
class CachedResponse:
    """A rendered response body with the validators a client re-checks it by."""

    generation: int
    body: bytes
    etag: str
    last_modified: datetime | None
    # Content-Type, Content-Length, ETag, Last-Modified, Cache-Control and the hooks'
    # headers, computed once so that a cache hit only copies them.
    headers: tuple[tuple[str, str], ...]
    # A post scheduled for later goes live without any write: the entry expires then.
    valid_until: datetime | None = None
    # The body gzip-compressed once, when the entry was built, and its headers (None: not
    # worth compressing), so that a hit costs no compression.
    gzip_body: bytes | None = None
    gzip_headers: tuple[tuple[str, str], ...] = ()

    def representation(self, environ: WSGIEnvironment) -> tuple[bytes, tuple[tuple[str, str], ...]]:
        """The body and headers for this request: gzip when it takes gzip and there is one."""
        if self.gzip_body is not None and accepts_gzip(environ):
            return self.gzip_body, self.gzip_headers
        return self.body, self.headers

    def is_current(self, environ: WSGIEnvironment) -> bool:
        """Whether the client's copy is this content (either encoding's ETag, or its date)."""
        if not is_resource_modified(environ, etag=self.etag, last_modified=self.last_modified):
            return True
        return self.gzip_body is not None and not is_resource_modified(
            environ, etag=gzip_etag(self.etag), last_modified=self.last_modified
        )

    def is_fresh(self, generation: int) -> bool:
        """Whether this entry still shows the site as it is at `generation`."""
        if self.generation != generation:
            return False
        return self.valid_until is None or now_utc() < self.valid_until

    def weight(self, key: str) -> int:
        """About how many bytes keeping this entry under `key` costs."""
        headers = sum(len(name) + len(value) + 100 for name, value in self.headers)
        stored = len(self.body) + len(self.gzip_body or b"")
        return stored + headers + 2 * len(key) + ENTRY_OVERHEAD


# The one way to write a page number: ASCII digits, no leading zero, 2 or more (page 1 is
# the URL without `page`).
CANONICAL_PAGE = re.compile(r"[1-9][0-9]{0,8}", re.ASCII)


def cache_key(environ: WSGIEnvironment) -> str | None:
    """What a response is cached under: the path, and the page number of a listing.

    Other query arguments change nothing a page or feed shows, so they are left out: a
    crawler adding `?x=1`, `?x=2`… cannot push real pages out of the cache. A `page` is in
    only in its one canonical form (`?page=2`); any other (`01`, `²`, `1`, two of them) has
    no key, so it is never looked up nor stored and the view answers it (404 or 301).
    SCRIPT_NAME is in: every link `url_for` builds starts with it, so a page built under
    another mount point must never be served for this one.
    """
    path: str = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    query: str = environ.get("QUERY_STRING", "")
    if "reply" in query and "reply" in parse_qs(query, keep_blank_values=True):
        return None  # `?reply=<id>`: the post's form answering a comment, a private page
    if "page" not in query:
        return path
    pages = parse_qs(query, keep_blank_values=True).get("page")
    if not pages:
        return path
    if len(pages) != 1 or pages[0] == "1" or not CANONICAL_PAGE.fullmatch(pages[0]):
        return None
    return f"{path}?page={pages[0]}"


def asks_for_activity(environ: WSGIEnvironment) -> bool:
    """Whether the request asks for ActivityStreams JSON (a fediverse server reading a
    post): never answered from the cache, which holds the HTML under the same URL."""
    accept: str = environ.get("HTTP_ACCEPT", "")
    return "activity+json" in accept or "ld+json" in accept


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
    extra_headers: Iterable[tuple[str, str]] = (),
    equivalent: Callable[[bytes], bytes] | None = None,
) -> CachedResponse:
    """A cache entry with every header its responses will carry.

    The ETag is strong (the same bytes, the same ETag) unless `equivalent` is given: then it
    is a weak ETag of `equivalent(body)`, for a body with a part that differs per render but
    not in meaning (a form token), so that every worker and host gives the same validator.
    """
    if equivalent is None:
        etag, weak = etag_for(body), False
    else:
        etag, weak = etag_for(equivalent(body)), True
    content_type = mimetype if "charset" in mimetype else f"{mimetype}; charset=utf-8"
    cache_control = f"public, max-age={max_age}" + (", must-revalidate" if max_age == 0 else "")
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("ETag", quote_etag(etag, weak)),
        ("Cache-Control", cache_control),
    ]
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    extra = list(extra_headers)
    headers += [(name, value) for name, value in extra if name != "Vary"]
    # One Vary header: the encoding (when compressible) and whatever else the page varies by.
    varies = [VARY[1]] if is_compressible(mimetype) else []
    varies += [value for name, value in extra if name == "Vary"]
    if not is_compressible(mimetype):
        if varies:
            headers.append(("Vary", ", ".join(varies)))
        return CachedResponse(generation, body, etag, last_modified, tuple(headers), valid_until)
    headers.append(("Vary", ", ".join(varies)))
    gzip_body = gzip_bytes(body) if len(body) >= MIN_SIZE else None
    gzip_headers: list[tuple[str, str]] = []
    if gzip_body is not None:
        replaced = {
            "Content-Length": str(len(gzip_body)),
            "ETag": quote_etag(gzip_etag(etag), weak),
        }
        gzip_headers = [(name, replaced.get(name, value)) for name, value in headers]
        gzip_headers.append(("Content-Encoding", "gzip"))
    return CachedResponse(
        generation,
        body,
        etag,
        last_modified,
        tuple(headers),
        valid_until,
        gzip_body,
        tuple(gzip_headers),
    )


def response_cache() -> ResponseCache:
    """The current app's response cache."""
    cache: ResponseCache = current_app.extensions["response_cache"]
    return cache


def cached_page(
    render_html: Callable[[], str],
    lifetime: float | None = None,
    equivalent: Callable[[bytes], bytes] | None = None,
    paged: bool = False,
    headers: Iterable[tuple[str, str]] = (),
) -> Response:
    """An HTML page served through the response cache; browsers revalidate it every time.

    max-age 0 (PAGE_MAX_AGE) because a reader who just commented is sent back to the page
    and must see it. `lifetime` (seconds) bounds how long the entry is served even if nothing
    changes. Last-Modified is when pages last changed (the hooks say). `equivalent`: see
    `build_entry` (a post page's ETag leaves its per-render form token out).
    """
    changed_at = response_cache().hooks.pages_changed_at

    def render() -> tuple[bytes, datetime]:
        return render_html().encode(), changed_at()

    return cached_response(
        render,
        "text/html",
        current_app.config["PAGE_MAX_AGE"],
        lifetime=lifetime,
        equivalent=equivalent,
        paged=paged,
        headers=headers,
    )


def cached_response(
    render: Callable[[], tuple[bytes, datetime | None]],
    mimetype: str,
    max_age: int,
    lifetime: float | None = None,
    equivalent: Callable[[bytes], bytes] | None = None,
    headers: Iterable[tuple[str, str]] = (),
    paged: bool = False,
) -> Response:
    """Serve this URL from the cache while the site has not changed, else `render` it once.

    `render` returns the body and the time of the newest change it shows (Last-Modified);
    `headers` are more headers the response carries (a feed's `Link`).
    Entries are stored under `cache_key(request.environ)`, which is also what the
    middleware looks up. Only a `paged` view takes a `page` argument, and only in its
    canonical form: anywhere else, or written otherwise, it is a 404 (one address per page,
    so nobody can fill the cache with copies of one page).
    """
    url = cache_key(request.environ)
    if url is None or ("page" in request.args and not paged):
        abort(404)
    cache = response_cache()
    entry = cache.get(url, cache.hooks.read_generation())
    if entry is None:
        # The whole render reads one moment of the database, and the entry is kept under
        # the counter as that moment has it: it shows one whole state of the site, the one
        # that counter names, never half of a change committed while it was being made.
        with render_snapshot(cache.hooks) as generation:
            valid_until = cache.hooks.next_change()
            if lifetime is not None:
                # A page that embeds something time-limited (the comment form's token).
                expires = now_utc() + timedelta(seconds=lifetime)
                valid_until = expires if valid_until is None else min(valid_until, expires)
            body, last_modified = render()
        entry = build_entry(
            generation,
            body,
            mimetype,
            last_modified,
            max_age,
            valid_until,
            (*cache.hooks.headers, *headers),
            equivalent,
        )
        cache.put(url, entry)
    content, sent_headers = entry.representation(request.environ)
    response_class = current_app.response_class
    if entry.is_current(request.environ):
        response: Response = response_class(status=304, headers=not_modified_headers(sent_headers))
    else:
        response = response_class(content, headers=list(sent_headers))
    response.shared_copy = True  # type: ignore[attr-defined]
    return response


@contextmanager
def render_snapshot(hooks: CacheHooks) -> Iterator[int]:
    """The hooks' consistent read, or (without one) the counter read before rendering, so
    that a change committed meanwhile leaves the entry already stale."""
    if hooks.snapshot is None:
        yield hooks.read_generation()
        return
    with hooks.snapshot() as generation:
        yield generation


# Headers a 304 leaves out: they describe a body it does not have.
ENTITY_HEADERS = {"Content-Type", "Content-Length", "Content-Encoding"}


def not_modified_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A 304's headers: the representation's, without those of the body it does not send."""
    return [(name, value) for name, value in headers if name not in ENTITY_HEADERS]


class CachedResponseMiddleware:
    """Answers GET and HEAD for cached URLs before Flask is involved at all.

    A hit costs a dictionary lookup and one read of the generation, so a cached page or feed
    answers nearly as fast as a hello-world. Requests the hooks call personal always go
    through to Flask.
    """

    def __init__(self, cache: ResponseCache, wsgi_app: WSGIApplication) -> None:
        self.cache = cache
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if (
            method in ("GET", "HEAD")
            and not self.cache.hooks.is_personal(environ)
            and not asks_for_activity(environ)
        ):
            key = cache_key(environ)
            entry = None if key is None else self.cache.get(key)
            if entry is not None:
                return self.serve(entry, environ, start_response, method == "HEAD")
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def serve(
        entry: CachedResponse,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        head: bool,
    ) -> list[bytes]:
        """The cached response (gzip when the client takes it), or 304 when its copy is current."""
        body, headers = entry.representation(environ)
        if entry.is_current(environ):
            start_response("304 Not Modified", not_modified_headers(headers))
            return []
        start_response("200 OK", list(headers))
        return [] if head else [body]


class SharedCopySessions(SecureCookieSessionInterface):
    """Flask's cookie sessions, except that a shared copy does not say `Vary: Cookie`.

    Flask adds it whenever anything touched the session, and Flask-Login touches it on
    every response; but a cached page or feed depends on no session (personal requests
    never reach the cache), and the middleware's hits, which never open one, do not say it:
    the fill and the hits must send the same `Vary`.
    """

    def save_session(self, app: Flask, session: SessionMixin, response: FlaskResponse) -> None:
        if getattr(response, "shared_copy", False) and not session.modified:
            session.accessed = False
        super().save_session(app, session, response)


def init_app(app: Flask, hooks: CacheHooks, max_bytes: int = 64 * 1024 * 1024) -> None:
    """Give the app its response cache, and serve hits before Flask."""
    cache = ResponseCache(hooks, max_bytes)
    app.extensions["response_cache"] = cache
    app.session_interface = SharedCopySessions()
    # What the cache does not hold (a reader's private page, the admin, errors) is
    # compressed on its way out; cached responses pass through untouched.
    app.after_request(lambda response: compress_response(response, request.environ))
    app.wsgi_app = CachedResponseMiddleware(cache, app.wsgi_app)  # type: ignore[method-assign]
