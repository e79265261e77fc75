"""The one writer of posts (content/posts.py): posts without files, versions, redirects
from every old permalink, deletion with comments; and the migration that added them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import BASE_CONFIG
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, select, text

from microblog import create_app
from microblog.extensions import db
from microblog.jekyll.settings import SiteSettings
from microblog.models import Comment, CommentStatus, Post, Redirect, SiteState, Tag
from microblog.posts.writer import PostInput, PostRejected, PostWriter, VersionConflict

WHEN = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)


def writer(app) -> PostWriter:
    return PostWriter(SiteSettings.from_config(app.config))


def add_comment(post_id: int, words: str = "Well said.") -> None:
    db.session.add(
        Comment(
            post_id=post_id,
            author_name="Ada",
            body_source=words,
            body_html=f"<p>{words}</p>",
            status=CommentStatus.APPROVED,
        )
    )


def generation() -> int:
    return db.session.execute(select(SiteState.generation)).scalar_one()


def test_a_post_without_a_file_is_rendered_and_served(app, client):
    with app.app_context():
        start = generation()
        saved = writer(app).save(
            PostInput(
                title="Written in the app",
                body="Some *Markdown*.",
                published_at=WHEN,
                tag_names=["Notes", "App"],
            )
        )
        db.session.commit()
        assert (saved.permalink, saved.version, saved.created) == (
            "/posts/2025/03/written-in-the-app/",
            1,
            True,
        )
        post = db.session.get(Post, saved.post_id)
        assert (post.source_key, post.body_source, post.imported_version) == (
            None,
            "Some *Markdown*.",
            None,
        )
        assert generation() > start
    page = client.get("/posts/2025/03/written-in-the-app/").get_data(as_text=True)
    assert "<p>Some <em>Markdown</em>.</p>" in page
    assert client.get("/tags/notes/").status_code == 200


def test_a_note_without_a_title_takes_its_permalink_from_its_date_and_time(app):
    with app.app_context():
        saved = writer(app).save(PostInput(title="", body="Just a thought.", published_at=WHEN))
        assert saved.permalink == "/posts/2025/03/2025-03-04-103000/"


@pytest.mark.any_database
def test_every_change_grows_the_version_and_a_stale_save_is_refused(app):
    with app.app_context():
        posts = writer(app)
        first = posts.save(PostInput(title="V", body="one", published_at=WHEN))
        db.session.commit()
        second = posts.save(
            PostInput(title="V", body="two", published_at=WHEN),
            post_id=first.post_id,
            expected_version=1,
        )
        db.session.commit()
        assert second.version == 2
        # Another tab still holds version 1: refused, nothing changed.
        with pytest.raises(VersionConflict) as caught:
            writer(app).save(
                PostInput(title="V", body="stale", published_at=WHEN),
                post_id=first.post_id,
                expected_version=1,
            )
        assert caught.value.current_version == 2
        db.session.rollback()
        post = db.session.get(Post, first.post_id)
        assert (post.version, post.body_source) == (2, "two")


def test_a_changed_permalink_answers_301_from_every_old_one(app, client):
    with app.app_context():
        posts = writer(app)
        saved = posts.save(PostInput(title="Move", body="x", published_at=WHEN, permalink="/a/"))
        for path in ["/b/", "/c/"]:
            posts.save(
                PostInput(title="Move", body="x", published_at=WHEN, permalink=path),
                post_id=saved.post_id,
            )
        db.session.commit()
        redirects = db.session.execute(select(Redirect.path, Redirect.automatic)).all()
        assert sorted(redirects) == [("/a/", True), ("/b/", True)]
    for old in ["/a/", "/b/"]:
        response = client.get(old)
        assert (response.status_code, response.headers["Location"]) == (301, "/c/")
    assert client.get("/c/").status_code == 200


def test_a_permalink_another_post_has_is_refused_naming_it(app):
    with app.app_context():
        posts = writer(app)
        posts.save(PostInput(title="First", body="x", published_at=WHEN, permalink="/same/"))
        db.session.commit()
        with pytest.raises(PostRejected, match="/same/ is already the address of the post 'First'"):
            posts.save(PostInput(title="Second", body="y", published_at=WHEN, permalink="/same/"))


@pytest.mark.parametrize(
    ("permalink", "words"),
    [
        ("https://evil.example/x/", "absolute URL"),
        ("/a/../b/", "'..'"),
        ("/admin/x/", "the blog itself uses"),
        ("relative/", "starting with '/'"),
        ("/a?b", "'?' or '#'"),
    ],
)
def test_a_permalink_that_cannot_be_an_address_is_refused(app, permalink, words):
    with app.app_context(), pytest.raises(PostRejected, match=words):
        writer(app).save(PostInput(title="T", body="x", published_at=WHEN, permalink=permalink))


def test_deleting_a_post_takes_its_comments_redirects_and_lonely_tags(app, client):
    with app.app_context():
        posts = writer(app)
        gone = posts.save(
            PostInput(
                title="Gone",
                body="x",
                published_at=WHEN,
                tag_names=["Only", "Shared"],
                redirect_from=["/old-gone/"],
            )
        )
        kept = posts.save(
            PostInput(title="Kept", body="y", published_at=WHEN, tag_names=["Shared"])
        )
        add_comment(gone.post_id)
        add_comment(kept.post_id)
        db.session.commit()
        posts.delete([gone.post_id])
        db.session.commit()
        assert db.session.scalar(select(func.count(Comment.id))) == 1
        assert db.session.execute(select(Tag.slug)).scalars().all() == ["shared"]
        assert db.session.execute(select(Redirect.path)).scalars().all() == []
    assert client.get(gone.permalink).status_code == 410  # gone on purpose: a tombstone
    assert client.get("/old-gone/").status_code == 404
    assert client.get(kept.permalink).status_code == 200


def test_a_dry_run_writes_nothing(app):
    with app.app_context():
        posts = PostWriter(SiteSettings.from_config(app.config), dry_run=True)
        saved = posts.save(PostInput(title="Dry", body="x", published_at=WHEN))
        assert saved.post_id < 0
        assert db.session.scalar(select(func.count(Post.id))) == 0


@pytest.mark.any_database(cleanup=True)
def test_the_migration_keeps_comments_and_marks_imported_posts(tmp_path, database_url):
    """Upgrading a blog from the first schema: the posts table is rebuilt on SQLite, and
    no comment goes with it (foreign keys cascade on a dropped table)."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        downgrade(revision="a1c7e2f0b9d4")  # the revision before posts without files
        db.session.execute(
            text(
                "INSERT INTO posts (id, source_key, source_path, source_text, content_hash, title,"
                " slug, permalink, published_at, is_draft, comments_enabled, excerpt_html,"
                " body_html, tag_names, categories, front_matter, created_at, updated_at)"
                " VALUES (1, 'a.md', 'a.md', '', '', 'A', 'a', '/a/', :t, false, true, '', '',"
                " '[]', '[]', '{}', :t, :t)"
            ),
            {"t": WHEN},
        )
        db.session.execute(
            text(
                "INSERT INTO comments (post_id, author_name, body_source, body_html, status,"
                " created_at) VALUES (1, 'Ada', 'hi', '<p>hi</p>', 'approved', :t)"
            ),
            {"t": WHEN},
        )
        db.session.commit()
        db.session.remove()
        upgrade()
        post = db.session.get(Post, 1)
        assert (post.version, post.imported_version, post.edited_since_import) == (1, 1, False)
        assert db.session.scalar(select(func.count(Comment.id))) == 1
        db.session.remove()
        db.engine.dispose()
    app.extensions["generation_reader"].close()
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        engine.dispose()


def test_an_imported_post_comes_back_as_its_author_wrote_it(app, write_post, import_posts):
    path = write_post(
        "2025-01-01-round.md",
        "---\ntitle: Round\ntags: [a, B]\nexcerpt: Short.\nredirect_from: /old-round/\n---\n"
        "Body with **bold**.\n",
    )
    import_posts(path)
    with app.app_context():
        post_id = db.session.execute(select(Post.id)).scalar_one()
        draft = writer(app).input_of(post_id)
        assert (draft.title, draft.body, draft.tag_names) == (
            "Round",
            "Body with **bold**.\n",
            ["a", "B"],
        )
        assert (draft.excerpt, draft.redirect_from) == ("Short.", ["/old-round/"])
        # Saved back unchanged, it renders the same and keeps its address.
        before = db.session.get(Post, post_id).body_html
        saved = writer(app).save(draft, post_id=post_id, expected_version=1)
        db.session.commit()
        assert (saved.permalink, saved.version) == ("/posts/2025/01/round/", 2)
        assert db.session.get(Post, post_id).body_html == before
