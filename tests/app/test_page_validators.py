"""Pages, like feeds, carry ETag and Last-Modified and answer a conditional GET with 304
until what they show changes; and one reader's pending comment never reaches the cached page
another reader gets, whichever of them asks first."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from comment_helpers import TOKEN_RE
from sqlalchemy import update

from microblog.comments import tokens
from microblog.extensions import db
from microblog.models import SiteState
from microblog.web import post_page

POST = """---
title: {title}
date: 2024-05-01 09:00:00 +0000
permalink: /posts/2024/05/validators/
tags: [Caching]
---

{body}
"""
PERMALINK = "/posts/2024/05/validators/"
PAGES = ["/", "/tags/", "/tags/caching/", PERMALINK]


@pytest.fixture
def blog(app, write_post, import_posts):
    """One post; the site's last change set well in the past, so dates compare clearly."""
    path = write_post("2024-05-01-validators.md", POST.format(title="Before", body="Old text."))
    import_posts(path)
    with app.app_context():
        db.session.execute(
            update(SiteState).values(changed_at=datetime(2024, 5, 1, 10, tzinfo=UTC))
        )
        db.session.commit()
    return path


@pytest.mark.parametrize("path", PAGES)
def test_page_answers_304_to_either_validator(client, blog, path):
    first = client.get(path)
    assert first.status_code == 200
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = client.get(path, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    by_date = client.get(path, headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304


@pytest.mark.parametrize("path", [p for p in PAGES if p != "/tags/"])  # shows no title
def test_a_change_makes_both_validators_stale(client, blog, import_posts, path):
    first = client.get(path)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    blog.write_text(POST.format(title="After", body="New text."))
    import_posts(blog)
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 200 and b"After" in again.data
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 200


def test_listing_last_modified_is_the_sites_last_change(client, blog):
    assert client.get("/").headers["Last-Modified"] == "Wed, 01 May 2024 10:00:00 GMT"


def test_pending_comment_stays_out_of_the_shared_page_when_its_writer_asks_first(app, blog):
    writer, other = app.test_client(), app.test_client()
    token = TOKEN_RE.search(writer.get(PERMALINK).get_data(as_text=True)).group(1)
    sent = writer.post(
        PERMALINK + "comments", data={"name": "Ada", "body": "Mine alone.", "comment_token": token}
    )
    assert sent.status_code == 303
    app.extensions["response_cache"].clear()  # the writer's request is the first after this
    mine = writer.get(PERMALINK)
    assert "Mine alone." in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "private, no-store"
    for _ in range(2):  # rendered for the other reader, then from the cache
        page = other.get(PERMALINK)
        assert "Mine alone." not in page.get_data(as_text=True)
        assert "private" not in page.headers.get("Cache-Control", "")
    assert re.search(r"0 comments", other.get(PERMALINK).get_data(as_text=True))


def test_a_hit_served_before_flask_keeps_its_page_in_the_cache(app, client, blog):
    cache = app.extensions["response_cache"]
    for path in ("/", "/tags/", PERMALINK):
        assert client.get(path).status_code == 200
    weights = dict(cache.weights)
    cache.clear()
    # Room for "/" and either of the others, not for all three.
    # (A post page re-rendered carries a new form token: allow it a few bytes more.)
    cache.max_bytes = weights["/"] + max(weights["/tags/"], weights[PERMALINK]) + 256
    assert client.get("/").status_code == 200
    assert client.get("/tags/").status_code == 200
    assert client.get("/").status_code == 200  # a hit, answered by the middleware
    assert client.get(PERMALINK).status_code == 200  # a third page: one must go
    assert list(cache.entries) == ["/", PERMALINK]  # the page read last stays


@pytest.mark.parametrize(
    ("cookies", "personal"),
    [
        ("pending_comments=x", True),
        ("theme=dark; pending_comments=x", True),
        ("xpending_comments=x", False),
        ("theme=pending_comments=x", False),
        ("theme=dark", False),
        ("", False),
    ],
)
def test_only_the_pending_comments_cookie_itself_makes_a_page_personal(app, cookies, personal):
    is_personal = app.extensions["response_cache"].hooks.is_personal
    assert is_personal({"HTTP_COOKIE": cookies}) is personal


def test_a_post_page_has_the_same_etag_on_every_worker_and_its_token_stays_its_own(
    app, make_app, blog
):
    # Two apps on one database: two workers (or hosts), each rendering the page itself.
    other = make_app()
    one, two = app.test_client().get(PERMALINK), other.test_client().get(PERMALINK)
    tokens = [TOKEN_RE.search(page.get_data(as_text=True)).group(1) for page in (one, two)]
    assert tokens[0] != tokens[1], "each render mints its own form token"
    assert one.headers["ETag"] == two.headers["ETag"] and one.headers["ETag"].startswith("W/")
    # A browser's copy from one worker revalidates at the other.
    again = other.test_client().get(PERMALINK, headers={"If-None-Match": one.headers["ETag"]})
    assert again.status_code == 304
    # Either token is good for a comment.
    for client, token in zip((app.test_client(), other.test_client()), tokens, strict=True):
        form = {"name": "Ada", "email": "", "url": "", "body": "Fine.", "comment_token": token}
        assert client.post(PERMALINK + "comments", data=form).status_code == 303


def test_a_post_page_s_etag_changes_with_its_token_window(make_app, blog, clock):
    # Windows of one second (half of a two-second token lifetime), on the test's clock.
    app = make_app(COMMENTS_TOKEN_MAX_AGE=2)
    for module in (post_page, tokens):
        clock.drives_time_in(module)
    client = app.test_client()
    clock.advance(seconds=1 - clock.time() % 1 + 0.1)  # at the start of a window
    first = client.get(PERMALINK).headers["ETag"]
    clock.advance(seconds=0.8)  # the same window
    assert client.get(PERMALINK).headers["ETag"] == first
    clock.advance(seconds=0.2)  # the next one
    later = client.get(PERMALINK)
    assert later.headers["ETag"] != first
    assert client.get(PERMALINK, headers={"If-None-Match": first}).status_code == 200
