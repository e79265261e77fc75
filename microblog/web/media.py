"""An imported site's own files (images, downloads) at the paths the Jekyll site gave them.

`flask posts import SITE_ROOT` copies them into MEDIA_FOLDER; a path no post claims is
looked up there (posts come first: a file never hides a post). `send_from_directory` joins
the path safely (no `..`, no absolute path leaves the folder) and answers with an ETag and
Last-Modified, so a browser or nginx's cache revalidates with a 304.
"""

from __future__ import annotations

import os

from flask import Response, current_app, send_from_directory
from werkzeug.security import safe_join

from microblog.models import Post

# A day in browsers; an image or download rarely changes, and revalidating is a cheap 304.
MEDIA_MAX_AGE = 24 * 3600


def media_file_at(path: str) -> str | None:
    """The file under MEDIA_FOLDER at the URL path `path`, if there is one."""
    folder = current_app.config.get("MEDIA_FOLDER")
    relative = path.lstrip("/")
    if not folder or not relative or path.endswith("/"):
        return None
    joined = safe_join(folder, relative)
    return joined if joined is not None and os.path.isfile(joined) else None


def media_response(path: str) -> Response | None:
    """The site file at `path` when no published post has that permalink, else None."""
    if media_file_at(path) is None or Post.find_published(path) is not None:
        return None
    return send_from_directory(
        current_app.config["MEDIA_FOLDER"],
        path.lstrip("/"),
        max_age=MEDIA_MAX_AGE,
        conditional=True,
        etag=True,
    )
