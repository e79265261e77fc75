"""The author's side over HTTP: sign-in, throttling, `next`, the queue, actions, bulk, CLI."""

from __future__ import annotations

import re

import pytest
from comment_helpers import (
    AUTHOR,
    comments_in_db,
    create_author,
    csrf_from,
    insert_post,
    log_in,
    post_comment,
    set_status,
)
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Author, CommentStatus


@pytest.fixture
def post_path(app) -> str:
    """A published post that takes comments."""
    return insert_post(app)


@pytest.fixture
def author(app):
    """A test client signed in as the author."""
    create_author(app)
    client = app.test_client()
    assert log_in(client).status_code == 303
    return client


def add_comments(app, post_path: str, count: int, **fields) -> list[int]:
    """Send `count` comments through the form; returns their ids."""
    for number in range(count):
        post_comment(app.test_client(), post_path, body=f"comment {number}", **fields)
    return [c.id for c in comments_in_db(app)]


def act(client, comment_id: int, action: str, **data):
    """POST one moderation action with the session's CSRF token."""
    token = csrf_from(client, "/admin/comments")
    return client.post(f"/admin/comments/{comment_id}/{action}", data={"csrf_token": token, **data})


# ---------------------------------------------------------------------------- sign-in


def test_login_form_fields_and_labels(client):
    html = client.get("/admin/login").get_data(as_text=True)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in html
    assert '<label for="login-username">' in html and '<label for="login-password">' in html


def test_wrong_password_reshows_the_form(app, client):
    create_author(app)
    response = log_in(client, password="wrong")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "do not match" in html and 'value="author"' in html
    assert client.get("/admin/comments").status_code == 302  # still signed out


@pytest.mark.any_database
@pytest.mark.parametrize("username", ["auth\x00or", "x" * 500, "\x00"])
def test_impossible_usernames_are_a_wrong_password_not_a_500(app, client, username):
    # PostgreSQL cannot compare text with a NUL byte: it must never reach the query.
    create_author(app)
    response = log_in(client, username=username, password="p\x00ss")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)


def test_unknown_user_is_refused_the_same_way(app, client):
    create_author(app)
    response = log_in(client, username="nobody")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)


