"""Comment rules without HTTP: the token, intake rules, transitions, the safe `next`."""

from __future__ import annotations

import time

import pytest
from comment_helpers import insert_post
from flask import current_app

from microblog.comments import status as comment_status
from microblog.comments.intake import Submission
from microblog.comments.rules import IntakeRules
from microblog.comments.status import TransitionError
from microblog.comments.tokens import issue_form_token, read_form_token
from microblog.extensions import db
from microblog.models import Author, Comment, CommentStatus, Post
from microblog.web.admin import safe_next


def test_token_round_trip_and_refusals():
    token = issue_form_token("k", 7, now=1_700_000_000.25)
    found = read_form_token("k", token, 7, max_age=60, now=1_700_000_059.0)
    assert found is not None and found.post_id == 7 and found.issued_at == 1_700_000_000.25
    assert read_form_token("k", issue_form_token("k", 7), 7, max_age=60) is not None
    assert read_form_token("other", token, 7, max_age=60) is None
    assert read_form_token("k", token, 8, max_age=60) is None
    assert read_form_token("k", token + "x", 7, max_age=60) is None
    old = issue_form_token("k", 7, now=time.time() - 120)
    assert read_form_token("k", old, 7, max_age=60) is None
    future = issue_form_token("k", 7, now=time.time() + 3600)
    assert read_form_token("k", future, 7, max_age=60) is None


def test_tokens_carry_different_nonces():
    assert issue_form_token("k", 1) != issue_form_token("k", 1)


def test_rules_from_config():
    rules = IntakeRules.from_config(
        {
            "COMMENTS_MIN_SECONDS": 0,
            "COMMENTS_MAX_LINKS": 5,
            "COMMENTS_BLOCKLIST": " Viagra ,casino\n\nloan ",
            "COMMENTS_TRUST_RETURNING": False,
            "COMMENTS_CLOSE_AFTER_DAYS": 14,
            "SANITIZER": "nh3",
        }
    )
    assert rules.blocklist == ("viagra", "casino", "loan")
    assert rules.min_seconds == 0 and rules.max_links == 5 and rules.close_after_days == 14
    assert not rules.trust_returning and rules.sanitizer == "nh3"


def test_submission_normalises_whitespace_and_line_breaks():
    submission = Submission(name="  Ada \n Lovelace ", body="a\r\nb\rc\x00", url=" https://x ")
    assert submission.name == "Ada Lovelace"
    assert submission.body == "a\nb\nc"
    assert submission.url == "https://x"


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/admin/comments", True),
        ("/admin/comments?status=spam&page=2", True),
        ("", False),
        (None, False),
        ("admin", False),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("https://evil.example/admin", False),
        ("/ok\r\nSet-Cookie: x", False),
    ],
)
def test_safe_next(target, safe):
    assert safe_next(target) == (target if safe else None)


@pytest.fixture
def ctx(app):
    """An app context with one post and one author."""
    insert_post(app)
    with app.app_context():
        author = Author(username="a", password_hash="x")
        db.session.add(author)
        db.session.commit()
        yield db.session.get(Post, 1), author


def new_comment(post: Post, status: CommentStatus = CommentStatus.PENDING) -> Comment:
    comment = Comment(
        post_id=post.id,
        author_name="R",
        body_source="hi",
        body_html="<p>hi</p>",
        status=status,
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def current_generation() -> int:
    """The site's change counter as the cache reads it."""
    return current_app.extensions["generation_reader"].read()


def test_changes_record_who_and_when_and_bump_the_site_only_when_pages_change(ctx):
    post, author = ctx
    comment = new_comment(post)
    start = current_generation()
    comment_status.apply(comment, "trash", author)
    db.session.commit()
    assert current_generation() == start  # pending → trash: no public page changed
    assert comment.status_changed_by_id == author.id and comment.status_changed_at
    assert comment.previous_status == CommentStatus.PENDING
    comment_status.apply(comment, "restore", author)
    comment_status.apply(comment, "approve", author)
    db.session.commit()
    assert current_generation() == start + 1
    comment_status.apply(comment, "spam", author)
    db.session.commit()
    assert current_generation() == start + 2


@pytest.mark.parametrize(
    ("start", "allowed"),
    [
        (CommentStatus.PENDING, {"approve", "spam", "trash"}),
        (CommentStatus.APPROVED, {"unapprove", "spam", "trash"}),
        (CommentStatus.SPAM, {"approve", "trash", "restore"}),
        (CommentStatus.TRASH, {"restore", "delete"}),
    ],
)
def test_transition_table(ctx, start, allowed):
    post, author = ctx
    for action in comment_status.ACTIONS:
        comment = new_comment(post, start)
        if action in allowed:
            comment_status.apply(comment, action, author)
        else:
            with pytest.raises(TransitionError):
                comment_status.apply(comment, action, author)
        db.session.rollback()


def test_apply_many_skips_what_does_not_apply(ctx):
    post, author = ctx
    comments = [new_comment(post), new_comment(post, CommentStatus.TRASH), new_comment(post)]
    result = comment_status.apply_many(comments, "approve", author)
    done, skipped = result.done, result.skipped
    assert done == 2 and len(skipped) == 1 and f"#{comments[1].id}" in skipped[0]


def test_status_counts(ctx):
    post, _ = ctx
    new_comment(post)
    new_comment(post)
    new_comment(post, CommentStatus.SPAM)
    counts = comment_status.counts()
    assert counts[CommentStatus.PENDING] == 2 and counts[CommentStatus.SPAM] == 1
    assert counts[CommentStatus.TRASH] == 0


def test_submission_drops_characters_xml_cannot_carry():
    submission = Submission(name="A\x00d\x1ba", body="x\x00y\x0c\tz\ufffe", email="a\x00@b.c")
    assert submission.name == "Ada"
    assert submission.body == "xy\tz"
    assert submission.email == "a@b.c"
