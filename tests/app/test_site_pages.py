"""Pages written in the app (`/admin/pages`): served at their address, in the navigation,
no date, no feed entry, no tags; changed with a version (409 when stale); exported back."""

from __future__ import annotations

import re

import feedparser
from comment_helpers import csrf_from
from editor_helpers import create_post, signed_in

from microblog.extensions import db
from microblog.models import Page


def create_page(client, **fields):
    token = csrf_from(client, "/admin/pages/new")
    data = {"title": "About me", "body": "I write **things**.", "permalink": "", **fields}
    return client.post("/admin/pages", data={"csrf_token": token, **data})


def test_a_page_written_in_the_app_is_served_without_date_feed_or_tags(app):
    client = signed_in(app)
    answer = create_page(client, nav_order="1")
    assert answer.status_code == 303
    page = app.test_client().get("/about-me/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<strong>things</strong>" in html
    assert "dt-published" not in html and "<time" not in html.split("<main")[1]
    assert re.search(r'<nav aria-label="Site">.*href="/about-me/">About me</a>', html, re.S)
    assert app.test_client().get("/about-me").status_code == 301
    create_post(client, title="A post")
    feed = feedparser.parse(app.test_client().get("/feed.xml").data)
    assert [entry.title for entry in feed.entries] == ["A post"]
    assert f"{app.config['SITE_URL']}/about-me/</loc>" in app.test_client().get(
        "/sitemap.xml"
    ).get_data(as_text=True)
    listing = client.get("/admin/pages").get_data(as_text=True)
    assert "About me" in listing and "/about-me/" in listing


def test_changing_a_page_needs_the_version_it_was_served_with(app):
    client = signed_in(app)
    location = create_page(client, permalink="/about/").headers["Location"]
    page_id = int(location.rstrip("/").split("/")[-2])
    token = csrf_from(client, location)
    fields = {"csrf_token": token, "title": "About", "permalink": "/about/"}
    first = client.post(f"/admin/pages/{page_id}", data={**fields, "body": "v2", "version": "1"})
    assert first.status_code == 303
    stale = client.post(f"/admin/pages/{page_id}", data={**fields, "body": "v3", "version": "1"})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "v3" in html and "v2" in html  # both texts, nothing lost
    assert "v2" in app.test_client().get("/about/").get_data(as_text=True)


def test_a_page_cannot_take_a_posts_or_the_blogs_own_address(app):
    client = signed_in(app)
    post = create_post(client, title="Taken")
    assert post.status_code == 303
    clash = create_page(client, permalink="/posts/2025/10/taken/")
    assert clash.status_code == 409 and "address of a post" in clash.get_data(as_text=True)
    own = create_page(client, permalink="/feed.xml")
    assert own.status_code == 400
    with app.app_context():
        assert db.session.query(Page).count() == 0


def test_pages_are_exported_and_imported_back(app, tmp_path):
    client = signed_in(app)
    create_page(client, title="Colophon", permalink="/colophon/", body="Made with {{ care }}.")
    runner = app.test_cli_runner()
    out = runner.invoke(args=["posts", "export", str(tmp_path / "export")])
    assert out.exit_code == 0, out.output
    text = (tmp_path / "export" / "colophon.md").read_text()
    assert text.startswith("---\ntitle: Colophon\npermalink: /colophon/\n---\n")
    assert "{% raw %}Made with {{ care }}.{% endraw %}" in text
