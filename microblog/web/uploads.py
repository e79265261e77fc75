"""An uploaded file read from the request and handed to the media domain (posts/media.py):
shared by the library, the editor's no-script upload and Micropub's media endpoint."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.datastructures import FileStorage

from microblog.extensions import db
from microblog.models import Media
from microblog.posts import media as uploads
from microblog.timeutil import now_utc


def uploaded_file() -> FileStorage | None:
    """The multipart `file` field, if one was sent with a name or content."""
    file = request.files.get("file")
    if file is None or (not file.filename and not file.content_length):
        return None
    return file


def read_upload(file: FileStorage) -> bytes:
    """The file's bytes, reading at most one byte past MEDIA_MAX_BYTES."""
    limit = int(current_app.config["MEDIA_MAX_BYTES"])
    return file.stream.read(limit + 1)


def save_upload(file: FileStorage) -> Media:
    """Store one upload and commit; MediaRejected says why not (nothing left behind)."""
    folder = current_app.config["MEDIA_FOLDER"]
    media = uploads.store_upload(
        db.session,
        file.filename or "",
        read_upload(file),
        folder=folder,
        max_bytes=int(current_app.config["MEDIA_MAX_BYTES"]),
        now=now_utc(),
    )
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        uploads.discard(folder, media)
        raise
    return media
