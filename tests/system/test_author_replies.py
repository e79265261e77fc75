"""The author answers readers: a Reply link that works without script, the signed-in
author's comment published at once with the author's mark, never mailed to the author, the
subscribed reader told; approve-and-reply from the queue and from a moderation mail's page."""

from __future__ import annotations

import re

import mf2py
from comment_helpers import csrf_from, form_token, insert_post, log_in
from mail_helpers import AUTHOR_EMAIL, add_comment, mail_app
from sqlalchemy import select
from test_reply_mail import confirmed_reader, mails_to, run_jobs

from microblog import mail as notify
from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Job

SITE = "http://blog.example"


def signed_in_author(app):
    client = app.test_client()
    assert log_in(client, "author", "pw").status_code == 303
    return client


def comment_row(app, comment_id: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.expunge(comment)
        return comment


def jobs_of(app, kind: str) -> list[Job]:
    with app.app_context():
        return list(db.session.scalars(select(Job).where(Job.kind == kind)))


def walk(items):
    """Every microformat object in a parsed tree."""
    for item in items:
        if isinstance(item, dict):
            yield item
            yield from walk(item.get("children", []))
            for values in item.get("properties", {}).values():
                yield from walk(values)


def test_reply_link_works_without_script_and_the_authors_reply_is_published_marked(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app, title="On gardens")
    reader_id, _ = confirmed_reader(app, smtp, path, "ada@reader.example")
    with app.app_context():
        comment = db.session.get(Comment, reader_id)
        comment.status = CommentStatus.APPROVED
        db.session.commit()
    reader = app.test_client()
    page = reader.get(path).get_data(as_text=True)
    assert f'href="?reply={reader_id}#comment-form"' in page

    author = signed_in_author(app)
    form_page = author.get(f"{path}?reply={reader_id}")
    assert form_page.headers["Cache-Control"].startswith("private")
    html = form_page.get_data(as_text=True)
    assert re.search(rf'<option value="{reader_id}" selected>', html)
    assert "Replying to" in html and "published at once" in html
    author_mails_before = len(mails_to(smtp, AUTHOR_EMAIL))
    author_jobs_before = len(jobs_of(app, "mail.author"))

    answer = author.post(
        path + "comments",
        data={
            "name": "",
            "body": "Thank you, Ada!",
            "parent_id": str(reader_id),
            "comment_token": form_token(reader, path),
        },
    )
    assert answer.status_code == 303
    reply_id = int(answer.headers["Location"].rsplit("-", 1)[1])
    reply = comment_row(app, reply_id)
    assert reply.status == CommentStatus.APPROVED and reply.by_author
    assert reply.parent_id == reader_id and reply.author_name == app.config["SITE_AUTHOR"]
    assert len(jobs_of(app, "mail.author")) == author_jobs_before
    run_jobs(app)
    assert len(mails_to(smtp, AUTHOR_EMAIL)) == author_mails_before
    told = [m for m in mails_to(smtp, "ada@reader.example") if "Confirm" not in m["Subject"]]
    assert len(told) == 1

    # Any reader sees it at once, with a visible mark and the author's h-card.
    public = app.test_client().get(path).get_data(as_text=True)
    assert "Thank you, Ada!" in public
    item = re.search(rf'<li id="comment-{reply_id}".*?</li>', public, re.S).group(0)
    assert "by-author" in item and ">Author<" in item
    parsed = mf2py.parse(doc=public, url=SITE + path)
    cards = [
        card
        for card in walk(parsed["items"])
        if card.get("type") == ["h-card"]
        and card["properties"].get("name") == [app.config["SITE_AUTHOR"]]
    ]
    assert cards and cards[0]["properties"]["url"] == [SITE + "/"]


def test_a_reader_cannot_pass_for_the_author(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    reader = app.test_client()
    answer = reader.post(
        path + "comments",
        data={"name": "The author", "body": "Fake", "comment_token": form_token(reader, path)},
    )
    assert answer.status_code == 303
    [comment] = [c for c in [comment_row(app, 1)]]
    assert comment.status == CommentStatus.PENDING and not comment.by_author


def test_approve_and_reply_from_the_queue(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    waiting = add_comment(app, path, body="Is this right?")
    author = signed_in_author(app)
    queue = author.get("/admin/comments?status=pending").get_data(as_text=True)
    assert f'/admin/comments/{waiting}/reply"' in queue
    token = csrf_from(author, "/admin/comments?status=pending")
    answer = author.post(
        f"/admin/comments/{waiting}/reply",
        data={"csrf_token": token, "status": "pending", f"reply-{waiting}": "Yes, it is."},
    )
    assert answer.status_code == 303
    assert comment_row(app, waiting).status == CommentStatus.APPROVED
    with app.app_context():
        reply = db.session.scalars(select(Comment).where(Comment.parent_id == waiting)).one()
        assert reply.by_author and reply.status == CommentStatus.APPROVED
    assert "Yes, it is." in app.test_client().get(path).get_data(as_text=True)

    # An empty reply changes nothing.
    other = add_comment(app, path, body="Another")
    refused = author.post(
        f"/admin/comments/{other}/reply",
        data={"csrf_token": token, "status": "pending", f"reply-{other}": "   "},
    )
    assert refused.status_code == 422
    assert comment_row(app, other).status == CommentStatus.PENDING


def test_approve_and_reply_from_the_moderation_link(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    waiting = add_comment(app, path, body="Lovely.")
    with app.app_context():
        token = notify.moderation_token(db.session.get(Comment, waiting), "approve")
    client = app.test_client()
    page = client.get(f"/moderate/{token}").get_data(as_text=True)
    main = page.split("<main", 1)[1]  # the header's search form has a button of its own
    assert 'name="reply"' in main and main.count("<button") == 1
    assert comment_row(app, waiting).status == CommentStatus.PENDING
    done = client.post(f"/moderate/{token}", data={"reply": "Thanks!"})
    assert done.status_code == 200
    assert comment_row(app, waiting).status == CommentStatus.APPROVED
    with app.app_context():
        reply = db.session.scalars(select(Comment).where(Comment.parent_id == waiting)).one()
        assert reply.by_author and reply.body_source == "Thanks!"
    # The link is used now.
    assert client.post(f"/moderate/{token}", data={"reply": "Again"}).status_code == 404
