"""gzip for responses, when the client accepts it: HTTP only, a leaf like `caching`.

Cached pages and feeds are compressed once, when their cache entry is filled, so a hit only
picks the right bytes (`caching.build_entry`); everything else the app answers (a reader's
private page, the admin, an error page) is compressed on the way out (`compress_response`).
Every response of a compressible type says `Vary: Accept-Encoding`, compressed or not, on
every path (cache hit, cache fill, uncached), so no shared cache hands gzip to a client that
did not ask for it.
"""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

from werkzeug.http import quote_etag, unquote_etag
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# Below this many bytes gzip's own header and trailer eat most of the gain.
MIN_SIZE = 256
# Level 6 (zlib's default) is within a few per cent of 9's size at a third of its time.
LEVEL = 6
VARY = ("Vary", "Accept-Encoding")
# A gzip representation's strong ETag: the identity one with this suffix (RFC 9110 8.8.3:
# two encodings of the same content are different representations).
GZIP_ETAG_SUFFIX = "-gz"


def is_compressible(mimetype: str) -> bool:
    """Whether a body of this type shrinks under gzip (text, XML, JSON, SVG, scripts)."""
    kind = mimetype.split(";", 1)[0].strip().lower()
    return (
        kind.startswith("text/")
        or kind in {"application/xml", "application/json", "application/javascript"}
        or kind.endswith(("+xml", "+json"))
    )


def accepts_gzip(environ: WSGIEnvironment) -> bool:
    """Whether the request's Accept-Encoding takes gzip (`gzip`, `x-gzip` or `*`, q > 0)."""
    header = environ.get("HTTP_ACCEPT_ENCODING", "").lower()  # codings are case-insensitive
    # The common cases without parsing: no header, or a browser's plain list.
    if not header or ("gzip" not in header and "*" not in header):
        return False
    if ";" not in header:
        return True
    qualities = coding_qualities(header)
    named = [qualities[name] for name in ("gzip", "x-gzip") if name in qualities]
    # A coding named outright wins over `*` (RFC 9110 12.5.3).
    return max(named) > 0 if named else qualities.get("*", 0) > 0


def coding_qualities(header: str) -> dict[str, float]:
    """Accept-Encoding as {coding: q}; an unreadable q counts as 0 (not acceptable)."""
    qualities: dict[str, float] = {}
    for part in header.split(","):
        coding, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if coding.strip():
            qualities[coding.strip()] = quality
    return qualities


def gzip_bytes(body: bytes) -> bytes:
    """`body` gzip-compressed, the same bytes for the same body (no timestamp)."""
    return gzip.compress(body, compresslevel=LEVEL, mtime=0)


def gzip_etag(etag: str) -> str:
    """The gzip representation's ETag value for an identity one (both unquoted)."""
    return etag + GZIP_ETAG_SUFFIX


def compress_response(response: Response, environ: WSGIEnvironment) -> Response:
    """Compress an uncached response on its way out, if its client accepts gzip.

    Cached responses arrive here already compressed (or deliberately not): they carry
    `Vary` and, when compressed, `Content-Encoding`, and are left alone.
    """
    if not is_compressible(response.mimetype or "") or response.direct_passthrough:
        return response
    response.vary.add("Accept-Encoding")
    if (
        "Content-Encoding" in response.headers
        or response.is_streamed
        or not 200 <= response.status_code < 300
        or response.status_code == 204
        or not accepts_gzip(environ)
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    response.set_data(gzip_bytes(body))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = unquote_etag(response.headers.get("ETag"))
    if etag:
        response.headers["ETag"] = quote_etag(gzip_etag(etag), bool(weak))
    return response
