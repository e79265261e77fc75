"""A reader's comment over HTTP: the form, every refusal, spam signals, the pending view,
the author's approval, the comment feed, rate limits and the request size cap."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from comment_helpers import (
    comment_count,
    comments_in_db,
    create_author,
    csrf_from,
    form_token,
    insert_post,
    log_in,
    post_comment,
    set_status,
)

from microblog.comments import intake, tokens
from microblog.comments.tokens import issue_form_token
from microblog.models import CommentStatus
from microblog.web import post_page
from microblog.web.post_page import PENDING_COOKIE

PENDING_NOTE = "your comment awaits moderation"


@pytest.fixture
def post_path(app) -> str:
    """A published post that takes comments."""
    return insert_post(app)


def comments_section(html: str) -> str:
    """The comments block of a post page."""
    return html[html.index('<section id="comments"') :]


def approve_as_author(app, client, comment_id: int):
    """Sign in (once) and approve one comment through the queue's form."""
    token = csrf_from(client, "/admin/comments?status=pending")
    return client.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": token})


# ---------------------------------------------------------------------------- the whole path


def test_from_the_readers_form_to_the_authors_approval_to_the_page(app, post_path):
    reader = app.test_client()
    other = app.test_client()
    page = reader.get(post_path).get_data(as_text=True)
    assert "0 comments" in page and 'id="comment-form"' in page
    token = re.search(r'name="comment_token" value="([^"]+)"', page).group(1)

    sent = reader.post(
        post_path + "comments",
        data={
            "name": "Ada",
            "email": "ada@example.com",
            "url": "https://ada.example",
            "body": "Nice *post*, see https://example.org.",
            "comment_token": token,
        },
    )
    assert sent.status_code == 303
    assert sent.headers["Location"].startswith(post_path)
    assert sent.headers["Cache-Control"] == "private, no-store"
    [stored] = comments_in_db(app)
    assert stored.status == CommentStatus.PENDING
    assert stored.body_html == (
        '<p>Nice <em>post</em>, see <a href="https://example.org" '
        'rel="nofollow ugc noopener">https://example.org</a>.</p>'
    )

    # The reader who sent it sees it, marked pending, on a private page; no one else does.
    mine = reader.get(post_path)
    assert mine.headers["Cache-Control"] == "private, no-store"
    html = mine.get_data(as_text=True)
    assert PENDING_NOTE in html
    assert "Awaiting moderation" in html and "Nice <em>post</em>" in html
    theirs = other.get(post_path)
    assert "Nice <em>post</em>" not in theirs.get_data(as_text=True)
    assert "private" not in theirs.headers.get("Cache-Control", "")
    # …and a second look from the other reader (now from the page cache) still hides it.
    assert "Nice <em>post</em>" not in other.get(post_path).get_data(as_text=True)

    create_author(app)
    author = app.test_client()
    assert log_in(author).status_code == 303
    queue = author.get("/admin/comments?status=pending").get_data(as_text=True)
    assert "Nice <em>post</em>" in queue and "ada@example.com" in queue
    approved = approve_as_author(app, author, stored.id)
    assert approved.status_code == 303
    assert approved.headers["Location"].endswith("/admin/comments?status=pending")

    public = other.get(post_path).get_data(as_text=True)
    section = comments_section(public)
    assert "1 comment" in section and "Nice <em>post</em>" in section
    assert 'href="https://ada.example" rel="nofollow ugc noopener">Ada</a>' in section
    assert "ada@example.com" not in public  # never shown
    # The writer's cookie names no pending comment now: they get the shared page again.
    again = reader.get(post_path)
    assert "private" not in again.headers.get("Cache-Control", "")
    assert PENDING_NOTE not in again.get_data(as_text=True)


def test_example_post_takes_comments(make_app, request):
    """The imported example post, when the importer is there (else a post made directly)."""
    app = make_app()
    from microblog.cli.posts import posts_cli

    if "import" in posts_cli.commands:
        path = request.getfixturevalue("example_post")
        app = request.getfixturevalue("app")
    else:
        path = insert_post(app)
    client = app.test_client()
    assert post_comment(client, path).status_code == 303
    assert comment_count(app) == 1


