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
