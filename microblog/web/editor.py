"""The author's editor: the list of posts, write, change, preview, delete (`/admin/posts`).

Thin: the form checks fields (editor_forms.py), the one writer of posts does the work.
Every POST carries the CSRF token (CSRFProtect, app-wide); an author's post may be far
larger than a reader's comment, so these routes raise the request size limit for a
signed-in author only (see `allow_long_posts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, tzinfo
from functools import wraps
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response

from microblog.extensions import db
from microblog.jekyll.markdown import render_post
from microblog.jekyll.settings import SiteSettings
from microblog.models import Comment, Post
from microblog.models.ids import parse_id
from microblog.posts import exporter
from microblog.posts.notes import with_free_address
from microblog.posts.site_settings import current_site_settings
from microblog.posts.writer import PostInput, PostRejected, PostWriter, VersionConflict
from microblog.timeutil import in_zone, now_utc
from microblog.web import request_limits
from microblog.web.dates import local_datetime
from microblog.web.editor_forms import PostForm, split_tags
from microblog.web.uploads import upload_answer

bp = Blueprint("editor", __name__, url_prefix="/admin")

LIST_PAGE_SIZE = 20


@bp.url_value_preprocessor
def allow_long_posts(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A signed-in author's request may be up to AUTHOR_MAX_CONTENT_LENGTH.

    URL value preprocessors run before any `before_request` hook, so the limit is raised
    before CSRFProtect reads the form; a stranger's request keeps the small limit.
    """
    if request.method == "POST" and current_user.is_authenticated:
        if request.mimetype == "multipart/form-data":
            request_limits.allow_media_sized_request()  # the form may carry an image
        else:
            request_limits.allow_author_sized_request()


