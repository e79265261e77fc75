"""Readers told of replies over real SMTP, on SQLite and PostgreSQL: double opt-in, replies
only once approved, RFC 8058 one-click unsubscribe, "all my comments" opt-out, and never
another reader's address."""

from __future__ import annotations

import re

from comment_helpers import insert_post
from mail_helpers import AUTHOR_EMAIL, add_comment, mail_app, parts
from sqlalchemy import select

from microblog import jobs
from microblog import mail as notify
from microblog.extensions import db
from microblog.models import Comment, CommentStatus, ReplySubscription

SITE = "http://blog.example"


def run_jobs(app) -> None:
    """Run jobs until none is due (a reply's job queues one job per reader to tell)."""
    with app.app_context():
        for _ in range(5):
            if not jobs.run_due(app):
                return


def comment_with_replies_wanted(app, path, email, **fields) -> int:
    """A reader's comment with the `notify` box ticked, stored as intake stores it."""
    comment_id = add_comment(app, path, author_email=email, **fields)
    with app.app_context():
        notify.readers.subscribe(db.session.get(Comment, comment_id))
        db.session.commit()
    return comment_id


def approve(app, comment_id: int) -> None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        comment.status = CommentStatus.APPROVED
        notify.comment_approved(comment)
        db.session.commit()


def mails_to(smtp, address: str):
    return [m for m in smtp.messages if m["To"] == address]


def link_in(mail, pattern: str) -> str:
    text, _ = parts(mail)
    return re.search(SITE + pattern, text).group(0).removeprefix(SITE)


def confirmed_reader(app, smtp, path, email, **fields) -> tuple[int, object]:
    comment_id = comment_with_replies_wanted(app, path, email, **fields)
    run_jobs(app)
    confirmation = [m for m in mails_to(smtp, email) if "Confirm" in m["Subject"]][-1]
    confirm = link_in(confirmation, r"/replies/confirm/\S+")
    client = app.test_client()
    assert client.get(confirm).status_code == 200
    assert client.post(confirm).status_code == 200
    return comment_id, confirmation


