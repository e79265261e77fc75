"""The media library (`/admin/media`): upload, see where each image is used, copy its
Markdown, replace it, delete it once nothing shows it.

Thin: `posts/media.py` checks, cleans and stores; this reads the request and answers. An
upload answers 303 back to the library, or 201 with the file's URL in `Location` (and a
JSON body) when the request asks for JSON (the editor's script).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from microblog.extensions import db
from microblog.models import Media
from microblog.posts import media as uploads
from microblog.posts.media_jobs import unused
from microblog.web import request_limits
from microblog.web.editor import author_required, page_number
from microblog.web.uploads import read_upload, save_upload, uploaded_file

bp = Blueprint("media", __name__, url_prefix="/admin")

PAGE_SIZE = 30


@bp.url_value_preprocessor
def allow_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A signed-in author's upload may be up to MEDIA_MAX_BYTES (before CSRF reads it)."""
    if request.method == "POST" and current_user.is_authenticated:
        request_limits.allow_media_sized_request()


@bp.after_request
def never_cache(response: Response) -> Response:
    """The author's pages are personal."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def wants_json() -> bool:
    """Whether the client asked for JSON rather than a page."""
    accepted = request.accept_mimetypes
    return accepted["application/json"] > accepted["text/html"]


def media_json(media: Media) -> dict[str, Any]:
    """What a script needs of an upload."""
    return {
        "id": media.id,
        "url": current_app.config["SITE_URL"] + media.path,
        "path": media.path,
        "markdown": uploads.markdown_for(media),
        "width": media.width,
        "height": media.height,
        "content_type": media.content_type,
        "size": media.size_bytes,
    }


def refused(message: str, status: int) -> Response | tuple[str, int]:
    """An upload refused: JSON for a script, else the library with the message."""
    if wants_json():
        response = jsonify(error="invalid_request", error_description=message)
        response.status_code = status
        return response
    return library_page(status=status, error=message)


def library_page(status: int = 200, error: str | None = None) -> tuple[str, int]:
    """The library: newest first, with where each is used."""
    number = page_number()
    page = db.paginate(Media.newest(), page=number, per_page=PAGE_SIZE, error_out=number > 1)
    uses = {media.id: uploads.used_by(db.session, media) for media in page.items}
    html = render_template(
        "admin/media.html",
        page=page,
        uses=uses,
        markdown_for=uploads.markdown_for,
        error=error,
        max_bytes=int(current_app.config["MEDIA_MAX_BYTES"]),
    )
    return html, status


@bp.get("/media")
@author_required
def library() -> ResponseReturnValue:
    """Every upload, newest first."""
    return library_page()


@bp.post("/media")
@author_required
def upload() -> ResponseReturnValue:
    """Take one image: 303 back to the library, or 201 + Location for JSON."""
    file = uploaded_file()
    if file is None:
        return refused("Choose an image file to upload (the form field is `file`).", 400)
    try:
        media = save_upload(file)
    except uploads.MediaRejected as exc:
        return refused(str(exc), exc.status)
    if wants_json():
        response = jsonify(media_json(media))
        response.status_code = 201
        response.headers["Location"] = media_json(media)["url"]
        return response
    flash(f"Uploaded {media.path}. Its Markdown: {uploads.markdown_for(media)}", "info")
    return redirect(url_for("media.library"), code=303)


@bp.post("/media/<int:media_id>/replace")
@author_required
def replace(media_id: int) -> ResponseReturnValue:
    """New content at the same address."""
    media = db.get_or_404(Media, media_id)
    file = uploaded_file()
    if file is None:
        return refused("Choose the image that replaces it.", 400)
    try:
        uploads.replace_upload(
            db.session,
            media,
            file.filename or "",
            read_upload(file),
            folder=current_app.config["MEDIA_FOLDER"],
            max_bytes=int(current_app.config["MEDIA_MAX_BYTES"]),
        )
    except uploads.MediaRejected as exc:
        db.session.rollback()
        return refused(str(exc), exc.status)
    db.session.commit()
    flash(f"Replaced {media.path}.", "info")
    return redirect(url_for("media.library"), code=303)


@bp.post("/media/<int:media_id>/delete")
@author_required
def delete(media_id: int) -> ResponseReturnValue:
    """Remove an upload that no post or page shows (409 while one does)."""
    media = db.get_or_404(Media, media_id)
    if not unused(media):
        return refused(
            f"{media.path} is still shown by a post or page; remove it there first.", 409
        )
    path = media.path
    db.session.delete(media)
    db.session.commit()
    uploads.discard(current_app.config["MEDIA_FOLDER"], media)
    flash(f"Deleted {path}.", "info")
    return redirect(url_for("media.library"), code=303)
