"""Mail sent to an address a stranger typed, on SQLite and PostgreSQL. The classes: "an
address hears from us at most once per period, however often it is named" (confirmation
mails deduplicated per address; confirming covers the comments named meanwhile) and "a
header mail programs read literally is written literally" (List-Unsubscribe is never RFC
2047-encoded, whatever the mail's other text holds)."""

from __future__ import annotations

import email
from datetime import timedelta

import pytest
from comment_helpers import insert_post, post_comment
from sqlalchemy import select, update

from microblog.extensions import db
from microblog.mail import readers
from microblog.mail.sending import compose
from microblog.models import Job, ReplySubscription
from microblog.timeutil import now_utc

# What the database stores and refuses matters here: PostgreSQL too.
pytestmark = pytest.mark.any_database(cleanup=True)


@pytest.fixture
def blog(make_app):
    # A mail server is named so that mail is queued; no job runs, so nothing is sent.
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, SITE_TITLE="Café ☕ blog")


def confirmations(app) -> list[Job]:
    with app.app_context():
        rows = list(db.session.scalars(select(Job).where(Job.kind == "mail.confirm_replies")))
        db.session.expunge_all()
        return rows


def subscriptions(app) -> list[ReplySubscription]:
    with app.app_context():
        rows = list(db.session.scalars(select(ReplySubscription).order_by(ReplySubscription.id)))
        db.session.expunge_all()
        return rows


def ask_for_replies(app, path: str, address: str, number: int):
    answer = post_comment(
        app.test_client(), path, body=f"Comment {number}.", email=address, notify="on"
    )
    assert answer.status_code == 303


@pytest.mark.parametrize(
    "addresses",
    [
        ["victim@example.org"] * 5,
        ["victim@example.org", "VICTIM@example.org", "Victim@Example.org"],
    ],
)
def test_one_address_gets_one_confirmation_mail_however_often_it_is_named(blog, addresses):
    path = insert_post(blog)
    for number, address in enumerate(addresses):
        ask_for_replies(blog, path, address, number)
    assert len(confirmations(blog)) == 1
    assert len(subscriptions(blog)) == len(addresses)


def test_each_address_gets_its_own_and_again_after_the_period(blog):
    path = insert_post(blog)
    ask_for_replies(blog, path, "a@example.org", 1)
    ask_for_replies(blog, path, "b@example.org", 2)
    assert len(confirmations(blog)) == 2
    with blog.app_context():
        db.session.execute(
            update(ReplySubscription).values(
                created_at=now_utc() - readers.CONFIRM_MAIL_EVERY - timedelta(hours=1)
            )
        )
        db.session.commit()
    ask_for_replies(blog, path, "a@example.org", 3)
    assert len(confirmations(blog)) == 3


def test_confirming_covers_the_comments_named_meanwhile(blog):
    path = insert_post(blog)
    for number in range(3):
        ask_for_replies(blog, path, "ada@example.org", number)
    first = subscriptions(blog)[0]
    with blog.app_context():
        token = readers.confirm_token(db.session.get(ReplySubscription, first.id))
    assert blog.test_client().post(f"/replies/confirm/{token}").status_code == 200
    assert all(row.confirmed_at is not None for row in subscriptions(blog))


@pytest.mark.parametrize(
    ("title", "body"),
    [("Plain", "ascii only"), ("Réponse à « vous »", "Ça va ✓"), ("x" * 190, "é" * 5000)],
)
def test_list_unsubscribe_is_written_literally(blog, title, body):
    path = insert_post(blog, title=title)
    ask_for_replies(blog, path, "ada@example.org", 1)
    with blog.app_context():
        subscription = db.session.scalars(select(ReplySubscription)).one()
        headers = readers.unsubscribe_headers(subscription)
        message = compose(
            "confirm_replies",
            f"Confirm: {title} {body[:80]}",
            subscription.email,
            headers=headers,
            comment=subscription.comment,
            post=subscription.comment.post,
            confirm_url="http://blog.example/x",
            unsubscribe_url=readers.unsubscribe_url(subscription),
            days=14,
        )
        raw = message.as_bytes()
    lines = raw.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    unsubscribe = [line for line in lines if line.startswith("List-Unsubscribe:")]
    assert unsubscribe == [f"List-Unsubscribe: {headers['List-Unsubscribe']}"]
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    parsed = email.message_from_bytes(raw)
    assert parsed["List-Unsubscribe"] == headers["List-Unsubscribe"]
    assert "=?" not in parsed["Message-ID"]