@bp.after_request
def never_cache(response: Response) -> Response:
    """The author's pages are personal: no shared or browser cache keeps them."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def author_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in, or: a GET goes to the sign-in page, anything else is a 401."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.is_authenticated:
            return view(*args, **kwargs)
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        abort(401, "Sign in first: only the author can write posts.")

    return wrapped


def all_posts() -> Select[Post]:
    """Every post, drafts and scheduled ones too, newest first (the editor's list)."""
    return select(Post).order_by(Post.published_at.desc(), Post.id.desc())


def comment_count(post: Post) -> int:
    """How many comments a delete would take with the post."""
    return db.session.execute(
        select(func.count(Comment.id)).where(Comment.post_id == post.id)
    ).scalar_one()


def preview_html(body: str) -> str:
    """A body's HTML exactly as a save renders it (the writer's own renderer)."""
    html, _ = render_post(body.replace("\r\n", "\n"))
    return html


def site_settings() -> SiteSettings:
    """The settings that shape a post."""
    return current_site_settings(current_app.config)


def form_data(post_input: PostInput, version: int) -> dict[str, Any]:
    """The edit form's fields for a saved post."""
    local = post_input.published_at.astimezone(site_settings().zone)
    return {
        "title": post_input.title,
        "body": post_input.body,
        "tags": ", ".join(post_input.tag_names),
        "categories": ", ".join(post_input.categories),
        "permalink": post_input.permalink,
        "published_at": local.strftime("%Y-%m-%dT%H:%M:%S"),
        "draft": post_input.is_draft,
        "version": str(version),
    }


def input_from_form(form: PostForm, base: PostInput | None) -> PostInput:
    """The post the form describes; an edit keeps what the form does not show."""
    zone = site_settings().zone
    published = form.published_in(zone)
    if (
        published is not None
        and base is not None
        and same_wall_clock(published, base.published_at, zone)
    ):
        # The time shown back, saved again: the same instant, even in the hour the clocks
        # pass twice (the form cannot say which of the two it showed).
        published = base.published_at
    changes: dict[str, Any] = {
        "title": " ".join((form.title.data or "").split()),
        "body": (form.body.data or "").replace("\r\n", "\n"),
        "tag_names": split_tags(form.tags.data or ""),
        "categories": split_tags(form.categories.data or ""),
        "permalink": (form.permalink.data or "").strip(),
        "is_draft": bool(form.draft.data),
    }
    if base is None:
        return PostInput(published_at=published or now_utc().replace(microsecond=0), **changes)
    return replace(base, published_at=published or base.published_at, **changes)


def same_wall_clock(typed: datetime, stored: datetime, zone: tzinfo) -> bool:
    """Whether `typed` is what the form showed for `stored` (its wall-clock time in `zone`)."""
    shown = in_zone(stored, zone).replace(tzinfo=None, microsecond=0)
    return in_zone(typed, zone).replace(tzinfo=None) == shown or typed == stored


@bp.app_template_filter("post_label")
def post_label(post: Post, words: int = 8) -> str:
    """A post's title; for a note (no title) its first words, for `<title>` and links."""
    if post.title:
        return post.title
    text = Markup(post.excerpt_html or post.body_html or "").striptags().split()
    return " ".join(text[:words]) + ("…" if len(text) > words else "") or post.permalink


def page_number() -> int:
    """The `?page=` argument; anything that is not a positive whole number is a 404."""
    number = parse_id(request.args.get("page", "1"), 100_000)
    if number is None:  # `²` passes isdigit() and then fails int(): one strict reading
        abort(404)
    return number


@bp.get("/posts")
@author_required
def posts() -> ResponseReturnValue:
    """Every post: drafts, scheduled and published, newest first, paginated."""
    number = page_number()
    page = db.paginate(all_posts(), page=number, per_page=LIST_PAGE_SIZE, error_out=number > 1)
    return render_template("admin/posts.html", page=page, now=now_utc())


@bp.get("/posts/new", endpoint="new")
@bp.get("/posts/<int:post_id>/edit", endpoint="edit")
@author_required
def form_page(post_id: int | None = None) -> ResponseReturnValue:
    """The form: empty for a new post, or filled with the post as saved and the version it
    was served with."""
    if post_id is None:
        return render_form(PostForm(), None)
    post = db.get_or_404(Post, post_id)
    form = PostForm(data=form_data(PostWriter(site_settings()).input_of(post.id), post.version))
    return render_form(form, post)


def render_form(
    form: PostForm,
    post: Post | None,
    status: int = 200,
    preview: str | None = None,
    conflict: dict[str, Any] | None = None,
) -> ResponseReturnValue:
    """The editor page: the form, its preview pane, and a conflict when there is one."""
    form.published_at.description = (
        f"Optional: date and time, {site_settings().timezone} time. Later than now: scheduled."
        + (" Empty: now." if post is None else f" Saved: {local_datetime(post.published_at)}.")
    )
    state = None
    if post is not None:
        state = (
            "draft"
            if post.is_draft
            else ("scheduled" if post.published_at > now_utc() else "published")
        )
    html = render_template(
        "admin/post_form.html",
        form=form,
        post=post,
        post_status=state,
        post_public_url=post.permalink if post is not None and state == "published" else None,
        preview_html=preview,
        conflict=conflict,
    )
    return html, status


@bp.post("/posts", endpoint="create")
@bp.post("/posts/<int:post_id>", endpoint="update")
@author_required
def save(post_id: int | None = None) -> ResponseReturnValue:
    """Save a new post (303 to its edit page) or changes to one over the version the form
    was served with (else 409); or preview it (the no-JS Preview button)."""
    post = db.get_or_404(Post, post_id) if post_id is not None else None
    form = PostForm()
    if request.form.get("action") == "preview":
        return render_form(form, post, preview=preview_html(form.body.data or ""))
    uploaded = upload_answer(form.body, lambda status: render_form(form, post, status))
    if uploaded is not None:
        return uploaded
    valid = form.validate()
    valid = form.check_date(site_settings().zone) and valid
    if post is not None and not form.version.data:
        form.version.errors = ["The form carries no version; reload the page."]
        valid = False
    if not valid:
        db.session.rollback()
        return render_form(form, post, 400)
    writer = PostWriter(site_settings())
    base = writer.input_of(post.id) if post is not None else None
    changed = input_from_form(form, base)
    if post is None:
        changed = with_free_address(writer, changed)
    try:
        saved = writer.save(
            changed,
            post_id=post.id if post is not None else None,
            expected_version=int(form.version.data) if post is not None else None,
        )
    except VersionConflict as exc:
        db.session.rollback()
        return conflict_page(form, post, exc)
    except PostRejected as exc:
        db.session.rollback()
        return rejected(form, post, exc)
    db.session.commit()
    # "saved": the editor's script then forgets the text it kept in the browser.
    flash("Saved." if post is not None else "Your post is saved.", "saved")
    for warning in saved.warnings:
        flash(warning, "warning")
    return redirect(url_for("editor.edit", post_id=saved.post_id), code=303)


def conflict_page(form: PostForm, post: Post | None, exc: VersionConflict) -> ResponseReturnValue:
    """409: the saved text beside the author's own, which stays in the form.

    The form now carries the newer version, so saving again replaces it on purpose.
    """
    assert post is not None
    db.session.expire_all()
    fresh = db.session.get(Post, post.id)
    if fresh is None:
        abort(404)
    saved = PostWriter(site_settings()).input_of(fresh.id)
    form.version.data = str(fresh.version)
    conflict = {
        "version": fresh.version,
        "when": f"at {local_datetime(fresh.updated_at)}",
        "title": saved.title,
        "body": saved.body,
    }
    return render_form(form, fresh, 409, conflict=conflict)


def rejected(form: PostForm, post: Post | None, refusal: PostRejected) -> ResponseReturnValue:
    """The writer refused the post (a clash, a bad address): the form again, the reason
    under the field it names; 409 when another post holds what this one asked for."""
    status = 409 if refusal.kind == "conflict" else 400
    target = getattr(form, refusal.field, None)
    if target is None:
        target = form.body
    target.errors = [*target.errors, str(refusal)]
    return render_form(form, post, status)


@bp.get("/posts/<int:post_id>/delete")
@author_required
def confirm_delete(post_id: int) -> ResponseReturnValue:
    """Ask before deleting: the post, its comment count, and one button."""
    post = db.get_or_404(Post, post_id)
    return render_template("admin/post_delete.html", post=post, comment_count=comment_count(post))


@bp.post("/posts/<int:post_id>/delete")
@author_required
def delete(post_id: int) -> ResponseReturnValue:
    """Remove the post and its comments (the confirmation page asked first); 303 to the list."""
    post = db.get_or_404(Post, post_id)
    title, permalink = post.title, post.permalink
    PostWriter(site_settings()).delete([post.id])
    db.session.commit()
    flash(f"Deleted “{title or permalink}”.", "info")
    return redirect(url_for("editor.posts"), code=303)


@bp.get("/posts/export.zip")
@author_required
def export_zip() -> ResponseReturnValue:
    """Every post as a zip of Jekyll files (what `flask posts export` writes)."""
    config = current_app.config
    archive = exporter.export_zip(
        site_settings(), config, media_folder=Path(config["MEDIA_FOLDER"])
    )
    stamp = now_utc().strftime("%Y-%m-%d")
    return send_file(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"posts-{stamp}.zip",
    )


@bp.post("/preview")
@author_required
def preview() -> ResponseReturnValue:
    """The HTML a body renders to, as the post's page would show it (for the editor's script)."""
    body = request.form.get("body", "")
    html = render_template("admin/preview.html", preview_html=preview_html(body))
    return current_app.response_class(html, mimetype="text/html")
