"""Render ahead (posts/render_ahead.py): a big import renders its Markdown in worker
processes, and the posts are exactly what a one-process import makes."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from microblog.extensions import db
from microblog.jekyll.settings import SiteSettings
from microblog.models import Post
from microblog.posts import render_ahead, writer

POST = """---
title: Post {n}
tags: [Speed, Post {n}]
---

Intro {n} with *emphasis*, a [link](https://example.org/{n}) and `code`.

```python
def post_{n}():
    return {n}
```

| a | b |
|---|---|
| {n} | {m} |

A note.[^1]

[^1]: The note of post {n}.
"""

pytestmark = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="render ahead needs two cores"
)


def import_and_read(app, folder, monkeypatch, *, ahead: bool, min_files: int = 10):
    calls = []
    real_render = writer.render
    monkeypatch.setattr(writer, "render", lambda inputs: calls.append(1) or real_render(inputs))
    monkeypatch.setattr(render_ahead, "MIN_FILES", min_files if ahead else 10**9)
    result = app.test_cli_runner().invoke(args=["posts", "import", str(folder)])
    broken = (folder / "2025-02-01-broken.md").exists()
    assert result.exit_code == (1 if broken else 0), result.output
    assert (" 1 failed" in result.output) is broken
    with app.app_context():
        posts = db.session.execute(
            select(
                Post.permalink,
                Post.body_html,
                Post.excerpt_html,
                Post.title,
                Post.published_at,
                Post.source_key,
                Post.content_hash,
            ).order_by(Post.permalink)
        ).all()
    return [tuple(post) for post in posts], len(calls)


def test_a_big_import_renders_ahead_and_stores_the_same_posts(
    make_app, tmp_path, monkeypatch, sqlite_template
):
    folder = tmp_path / "_posts"
    folder.mkdir()
    for n in range(48):
        (folder / f"2025-01-{1 + n % 28:02d}-post-{n}.md").write_text(POST.format(n=n, m=7 * n))
    (folder / "notes.txt").write_text("not a post")
    (folder / "2025-02-01-broken.md").write_text("---\ntitle: [unclosed\n---\n\nBody.\n")
    ahead, rendered_here = import_and_read(make_app(), folder, monkeypatch, ahead=True)
    assert len(ahead) == 48
    assert rendered_here == 0  # every post's HTML came from a worker
    other = tmp_path / "other.sqlite"  # a second, empty database for the one-process import
    other.write_bytes(sqlite_template.read_bytes())
    other_app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{other}")
    alone, rendered_alone = import_and_read(other_app, folder, monkeypatch, ahead=False)
    assert rendered_alone == 48
    assert ahead == alone


def test_only_the_files_that_changed_are_rendered_ahead(make_app, tmp_path, monkeypatch):
    folder = tmp_path / "_posts"
    folder.mkdir()
    for n in range(45):
        (folder / f"2025-03-{1 + n % 28:02d}-again-{n}.md").write_text(POST.format(n=n, m=n))
    app = make_app()
    import_and_read(app, folder, monkeypatch, ahead=True)
    paths = sorted(folder.iterdir())
    for path in paths[:5]:
        path.write_text(path.read_text() + "\nA new last line.\n")
    with app.app_context():
        settings = SiteSettings.from_config(app.config)
        posts_writer = writer.PostWriter(settings, preload=True)
        assert render_ahead.changed_files(paths, posts_writer, None, settings) == paths[:5]
    posts, rendered_here = import_and_read(app, folder, monkeypatch, ahead=True, min_files=3)
    assert rendered_here == 0 and sum("A new last line." in post[1] for post in posts) == 5
