"""Every feed of a site through the suite's feed validator (tests/feed_validator.py): the
findings of the W3C Feed Validation Service that break readers, fixed and kept fixed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from feed_validator import problems_in
from lxml import etree
from sqlalchemy import select, update

from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Post, SiteState

SITE = "http://blog.example"
ZURICH = "/posts/my trip to Zürich/"
ZURICH_URI = "/posts/my%20trip%20to%20Z%C3%BCrich/"
ATOM_NS = "{http://www.w3.org/2005/Atom}"

# Posts a validator has something to say about: a permalink with a space and a non-ASCII
# letter, front-matter `author:` (a name, a mapping) and `categories:`, markup in a title.
HOSTILE_POSTS = {
    "2025-10-01-zurich.md": (
        "---\ntitle: 'Zürich & back <again>'\npermalink: /posts/my trip to Zürich/\n"
        "author: Grace Hopper\ncategories: [travel notes, Europe]\n"
        "tags: [Générative AI, C++]\n---\n\nSee [the lake](lake.jpg) and [home](/).\n"
    ),
    "2025-09-20-ada.md": (
        "---\ntitle: Notes\nauthor:\n  name: Ada Lovelace\n  url: https://ada.example/\n"
        "last_modified_at: 2025-09-25 10:00:00 +0000\ntags: [C++]\n---\n\nNotes.\n"
    ),
}


@pytest.fixture
def hostile_site(make_app, write_post, tmp_path):
    """The hostile posts and seven plain ones, imported by `flask posts import`, with two
    posts a feed page, a WebSub hub, and an approved comment on the Zürich post."""
    app = make_app(FEED_MAX_ITEMS=2, WEBSUB_HUB="https://hub.example/websub")
    for name, text in HOSTILE_POSTS.items():
        write_post(name, text)
    for day in range(1, 8):
        write_post(f"2025-08-{day:02}-plain-{day}.md", f"---\ntitle: Plain {day}\n---\n\nText.\n")
    result = app.test_cli_runner().invoke(args=["posts", "import", str(tmp_path / "_posts")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        post = db.session.execute(select(Post).where(Post.permalink == ZURICH)).scalar_one()
        db.session.add(
            Comment(
                post_id=post.id,
                author_name="Reader <b>",
                author_url="https://reader.example/",
                body_source="Lovely.",
                body_html="<p>Lovely.</p>",
                status=CommentStatus.APPROVED,
                created_at=datetime(2025, 10, 2, tzinfo=UTC),
            )
        )
        SiteState.bump()
        db.session.commit()
    return app


def every_feed_document(client) -> dict[str, tuple[bytes, str]]:
    """url → (body, content type) of every feed and every page of it, following `next`."""
    starts = ["/feed.xml", "/atom.xml", "/feed.json"]
    for slug in ["generative-ai", "c"]:
        starts += [f"/tags/{slug}/feed.xml", f"/tags/{slug}/atom.xml", f"/tags/{slug}/feed.json"]
    starts += [f"{ZURICH_URI}comments/feed.xml"]
    documents: dict[str, tuple[bytes, str]] = {}
    for start in starts:
        url: str | None = start
        while url:
            response = client.get(url)
            assert response.status_code == 200, url
            documents[url] = (response.data, response.headers["Content-Type"])
            url = next_link(response.data)
            url = url.removeprefix(SITE) if url else None
            assert len(documents) < 100
    return documents


def next_link(body: bytes) -> str | None:
    """The document's `next` page, if any."""
    if body.lstrip().startswith(b"{"):
        return json.loads(body).get("next_url")
    for link in etree.fromstring(body).iter(f"{ATOM_NS}link"):
        if link.get("rel") == "next":
            return link.get("href")
    return None


def test_every_feed_passes_the_validator(hostile_site):
    documents = every_feed_document(hostile_site.test_client())
    # 9 posts at 2 a page: 5 pages of each site feed, and pages of the tag feeds.
    assert len([url for url in documents if url.startswith("/feed.json")]) == 5
    for url, (body, content_type) in documents.items():
        assert problems_in(body, content_type) == [], url


def test_urls_are_percent_encoded_wherever_written(hostile_site):
    client = hostile_site.test_client()
    encoded = SITE + ZURICH_URI
    rss = etree.fromstring(client.get("/feed.xml").data)
    item = rss.find("channel/item")
    assert (item.findtext("link"), item.findtext("guid")) == (encoded, encoded)
    atom = etree.fromstring(client.get("/atom.xml").data)
    entry = atom.find(f"{ATOM_NS}entry")
    assert entry.findtext(f"{ATOM_NS}id") == encoded
    assert entry.find(f"{ATOM_NS}link").get("href") == encoded
    # Relative links in the body resolve against the encoded address.
    assert f'href="{encoded}lake.jpg"' in entry.findtext(f"{ATOM_NS}content")
    assert json.loads(client.get("/feed.json").data)["items"][0]["url"] == encoded
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"<loc>{encoded}</loc>" in sitemap and ZURICH not in sitemap
    page = client.get(ZURICH_URI).get_data(as_text=True)
    assert f'<link rel="canonical" href="{encoded}">' in page
    assert f'action="{ZURICH_URI}comments"' in page


