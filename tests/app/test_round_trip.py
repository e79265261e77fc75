"""The round trip: export every post, import the folder into an empty database, and the
site is the same (every page, feed and address, byte for byte, ETags aside); exporting
again gives the same files. Over the corpus slice, the example post, and posts written
and changed in the app (the editor and Micropub)."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from comment_helpers import create_author
from conftest import EXAMPLE_POST
from editor_helpers import create_post, signed_in, update_post
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Post, Redirect, Tag

CORPUS = Path(__file__).resolve().parent.parent / "data" / "jekyll-corpus"
TOKEN = re.compile(rb'name="comment_token" value="[^"]*"')


def import_folder(app, *paths) -> str:
    """`flask posts import` output."""
    return app.test_cli_runner().invoke(args=["posts", "import", *map(str, paths)]).output


def export_folder(app, folder: Path) -> dict[str, bytes]:
    """`flask posts export FOLDER`, then every file it wrote."""
    result = app.test_cli_runner().invoke(args=["posts", "export", str(folder)])
    assert result.exit_code == 0, result.output
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def site_addresses(app) -> list[str]:
    """Every address a reader or feed reader could ask for, old ones included."""
    with app.app_context():
        permalinks = db.session.execute(select(Post.permalink)).scalars().all()
        old = db.session.execute(select(Redirect.path)).scalars().all()
        # Tags some post carries: a tag every post has left keeps an empty feed for the
        # subscribers it had (the running blog's memory, `Tag.published_once`), which no
        # Jekyll file records, so an export cannot carry it.
        slugs = db.session.execute(select(Tag.slug).where(Tag.posts.any())).scalars().all()
    paths = ["/", "/?page=2", "/?page=3", "/tags/", "/sitemap.xml"]
    paths += ["/feed.xml", "/atom.xml", "/feed.json", "/feed.xml?page=2"]
    paths += list(permalinks) + list(old) + [p.rstrip("/") for p in permalinks]
    for slug in slugs:
        paths += [f"/tags/{slug}/", f"/tags/{slug}/feed.xml", f"/tags/{slug}/atom.xml"]
    return sorted(set(paths))


def snapshot(app, paths: list[str]) -> dict[str, tuple[int, str | None, bytes]]:
    """Status, Location and body of every address (comment form tokens are per visit)."""
    client = app.test_client()
    pages = {}
    for path in paths:
        response = client.get(path)
        pages[path] = (
            response.status_code,
            response.headers.get("Location"),
            TOKEN.sub(b'name="comment_token" value=""', response.data),
        )
    return pages


def write_in_the_app(app) -> None:
    """Posts the editor and Micropub make and change: a note, a draft, a moved post…"""
    author = signed_in(app)
    create_post(author, title="", body="A note {{ not liquid }} with `code`.", tags="")
    create_post(author, title="Draft: later", draft="y", published_at="2026-01-01T08:00")
    response = create_post(author, title="Moved twice", tags="Café, 日本語")
    post_id = int(response.headers["Location"].split("/")[-2])
    update_post(author, post_id, title="Moved twice", permalink="/moved/once/", tags="Café, 日本語")
    update_post(
        author, post_id, title="Moved twice", permalink="/moved/twice/", tags="Café, 日本語"
    )
    token = app.test_cli_runner().invoke(args=["author", "token", "author"]).stdout.strip()
    author.post(
        "/micropub",
        json={
            "type": ["h-entry"],
            "properties": {
                "name": ["From an app"],
                "content": ["Written in *Quill*."],
                "category": ["indieweb"],
                "published": ["2024-03-04T05:06:07+09:00"],
                "in-reply-to": ["https://waterpigs.example/notes/4S0LMw/"],
            },
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    with app.app_context():
        imported = db.session.execute(
            select(Post).where(Post.source_key == "2009-05-18-tags.markdown")
        ).scalar_one()
    with app.app_context():
        excerpted = db.session.execute(
            select(Post).where(Post.source_key == "2013-04-11-custom-excerpt.markdown")
        ).scalar_one()
        excerpt_before = excerpted.excerpt_html
    update_post(
        author,
        excerpted.id,
        title=excerpted.title,
        tags="",
        published_at=excerpted.published_at.strftime("%Y-%m-%dT%H:%M:%S"),
        body="A new body; the excerpt the author wrote stays.",
    )
    with app.app_context():
        assert db.session.get(Post, excerpted.id).excerpt_html == excerpt_before
    update_post(
        author,
        imported.id,
        title="Tags, edited in the app",
        tags="foo, bar, edited",
        published_at="2009-05-18T00:00:00",
        body="Edited **here**.",
    )


@pytest.fixture
def fresh_database(sqlite_template, tmp_path):
    """A second, empty database."""

    def make() -> str:
        path = tmp_path / "second.sqlite"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"

    return make


def test_export_import_gives_the_same_site_and_the_same_files(make_app, fresh_database, tmp_path):
    first = make_app(POSTS_PER_PAGE=4)
    report = import_folder(first, CORPUS, EXAMPLE_POST)
    assert "imported" in report
    write_in_the_app(first)
    before = snapshot(first, site_addresses(first))
    assert sum(status == 200 for status, _, _ in before.values()) > 40
    assert any(status == 301 for status, _, _ in before.values())
    files = export_folder(first, tmp_path / "one")
    post_files = [name for name in files if name.startswith(("_posts/", "_drafts/"))]
    with first.app_context():
        assert len(post_files) == db.session.query(Post).count()
    assert "_config.yml" in files

    second = make_app(POSTS_PER_PAGE=4, SQLALCHEMY_DATABASE_URI=fresh_database())
    # The author's account is not part of a Jekyll site (a backup carries it): the same
    # author signs up again, and the pages that name them (the fediverse handle) agree.
    create_author(second)
    report = import_folder(second, tmp_path / "one")
    assert "failed" not in report.replace("0 failed", ""), report
    after = snapshot(second, sorted(before))
    for path in before:
        if after[path] != before[path]:
            import difflib

            diff = difflib.unified_diff(
                before[path][2].decode().splitlines(),
                after[path][2].decode().splitlines(),
                lineterm="",
            )
            print("\n".join(list(diff)[:60]))
        assert after[path] == before[path], f"{path} differs after the round trip"
    assert export_folder(second, tmp_path / "two") == files


def test_the_generated_front_matter_reads_like_an_author_s(app, tmp_path):
    import_folder(app, CORPUS)
    write_in_the_app(app)
    files = export_folder(app, tmp_path / "out")
    moved = next(text for name, text in files.items() if name.endswith("-moved-twice.md"))
    assert moved.decode() == (
        "---\n"
        "title: Moved twice\n"
        "date: 2025-10-01 09:30:00 +0000\n"
        "permalink: /moved/twice/\n"
        "tags:\n- Café\n- 日本語\n"
        "redirect_from:\n- /moved/once/\n- /posts/2025/10/moved-twice/\n"
        "---\n"
        "Hello **world**.\n\nSecond paragraph."
    )
    draft = next(text for name, text in files.items() if "draft" in name).decode()
    assert "published: false\n" in draft
    reply = next(text for name, text in files.items() if "from-an-app" in name).decode()
    assert "date: 2024-03-03 20:06:07 +0000\n" in reply
    assert "in-reply-to:\n- https://waterpigs.example/notes/4S0LMw/\n" in reply
    posts = {name: text for name, text in files.items() if name.startswith("_posts/")}
    note = next(text for text in posts.values() if "{{" in text.decode()).decode()
    assert 'title: ""\n' in note or "title: ''\n" in note
    assert "{% raw %}A note {{ not liquid }} with `code`.{% endraw %}" in note


def test_the_zip_download_holds_the_same_files(app, tmp_path):
    import_folder(app, CORPUS)
    write_in_the_app(app)
    files = export_folder(app, tmp_path / "out")
    author = signed_in_again(app)
    response = author.get("/admin/posts/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert {name: archive.read(name) for name in archive.namelist()} == files
    assert app.test_client().get("/admin/posts/export.zip").status_code == 302


def signed_in_again(app):
    """A signed-in client for an author who already exists."""
    from comment_helpers import log_in

    client = app.test_client()
    assert log_in(client).status_code == 303
    return client
