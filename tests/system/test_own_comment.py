"""A writer changes or withdraws their own pending comment for 15 minutes, from the browser
that sent it (its signed pending cookie); nobody else can, and not after. The author's mail
shows the text as it is when the mail is built; a withdrawn comment is not mailed."""

from __future__ import annotations

from datetime import timedelta

from comment_helpers import insert_post, post_comment
from mail_helpers import mail_app, parts, run_jobs

from microblog.extensions import db
from microblog.models import Comment


def only_comment(app) -> Comment:
    with app.app_context():
        [comment] = db.session.query(Comment).all()
        db.session.expunge_all()
        return comment


def test_the_writer_edits_then_the_author_is_mailed_the_new_text(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    writer = app.test_client()
    assert post_comment(writer, path, body="Frist!").status_code == 303
    comment = only_comment(app)
    page = writer.get(path).get_data(as_text=True)
    edit = f"{path}comments/{comment.id}/edit"
    assert f'href="{edit}"' in page and "Edit or withdraw" in page
    form = writer.get(edit)
    assert form.status_code == 200 and "Frist!" in form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "private, no-store"
    refused = writer.post(edit, data={"action": "save", "body": "   "})
    assert refused.status_code == 422
    saved = writer.post(edit, data={"action": "save", "body": "First, *properly*."})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"#comment-{comment.id}")
    stored = only_comment(app)
    assert stored.body_source == "First, *properly*." and "<em>properly</em>" in stored.body_html
    run_jobs(app)
    [mail] = smtp.wait_for(1)
    text, html = parts(mail)
    assert "First, *properly*." in text and "Frist!" not in text and "<em>properly</em>" in html


def test_the_writer_withdraws_and_no_mail_goes(make_app, smtp):
    app = mail_app(make_app, smtp)
    path = insert_post(app)
    writer = app.test_client()
    post_comment(writer, path, body="On second thought…")
    comment = only_comment(app)
    gone = writer.post(f"{path}comments/{comment.id}/edit", data={"action": "withdraw"})
    assert gone.status_code == 303
    with app.app_context():
        assert db.session.query(Comment).count() == 0
    run_jobs(app)
    assert smtp.messages == []


def test_nobody_else_and_not_after_fifteen_minutes(make_app):
    app = make_app()
    path = insert_post(app)
    writer = app.test_client()
    post_comment(writer, path, body="Mine.")
    comment = only_comment(app)
    edit = f"{path}comments/{comment.id}/edit"
    stranger = app.test_client()
    assert stranger.get(edit).status_code == 403
    assert stranger.post(edit, data={"action": "withdraw"}).status_code == 403
    assert (
        writer.post(
            edit, data={"body": "x"}, headers={"Origin": "https://evil.example"}
        ).status_code
        == 403
    )
    with app.app_context():
        stored = db.session.get(Comment, comment.id)
        stored.created_at = stored.created_at - timedelta(minutes=16)
        db.session.commit()
    assert "Edit or withdraw" not in writer.get(path).get_data(as_text=True)
    assert writer.post(edit, data={"action": "withdraw"}).status_code == 403
    assert writer.get(f"{path}comments/999/edit").status_code == 404
    assert only_comment(app).body_source == "Mine."
