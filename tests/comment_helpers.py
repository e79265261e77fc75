"""Helpers shared by the comment, moderation and admin tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Author, Comment, CommentStatus, Post

TOKEN_RE = re.compile(r'name="comment_token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
AUTHOR = ("author", "correct horse battery staple")


def insert_post(app: Flask, **fields: Any) -> str:
    """Store a published post straight through the models; returns its permalink."""
    slug = fields.pop("slug", "hello-comments")
    values: dict[str, Any] = {
        "source_key": f"test/{slug}",
        "title": fields.pop("title", "Hello, comments"),
        "slug": slug,
        "permalink": f"/posts/2025/01/{slug}/",
        "published_at": datetime(2025, 1, 15, 12, tzinfo=UTC),
        "body_html": "<p>A post to talk about.</p>",
        "comments_enabled": True,
        **fields,
    }
    with app.app_context():
        db.session.add(Post(**values))
        db.session.commit()
    return values["permalink"]


def form_token(client, permalink: str) -> str:
    """GET the post and take the comment form's token, as a browser would."""
    page = client.get(permalink)
    assert page.status_code == 200, page.status_code
    found = TOKEN_RE.search(page.get_data(as_text=True))
    assert found, "the post page has no comment form"
    return found.group(1)


def post_comment(client, permalink: str, token: str | None = None, **fields: str):
    """Send the comment form (fetching a fresh token unless one is given)."""
    data = {"name": "Ada", "email": "", "url": "", "body": "A kind word.", **fields}
    data["comment_token"] = form_token(client, permalink) if token is None else token
    return client.post(permalink + "comments", data=data)


def comments_in_db(app: Flask) -> list[Comment]:
    """Every stored comment, oldest first (detached, for assertions)."""
    with app.app_context():
        rows = db.session.execute(select(Comment).order_by(Comment.id)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def comment_count(app: Flask) -> int:
    """How many comments are stored."""
    with app.app_context():
        return db.session.execute(select(func.count(Comment.id))).scalar_one()


def set_status(app: Flask, comment_id: int, status: CommentStatus) -> None:
    """Put a comment in a status directly (test setup)."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        comment.status = status
        db.session.commit()


def create_author(app: Flask, username: str = AUTHOR[0], password: str = AUTHOR[1]) -> None:
    """Store the author account."""
    with app.app_context():
        author = Author(username=username)
        author.set_password(password, app.config["PASSWORD_HASH_METHOD"])
        db.session.add(author)
        db.session.commit()


def csrf_from(client, path: str) -> str:
    """The session CSRF token from an admin page's form."""
    page = client.get(path)
    found = CSRF_RE.search(page.get_data(as_text=True))
    assert found, f"no csrf_token on {path} ({page.status_code})"
    return found.group(1)


def log_in(client, username: str = AUTHOR[0], password: str = AUTHOR[1], **extra: str):
    """Sign in through the form, CSRF token included."""
    token = csrf_from(client, "/admin/login")
    return client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": token, **extra},
    )
