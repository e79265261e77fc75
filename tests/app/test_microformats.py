"""Microformats2 as another site's parser reads them (mf2py): a post is an h-entry with its
author's h-card and its approved comments as h-cites; a listing is an h-feed."""

from __future__ import annotations

from datetime import UTC, datetime

import mf2py
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Post, SiteState

SITE = "http://blog.example"
EXAMPLE_TITLE = "ALG Blog 2: How Generative AI Works and How It Fails"


def parse(client, path: str) -> dict:
    """The page's microformats, parsed at its own URL as a Webmention receiver would."""
    response = client.get(path)
    assert response.status_code == 200, path
    return mf2py.parse(doc=response.get_data(as_text=True), url=SITE + path)


def add_comment(app, permalink: str, status: CommentStatus, **fields) -> int:
    """Store a comment on the post at `permalink`; its id."""
    with app.app_context():
        post = db.session.execute(select(Post).where(Post.permalink == permalink)).scalar_one()
        comment = Comment(
            post_id=post.id,
            author_name=fields.pop("author_name", "Reader"),
            body_source="x",
            body_html=fields.pop("body_html", "<p>Nice post.</p>"),
            status=status,
            created_at=datetime(2025, 10, 3, 8, 0, tzinfo=UTC),
            **fields,
        )
        db.session.add(comment)
        SiteState.bump()
        db.session.commit()
        return comment.id


def test_a_post_page_is_one_h_entry(client, example_post):
    items = parse(client, example_post)["items"]
    (entry,) = [item for item in items if "h-entry" in item["type"]]
    props = entry["properties"]
    assert props["name"] == [EXAMPLE_TITLE]
    assert props["url"] == [SITE + example_post]
    assert props["published"] == ["2025-09-30T00:00:00+0000"]
    assert props["updated"] == ["2025-09-30T00:00:00+0000"]
    assert props["category"] == ["Generative AI", "Langauge Models", "Deep learning"]
    assert "Why I chose it" in props["content"][0]["html"]
    (author,) = props["author"]
    assert author["type"] == ["h-card"]
    assert author["properties"]["name"] == ["The author"]
    assert author["properties"]["url"] == [SITE + "/"]


def test_the_author_is_the_front_matter_author(client, write_post, import_posts):
    path = write_post(
        "2025-06-01-by-grace.md", "---\ntitle: By Grace\nauthor: Grace Hopper\n---\n\nHi.\n"
    )
    import_posts(path)
    (entry,) = [
        i for i in parse(client, "/posts/2025/06/by-grace/")["items"] if "h-entry" in i["type"]
    ]
    assert entry["properties"]["author"][0]["properties"]["name"] == ["Grace Hopper"]


def test_approved_comments_are_nested_h_cites_with_their_author(app, client, example_post):
    approved = add_comment(
        app,
        example_post,
        CommentStatus.APPROVED,
        author_name="Ada",
        author_url="https://ada.example/",
    )
    add_comment(app, example_post, CommentStatus.APPROVED, author_name="Bob", parent_id=approved)
    add_comment(app, example_post, CommentStatus.PENDING, author_name="Mallory")
    (entry,) = [i for i in parse(client, example_post)["items"] if "h-entry" in i["type"]]
    comments = entry["properties"]["comment"]
    assert [c["type"] for c in comments] == [["h-cite"]]
    ada = comments[0]["properties"]
    assert ada["author"][0]["properties"] == {"name": ["Ada"], "url": ["https://ada.example/"]}
    assert ada["content"][0]["value"] == "Nice post."
    assert ada["published"] == ["2025-10-03T08:00:00+0000"]
    assert ada["url"] == [f"{SITE}{example_post}#comment-{approved}"]
    (reply,) = ada["comment"]
    assert reply["properties"]["author"][0]["properties"]["name"] == ["Bob"]
    # The name, the content and the categories are the post's own, not a comment's.
    assert entry["properties"]["name"] == [EXAMPLE_TITLE]
    assert "Nice post." not in entry["properties"]["content"][0]["value"]


def test_listings_are_an_h_feed_of_h_entries(client, example_post):
    for path, name in [("/", "Test Blog"), ("/tags/deep-learning/", "Test Blog — Deep learning")]:
        (feed,) = [i for i in parse(client, path)["items"] if "h-feed" in i["type"]]
        assert feed["properties"]["name"] == [name]
        (entry,) = feed["children"]
        assert entry["type"] == ["h-entry"]
        props = entry["properties"]
        assert props["name"] == [EXAMPLE_TITLE]
        assert props["url"] == [SITE + example_post]
        assert props["published"] == ["2025-09-30T00:00:00+0000"]
        assert "Generative AI and the Question of Fairness" in props["summary"][0]
        assert props["category"] == ["Generative AI", "Langauge Models", "Deep learning"]
