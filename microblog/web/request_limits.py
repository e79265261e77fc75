"""The request size limits of the author's own routes (the editor and Micropub).

Readers' forms keep the small MAX_CONTENT_LENGTH; the author's posts may be long (a
500 KB Markdown post must save), so their routes raise the limit for that one request.
"""

from __future__ import annotations

from flask import current_app, request


def allow_author_sized_request() -> None:
    """Raise this request's body and form-field limits to AUTHOR_MAX_CONTENT_LENGTH."""
    limit = int(current_app.config["AUTHOR_MAX_CONTENT_LENGTH"])
    request.max_content_length = limit
    # werkzeug keeps a form field in memory up to this size (500 KB by default).
    request.max_form_memory_size = limit


def allow_media_sized_request() -> None:
    """Raise this request's body limit to MEDIA_MAX_BYTES (an upload), with room for the
    multipart framing and the other fields; a file larger than that is refused by name."""
    limit = max(
        int(current_app.config["MEDIA_MAX_BYTES"]) + 256 * 1024,
        int(current_app.config["AUTHOR_MAX_CONTENT_LENGTH"]),
    )
    request.max_content_length = limit
    request.max_form_memory_size = int(current_app.config["AUTHOR_MAX_CONTENT_LENGTH"])
