"""The editor over HTTP: list, write, change, preview, delete, and every refusal."""

from __future__ import annotations

import feedparser
import pytest
from comment_helpers import csrf_from, insert_post, post_comment
from editor_helpers import create_post, form_fields, posts_in_db, signed_in, update_post

from microblog.extensions import db
from microblog.models import Comment


@pytest.fixture
def author(app):
    """A test client signed in as the author."""
    return signed_in(app)


def saved_id(response) -> int:
    """The post id from a save's 303 to its edit page."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").split("/")[-2])


def test_list_shows_drafts_scheduled_and_published_newest_first(app, author):
    create_post(author, title="Old one", published_at="2020-01-01T10:00")
    create_post(author, title="A draft", published_at="2021-01-01T10:00", draft="y")
    create_post(author, title="Future one", published_at="2999-01-01T10:00")
    html = author.get("/admin/posts").get_data(as_text=True)
    assert html.index("Future one") < html.index("A draft") < html.index("Old one")
    assert "Scheduled" in html and "Draft" in html and "Published" in html


def test_list_is_paginated(app, author):
    for number in range(22):
        create_post(
            author, title=f"Post number {number}", published_at=f"2020-01-{number + 1:02d}T10:00"
        )
    first = author.get("/admin/posts").get_data(as_text=True)
    second = author.get("/admin/posts?page=2").get_data(as_text=True)
    assert "Post number 21" in first and "Post number 0<" not in first
    assert "Post number 0<" in second and "Page 2 of 2" in second
    assert author.get("/admin/posts?page=9").status_code == 404


def test_a_saved_post_is_on_the_site_and_in_the_feed_at_once(app, author, client):
    assert "A post from the editor" not in client.get("/").get_data(as_text=True)  # cached now
    client.get("/feed.xml")
    post_id = saved_id(create_post(author))
    page = client.get("/posts/2025/10/a-post-from-the-editor/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<strong>world</strong>" in html and ">A post from the editor</h1>" in html
    assert "A post from the editor" in client.get("/").get_data(as_text=True)
    feed = feedparser.parse(client.get("/feed.xml").data)
    assert feed.entries[0].title == "A post from the editor"
    assert client.get("/tags/cafe/").status_code == 200
    [post] = posts_in_db(app)
    assert post.id == post_id and post.version == 1 and post.tag_names == ["Editing", "Café"]
    assert post.source_key is None


def test_edit_page_carries_the_version_and_the_saved_fields(app, author):
    post_id = saved_id(create_post(author))
    html = author.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    assert 'value="1"' in html and "Hello **world**." in html and 'value="Editing, Café"' in html
    assert 'value="2025-10-01T09:30:00"' in html


def test_a_changed_permalink_answers_301_from_every_old_one(app, author, client):
    post_id = saved_id(create_post(author))
    saved_id(update_post(author, post_id, permalink="/second/"))
    saved_id(update_post(author, post_id, permalink="/third/"))
    for old in ("/posts/2025/10/a-post-from-the-editor/", "/second/"):
        response = client.get(old)
        assert response.status_code == 301 and response.headers["Location"].endswith("/third/")
    assert client.get("/third/").status_code == 200
    assert posts_in_db(app)[0].version == 3


def test_a_stale_version_is_409_with_both_texts_and_nothing_lost(app, author):
    post_id = saved_id(create_post(author))
    saved_id(update_post(author, post_id, body="The other tab's words."))
    response = update_post(author, post_id, version="1", body="My own careful words.")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed since you opened it" in html
    assert "The other tab&#39;s words." in html  # the saved text, shown
    assert "My own careful words." in html  # the author's, kept in the form
    assert 'value="2"' in html  # saving again replaces version 2 on purpose
    assert posts_in_db(app)[0].body_source == "The other tab's words."
    token = csrf_from(author, f"/admin/posts/{post_id}/edit")
    again = author.post(
        f"/admin/posts/{post_id}",
        data={"csrf_token": token, "version": "2", **form_fields(body="My own careful words.")},
    )
    assert again.status_code == 303 and posts_in_db(app)[0].body_source == "My own careful words."


def test_preview_renders_the_body_as_the_page_would(app, author):
    token = csrf_from(author, "/admin/posts/new")
    response = author.post("/admin/preview", data={"csrf_token": token, "body": "# Hi\n\n*there*"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<h1 id="hi">Hi</h1>' in html and "<em>there</em>" in html
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_no_script_preview_button_shows_the_form_again_unsaved(app, author):
    response = create_post(author, action="preview", body="Some *preview*")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<em>preview</em>" in html and "Some *preview*" in html
    assert posts_in_db(app) == []


def test_delete_asks_first_then_removes_the_post_and_its_comments(app, author, client):
    path = insert_post(app)
    post_comment(client, path)
    [post] = posts_in_db(app)
    confirm = author.get(f"/admin/posts/{post.id}/delete")
    assert confirm.status_code == 200 and "Delete this post?" in confirm.get_data(as_text=True)
    assert "1 comment" in confirm.get_data(as_text=True)
    assert client.get(path).status_code == 200
    token = csrf_from(author, f"/admin/posts/{post.id}/delete")
    response = author.post(f"/admin/posts/{post.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get(path).status_code == 410 and posts_in_db(app) == []  # gone, on purpose
    with app.app_context():
        assert db.session.query(Comment).count() == 0


def test_a_note_has_no_title(app, author, client):
    saved_id(create_post(author, title="", body="Just a short thought about tea and rain."))
    [post] = posts_in_db(app)
    assert post.title == "" and post.permalink == "/posts/2025/10/2025-10-01-093000/"
    html = client.get(post.permalink).get_data(as_text=True)
    assert "<title>Just a short thought about tea" in html and "<h1></h1>" not in html


def test_tags_with_commas_and_unicode(app, author, client):
    saved_id(create_post(author, tags=" Café ,日本語,, café, Generative  AI ,"))
    [post] = posts_in_db(app)
    assert post.tag_names == ["Café", "日本語", "Generative AI"]
    assert client.get("/tags/cafe/").status_code == 200


def test_a_500_kb_post_saves_while_readers_keep_the_small_limit(app, author, client):
    body = ("A long line of Markdown text, repeated many times over. " * 20 + "\n\n") * 460
    assert len(body.encode()) > 500_000
    saved_id(create_post(author, body=body))
    assert len(posts_in_db(app)[0].body_source) == len(body)
    path = insert_post(app, slug="readers")
    assert post_comment(client, path, body="x" * 600_000).status_code == 413


BAD = [
    ({"body": ""}, 400, "cannot be empty"),
    ({"body": "   \n "}, 400, "cannot be empty"),
    ({"permalink": "https://evil.example/x/"}, 400, "not a full URL"),
    ({"permalink": "//evil.example/x/"}, 400, "not a full URL"),
    ({"permalink": "/posts/../admin/"}, 400, "&#39;..&#39;"),
    ({"permalink": "/admin/posts/"}, 400, "the blog itself uses"),
    ({"published_at": "2025-02-30T10:00"}, 400, "not a date and time that exists"),
    ({"published_at": "yesterday"}, 400, "not a date and time that exists"),
    ({"title": "t" * 1000}, 400, "At most 500 characters"),
    ({"tags": "x" * 201}, 400, "over 200 characters"),
]


@pytest.mark.parametrize(("fields", "status", "message"), BAD)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(app, author, fields, status, message):
    response = create_post(author, **fields)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html and "The post was not saved" in html
    assert posts_in_db(app) == []


def test_a_permalink_another_post_has_is_refused_naming_it(app, author, client):
    first = saved_id(create_post(author, title="First", permalink="/mine/"))
    response = create_post(author, title="Second", permalink="/mine/")
    assert response.status_code == 409
    assert "already the address of the post &#39;First&#39; at /mine/" in response.get_data(
        as_text=True
    )
    second = saved_id(create_post(author, title="Second"))
    assert update_post(author, second, title="Second", permalink="/mine/").status_code == 409
    [one, two] = posts_in_db(app)
    assert (one.id, one.permalink, one.version) == (first, "/mine/", 1) and two.version == 1
    assert "First" in client.get("/mine/").get_data(as_text=True)


def test_csrf_less_and_anonymous_posts_are_refused(app, author, client):
    no_token = author.post("/admin/posts", data=form_fields())
    assert no_token.status_code == 400
    token = csrf_from(client, "/admin/login")  # a stranger with a session of their own
    anonymous = client.post("/admin/posts", data={"csrf_token": token, **form_fields()})
    assert anonymous.status_code == 401
    assert client.post("/admin/preview", data={"csrf_token": token, "body": "x"}).status_code == 401
    assert client.get("/admin/posts").status_code == 302
    assert posts_in_db(app) == []


def test_html_in_the_body_is_kept_and_the_csp_still_holds(app, author, client):
    saved_id(create_post(author, body='<div class="x">Mine</div>\n\n<script>alert(1)</script>'))
    response = client.get("/posts/2025/10/a-post-from-the-editor/")
    assert '<div class="x">Mine</div>' in response.get_data(as_text=True)
    assert "script-src" not in response.headers["Content-Security-Policy"] or (
        "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    )
    edit = author.get("/admin/posts/1/edit")
    assert "'unsafe-inline'" not in edit.headers["Content-Security-Policy"]