def test_comments_listed_oldest_first_with_count(app, client, post_path):
    for name in ["First", "Second", "Third"]:
        post_comment(app.test_client(), post_path, name=name, body=f"by {name}")
    for comment in comments_in_db(app):
        set_status(app, comment.id, CommentStatus.APPROVED)
    with app.app_context():
        from microblog.extensions import db
        from microblog.models import SiteState

        SiteState.bump()
        db.session.commit()
    html = comments_section(client.get(post_path).get_data(as_text=True))
    assert "3 comments" in html
    assert html.index("by First") < html.index("by Second") < html.index("by Third")


def test_resending_the_same_post_stores_it_once(app, client, post_path):
    token = form_token(client, post_path)
    first = post_comment(client, post_path, token=token, body="Only once")
    second = post_comment(client, post_path, token=token, body="Only once")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert comment_count(app) == 1
    # The same (cached) form used for a different comment is a different comment.
    assert post_comment(client, post_path, token=token, body="Another").status_code == 303
    assert comment_count(app) == 2


def test_a_permalink_without_trailing_slash_takes_comments_too(app, client):
    # Jekyll permalinks such as /2016/hello.html: the form posts to /2016/hello.htmlcomments.
    path = insert_post(app, slug="hello-html", permalink="/2016/hello.html")
    assert f'action="{path}comments"' in client.get(path).get_data(as_text=True)
    response = post_comment(client, path, body="On an .html permalink")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(path + "#comment-")
    assert [c.body_source for c in comments_in_db(app)] == ["On an .html permalink"]
    assert client.get(path + "comments/feed.xml").status_code == 200


def test_get_on_the_comments_url_points_at_the_post(client, post_path):
    response = client.get(post_path + "comments")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(post_path + "#comments")


def test_unknown_post_is_404(client, post_path):
    token = form_token(client, post_path)
    response = client.post(
        "/posts/2025/01/nope/comments", data={"name": "A", "body": "b", "comment_token": token}
    )
    assert response.status_code == 404


# ---------------------------------------------------------------------------- refusals

LONG = "x" * 5001

REFUSALS = [
    ("missing-name", {"name": ""}, "name", "Please give a name"),
    ("blank-name", {"name": "   "}, "name", "Please give a name"),
    ("long-name", {"name": "n" * 101}, "name", "at most 100 characters"),
    ("missing-body", {"body": ""}, "body", "Please write a comment"),
    ("blank-body", {"body": " \n\t "}, "body", "Please write a comment"),
    ("long-body", {"body": LONG}, "body", "at most 5000"),
    ("bad-email", {"email": "not-an-email"}, "email", "email address"),
    ("bad-url-scheme", {"url": "javascript:alert(1)"}, "url", "http:// or https://"),
    ("bad-url-ftp", {"url": "ftp://files.example"}, "url", "http:// or https://"),
    ("bad-url-text", {"url": "my site"}, "url", "http:// or https://"),
    ("bad-url-no-host", {"url": "https://"}, "url", "http:// or https://"),
    ("bad-parent", {"parent_id": "999"}, "parent_id", "cannot be answered"),
]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_refused_input_reshows_the_form_and_stores_nothing(
    app, client, post_path, fields, field, message
):
    typed = {"name": "Grace <Hopper>", "email": "g@example.com", "body": "My text & more"}
    response = post_comment(client, post_path, **{**typed, **fields})
    assert response.status_code == 422
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    assert message in html
    # The message is tied to its field, and the reader's text is kept (escaped).
    assert f'id="comment-{field}-error"' in html
    assert re.search(rf'id="comment-{field}"[^>]*aria-invalid="true"', html)
    assert re.search(rf'aria-describedby="[^"]*comment-{field}-error', html)
    for name, value in typed.items():
        if name not in fields:
            escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in html, name
    assert comment_count(app) == 0


def test_body_limit_counts_a_line_break_once(app, client, post_path):
    body = "a\r\n" * 1666 + "ab"  # 5000 characters once CRLF is one line break
    assert post_comment(client, post_path, body=body).status_code == 303


