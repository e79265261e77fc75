"""Moderation: every status change a comment can go through, in one table.

`apply(comment, action, by)` is the one way to change a comment's status: it checks the
table, records who and when, remembers the status a restorable action leaves, and bumps the
site's change counter when what a public page shows changes (a comment becomes approved or
stops being approved). The admin queue reads the same table for its buttons. The caller
commits (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update

from microblog import mail as notify
from microblog.extensions import db
from microblog.models import Author, Comment, CommentStatus
from microblog.posts.site_changes import (
    mark_comment_approved,
    mark_comments_changed,
    mark_site_changed,
)
from microblog.timeutil import now_utc

PENDING, APPROVED, SPAM, TRASH = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)


class TransitionError(ValueError):
    """An action that is not allowed from the comment's current status (or no such action)."""


class ConflictError(TransitionError):
    """The comment changed since it was read or shown (another action got there first)."""


@dataclass(frozen=True)
class Transition:
    """One action: the statuses it applies to and where it takes the comment."""

    sources: frozenset[CommentStatus]
    # None: `restore` (back to the status before) or `delete` (gone).
    target: CommentStatus | None
    # As a refusal says it: "Cannot <verb> a comment that is …".
    verb: str
    # Keep the status left, so that `restore` can put the comment back.
    remember_previous: bool = False


# The one table. Its order is the order of the queue's buttons.
TRANSITIONS: dict[str, Transition] = {
    "approve": Transition(frozenset({PENDING, SPAM}), APPROVED, "approve"),
    "unapprove": Transition(frozenset({APPROVED}), PENDING, "unapprove"),
    "restore": Transition(frozenset({TRASH, SPAM}), None, "restore"),
    "spam": Transition(frozenset({PENDING, APPROVED}), SPAM, "mark as spam", True),
    "trash": Transition(frozenset({PENDING, APPROVED, SPAM}), TRASH, "trash", True),
    # Only from the trash, so that one click never loses a comment.
    "delete": Transition(frozenset({TRASH}), None, "delete"),
}
ACTIONS = tuple(TRANSITIONS)


def actions_from(status: CommentStatus) -> list[str]:
    """The actions allowed on a comment in `status`, in the table's order."""
    return [name for name, move in TRANSITIONS.items() if status in move.sources]


def refusal(action: str, comment: Comment) -> str:
    """Why `action` cannot be applied to `comment` as it is."""
    if action == "delete":
        return f"Only a comment in the trash can be deleted; this one is {comment.status.value}."
    names = ", ".join(sorted(s.value for s in TRANSITIONS[action].sources))
    verb = TRANSITIONS[action].verb
    return f"Cannot {verb} a comment that is {comment.status.value} (only from: {names})."


def restored_status(comment: Comment) -> CommentStatus:
    """Where `restore` takes a comment: the status it had before, pending if none."""
    target = comment.previous_status or PENDING
    return PENDING if target in (comment.status, TRASH) else target


def apply(
    comment: Comment, action: str, by: Author | None, seen: CommentStatus | None = None
) -> Comment | None:
    """Do `action` on `comment` for `by`, in the caller's transaction.

    Returns the comment, or None once deleted. Raises TransitionError for an unknown action
    or one the comment's status does not allow, ConflictError when the comment is no longer
    in the status it had when read (or `seen`, the status the author's page showed): two
    actions sent at once cannot both happen. Nothing is changed then.

    The change is one conditional statement (`… WHERE id = ? AND status = <as read>`): a
    concurrent one that committed first leaves it no row to change (PostgreSQL re-checks
    the condition once the other's row lock is released; SQLite runs one writer at a time).
    """
    move = TRANSITIONS.get(action)
    if move is None:
        raise TransitionError(f"No such action: {action}.")
    was = comment.status
    if seen is not None and was != seen:
        raise ConflictError(changed_meanwhile(comment, was))
    if was not in move.sources:
        raise TransitionError(refusal(action, comment))
    unchanged = (Comment.id == comment.id, Comment.status == was)
    if action == "delete":
        gone = db.session.execute(delete(Comment).where(*unchanged))
        if gone.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(changed_meanwhile(comment, was))
        db.session.expunge(comment)
        return None
    target = move.target or restored_status(comment)
    values: dict[str, object] = {
        "status": target,
        "status_changed_at": now_utc(),
        "status_changed_by_id": by.id if by is not None else None,
    }
    if move.remember_previous:
        values["previous_status"] = was
    elif action == "restore":
        values["previous_status"] = None
    done = db.session.execute(
        update(Comment).where(*unchanged).values(**values),
        execution_options={"synchronize_session": False},
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(changed_meanwhile(comment, was))
    db.session.expire(comment)
    if (was == APPROVED) != (target == APPROVED):
        mark_site_changed(db.session)
        mark_comments_changed(db.session, comment.post.permalink)
    if target == APPROVED:
        # A reply just became public: its thread's readers are told (a job, same transaction).
        notify.comment_approved(comment)
        mark_comment_approved(db.session, comment.id)
    return comment


def changed_meanwhile(comment: Comment, was: CommentStatus) -> str:
    """The refusal when another action got to the comment first."""
    return (
        f"Comment #{comment.id} changed while you were looking (it was {was.value}); "
        "nothing was done. Look at it again and choose."
    )


@dataclass
class BatchResult:
    """What one action on several comments did."""

    done: int = 0
    # One message per comment the action did not apply to.
    skipped: list[str] = field(default_factory=list)


def apply_many(
    comments: Iterable[Comment],
    action: str,
    by: Author | None,
    seen: CommentStatus | None = None,
) -> BatchResult:
    """Do `action` on each comment; those it does not apply to (or that changed since the
    author's page showed them `seen`) are skipped, not fatal."""
    result = BatchResult()
    for comment in comments:
        try:
            apply(comment, action, by, seen)
        except TransitionError as error:
            result.skipped.append(f"#{comment.id}: {error}")
        else:
            result.done += 1
    return result


def counts() -> dict[CommentStatus, int]:
    """How many comments each status holds."""
    rows = db.session.execute(select(Comment.status, func.count()).group_by(Comment.status))
    found = dict.fromkeys(CommentStatus, 0)
    for status, count in rows:
        found[status] = count
    return found
