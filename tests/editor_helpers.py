"""Helpers for the editor and Micropub tests: a signed-in author, the form, the database."""

from __future__ import annotations

import re
from typing import Any

from comment_helpers import create_author, csrf_from, log_in
from flask import Flask
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Post


def signed_in(app: Flask):
    """A test client signed in as the author."""
    create_author(app)
    client = app.test_client()
    assert log_in(client).status_code == 303
    return client


def form_fields(**fields: Any) -> dict[str, Any]:
    """The editor's fields with sensible defaults."""
    data: dict[str, Any] = {
        "title": "A post from the editor",
        "body": "Hello **world**.\n\nSecond paragraph.",
        "tags": "Editing, Café",
        "permalink": "",
        "published_at": "2025-10-01T09:30:00",
        "action": "save",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def create_post(client, **fields: Any):
    """POST the new-post form with a fresh CSRF token."""
    token = csrf_from(client, "/admin/posts/new")
    return client.post("/admin/posts", data={"csrf_token": token, **form_fields(**fields)})


def version_on(html: str) -> str:
    """The version an edit page's form carries."""
    found = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', html)
    assert found, "no version field"
    return found.group(1) or found.group(2)


def update_post(client, post_id: int, version: str | None = None, **fields: Any):
    """POST the edit form (with the version the edit page carries unless one is given)."""
    page = client.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    token = csrf_from(client, f"/admin/posts/{post_id}/edit")
    data = {"csrf_token": token, "version": version or version_on(page), **form_fields(**fields)}
    return client.post(f"/admin/posts/{post_id}", data=data)


def posts_in_db(app: Flask) -> list[Post]:
    """Every stored post, oldest id first (detached, for assertions)."""
    with app.app_context():
        rows = db.session.execute(select(Post).order_by(Post.id)).scalars().all()
        for row in rows:
            _ = row.body_source, row.front_matter
        db.session.expunge_all()
        return list(rows)