def test_limits_are_shown_next_to_the_fields(client, post_path):
    html = client.get(post_path).get_data(as_text=True)
    for field, hint in [("name", "up to 100 characters"), ("body", "up to 5000 characters")]:
        assert re.search(rf'id="comment-{field}-hint">[^<]*{hint}', html)
        assert f'aria-describedby="comment-{field}-hint"' in html
    for field in ["name", "email", "url", "body"]:
        assert f'<label for="comment-{field}">' in html


def test_comments_switched_off_for_a_post(app, client):
    path = insert_post(app, comments_enabled=False)
    html = client.get(path).get_data(as_text=True)
    assert "Comments are closed" in html and 'id="comment-form"' not in html
    token = issue_form_token("test-secret", 1)
    response = post_comment(client, path, token=token, body="Too late")
    assert response.status_code == 422
    assert "Comments are closed" in response.get_data(as_text=True)
    assert "Too late" in response.get_data(as_text=True)
    assert comment_count(app) == 0


def test_comments_close_after_some_days(make_app):
    app = make_app(COMMENTS_CLOSE_AFTER_DAYS=30)
    old = insert_post(app, slug="old", published_at=datetime.now(UTC) - timedelta(days=31))
    new = insert_post(app, slug="new", published_at=datetime.now(UTC) - timedelta(days=2))
    client = app.test_client()
    assert 'id="comment-form"' not in client.get(old).get_data(as_text=True)
    assert post_comment(client, old, token=issue_form_token("test-secret", 1)).status_code == 422
    assert post_comment(client, new).status_code == 303
    assert comment_count(app) == 1


# ---------------------------------------------------------------------------- anti-forgery


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "eyJwIjoxLCJ0IjoxLCJuIjoieCJ9.forged",
        issue_form_token("another-secret", 1),
        issue_form_token("test-secret", 2),  # another post's form
        issue_form_token("test-secret", 1, now=time.time() - 2 * 86400),  # expired
    ],
    ids=["missing", "garbage", "bad-signature", "other-key", "other-post", "expired"],
)
def test_post_without_a_valid_token_is_refused(app, client, post_path, token):
    response = post_comment(client, post_path, token=token, body="Forged?")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "could not be verified" in html and "Forged?" in html
    assert comment_count(app) == 0


def test_post_with_no_token_field_at_all_is_refused(app, client, post_path):
    response = client.post(post_path + "comments", data={"name": "A", "body": "b"})
    assert response.status_code == 400
    assert comment_count(app) == 0


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://blog.example.evil.example"]
)
def test_cross_site_origin_is_refused(app, client, post_path, origin):
    token = form_token(client, post_path)
    response = client.post(
        post_path + "comments",
        data={"name": "A", "body": "b", "comment_token": token},
        headers={"Origin": origin},
    )
    assert response.status_code == 403
    assert comment_count(app) == 0


@pytest.mark.parametrize("origin", ["http://blog.example", "http://localhost"])
def test_same_site_origin_is_accepted(client, post_path, origin):
    token = form_token(client, post_path)
    response = client.post(
        post_path + "comments",
        data={"name": "A", "body": "b", "comment_token": token},
        headers={"Origin": origin},
    )
    assert response.status_code == 303


def test_comment_post_needs_no_session_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    path = insert_post(app)
    assert post_comment(app.test_client(), path).status_code == 303


# ---------------------------------------------------------------------------- spam signals


def test_honeypot_is_spam_but_answers_like_any_comment(app, client, post_path):
    response = post_comment(client, post_path, homepage="http://spam.example")
    assert response.status_code == 303
    [stored] = comments_in_db(app)
    assert stored.status == CommentStatus.SPAM
    assert stored.hold_reason == "honeypot field filled"
    # The sender is told the same as anyone: it awaits moderation.
    assert PENDING_NOTE in client.get(post_path).get_data(as_text=True)


def test_too_fast_is_spam(make_app):
    app = make_app(COMMENTS_MIN_SECONDS=5)
    path = insert_post(app)
    client = app.test_client()
    assert post_comment(client, path).status_code == 303
    [stored] = comments_in_db(app)
    assert stored.status == CommentStatus.SPAM
    assert "after the form was served" in stored.hold_reason