def test_sign_in_then_out(app, client):
    create_author(app)
    response = log_in(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/comments")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    queue = client.get("/admin/comments")
    assert queue.status_code == 200
    assert queue.headers["Cache-Control"] == "private, no-store"
    assert client.get("/admin/logout").status_code in (404, 405)  # only by POST
    assert client.get("/admin/comments").status_code == 200
    token = csrf_from(client, "/admin/comments")
    out = client.post("/admin/logout", data={"csrf_token": token})
    assert out.status_code == 303
    assert client.get("/admin/comments").status_code == 302


def test_session_cookie_is_secure_when_configured(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    create_author(app)
    client = app.test_client()
    response = log_in(client)
    assert "Secure" in response.headers["Set-Cookie"]


def test_login_without_csrf_token_is_refused(app, client):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    create_author(app)
    client.get("/admin/login")
    response = client.post("/admin/login", data={"username": AUTHOR[0], "password": AUTHOR[1]})
    assert response.status_code == 400
    assert client.get("/admin/comments").status_code == 302


def test_login_with_a_bad_csrf_token_is_refused(app, client):
    create_author(app)
    client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": AUTHOR[0], "password": AUTHOR[1], "csrf_token": "forged"},
    )
    assert response.status_code == 400


def test_queue_needs_sign_in_and_comes_back_after(app, client):
    create_author(app)
    response = client.get("/admin/comments?status=spam")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]
    signed_in = log_in(client, next="/admin/comments?status=spam")
    assert signed_in.headers["Location"] == "/admin/comments?status=spam"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\\/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_off_site_next_is_ignored(app, client, target):
    create_author(app)
    response = log_in(client, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/comments"


def test_login_failures_are_throttled(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per day")
    create_author(app)
    client = app.test_client()
    for _ in range(3):
        assert log_in(client, password="wrong").status_code == 401
    throttled = log_in(client, password="wrong")
    assert throttled.status_code == 429
    assert "Traceback" not in throttled.get_data(as_text=True)
    # Even the right password waits now: that is the point.
    assert log_in(client).status_code == 429


def test_successful_logins_do_not_count_towards_the_throttle(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per day")
    create_author(app)
    for _ in range(5):
        assert log_in(app.test_client()).status_code == 303


# ---------------------------------------------------------------------------- the queue


def test_queue_shows_everything_the_author_needs(app, author, post_path):
    post_comment(
        app.test_client(),
        post_path,
        name="Ada",
        email="ada@example.com",
        url="https://ada.example",
        body="Visit https://a.example https://b.example https://c.example",
    )
    html = author.get("/admin/comments?status=pending").get_data(as_text=True)
    assert 'href="/posts/2025/01/hello-comments/">Hello, comments</a>' in html
    assert "ada@example.com" in html and "https://ada.example" in html
    assert "3 links (more than 2)" in html
    assert '<a href="https://a.example" rel="nofollow ugc noopener">' in html
    assert re.search(r"Pending <span class=\"count\">\(1\)</span>", html)
    assert re.search(r"Approved <span class=\"count\">\(0\)</span>", html)
    assert "1 pending" in html


def test_pending_count_is_on_every_admin_page(app, author, post_path):
    add_comments(app, post_path, 2)
    for path in ["/admin/comments?status=approved", "/admin/comments?status=trash"]:
        assert "2 pending" in author.get(path).get_data(as_text=True)


def test_queue_is_paginated(app, author, post_path):
    add_comments(app, post_path, 53)
    first = author.get("/admin/comments?status=pending").get_data(as_text=True)
    assert "Page 1 of 2" in first and "comment 52" in first and "comment 0<" not in first
    # Dense: fifty one-line entries on the first screen, each with its excerpt and buttons;
    # the full text and the sender's details one click away.
    assert first.count('class="queue-line"') == 50
    assert first.count('class="queue-excerpt"') == 50
    assert first.count("<details") == 50
    second = author.get("/admin/comments?status=pending&page=2").get_data(as_text=True)
    assert "comment 0" in second
    assert author.get("/admin/comments?status=pending&page=3").status_code == 404


@pytest.mark.parametrize("query", ["status=bogus", "page=abc", "page=0", "status=pending&page=-1"])
def test_bad_queue_arguments_are_404(author, query):
    assert author.get(f"/admin/comments?{query}").status_code == 404


def test_the_queue_html_has_no_nested_forms_and_unique_ids(app, author, post_path):
    add_comments(app, post_path, 3)
    html = author.get("/admin/comments?status=pending").get_data(as_text=True)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    depth = 0
    for tag in re.findall(r"</?form\b", html):
        depth += 1 if tag == "<form" else -1
        assert depth <= 1
    for input_id in re.findall(r'<input type="checkbox"[^>]*id="([^"]+)"', html):
        assert f'<label for="{input_id}"' in html


# ---------------------------------------------------------------------------- actions


def test_each_action_and_restore(app, author, post_path):
    [cid] = add_comments(app, post_path, 1)
    response = act(author, cid, "approve", status="pending")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/comments?status=pending"
    [comment] = comments_in_db(app)
    assert comment.status == CommentStatus.APPROVED
    assert comment.status_changed_at is not None
    with app.app_context():
        author_id = db.session.execute(select(Author.id)).scalar_one()
    assert comment.status_changed_by_id == author_id
    assert "comment 0" in app.test_client().get(post_path).get_data(as_text=True)

    assert act(author, cid, "spam").status_code == 303
    assert comments_in_db(app)[0].status == CommentStatus.SPAM
    assert "comment 0" not in app.test_client().get(post_path).get_data(as_text=True)
    assert act(author, cid, "restore").status_code == 303
    assert comments_in_db(app)[0].status == CommentStatus.APPROVED  # where it was before

    assert act(author, cid, "unapprove").status_code == 303
    assert comments_in_db(app)[0].status == CommentStatus.PENDING
    assert act(author, cid, "trash").status_code == 303
    assert comments_in_db(app)[0].status == CommentStatus.TRASH
    assert act(author, cid, "restore").status_code == 303
    assert comments_in_db(app)[0].status == CommentStatus.PENDING

    assert act(author, cid, "trash").status_code == 303
    assert act(author, cid, "delete", status="trash").status_code == 303
    assert comments_in_db(app) == []


def test_spam_then_trash_then_restore_goes_back_to_spam(app, author, post_path):
    [cid] = add_comments(app, post_path, 1)
    act(author, cid, "spam")
    act(author, cid, "trash")
    act(author, cid, "restore")
    assert comments_in_db(app)[0].status == CommentStatus.SPAM
    act(author, cid, "restore")
    assert comments_in_db(app)[0].status == CommentStatus.PENDING


def test_restore_with_no_earlier_status_is_pending(app, author, post_path):
    [cid] = add_comments(app, post_path, 1)
    set_status(app, cid, CommentStatus.TRASH)
    assert act(author, cid, "restore").status_code == 303
    assert comments_in_db(app)[0].status == CommentStatus.PENDING


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (CommentStatus.PENDING, "delete"),
        (CommentStatus.APPROVED, "delete"),
        (CommentStatus.SPAM, "delete"),
        (CommentStatus.PENDING, "restore"),
        (CommentStatus.PENDING, "unapprove"),
        (CommentStatus.APPROVED, "approve"),
        (CommentStatus.TRASH, "approve"),
        (CommentStatus.TRASH, "trash"),
        (CommentStatus.SPAM, "spam"),
    ],
)
def test_disallowed_transition_is_409_with_a_message(app, author, post_path, status, action):
    [cid] = add_comments(app, post_path, 1)
    set_status(app, cid, status)
    response = act(author, cid, action)
    assert response.status_code == 409
    assert "Cannot" in response.get_data(as_text=True) or "Only" in response.get_data(as_text=True)
    assert comments_in_db(app)[0].status == status


def test_unknown_comment_or_action_is_404(app, author, post_path):
    [cid] = add_comments(app, post_path, 1)
    assert act(author, 9999, "approve").status_code == 404
    assert act(author, cid, "publish").status_code == 404


def test_action_without_csrf_token_is_refused(app, author, post_path):
    [cid] = add_comments(app, post_path, 1)
    assert author.post(f"/admin/comments/{cid}/approve").status_code == 400
    assert comments_in_db(app)[0].status == CommentStatus.PENDING


def test_action_needs_sign_in(app, client, post_path):
    [cid] = add_comments(app, post_path, 1)
    create_author(app)
    token = csrf_from(client, "/admin/login")
    response = client.post(f"/admin/comments/{cid}/approve", data={"csrf_token": token})
    assert response.status_code == 302
    assert comments_in_db(app)[0].status == CommentStatus.PENDING


def test_bulk_action(app, author, post_path):
    ids = add_comments(app, post_path, 4)
    set_status(app, ids[3], CommentStatus.TRASH)
    token = csrf_from(author, "/admin/comments")
    response = author.post(
        "/admin/comments/bulk",
        data={"csrf_token": token, "action": "approve", "ids": [str(i) for i in ids]},
    )
    assert response.status_code == 303
    statuses = [c.status for c in comments_in_db(app)]
    assert statuses == [CommentStatus.APPROVED] * 3 + [CommentStatus.TRASH]
    followed = author.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 of 4" in followed and f"#{ids[3]}" in followed
    for comment_id in ids[:3]:
        assert f"comment {comment_id - 1}" in app.test_client().get(post_path).get_data(
            as_text=True
        )


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"action": "approve"}, 400),
        ({"action": "approve", "ids": ["x"]}, 404),  # not an id: no such comment
        ({"action": "explode", "ids": ["1"]}, 400),
        ({"action": "approve", "ids": ["1", "999"]}, 404),
    ],
)
def test_bad_bulk_requests(app, author, post_path, data, status):
    add_comments(app, post_path, 1)
    token = csrf_from(author, "/admin/comments")
    assert author.post("/admin/comments/bulk", data={"csrf_token": token, **data}).status_code == (
        status
    )
    assert comments_in_db(app)[0].status == CommentStatus.PENDING


# ---------------------------------------------------------------------------- the CLI


def test_author_create_asks_twice(app, runner):
    result = runner.invoke(args=["author", "create", "writer"], input="s3cret\ns3cret\n")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    with app.app_context():
        author = db.session.execute(select(Author)).scalar_one()
        assert author.username == "writer"
        assert author.password_hash != "s3cret" and author.check_password("s3cret")


def test_author_create_mismatch_asks_again(app, runner):
    result = runner.invoke(args=["author", "create", "writer"], input="one\ntwo\nthree\nthree\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(Author)).scalar_one().check_password("three")


def test_author_create_from_stdin_then_sign_in(app, runner):
    result = runner.invoke(
        args=["author", "create", "writer", "--password-stdin"], input="from stdin\n"
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert log_in(client, "writer", "from stdin").status_code == 303


def test_author_create_refuses_a_duplicate_and_an_empty_password(app, runner):
    create_author(app, "writer")
    duplicate = runner.invoke(args=["author", "create", "writer", "--password-stdin"], input="x\n")
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    empty = runner.invoke(args=["author", "create", "other", "--password-stdin"], input="\n")
    assert empty.exit_code != 0
