"""The class "every reply, whichever way it comes, goes through the readers' intake", on
SQLite and PostgreSQL: a Webmention reply is judged by the same spam rules as a comment
from the form, and a held one mails the author (queued as a job) like any other."""

from __future__ import annotations

import pytest
from comment_helpers import comments_in_db, insert_post
from local_site import LocalSite
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import CommentStatus, Job

# The database matters here (claims, commits from jobs and the CLI): PostgreSQL too.
pytestmark = pytest.mark.any_database(cleanup=True)


SITE = "http://blog.example"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def reply_page(target: str, text: str, name: str = "Bea") -> str:
    return (
        f'<article class="h-entry"><a class="p-author h-card" href="/bea">{name}</a>'
        f'<a class="u-in-reply-to" href="{target}">re</a>'
        f'<div class="e-content">{text}</div></article>'
    )


@pytest.fixture
def blog(make_app):
    return make_app(
        WEBMENTION_ALLOW_PRIVATE=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=9,
        COMMENTS_BLOCKLIST="casino",
        COMMENTS_MAX_LINKS=2,
    )


def author_mails(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Job).where(Job.kind == "mail.author")).all())


def deliver(blog, site, target: str, text: str, name: str = "Bea") -> None:
    site.pages["/r"] = (200, HTML, reply_page(target, text, name))
    client = blog.test_client()
    assert (
        client.post("/webmention", data={"source": site.url("/r"), "target": target}).status_code
        == 202
    )
    with blog.app_context():
        from microblog import jobs  # noqa: PLC0415

        jobs.run_due(blog)  # the author's mail fails (nothing listens): it waits for a retry


@pytest.mark.parametrize(
    ("text", "status", "reason", "mailed"),
    [
        ("<p>A kind reply.</p>", CommentStatus.PENDING, None, 1),
        ("<p>Win at the CASINO</p>", CommentStatus.SPAM, "blocklisted word: casino", 0),
        (
            '<p><a href="http://a.example">a</a> <a href="http://b.example">b</a> '
            '<a href="http://c.example">c</a></p>',
            CommentStatus.PENDING,
            "3 links (more than 2)",
            1,
        ),
    ],
)
def test_a_webmention_reply_goes_through_the_readers_intake(blog, text, status, reason, mailed):
    target = SITE + insert_post(blog)
    with LocalSite() as site:
        deliver(blog, site, target, text)
    (comment,) = comments_in_db(blog)
    assert comment.status == status and comment.hold_reason == reason
    assert author_mails(blog) == mailed


def test_a_changed_source_is_judged_again(blog):
    target = SITE + insert_post(blog)
    with LocalSite() as site:
        deliver(blog, site, target, "<p>Fine words.</p>")
        deliver(blog, site, target, "<p>Now a casino ad.</p>")
    (comment,) = comments_in_db(blog)
    assert comment.status == CommentStatus.SPAM and "casino" in (comment.hold_reason or "")
