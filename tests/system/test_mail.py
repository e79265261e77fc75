"""Mail to the author over a real SMTP server (aiosmtpd), on SQLite and PostgreSQL: what it
says, that it is multipart and inert whatever the reader wrote, that it waits for a mail
server that is down and goes once it is back, and that no MAIL_SERVER means no mail."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
import pytest
from comment_helpers import insert_post
from hostile_input import HOSTILE
from mail_helpers import AUTHOR_EMAIL, add_comment, mail_app, parts, run_jobs
from sqlalchemy import select

from microblog import mail as notify
from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Job, JobState


def test_the_author_is_mailed_a_waiting_comment_with_everything_to_act_on(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app, title="On gardens")
    comment_id = add_comment(app, path, hold_reason="3 links (more than 2)")
    assert [job.ok for job in run_jobs(app)] == [True]

    [mail] = smtp.wait_for(1)
    assert smtp.collector.envelopes == [("microblog@localhost", [AUTHOR_EMAIL])]
    assert mail["To"] == AUTHOR_EMAIL
    assert "On gardens" in mail["Subject"] and "Ada Lovelace" in mail["Subject"]
    assert mail.is_multipart()
    assert {part.get_content_type() for part in mail.walk()} >= {"text/plain", "text/html"}
    text, html = parts(mail)
    for expected in (
        "On gardens",
        "http://blog.example" + path,
        "Ada Lovelace",
        "ada@reader.example",
        "https://ada.example/",
        "3 links (more than 2)",
    ):
        assert expected in text, expected
        assert expected in html, expected
    assert "A *kind* word." in text  # the text part has what the reader typed
    assert "<em>kind</em>" in html  # the HTML part has it rendered and cleaned
    links = re.findall(r"http://blog\.example/moderate/[\w.\-]+", text)
    assert len(links) == 3
    assert sorted(links) == sorted(
        re.findall(r'href="(http://blog\.example/moderate/[\w.\-]+)"', html)
    )
    # The links name this comment and one action each.
    with app.app_context():
        found = [notify.read_moderation_token(link.rsplit("/", 1)[1]) for link in links]
        assert [(c.id, action) for c, action in found] == [
            (comment_id, "approve"),
            (comment_id, "spam"),
            (comment_id, "trash"),
        ]
    [job] = db_jobs(app)
    assert mail["Message-ID"] == f"<microblog-job-{job.id}@localhost>"


def db_jobs(app):
    with app.app_context():
        rows = list(db.session.scalars(select(Job).order_by(Job.id)))
        db.session.expunge_all()
        return rows


def test_no_mail_for_spam_nor_for_a_comment_approved_before_the_mail_went(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    add_comment(app, path, status=CommentStatus.SPAM, hold_reason="honeypot field filled")
    assert db_jobs(app) == []  # spam is not even queued
    comment_id = add_comment(app, path)
    with app.app_context():
        db.session.get(Comment, comment_id).status = CommentStatus.APPROVED
        db.session.commit()
    assert [job.ok for job in run_jobs(app)] == [True]
    assert smtp.messages == []


def test_without_mail_server_nothing_is_queued(make_app, smtp):
    app = make_app()  # no MAIL_SERVER
    path = insert_post(app)
    add_comment(app, path)
    assert db_jobs(app) == []


def test_mail_server_down_then_back(make_app, smtp):
    app = mail_app(make_app, smtp, JOBS_RETRY_FIRST=0, JOBS_RETRY_LONGEST=0)
    path = insert_post(app)
    smtp.stop()
    add_comment(app, path)
    assert [job.ok for job in run_jobs(app)] == [False]
    report = app.test_cli_runner().invoke(args=["jobs"]).output
    assert "mail.author" in report and "Connection refused" in report, report
    [job] = db_jobs(app)
    assert job.state == JobState.WAITING  # kept, to retry

    smtp.start()
    assert [job.ok for job in run_jobs(app)] == [True]
    [mail] = smtp.wait_for(1)
    assert "Ada Lovelace" in mail["Subject"]
    [job] = db_jobs(app)
    assert job.state == JobState.DONE and job.attempts == 2


FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "img",
    "svg",
    "math",
    "style",
    "object",
    "embed",
    "form",
    "base",
    "link",
}


def assert_mail_html_inert(html: str, body_html: str) -> None:
    """Our own markup plus the cleaned body: nothing that runs, loads or styles from afar."""
    tree = lxml.html.document_fromstring(html)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "meta":
            assert element.get("charset") or element.get("name") == "viewport"
            continue
        assert element.tag not in FORBIDDEN_TAGS, element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            if name in {"href", "src", "action", "formaction"}:
                assert urlsplit(value.strip()).scheme in {"http", "https", "mailto"}, value
    assert body_html in html


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_comment_text_is_inert_in_the_mail(make_app, smtp, case):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    hostile = HOSTILE[case]
    add_comment(
        app,
        path,
        body=hostile,
        author_name=hostile[:100].replace("\x00", ""),
        author_url='https://reader.example/?q="><script>alert(1)</script>',
        author_email='x"<script>@reader.example',
    )
    assert [job.ok for job in run_jobs(app)] == [True]
    [mail] = smtp.wait_for(1)
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    _, html = parts(mail)
    with app.app_context():
        body_html = db.session.scalars(select(Comment.body_html)).one()
    assert_mail_html_inert(html, body_html)
    assert "<script" not in html.lower().replace(body_html.lower(), "")


def test_flask_author_create_keeps_the_notification_address(app):
    cli = app.test_cli_runner()
    made = cli.invoke(
        args=["author", "create", "me", "--email", "Me@Example.org", "--password-stdin"],
        input="secret\n",
    )
    assert made.exit_code == 0, made.output
    with app.app_context():
        assert notify.author_addresses() == ["Me@Example.org"]
    refused = cli.invoke(
        args=["author", "create", "you", "--email", "not an address", "--password-stdin"],
        input="secret\n",
    )
    assert refused.exit_code == 2 and "is not an email address" in refused.output
