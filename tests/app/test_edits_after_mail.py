"""The class "every text a stranger can change after a moderation link was mailed voids that
link, and goes through the same rules as new text", on SQLite and PostgreSQL: a reader's
edit (and a Webmention source that changes) voids the Approve link the author was mailed;
an edit is checked like a new comment (Markdown budget: 422, not 500) and judged by the
same spam rules (blocklisted words file it as spam, extra links hold it with the reason)."""

from __future__ import annotations

import pytest
from comment_helpers import insert_post, post_comment
from sqlalchemy import select

from microblog.extensions import db
from microblog.mail import author as notify
from microblog.models import Comment, CommentStatus

# What the database stores and refuses matters here: PostgreSQL too.
pytestmark = pytest.mark.any_database(cleanup=True)


def only_comment(app) -> Comment:
    with app.app_context():
        [comment] = db.session.scalars(select(Comment)).all()
        db.session.expunge_all()
        return comment


def mailed_link(app, action: str = "approve") -> str:
    """The path of the link the author's mail carries for this comment now."""
    with app.app_context():
        comment = db.session.scalars(select(Comment)).one()
        url = notify.moderation_link(comment, action)
    return url[url.index("/moderate/") :]


@pytest.fixture
def blog(make_app):
    return make_app(COMMENTS_BLOCKLIST="pills, casino", COMMENTS_MAX_LINKS=2)


def write_then_edit(blog, first: str, second: str, path: str | None = None):
    path = path or insert_post(blog)
    writer = blog.test_client()
    assert post_comment(writer, path, body=first).status_code == 303
    link = mailed_link(blog)
    comment = only_comment(blog)
    answer = writer.post(
        f"{path}comments/{comment.id}/edit", data={"action": "save", "body": second}
    )
    return link, answer


@pytest.mark.parametrize(
    "edited",
    [
        "BUY CHEAP PILLS at [a](http://a.example) [b](http://b.example) [c](http://c.example)",
        "A kind word, slightly changed.",
        "A kind word.\n",  # only the line ending: still other text than the author read
    ],
)
@pytest.mark.parametrize("action", ["approve", "spam", "trash"])
def test_an_edit_voids_the_mailed_link(blog, edited, action):
    path = insert_post(blog)
    writer = blog.test_client()
    assert post_comment(writer, path, body="A kind word.").status_code == 303
    link = mailed_link(blog, action)
    comment = only_comment(blog)
    edit = writer.post(f"{path}comments/{comment.id}/edit", data={"action": "save", "body": edited})
    assert edit.status_code == 303
    author = blog.test_client()
    assert author.get(link).status_code == 404
    assert author.post(link).status_code == 404
    assert only_comment(blog).status != CommentStatus.APPROVED


def test_a_link_made_after_the_edit_works(blog):
    link, answer = write_then_edit(blog, "A kind word.", "A kinder word.")
    assert answer.status_code == 303
    fresh = mailed_link(blog)
    assert fresh != link
    assert blog.test_client().post(fresh).status_code == 200
    assert only_comment(blog).status == CommentStatus.APPROVED


def test_an_unchanged_comment_keeps_its_link(blog):
    path = insert_post(blog)
    assert post_comment(blog.test_client(), path, body="Same words.").status_code == 303
    assert blog.test_client().post(mailed_link(blog)).status_code == 200


def test_a_webmention_whose_source_changed_voids_the_link(blog):
    path = insert_post(blog)
    assert post_comment(blog.test_client(), path, body="Words.").status_code == 303
    link = mailed_link(blog)
    with blog.app_context():
        comment = db.session.scalars(select(Comment)).one()
        comment.body_html = "<p>Other words, from the changed source page.</p>"
        db.session.commit()
    assert blog.test_client().post(link).status_code == 404


@pytest.mark.parametrize(
    ("edited", "status", "reason"),
    [
        ("Cheap PILLS here.", CommentStatus.SPAM, "blocklisted word: pills"),
        ("Try the casino.", CommentStatus.SPAM, "blocklisted word: casino"),
        (
            "[a](http://a.example) [b](http://b.example) [c](http://c.example)",
            CommentStatus.PENDING,
            "3 links (more than 2)",
        ),
        ("Still kind.", CommentStatus.PENDING, None),
    ],
)
def test_an_edit_is_judged_by_the_spam_rules(blog, edited, status, reason):
    _link, answer = write_then_edit(blog, "A kind word.", edited)
    assert answer.status_code == 303
    stored = only_comment(blog)
    assert stored.status == status and stored.hold_reason == reason


@pytest.mark.parametrize(
    "edited",
    ["[" * 300, "> " * 40 + "deep", "- " * 40 + "deep", "x" * 20_000, " \u200b "],
)
def test_an_edit_gets_the_same_4xx_as_a_new_comment(blog, edited):
    path = insert_post(blog)
    new = post_comment(blog.test_client(), path, body=edited)
    assert new.status_code == 422
    _link, answer = write_then_edit(blog, "A kind word.", edited, path)
    assert answer.status_code == 422
    assert only_comment(blog).body_source == "A kind word."
