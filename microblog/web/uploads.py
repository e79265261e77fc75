"""An uploaded file read from the request and handed to the media domain (posts/media.py):
shared by the library, the editor's no-script upload and Micropub's media endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, request
from flask.typing import ResponseReturnValue
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


def append_upload(field: Any) -> int | None:
    """The image sent with a post's or page's form, stored, its Markdown put at the end of
    the body `field`; the refusal's status (the field then says why), or None."""
    file = uploaded_file()
    if file is None:
        return None
    try:
        media = save_upload(file)
    except uploads.MediaRejected as exc:
        field.errors = [*field.errors, f"The image was not uploaded: {exc}"]
        return exc.status
    body = (field.data or "").replace("\r\n", "\n").rstrip("\n")
    field.data = (body + "\n\n" if body else "") + uploads.markdown_for(media) + "\n"
    return None


def upload_answer(
    field: Any, show_form: Callable[[int], ResponseReturnValue]
) -> ResponseReturnValue | None:
    """The upload share of saving a post's or a page's form, into its body `field`:
    the no-script Upload button stores the image, puts its Markdown at the end of the body
    and shows the form again (`show_form(status)`; nothing is saved yet); on a save, an
    image picked in the file field goes in with it. The answer to give now, or None to go
    on saving."""
    uploading = request.form.get("action") == "upload"
    if uploading and uploaded_file() is None:
        field.errors = ["Choose an image file first, then press Upload and insert."]
        return show_form(400)
    refused = append_upload(field)
    if refused is not None:
        return show_form(refused)
    if uploading:
        flash("Uploaded: its Markdown is at the end of the body.", "info")
        return show_form(200)
    return None
