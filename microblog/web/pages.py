"""Pages: the author's `/admin/pages` (write and change them like posts), the site's
navigation for every template, and the site's own 404 page.

Thin: the form checks fields, `posts/pages.py` writes. A page has no date, no tags and no
feed entry; the public side serves it at its permalink (public.py).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.fields import IntegerField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from microblog.extensions import db
from microblog.models import Page
from microblog.models.ids import parse_id
from microblog.posts import pages as page_writer
from microblog.posts.site_settings import current_site_settings
from microblog.web.editor import allow_long_posts, author_required, never_cache
from microblog.web.editor_forms import PostForm, check_permalink
from microblog.web.uploads import upload_answer

bp = Blueprint("pages", __name__, url_prefix="/admin")

# The routes a page may live under: the catch-all and the comment routes beneath it.
PAGE_ENDPOINTS = frozenset({"public.permalink"})


class PageForm(FlaskForm):
    """Title, body, permalink, the place in the navigation, and the version served."""

    title = StringField(
        "Title",
        validators=[Optional(), Length(max=500)],
        description="Optional when the page has an address of its own.",
    )
    body = TextAreaField(
        "Body",
        validators=[DataRequired(message="Write something: the body cannot be empty.")],
        description="Markdown. Your own HTML is kept as written.",
    )
    permalink = StringField(
        "Permalink",
        validators=[Optional(), Length(max=1000)],
        description="Optional: a path like /about/. Empty: made from the title.",
    )
    nav_order = IntegerField(
        "Place in the navigation",
        validators=[Optional(), NumberRange(min=0, max=1000)],
        description="Optional: 1, 2, 3… puts the page in the site's menu in that order.",
    )
    version = HiddenField()

    validate_permalink = PostForm.validate_permalink  # a path on this site, as a post's


# A signed-in author's page may be as long as a post (or carry an image), and the editor's
# screens are personal, as the post editor's are.
bp.url_value_preprocessor(allow_long_posts)
bp.after_request(never_cache)


@bp.get("/pages")
@author_required
def pages() -> ResponseReturnValue:
    """Every page, by address."""
    rows = db.session.execute(select(Page).order_by(Page.permalink)).scalars().all()
    return render_template("admin/pages.html", pages=rows)


@bp.get("/pages/new", endpoint="new")
@bp.get("/pages/<int:page_id>/edit", endpoint="edit")
@author_required
def form_page(page_id: int | None = None) -> ResponseReturnValue:
    """The form: empty for a new page, or filled with the page as saved."""
    if page_id is None:
        return render_form(PageForm(), None)
    page = db.get_or_404(Page, page_id)
    form = PageForm(
        data={
            "title": page.title,
            "body": page.body_source,
            "permalink": page.permalink,
            "nav_order": page.nav_order,
            "version": str(page.version),
        }
    )
    return render_form(form, page)


def render_form(
    form: PageForm, page: Page | None, status: int = 200, conflict: dict[str, Any] | None = None
) -> ResponseReturnValue:
    return render_template("admin/page_form.html", form=form, page=page, conflict=conflict), status


@bp.post("/pages", endpoint="create")
@bp.post("/pages/<int:page_id>", endpoint="update")
@author_required
def save(page_id: int | None = None) -> ResponseReturnValue:
    """Save a new page (303 to its edit page) or changes to one over the version the form
    was served with (else 409)."""
    page = db.get_or_404(Page, page_id) if page_id is not None else None
    form = PageForm()
    uploaded = upload_answer(form.body, lambda status: render_form(form, page, status))
    if uploaded is not None:
        return uploaded
    valid = form.validate()
    if not (form.title.data or "").strip() and not (form.permalink.data or "").strip():
        form.title.errors = [*form.title.errors, "Give the page a title or an address."]
        valid = False
    if page is not None and parse_id(form.version.data or "", 10**11) is None:
        form.version.errors = ["The form carries no version; reload the page."]
        valid = False
    if not valid:
        db.session.rollback()
        return render_form(form, page, 400)
    base = page_writer.input_of(page) if page is not None else None
    changed = page_writer.PageInput(
        title=form.title.data or "",
        body=(form.body.data or "").replace("\r\n", "\n"),
        permalink=check_permalink(form.permalink.data) if form.permalink.data else "",
        is_markdown=base.is_markdown if base is not None else True,
        nav_order=form.nav_order.data,
        is_not_found=base.is_not_found if base is not None else False,
        front_matter=base.front_matter if base is not None else {},
    )
    try:
        saved = page_writer.save_page(
            db.session,
            changed,
            current_site_settings(current_app.config),
            page_id=page.id if page is not None else None,
            expected_version=int(form.version.data) if page is not None else None,
        )
    except page_writer.PageConflict:
        db.session.rollback()
        assert page is not None
        db.session.expire_all()
        fresh = db.get_or_404(Page, page.id)
        form.version.data = str(fresh.version)
        conflict = {"version": fresh.version, "body": fresh.body_source}
        return render_form(form, fresh, 409, conflict)
    except page_writer.PageRejected as exc:
        db.session.rollback()
        target = getattr(form, exc.field, form.body)
        target.errors = [*target.errors, str(exc)]
        return render_form(form, page, 409 if "already" in str(exc) else 400)
    db.session.commit()
    flash("Saved." if page is not None else "Your page is saved.", "saved")
    return redirect(url_for("pages.edit", page_id=saved.id), code=303)


# ---------------------------------------------------------------------------- the public side


def site_navigation() -> list[page_writer.NavLink]:
    """The site's menu for the base template (nothing when the database cannot say)."""
    try:
        return page_writer.navigation(db.session)
    except SQLAlchemyError:
        db.session.rollback()
        return []


def not_found_page() -> Page | None:
    """The site's own 404 page, if a page is marked so."""
    try:
        return db.session.execute(
            select(Page).where(Page.is_not_found.is_(True)).limit(1)
        ).scalar_one_or_none()
    except SQLAlchemyError:
        db.session.rollback()
        return None


def page_at(path: str) -> Page | None:
    """The page at exactly `path` (a 404 page is only ever served as the 404 answer)."""
    page = db.session.execute(Page.at(path)).scalar_one_or_none()
    return None if page is None or page.is_not_found else page


def is_app_route(path: str) -> bool:
    """Whether one of the blog's own routes answers `path` (a page there is unreachable)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except RequestRedirect:
        return True
    except (NotFound, MethodNotAllowed):
        return False
    return endpoint not in PAGE_ENDPOINTS


def init_app(app: Flask) -> None:
    """The navigation for every template; the route check for the writer of pages."""
    app.context_processor(lambda: {"site_navigation": site_navigation})
    if is_app_route not in page_writer.ROUTE_CHECK:
        page_writer.ROUTE_CHECK.append(is_app_route)
