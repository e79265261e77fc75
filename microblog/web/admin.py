"""The author's pages: login, logout, the moderation queue and its actions.

Every form here carries Flask-WTF's session CSRF token (`csrf_token`), checked app-wide by
`CSRFProtect`. The status changes themselves, and the table of which are allowed from
where, live in `comments/status.py`; this view commits what they did.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from microblog.comments import author_comments
from microblog.comments import status as comment_status
from microblog.comments.rules import IntakeRules
from microblog.extensions import db, login_manager
from microblog.models import Author, Comment, CommentStatus, accounts
from microblog.models.ids import parse_id
from microblog.web import ratelimits

bp = Blueprint("admin", __name__, url_prefix="/admin")

QUEUE_PAGE_SIZE = 50
PAGE_MAX = 100_000
TABS = [status.value for status in CommentStatus]

login_manager.login_view = "admin.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_author(author_id: str) -> Author | None:
    """The signed-in author, from the id Flask-Login keeps in the session.

    Checked on every request: a session whose version is no longer the author's (signed
    out, password changed) names nobody, whichever copy of the cookie carries it.
    """
    return accounts.author_for_session(author_id)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site; None for anything that could leave it.

    Refused: absolute URLs, scheme-relative `//host`, backslashes (browsers read `/\\host`
    as `//host`), control characters and anything that is not a plain absolute path.
    """
    if not target or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.app_context_processor
def admin_context() -> dict[str, Any]:
    """The pending count on every admin page (only for the signed-in author)."""

    def pending_count() -> int:
        if not current_user.is_authenticated:
            return 0
        return comment_status.counts()[CommentStatus.PENDING]

    return {"admin_pending_count": pending_count}


@bp.after_request
def never_cache(response: Response) -> Response:
    """The author's pages are personal: no shared or browser cache keeps them."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------- session


def login_rate_limit() -> str:
    """How many failed sign-ins one client may make."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


LOGIN_SCOPE = "login"
THROTTLED = "Too many failed sign-ins from here. Please wait a while and try again."


@bp.get("/", strict_slashes=False)
def home() -> ResponseReturnValue:
    """`/admin`: the author's dashboard (the moderation queue), or the sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.comments"))
    return redirect(url_for("admin.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The author's sign-in form; a success goes to `next` (on this site) or the queue."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("admin.comments"), code=303)
    error = None
    username = ""
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        # Counted before the check, so a parallel burst cannot pass before any is counted;
        # a success clears the count. The author always gets in if the storage is down.
        verdict = ratelimits.count_attempt(LOGIN_SCOPE, login_rate_limit(), fallback=True)
        if not verdict.allowed:
            raise TooManyRequests(THROTTLED, retry_after=verdict.retry_after)
        author = accounts.authenticate(
            username, password, current_app.config["PASSWORD_HASH_METHOD"]
        )
        if author is not None:
            ratelimits.forget_attempts(LOGIN_SCOPE, login_rate_limit())
            # A new session: nothing from before sign-in (a planted id, an old CSRF token).
            session.clear()
            login_user(author)
            return redirect(next_url or url_for("admin.comments"), code=303)
        error = "That username and password do not match."
        status = 401
    return (
        render_template("admin/login.html", error=error, username=username, next_url=next_url),
        status,
    )


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (by POST, with the CSRF token, so no link can do it), everywhere.

    The session version moves on, so every copy of this session's cookie (and every other
    signed-in browser of the author's) is void, not just this browser's.
    """
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("admin.login"), code=303)


# ---------------------------------------------------------------------------- the queue


def queue_status(raw: str | None) -> CommentStatus:
    """The tab asked for; pending by default, 404 for an unknown one."""
    try:
        return CommentStatus(raw or "pending")
    except ValueError:
        abort(404)


def queue_url(status: str | None = None, page: str | None = None) -> str:
    """Back to a queue tab (and page), from the values a form sent."""
    tab = status if status in TABS else "pending"
    number = parse_id(page, PAGE_MAX)
    number = number if number is not None and number > 1 else None
    return url_for("admin.comments", status=tab, page=number)


