"""/admin/followers: who follows the blog from the fediverse; approve, remove, block an
actor or a whole domain, lift a block."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from microblog.extensions import db
from microblog.fediverse import documents, followers
from microblog.models import Block, Follower

bp = Blueprint("followers", __name__, url_prefix="/admin/followers")


def back() -> ResponseReturnValue:
    return redirect(url_for("followers.listing"), code=303)


@bp.get("")
@login_required
def listing() -> ResponseReturnValue:
    """Every follower, the waiting ones first, and what is blocked."""
    author = documents.the_author()
    return render_template(
        "admin/followers.html",
        followers=followers.listing(),
        blocks=followers.blocks(),
        handle=documents.handle(author) if author else None,
        enabled=bool(current_app.config["ACTIVITYPUB_ENABLED"]),
    )


@bp.post("/<int:follower_id>/approve")
@login_required
def approve(follower_id: int) -> ResponseReturnValue:
    """Accept a follower who waits (manual approval)."""
    follower = db.get_or_404(Follower, follower_id)
    followers.approve(follower)
    db.session.commit()
    flash(f"{follower.handle} now follows the blog.", "info")
    return back()


@bp.post("/<int:follower_id>/remove")
@login_required
def remove(follower_id: int) -> ResponseReturnValue:
    """Stop sending to this follower."""
    follower = db.get_or_404(Follower, follower_id)
    handle = follower.handle
    followers.remove(follower)
    db.session.commit()
    flash(f"{handle} was removed.", "info")
    return back()


@bp.post("/block")
@login_required
def block() -> ResponseReturnValue:
    """Block an actor (its URL) or a domain; fields `kind` and `value`."""
    kind = request.form.get("kind", "")
    value = request.form.get("value", "")
    row = followers.block(kind, value)
    if row is None:
        flash("Nothing blocked: give an actor's URL or a domain.", "error")
        return back()
    db.session.commit()
    flash(f"Blocked the {row.kind} {row.value}.", "info")
    return back()


@bp.post("/blocks/<int:block_id>/remove")
@login_required
def unblock(block_id: int) -> ResponseReturnValue:
    """Lift a block."""
    row = db.get_or_404(Block, block_id)
    followers.unblock(row)
    db.session.commit()
    flash(f"Unblocked the {row.kind} {row.value}.", "info")
    return back()