def test_patient_reader_is_not_spam(make_app):
    app = make_app(COMMENTS_MIN_SECONDS=5)
    path = insert_post(app)
    token = issue_form_token("test-secret", 1, now=time.time() - 10)
    assert post_comment(app.test_client(), path, token=token).status_code == 303
    [stored] = comments_in_db(app)
    assert stored.status == CommentStatus.PENDING and stored.hold_reason is None


def test_too_many_links_is_held_with_a_reason(app, client, post_path):
    body = "https://a.example https://b.example [c](https://c.example)"
    assert post_comment(client, post_path, body=body).status_code == 303
    [stored] = comments_in_db(app)
    assert stored.status == CommentStatus.PENDING
    assert stored.hold_reason == "3 links (more than 2)"


@pytest.mark.parametrize("blocklist", ["casino, pills", "pills\ncasino"])
def test_blocklisted_word_is_spam(make_app, blocklist):
    app = make_app(COMMENTS_BLOCKLIST=blocklist)
    path = insert_post(app)
    assert post_comment(app.test_client(), path, body="Cheap CASINO here").status_code == 303
    [stored] = comments_in_db(app)
    assert stored.status == CommentStatus.SPAM
    assert stored.hold_reason == "blocklisted word: casino"


def test_returning_reader_is_approved_at_once(app, client, post_path):
    post_comment(client, post_path, email="Ada@Example.com", body="first")
    set_status(app, comments_in_db(app)[0].id, CommentStatus.APPROVED)
    newcomer = app.test_client()
    response = post_comment(newcomer, post_path, email="ada@example.com", body="second")
    assert response.status_code == 303
    # The same answer as for a held comment (see test_hardening: trust by email alone).
    assert PENDING_COOKIE in response.headers.get("Set-Cookie", "")
    assert comments_in_db(app)[1].status == CommentStatus.APPROVED
    assert "second" in newcomer.get(post_path).get_data(as_text=True)


def test_returning_reader_trust_can_be_turned_off(make_app):
    app = make_app(COMMENTS_TRUST_RETURNING=False)
    path = insert_post(app)
    client = app.test_client()
    post_comment(client, path, email="ada@example.com", body="first")
    set_status(app, comments_in_db(app)[0].id, CommentStatus.APPROVED)
    post_comment(client, path, email="ada@example.com", body="second")
    assert comments_in_db(app)[1].status == CommentStatus.PENDING


# ---------------------------------------------------------------------------- replies


def test_a_reply_answers_an_approved_comment_one_level_deep(app, client, post_path):
    post_comment(client, post_path, name="Root", body="root")
    root = comments_in_db(app)[0]
    # A pending comment cannot be answered.
    assert post_comment(client, post_path, parent_id=str(root.id)).status_code == 422
    set_status(app, root.id, CommentStatus.APPROVED)
    assert post_comment(client, post_path, body="reply", parent_id=str(root.id)).status_code == 303
    reply = comments_in_db(app)[1]
    assert reply.parent_id == root.id
    set_status(app, reply.id, CommentStatus.APPROVED)
    # Answering the reply joins the same thread.
    post_comment(client, post_path, body="reply to reply", parent_id=str(reply.id))
    assert comments_in_db(app)[2].parent_id == root.id


def test_a_reply_to_another_posts_comment_is_refused(app, client, post_path):
    other = insert_post(app, slug="other")
    post_comment(client, other, body="elsewhere")
    set_status(app, comments_in_db(app)[0].id, CommentStatus.APPROVED)
    response = post_comment(client, post_path, parent_id=str(comments_in_db(app)[0].id))
    assert response.status_code == 422
    assert comment_count(app) == 1


def test_replies_are_shown_under_their_comment(app, post_path):
    client = app.test_client()
    post_comment(client, post_path, name="Root", body="root text")
    root = comments_in_db(app)[0]
    set_status(app, root.id, CommentStatus.APPROVED)
    post_comment(client, post_path, body="reply text", parent_id=str(root.id))
    reply = comments_in_db(app)[1]
    set_status(app, reply.id, CommentStatus.APPROVED)
    with app.app_context():
        from microblog.extensions import db
        from microblog.models import SiteState

        SiteState.bump()
        db.session.commit()
    html = app.test_client().get(post_path).get_data(as_text=True)
    replies = html[html.index('<ol class="comment-replies">') :]
    assert "reply text" in replies and "root text" not in replies
    assert f'<option value="{root.id}">' in html


