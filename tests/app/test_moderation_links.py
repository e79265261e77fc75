"""The signed links in the author's mail and the private feed, on SQLite and PostgreSQL:
GET shows one button and changes nothing; POST acts without signing in; every abused token
(altered, truncated, forged, expired, replayed, for another comment or purpose, outdated by
the queue) is a 4xx page and changes nothing."""

from __future__ import annotations

import re
import time

import feedparser
import pytest
from comment_helpers import create_author, csrf_from, insert_post, log_in
from hostile_input import HOSTILE, assert_inert
from itsdangerous import URLSafeTimedSerializer
from mail_helpers import add_comment, mail_app, run_jobs

from microblog import mail as notify
from microblog.extensions import db
from microblog.mail import links
from microblog.models import Author, Comment, CommentStatus


def status_of(app, comment_id: int) -> CommentStatus:
    with app.app_context():
        return db.session.get(Comment, comment_id).status


def token_for(app, comment_id: int, action: str) -> str:
    with app.app_context():
        return notify.moderation_token(db.session.get(Comment, comment_id), action)


def test_the_mailed_link_shows_one_button_and_only_post_acts(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app, title="On gardens")
    comment_id = add_comment(app, path, body="Lovely **roses**.")
    run_jobs(app)
    [mail] = smtp.wait_for(1)
    text = mail.get_body(("plain",)).get_content()
    approve = re.search(r"Approve: http://blog\.example(/moderate/\S+)", text).group(1)

    client = app.test_client()  # not signed in
    for _ in range(3):  # scanners and previews may fetch it any number of times
        page = client.get(approve)
        assert page.status_code == 200
        assert status_of(app, comment_id) == CommentStatus.PENDING
    html = page.get_data(as_text=True)
    assert "<strong>roses</strong>" in html and "On gardens" in html
    main = html[html.index("<main") :]  # the header holds the search box
    assert main.count("<button") == 1 and "Approve" in html
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert page.headers["Referrer-Policy"] == "no-referrer"

    done = client.post(approve)
    assert done.status_code == 200 and "approved" in done.get_data(as_text=True)
    assert status_of(app, comment_id) == CommentStatus.APPROVED
    # Used: void now, whether fetched or posted again.
    assert client.get(approve).status_code == 404
    assert client.post(approve).status_code == 404
    assert status_of(app, comment_id) == CommentStatus.APPROVED


@pytest.mark.parametrize("action", ["spam", "trash"])
def test_spam_and_trash_links(make_app, action):
    app = make_app()
    path = insert_post(app)
    comment_id = add_comment(app, path)
    token = token_for(app, comment_id, action)
    assert app.test_client().post(f"/moderate/{token}").status_code == 200
    assert status_of(app, comment_id).value == action


def forged(app, payload: dict) -> str:
    """A token signed with the right salt but the wrong key."""
    return URLSafeTimedSerializer("not-the-secret", salt="microblog/moderate").dumps(payload)


ABUSE = {
    "altered": lambda app, t, other: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),
    "truncated": lambda app, t, other: t[: len(t) // 2],
    "empty-ish": lambda app, t, other: "x",
    "overlong": lambda app, t, other: "a" * 5000,
    "forged": lambda app, t, other: forged(app, {"c": 1, "a": "approve", "s": "pending", "t": 0}),
    "other-purpose": lambda app, t, other: _other_purpose(app, t),
    "other-comment": lambda app, t, other: _swap_comment(app, t, other),
    "unknown-action": lambda app, t, other: _resign(app, t, a="delete"),
    "expired": lambda app, t, other: _expired(app, t),
}


def _payload(app, token):
    with app.app_context():
        return links.read("moderate", token)


def _resign(app, token, **changes):
    with app.app_context():
        return links.sign("moderate", {**_payload(app, token), **changes})


def _swap_comment(app, token, other_id):
    # A genuine token for one comment, its id edited to another's: the signature breaks.
    prefix, _, rest = token.partition(".")
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(prefix + "=" * (-len(prefix) % 4)))
    data["c"] = other_id
    swapped = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{swapped}.{rest}"


def _other_purpose(app, token):
    with app.app_context():
        return links.sign("unsubscribe", _payload(app, token))


def _expired(app, token):
    with app.app_context():
        serializer = links._serializer("moderate")
        real = time.time

        try:
            time.time = lambda: real() - 15 * 86400  # signed 15 days ago
            return serializer.dumps(_payload(app, token))
        finally:
            time.time = real


@pytest.mark.parametrize("case", sorted(ABUSE))
def test_abused_tokens_are_refused_and_change_nothing(make_app, case):
    app = make_app()
    path = insert_post(app)
    comment_id = add_comment(app, path)
    other_id = add_comment(app, path, author_name="Bob")
    token = token_for(app, comment_id, "approve")
    bad = ABUSE[case](app, token, other_id)
    client = app.test_client()
    for method in (client.get, client.post):
        answer = method(f"/moderate/{bad}")
        assert 400 <= answer.status_code < 500, (case, answer.status_code)
    assert status_of(app, comment_id) == CommentStatus.PENDING
    assert status_of(app, other_id) == CommentStatus.PENDING
    # The genuine token still works: nothing above spent it.
    assert client.post(f"/moderate/{token}").status_code == 200


