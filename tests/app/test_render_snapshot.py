"""A page is made from one moment of the database: a change committed while a page renders
shows whole on the next answer, never half on this one; and a reader's comment becomes
visible with the rest of its transaction, not before.

A commit is made from another connection exactly between two of the render's statements
(after the post is read, before its comments are), as an import or another host would.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from comment_helpers import insert_post, post_comment
from sqlalchemy import create_engine, event, text

from microblog import mail as notify
from microblog.extensions import db
from microblog.models import Comment, CommentStatus

# A commit from another connection mid-render: each database's isolation.
pytestmark = pytest.mark.any_database(cleanup=True)


def change_elsewhere(url: str, post_id: int) -> None:
    """One transaction on another connection: a new title, an approved comment, the counter."""
    engine = create_engine(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(text("UPDATE posts SET title = 'New title' WHERE id = :id"), {"id": post_id})
        conn.execute(
            text(
                "INSERT INTO comments (post_id, author_name, body_source, body_html, status,"
                " created_at, status_changed_at, hold_reason)"
                " VALUES (:id, 'Ada', 'Fresh words', '<p>Fresh words</p>', 'approved', :now,"
                " :now, '')"
            ),
            {"id": post_id, "now": now},
        )
        conn.execute(text("UPDATE site_state SET generation = generation + 1 WHERE id = 1"))
    engine.dispose()


@pytest.fixture
def post(app):
    permalink = insert_post(app, title="Old title")
    with app.app_context():
        post_id = db.session.execute(text("SELECT id FROM posts")).scalar_one()
    return permalink, post_id


def test_a_change_committed_mid_render_shows_whole_on_the_next_answer(
    app, client, post, database_url
):
    permalink, post_id = post
    fired = []

    def commit_between_statements(conn, cursor, statement, *args):
        # Right after the render has read the post, before it reads the comments.
        if not fired and "FROM posts" in statement and "permalink" in statement:
            fired.append(statement)
            change_elsewhere(database_url, post_id)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", commit_between_statements)
    try:
        first = client.get(permalink).get_data(as_text=True)
    finally:
        event.remove(engine, "after_cursor_execute", commit_between_statements)
    assert fired, "the render never read the post"
    # The whole state before the change: the old title and no comment, not the old title
    # beside the new comment.
    assert "Old title" in first and "Fresh words" not in first
    second = client.get(permalink).get_data(as_text=True)
    assert "New title" in second and "Fresh words" in second and "Old title" not in second


def test_a_comment_is_not_visible_before_its_transaction_commits(
    app, client, post, database_url, monkeypatch
):
    permalink, _ = post
    other = create_engine(database_url)
    seen_mid_transaction = []
    original = notify.comment_received

    def look_from_elsewhere(comment, **kwargs):
        # Called inside the comment's transaction, after its row was written.
        with other.connect() as conn:
            seen_mid_transaction.append(
                conn.execute(text("SELECT count(*) FROM comments")).scalar_one()
            )
        return original(comment, **kwargs)

    monkeypatch.setattr(notify, "comment_received", look_from_elsewhere)
    try:
        assert post_comment(client, permalink, body="Held words.").status_code == 303
        with other.connect() as conn:
            after = conn.execute(text("SELECT count(*) FROM comments")).scalar_one()
    finally:
        other.dispose()
    assert seen_mid_transaction == [0], "the comment was committed before its transaction"
    assert after == 1
    with app.app_context():
        stored = db.session.execute(db.select(Comment)).scalar_one()
        assert stored.status == CommentStatus.PENDING