def test_the_validator_finds_what_the_w3c_validator_found():
    """The checks can fail: the defects the issue reported, each flagged."""
    raw_space = (
        b'<rss version="2.0"><channel><title>t</title><link>http://x/</link>'
        b"<description>d</description><item><title>a</title>"
        b"<link>http://x/a b/</link><guid>http://x/a b/</guid></item></channel></rss>"
    )
    assert problems_in(raw_space, "application/rss+xml") == [
        "not a URI: 'http://x/a b/'",
        "not a URI: 'http://x/a b/'",
    ]
    no_id = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b"<updated>30 Sep 2025</updated></feed>"
    )
    assert problems_in(no_id, "application/atom+xml") == [
        "feed: no <id>",
        "<updated> is not a valid date: '30 Sep 2025'",
    ]
    assert problems_in(b"<rss><channel>", "application/rss+xml")[0].startswith("not well-formed")
    bad_json = {
        "version": "https://jsonfeed.org/version/1",
        "title": "t",
        "items": [{"id": "x", "url": "http://x/a b/"}],
    }
    found = problems_in(json.dumps(bad_json).encode(), "application/feed+json")
    assert found[0] == "version: 'https://jsonfeed.org/version/1.1' was expected"
    assert found[1].startswith("items/0: ")  # no content_html nor content_text
    assert found[2:] == [
        "items/0/url: 'http://x/a b/' is not a 'uri'",
        "not a URI: 'http://x/a b/'",
    ]


def test_atom_author_and_categories_come_from_the_front_matter(hostile_site):
    client = hostile_site.test_client()
    atom = etree.fromstring(client.get("/atom.xml").data)
    zurich, notes = atom.findall(f"{ATOM_NS}entry")[:2]
    assert [name.text for name in zurich.iterfind(f"{ATOM_NS}author/{ATOM_NS}name")] == [
        "Grace Hopper"
    ]
    assert notes.findtext(f"{ATOM_NS}author/{ATOM_NS}name") == "Ada Lovelace"
    terms = [category.get("term") for category in zurich.iterfind(f"{ATOM_NS}category")]
    assert terms == ["Générative AI", "C++", "travel notes", "Europe"]
    rss = etree.fromstring(client.get("/feed.xml").data)
    item = rss.find("channel/item")
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Grace Hopper"
    assert [c.text for c in item.iterfind("category")] == terms
    (first, second) = json.loads(client.get("/feed.json").data)["items"]
    assert first["authors"] == [{"name": "Grace Hopper"}] and first["tags"] == terms
    assert second["authors"] == [{"name": "Ada Lovelace"}]


def test_the_post_page_advertises_its_comment_feed(hostile_site):
    client = hostile_site.test_client()
    head = client.get(ZURICH_URI).get_data(as_text=True).split("</head>")[0]
    found = re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="Comments on [^"]*"'
        r' href="([^"]+)">',
        head,
    )
    assert found and found.group(1) == f"{ZURICH_URI}comments/feed.xml"
    response = client.get(found.group(1))
    assert response.status_code == 200
    assert b"Lovely." in response.data


def test_an_edited_post_moves_its_updated(client, write_post, import_posts):
    path = write_post("2025-05-01-edited.md", "---\ntitle: Edited\n---\n\nFirst words.\n")
    import_posts(path)
    long_ago = datetime(2025, 5, 2, tzinfo=UTC)
    with client.application.app_context():
        db.session.execute(update(Post).values(created_at=long_ago, updated_at=long_ago))
        db.session.commit()
    before = etree.fromstring(client.get("/atom.xml").data)
    assert before.findtext(f"{ATOM_NS}entry/{ATOM_NS}updated") == "2025-05-01T00:00:00+00:00"
    write_post("2025-05-01-edited.md", "---\ntitle: Edited\n---\n\nBetter words.\n")
    import_posts(path)
    after = etree.fromstring(client.get("/atom.xml").data)
    updated = datetime.fromisoformat(after.findtext(f"{ATOM_NS}entry/{ATOM_NS}updated"))
    assert updated > long_ago
    assert after.findtext(f"{ATOM_NS}updated") == after.findtext(f"{ATOM_NS}entry/{ATOM_NS}updated")
    page = client.get("/posts/2025/05/edited/").get_data(as_text=True)
    assert f'class="dt-updated" datetime="{updated.isoformat()}"' in page


def backdate_site_change(app, moment: datetime) -> None:
    """Make the site's last recorded change `moment` (HTTP dates count whole seconds, and a
    test's writes all fall in the same one)."""
    with app.app_context():
        db.session.execute(update(SiteState).values(changed_at=moment))
        db.session.commit()


@pytest.mark.parametrize("path", ["/feed.xml", "/atom.xml", "/feed.json", "/tags/c/atom.xml"])
def test_last_modified_never_moves_back_when_an_entry_leaves(hostile_site, path):
    client = hostile_site.test_client()
    backdate_site_change(hostile_site, datetime(2025, 10, 1, tzinfo=UTC))
    first = client.get(path)
    since = first.headers["Last-Modified"]
    with hostile_site.app_context():
        db.session.execute(update(Post).where(Post.permalink == ZURICH).values(is_draft=True))
        SiteState.bump()
        db.session.commit()
    response = client.get(path, headers={"If-Modified-Since": since})
    assert response.status_code == 200
    assert "Zürich".encode() not in response.data
    assert response.last_modified >= first.last_modified


def test_comment_feed_last_modified_never_moves_back_when_a_comment_leaves(hostile_site):
    client = hostile_site.test_client()
    path = f"{ZURICH_URI}comments/feed.xml"
    backdate_site_change(hostile_site, datetime(2025, 10, 2, tzinfo=UTC))
    first = client.get(path)
    with hostile_site.app_context():
        db.session.execute(update(Comment).values(status=CommentStatus.PENDING))
        SiteState.bump()
        db.session.commit()
    response = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert response.status_code == 200
    assert b"Lovely." not in response.data
    assert response.last_modified >= first.last_modified
