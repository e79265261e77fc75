"""Mail in tests: an app that mails its author through a test SMTP server, comments stored
as intake stores them (the author's mail queued in the same transaction), the job runner,
and a mail's text and HTML parts."""

from __future__ import annotations

from sqlalchemy import select

from microblog import jobs
from microblog import mail as notify
from microblog.comments import sanitize
from microblog.extensions import db
from microblog.models import Author, Comment, CommentStatus, Post
from microblog.timeutil import now_utc

AUTHOR_EMAIL = "author@blog.example"


def mail_app(make_app, smtp, **config):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, **config)
    with app.app_context():
        author = Author(username="author", email=AUTHOR_EMAIL)
        author.set_password("pw", app.config["PASSWORD_HASH_METHOD"])
        db.session.add(author)
        db.session.commit()
    return app


def add_comment(app, path: str, status=CommentStatus.PENDING, **fields) -> int:
    """Store a comment as intake would, queueing the author's mail in the same transaction."""
    # Intake drops NUL and the like before storing (PostgreSQL refuses them in text).
    body = fields.pop("body", "A *kind* word.").replace("\x00", "")
    with app.app_context():
        post = db.session.scalars(select(Post).where(Post.permalink == path)).one()
        comment = Comment(
            post_id=post.id,
            author_name=fields.pop("author_name", "Ada Lovelace"),
            author_email=fields.pop("author_email", "ada@reader.example"),
            author_url=fields.pop("author_url", "https://ada.example/"),
            body_source=body,
            body_html=sanitize.render_comment(body),
            status=status,
            hold_reason=fields.pop("hold_reason", None),
            created_at=now_utc(),
            status_changed_at=now_utc(),
            **fields,
        )
        db.session.add(comment)
        db.session.flush()
        notify.queue_author_mail(comment)
        db.session.commit()
        return comment.id


def run_jobs(app):
    with app.app_context():
        return jobs.run_due(app)


def parts(mail):
    """The text and HTML parts (line ends as Python writes them: mail carries CRLF)."""
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, mail.get_body(("html",)).get_content().replace("\r\n", "\n")
