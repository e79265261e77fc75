"""Moderation under concurrency: two conflicting actions on one comment sent at once, over
real HTTP to gunicorn (two workers, threads), on SQLite and PostgreSQL. One wins, the other
answers 409, and the comment ends exactly as the winner left it; never a 500."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from comment_helpers import AUTHOR, CSRF_RE, create_author, insert_post
from servers import Browser, GunicornSettings, gunicorn_server
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Comment, CommentStatus

# Conflicting moderation at once: each database's locking.
pytestmark = pytest.mark.any_database(cleanup=True)

SETTINGS = GunicornSettings(workers=2, worker_class="gthread", threads=4)
TRIALS = 6
PENDING, APPROVED, SPAM, TRASH = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)
# (first action, second action, the status both were sent from); None: deleted.
RACES = [
    ("approve", "trash", PENDING),
    ("approve", "spam", PENDING),
    ("restore", "delete", TRASH),
    ("unapprove", "trash", APPROVED),
    ("approve", "restore", SPAM),
]
OUTCOME: dict[tuple[str, CommentStatus], CommentStatus | None] = {
    ("approve", PENDING): APPROVED,
    ("approve", SPAM): APPROVED,
    ("trash", PENDING): TRASH,
    ("trash", APPROVED): TRASH,
    ("spam", PENDING): SPAM,
    ("unapprove", APPROVED): PENDING,
    ("restore", TRASH): PENDING,  # previous status: pending
    ("restore", SPAM): PENDING,
    ("delete", TRASH): None,
}


def signed_in_browser(base_url: str) -> tuple[Browser, str]:
    browser = Browser()
    _, html, _ = browser.send(base_url + "/admin/login")
    token = CSRF_RE.search(html).group(1)  # type: ignore[union-attr]
    status, _, _ = browser.send(
        base_url + "/admin/login",
        {"username": AUTHOR[0], "password": AUTHOR[1], "csrf_token": token},
    )
    assert status == 303
    _, html, _ = browser.send(base_url + "/admin/comments")
    return browser, CSRF_RE.search(html).group(1)  # type: ignore[union-attr]


def new_comment(app, status: CommentStatus) -> int:
    """A comment in `status` (trash and spam remember pending as their previous status)."""
    with app.app_context():
        from microblog.models import Post

        post_id = db.session.execute(select(Post.id)).scalars().first()
        comment = Comment(
            post_id=post_id,
            author_name="Racer",
            body_source="Which of you wins?",
            body_html="<p>Which of you wins?</p>",
            status=status,
            previous_status=PENDING if status in (TRASH, SPAM) else None,
        )
        db.session.add(comment)
        db.session.commit()
        return comment.id


def race(base_url: str, author, path: str, start: CommentStatus, gate) -> int:
    """One author's POST, sent the moment the other's is ready too."""
    browser, token = author
    gate.wait()
    status, _, _ = browser.send(base_url + path, {"csrf_token": token, "status": start.value})
    return status


def status_of(app, comment_id: int) -> CommentStatus | None:
    with app.app_context():
        found = db.session.get(Comment, comment_id)
        return None if found is None else found.status


@pytest.fixture
def blog(app, database_url, tmp_path):
    insert_post(app)
    create_author(app)
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "RATELIMIT_ENABLED": "0",
        "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"],
    }
    with gunicorn_server("wsgi:app", env=env, settings=SETTINGS, log_dir=tmp_path) as server:
        yield server


def test_moderation_under_concurrency_one_wins_the_other_409(app, blog):
    authors = [signed_in_browser(blog.base_url) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for first, second, start in RACES:
            for trial in range(TRIALS):
                comment_id = new_comment(app, start)
                gate = threading.Barrier(2)
                actions = (first, second) if trial % 2 == 0 else (second, first)

                sends = [
                    (authors[index], f"/admin/comments/{comment_id}/{action}", start, gate)
                    for index, action in enumerate(actions)
                ]
                statuses = list(pool.map(lambda send: race(blog.base_url, *send), sends))
                assert statuses.count(303) == 1, (actions, start, statuses)
                winner = actions[statuses.index(303)]
                loser = statuses[1 - statuses.index(303)]
                # The loser is refused (409); after a delete the comment may simply be gone.
                assert loser == 409 or (winner == "delete" and loser == 404), (actions, statuses)
                assert status_of(app, comment_id) == OUTCOME[(winner, start)], (
                    actions,
                    winner,
                )
    assert "Traceback" not in blog.log()