# ---------------------------------------------------------------------------- caps and limits


def test_oversized_request_is_a_friendly_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2048)
    path = insert_post(app)
    client = app.test_client()
    response = post_comment(client, path, body="x" * 4096)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "<h1>" in html and "Traceback" not in html
    assert comment_count(app) == 0


def test_posting_is_rate_limited_per_client(make_app):
    app = make_app(RATELIMIT_ENABLED=True, COMMENTS_RATE_LIMIT="2 per day")
    path = insert_post(app)
    client = app.test_client()
    assert post_comment(client, path, body="one").status_code == 303
    assert post_comment(client, path, body="two").status_code == 303
    refused = post_comment(client, path, body="three")
    assert refused.status_code == 429
    assert "Traceback" not in refused.get_data(as_text=True)
    assert comment_count(app) == 2
    # Another client (another address) is not held back.
    other = app.test_client()
    response = other.post(
        path + "comments",
        data={"name": "B", "body": "four", "comment_token": form_token(other, path)},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert response.status_code == 303


# The Redis database each developer's runs own (TEST_REDIS_URL), so that parallel runs do
# not flush each other's counts; db 14 when none is given.
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_db14():
    """Redis DB 14, emptied; skips when no Redis answers."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.flushdb()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {error}")
    yield connection
    connection.flushdb()
    connection.close()


def test_rate_limit_with_redis_storage(make_app, redis_db14):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        COMMENTS_RATE_LIMIT="2 per day",
    )
    path = insert_post(app)
    client = app.test_client()
    assert post_comment(client, path, body="one").status_code == 303
    assert post_comment(client, path, body="two").status_code == 303
    assert post_comment(client, path, body="three").status_code == 429
    assert any(b"LIMITS" in key or b"limit" in key.lower() for key in redis_db14.keys("*"))
    # A second app (another worker) sharing the storage sees the same count.
    second = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        COMMENTS_RATE_LIMIT="2 per day",
    )
    assert post_comment(second.test_client(), path, body="four").status_code == 429
    assert comment_count(app) == 2


# ---------------------------------------------------------------------------- the comment feed


def test_comment_feed_lists_approved_comments_with_validators(app, client, post_path):
    post_comment(client, post_path, name="Ada", body="approved *one*")
    post_comment(client, post_path, name="Bob", body="still pending")
    first = comments_in_db(app)[0]
    create_author(app)
    author = app.test_client()
    log_in(author)
    approve_as_author(app, author, first.id)

    response = client.get(post_path + "comments/feed.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert [entry.title for entry in feed.entries] == ["Comment by Ada"]
    entry = feed.entries[0]
    assert entry.link == f"http://blog.example{post_path}#comment-{first.id}"
    assert "<em>one</em>" in entry.content[0].value
    assert "still pending" not in response.get_data(as_text=True)

    etag = response.headers["ETag"]
    assert (
        client.get(post_path + "comments/feed.xml", headers={"If-None-Match": etag}).status_code
        == 304
    )
    assert response.headers.get("Last-Modified")


def test_comment_feed_of_unknown_post_is_404(client, post_path):
    assert client.get("/posts/2025/01/nope/comments/feed.xml").status_code == 404


def test_empty_comment_feed_is_valid(client, post_path):
    response = client.get(post_path + "comments/feed.xml")
    assert response.status_code == 200
    assert not feedparser.parse(response.data).bozo


def test_cached_post_page_never_serves_a_token_past_half_its_lifetime(make_app, clock):
    app = make_app(COMMENTS_TOKEN_MAX_AGE=2)
    for module in (post_page, tokens, intake):
        clock.drives_time_in(module)
    path = insert_post(app)
    client = app.test_client()
    # Token windows (here one second) start on the second: begin at one's start.
    clock.advance(seconds=1 - clock.time() % 1 + 0.1)
    first = form_token(client, path)
    clock.advance(seconds=0.8)
    assert form_token(client, path) == first  # the page is served from the cache
    clock.advance(seconds=0.2)
    fresh = form_token(client, path)
    assert fresh != first
    assert post_comment(client, path, token=fresh).status_code == 303
