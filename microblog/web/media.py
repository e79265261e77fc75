"""Files under MEDIA_FOLDER (uploads, and an imported site's images and downloads) at their
paths.

`flask posts import SITE_ROOT` copies a site's files there, and uploads live under
`/media/YYYY/MM/`; a path no post claims is looked up there (posts come first: a file never
hides a post). `send_from_directory` joins the path safely (no `..`, no absolute path leaves
the folder) and answers with an ETag and Last-Modified, so a browser or nginx's cache
revalidates with a 304.

What is served from here is never a document of the blog's origin: every answer carries a
CSP with `sandbox` and no script source, so an HTML or SVG file an old site held opens in
an opaque origin with scripts off (no cookies, nothing of the author's session), and
`nosniff`, so a browser never takes an image for a page. A script file (`.js`, `.mjs`,
`.wasm`…) is served as a download of no runnable type: with `nosniff`, a browser refuses to
run it, so no `<script src>` in an imported post runs a site's old scripts on the blog's
own origin (the pages' `script-src 'self'` would otherwise let it).
"""

from __future__ import annotations

import mimetypes
import os

from flask import Response, current_app, send_from_directory
from werkzeug.security import safe_join

from microblog.models import Post

# A day in browsers; an image or download rarely changes, and revalidating is a cheap 304.
MEDIA_MAX_AGE = 24 * 3600
# Types Python's table may lack or get wrong on some systems.
TYPES = {
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".woff2": "font/woff2",
}
# Files a browser would run as script if a page named them: never served as such.
SCRIPT_EXTENSIONS = frozenset({".js", ".mjs", ".cjs", ".wasm"})
# Served files run nothing: a sandboxed, script-less document if a browser opens one.
MEDIA_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"


def media_file_at(path: str) -> str | None:
    """The file under MEDIA_FOLDER at the URL path `path`, if there is one."""
    folder = current_app.config.get("MEDIA_FOLDER")
    relative = path.lstrip("/")
    if not folder or not relative or path.endswith("/"):
        return None
    if any(part.startswith(".") for part in relative.split("/")):
        return None  # temporary upload files and hidden files are never served
    joined = safe_join(folder, relative)
    return joined if joined is not None and os.path.isfile(joined) else None


def content_type_of(path: str) -> str:
    """The Content-Type a file is served with."""
    extension = os.path.splitext(path)[1].lower()
    guessed = TYPES.get(extension) or mimetypes.guess_type(path)[0]
    return guessed or "application/octet-stream"


def media_response(path: str) -> Response | None:
    """The site file at `path` when no published post has that permalink, else None."""
    if media_file_at(path) is None or Post.find_published(path) is not None:
        return None
    response = send_from_directory(
        current_app.config["MEDIA_FOLDER"],
        path.lstrip("/"),
        max_age=MEDIA_MAX_AGE,
        conditional=True,
        etag=True,
        mimetype=content_type_of(path),
    )
    if os.path.splitext(path)[1].lower() in SCRIPT_EXTENSIONS:
        response.mimetype = "application/octet-stream"
        response.headers["Content-Disposition"] = "attachment"
    response.headers["Content-Security-Policy"] = MEDIA_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-site"
    return response