@bp.get("/comments")
@login_required
def comments() -> ResponseReturnValue:
    """The moderation queue, one tab per status, newest first, paginated."""
    status = queue_status(request.args.get("status"))
    number = parse_id(request.args.get("page", "1"), PAGE_MAX)
    if number is None:
        abort(404)
    page = db.paginate(
        Comment.with_status(status).options(
            selectinload(Comment.post), selectinload(Comment.status_changed_by)
        ),
        page=number,
        per_page=QUEUE_PAGE_SIZE,
        error_out=number > 1,
    )
    return render_template(
        "admin/comments.html",
        status=status,
        page=page,
        counts=comment_status.counts(),
        statuses=list(CommentStatus),
        # The buttons: what the transitions table allows from this tab's status.
        actions=comment_status.actions_from(status),
    )


def refuse(message: str, status: int) -> ResponseReturnValue:
    """An admin page that explains why an action was not done."""
    db.session.rollback()
    return render_template("admin/refused.html", message=message), status


@bp.post("/comments/<int:comment_id>/<action>")
@login_required
def act(comment_id: int, action: str) -> ResponseReturnValue:
    """One moderation action on one comment; 303 back to the queue."""
    if action not in comment_status.ACTIONS:
        abort(404)
    comment = db.get_or_404(Comment, comment_id)
    try:
        comment_status.apply(comment, action, current_user, seen=shown_status())
    except comment_status.TransitionError as error:
        return refuse(str(error), 409)
    db.session.commit()
    flash(f"Comment #{comment_id}: {action} done.", "info")
    return redirect(queue_url(request.form.get("status"), request.form.get("page")), code=303)


@bp.post("/comments/<int:comment_id>/reply")
@login_required
def reply(comment_id: int) -> ResponseReturnValue:
    """Approve a waiting comment (if it waits) and publish the author's reply to it."""
    comment = db.get_or_404(Comment, comment_id)
    config = current_app.config
    try:
        answer = author_comments.approve_and_reply(
            comment,
            request.form.get(f"reply-{comment_id}", request.form.get("reply", "")),
            IntakeRules.from_config(config),
            name=str(config["SITE_AUTHOR"]),
            site_url=str(config["SITE_URL"]),
            by=current_user._get_current_object(),
            seen=shown_status(),
        )
    except author_comments.AuthorCommentRefused as error:
        return refuse(str(error), 422)
    except comment_status.TransitionError as error:
        return refuse(str(error), 409)
    db.session.commit()
    flash(f"Comment #{comment_id} approved; your reply #{answer.id} is published.", "info")
    return redirect(queue_url(request.form.get("status"), request.form.get("page")), code=303)


def shown_status() -> CommentStatus | None:
    """The status the comment had on the author's page (the queue tab the form came from)."""
    try:
        return CommentStatus(request.form.get("status", ""))
    except ValueError:
        return None


@bp.post("/comments/bulk")
@login_required
def bulk() -> ResponseReturnValue:
    """One action on every selected comment; those it does not apply to are skipped."""
    action = request.form.get("action", "")
    if action not in comment_status.ACTIONS:
        return refuse("Choose an action for the selected comments.", 400)
    raw_ids = request.form.getlist("ids")
    if not raw_ids:
        return refuse("Select at least one comment.", 400)
    parsed = [parse_id(raw) for raw in raw_ids]
    if any(number is None for number in parsed):
        abort(404)  # not an id any comment can have
    ids = sorted({number for number in parsed if number is not None})
    found = db.session.execute(select(Comment).where(Comment.id.in_(ids))).scalars().all()
    if len(found) != len(ids):
        abort(404)
    result = comment_status.apply_many(found, action, current_user, shown_status())
    db.session.commit()
    flash(f"{action}: {result.done} of {len(ids)} comments done.", "info")
    for message in result.skipped:
        flash(message, "warning")
    return redirect(queue_url(request.form.get("status"), request.form.get("page")), code=303)