def test_double_opt_in_then_approved_replies_arrive_with_one_click_unsubscribe(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app, title="On gardens")
    ada = comment_with_replies_wanted(app, path, "ada@reader.example")
    approve(app, ada)
    run_jobs(app)
    [confirmation] = mails_to(smtp, "ada@reader.example")
    assert "Confirm" in confirmation["Subject"]
    confirm = link_in(confirmation, r"/replies/confirm/\S+")

    # A reply before confirming: nothing for Ada.
    early = add_comment(app, path, author_name="Bob", author_email="bob@x.example", parent_id=ada)
    approve(app, early)
    run_jobs(app)
    assert len(mails_to(smtp, "ada@reader.example")) == 1

    client = app.test_client()
    page = client.get(confirm)
    main = page.get_data(as_text=True).split("<main", 1)[1]  # not the header's search button
    assert page.status_code == 200 and main.count("<button") == 1
    with app.app_context():
        assert db.session.scalars(select(ReplySubscription)).one().confirmed_at is None
    assert client.post(confirm).status_code == 200

    # A pending reply: nothing yet. Approved: Ada hears of it.
    reply = add_comment(
        app,
        path,
        author_name="Carol",
        author_email="carol@x.example",
        parent_id=ada,
        body="I *agree*, Ada.",
    )
    run_jobs(app)
    assert len(mails_to(smtp, "ada@reader.example")) == 1
    approve(app, reply)
    run_jobs(app)
    told = mails_to(smtp, "ada@reader.example")[-1]
    assert "Carol replied" in told["Subject"] and "On gardens" in told["Subject"]
    text, html = parts(told)
    assert "I *agree*, Ada." in text and "<em>agree</em>" in html
    assert f"{SITE}{path}#comment-{reply}" in text
    # Nobody else's address, the author's included, appears anywhere in it.
    raw = told.as_string()
    for other in ("carol@x.example", "bob@x.example", AUTHOR_EMAIL):
        assert other not in raw
    # RFC 8058.
    unsubscribe = told["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{SITE}/replies/unsubscribe/")
    assert told["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and unsubscribe in html

    one_click = client.post(
        unsubscribe.removeprefix(SITE),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    another = add_comment(app, path, author_name="Dan", author_email="d@x.example", parent_id=ada)
    approve(app, another)
    run_jobs(app)
    assert mails_to(smtp, "ada@reader.example")[-1] is told  # nothing new


def test_unsubscribe_from_all_my_comments(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    first, _ = confirmed_reader(app, smtp, path, "ada@reader.example")
    second, _ = confirmed_reader(app, smtp, path, "ada@reader.example", body="Again.")
    approve(app, first)
    approve(app, second)
    reply = add_comment(app, path, author_name="Bob", author_email="b@x.example", parent_id=first)
    approve(app, reply)
    run_jobs(app)
    told = mails_to(smtp, "ada@reader.example")[-1]
    assert "Bob replied" in told["Subject"]
    unsubscribe = told["List-Unsubscribe"].strip("<>").removeprefix(SITE)
    client = app.test_client()
    page = client.get(unsubscribe).get_data(as_text=True)
    assert "all mail about my comments" in page
    assert client.post(unsubscribe, data={"scope": "all"}).status_code == 200
    count = len(mails_to(smtp, "ada@reader.example"))
    for parent in (first, second):
        late = add_comment(
            app, path, author_name="Late", author_email="l@x.example", parent_id=parent
        )
        approve(app, late)
    # And a new comment asking for replies again is not even asked to confirm.
    comment_with_replies_wanted(app, path, "ada@reader.example", body="Third.")
    run_jobs(app)
    assert len(mails_to(smtp, "ada@reader.example")) == count


def test_a_thread_tells_each_reader_once_and_never_the_replier(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    root, _ = confirmed_reader(app, smtp, path, "ada@reader.example")
    approve(app, root)
    bob, _ = confirmed_reader(app, smtp, path, "bob@reader.example", parent_id=root)
    approve(app, bob)  # Bob's reply: Ada is told; Bob is not told of his own reply
    run_jobs(app)
    assert "replied" in mails_to(smtp, "ada@reader.example")[-1]["Subject"]
    assert not any("replied" in m["Subject"] for m in mails_to(smtp, "bob@reader.example"))
    carol = add_comment(app, path, author_name="Carol", author_email="c@x.example", parent_id=root)
    approve(app, carol)
    run_jobs(app)
    replies_to = [m["To"] for m in smtp.messages if "Carol replied" in m["Subject"]]
    assert sorted(replies_to) == ["ada@reader.example", "bob@reader.example"]
    for mail in smtp.messages:
        assert len(mail.get_all("To")) == 1 and mail["Cc"] is None and mail["Bcc"] is None


def test_no_confirmation_for_spam_or_without_mail(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    comment_with_replies_wanted(app, path, "ada@reader.example", status=CommentStatus.SPAM)
    run_jobs(app)
    assert smtp.messages == []
    quiet = make_app()
    path = insert_post(quiet, slug="other")
    comment_with_replies_wanted(quiet, path, "ada@reader.example")
    with quiet.app_context():
        assert db.session.scalars(select(ReplySubscription)).all() == []


def test_confirm_and_unsubscribe_links_refuse_abuse(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    _, confirmation = confirmed_reader(app, smtp, path, "ada@reader.example")
    confirm = link_in(confirmation, r"/replies/confirm/\S+")
    unsubscribe = confirmation["List-Unsubscribe"].strip("<>").removeprefix(SITE)
    client = app.test_client()
    for bad in (
        confirm[:-4],
        confirm + "x",
        unsubscribe[:-4],
        # A token of one purpose at the other's address.
        "/replies/confirm/" + unsubscribe.rsplit("/", 1)[1],
        "/replies/unsubscribe/" + confirm.rsplit("/", 1)[1],
    ):
        assert client.get(bad).status_code == 404, bad
        assert client.post(bad).status_code == 404, bad
    with app.app_context():
        assert db.session.scalars(select(ReplySubscription)).one().active


def test_the_comment_form_offers_replies_only_with_mail_and_needs_an_email(make_app, smtp):
    from comment_helpers import post_comment

    quiet = make_app()
    path = insert_post(quiet)
    assert 'name="notify"' not in quiet.test_client().get(path).get_data(as_text=True)

    app = mail_app(make_app, smtp)
    path = insert_post(app, slug="with-mail")
    reader = app.test_client()
    assert 'name="notify"' in reader.get(path).get_data(as_text=True)
    refused = post_comment(reader, path, notify="on", email="", body="No address given.")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "give your email address" in page and "No address given." in page
    assert 'name="notify" value="on" checked' in page

    sent = post_comment(reader, path, notify="on", email="Ada@Reader.example", body="Hello.")
    assert sent.status_code == 303
    # Spam (the honeypot filled) asks nobody to confirm anything.
    post_comment(reader, path, notify="on", email="bot@x.example", homepage="http://spam")
    run_jobs(app)
    kinds = sorted(m["Subject"].split("]")[1].split(":")[0].strip() for m in smtp.messages)
    assert kinds == ["Comment waiting on “Hello, comments” from Ada", "Confirm"]
    assert [m["To"] for m in smtp.messages if "Confirm" in m["Subject"]] == ["ada@reader.example"]