def test_a_link_is_void_once_the_queue_moderated_the_comment(make_app):
    app = make_app()
    create_author(app)
    path = insert_post(app)
    comment_id = add_comment(app, path)
    spam_link = token_for(app, comment_id, "spam")
    author = app.test_client()
    log_in(author)
    token = csrf_from(author, "/admin/comments")
    author.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": token})
    assert status_of(app, comment_id) == CommentStatus.APPROVED
    assert app.test_client().post(f"/moderate/{spam_link}").status_code == 404
    # Even once it is back where it was (unapproved: pending again), the old link stays void.
    author.post(f"/admin/comments/{comment_id}/unapprove", data={"csrf_token": token})
    assert status_of(app, comment_id) == CommentStatus.PENDING
    assert app.test_client().post(f"/moderate/{spam_link}").status_code == 404
    assert status_of(app, comment_id) == CommentStatus.PENDING


def feed_url(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["author", "feed-url", "author", *args])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip() if hasattr(result, "stdout") else result.output.strip()
    return url.splitlines()[0]


def test_the_private_feed_lists_waiting_comments_with_their_links(make_app):
    app = make_app()
    create_author(app)
    path = insert_post(app, title="On gardens")
    first = add_comment(app, path, author_name="Ada", body="First <b>bold</b> word.")
    second = add_comment(app, path, author_name="Bob", body="Second, *newer*.")
    add_comment(app, path, author_name="Spammer", status=CommentStatus.SPAM)
    url = feed_url(app)
    assert url.startswith("http://blog.example/moderate/feed/") and url.endswith(".atom")
    answer = app.test_client().get(url.removeprefix("http://blog.example"))
    assert answer.status_code == 200
    assert answer.mimetype == "application/atom+xml"
    assert "no-store" in answer.headers["Cache-Control"]
    assert "private" in answer.headers["Cache-Control"]
    assert "noindex" in answer.headers["X-Robots-Tag"]
    feed = feedparser.parse(answer.data)
    assert not feed.bozo, feed.bozo_exception
    assert [entry.author for entry in feed.entries] == ["Bob", "Ada"]  # newest first
    content = feed.entries[1].content[0].value
    assert "<strong>bold</strong>" in content or "bold" in content
    approve = re.search(r'href="http://blog\.example(/moderate/[^"]+)">Approve', content).group(1)
    assert app.test_client().post(approve).status_code == 200
    assert status_of(app, first) == CommentStatus.APPROVED
    assert status_of(app, second) == CommentStatus.PENDING


def test_rotating_the_feed_url_voids_the_old_one(make_app):
    app = make_app()
    create_author(app)
    old = feed_url(app).removeprefix("http://blog.example")
    assert app.test_client().get(old).status_code == 200
    assert feed_url(app) == "http://blog.example" + old  # stable until rotated
    new = feed_url(app, "--rotate").removeprefix("http://blog.example")
    assert new != old
    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get(new).status_code == 200
    assert app.test_client().get(new[:-10] + "xxxxx.atom").status_code == 404
    with app.app_context():
        assert db.session.query(Author).one().feed_generation == 1


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_comments_are_inert_in_the_private_feed(make_app, case):
    app = make_app()
    create_author(app)
    path = insert_post(app)
    add_comment(
        app,
        path,
        body=HOSTILE[case],
        author_name=HOSTILE[case][:100].replace("\x00", ""),
        author_url='https://reader.example/?q="><script>alert(1)</script>',
    )
    answer = app.test_client().get(feed_url(app).removeprefix("http://blog.example"))
    assert answer.status_code == 200
    feed = feedparser.parse(answer.data)
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == 1
    # The entry's HTML exactly as sent (feedparser rewrites entities in what it hands back).
    from lxml import etree

    atom = "{http://www.w3.org/2005/Atom}"
    [content] = [node.text for node in etree.fromstring(answer.data).iter(atom + "content")]
    with app.app_context():
        body_html = db.session.query(Comment.body_html).scalar()
    assert body_html in content
    assert "<script" not in content.replace(body_html, "").lower()
    assert_inert(body_html)


@pytest.mark.parametrize("action", ["Approve", "Spam", "Trash"])
def test_rotating_the_feed_url_voids_the_links_read_from_the_old_feed(make_app, action):
    """The class "a secret that is rotated takes everything read through it along": an
    action link copied from the old private feed is void after `feed-url --rotate`, and
    the new feed's links work; a link mailed to the author is not the feed's to void."""
    app = make_app()
    create_author(app)
    path = insert_post(app)
    waiting = add_comment(app, path, body="Held words.")
    old_feed = feed_url(app).removeprefix("http://blog.example")
    content = feedparser.parse(app.test_client().get(old_feed).data).entries[0].content[0].value
    from_old_feed = re.search(rf'href="http://blog\.example(/moderate/[^"]+)">{action}', content)
    assert from_old_feed is not None
    mailed = f"/moderate/{token_for(app, waiting, action.lower())}"
    new_feed = feed_url(app, "--rotate").removeprefix("http://blog.example")
    client = app.test_client()
    assert client.get(from_old_feed.group(1)).status_code == 404
    assert client.post(from_old_feed.group(1)).status_code == 404
    assert status_of(app, waiting) == CommentStatus.PENDING
    content = feedparser.parse(client.get(new_feed).data).entries[0].content[0].value
    fresh = re.search(rf'href="http://blog\.example(/moderate/[^"]+)">{action}', content)
    assert fresh is not None and client.get(fresh.group(1)).status_code == 200
    assert client.get(mailed).status_code == 200  # the mail's link still works
