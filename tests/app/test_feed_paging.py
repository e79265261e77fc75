"""RFC 5005 paged feeds as a new subscriber reads the archive: follow `next` to the end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from lxml import etree

from microblog.extensions import db
from microblog.models import Post, SiteState, Tag
from microblog.timeutil import now_utc

SITE = "http://blog.example"
FEEDS = ["/feed.xml", "/atom.xml", "/feed.json"]
TAG_FEEDS = ["/tags/cats/feed.xml", "/tags/cats/atom.xml", "/tags/cats/feed.json"]
PER_PAGE = 3


@pytest.fixture
def paged_app(make_app):
    """A site of 8 published posts (every other one tagged Cats), a draft and a scheduled
    post, with 3 posts a feed page."""
    app = make_app(FEED_MAX_ITEMS=PER_PAGE)
    with app.app_context():
        cats = Tag(name="Cats", slug="cats")
        for day in range(1, 9):
            db.session.add(
                Post(
                    source_key=f"paging/{day}.md",
                    title=f"Day {day}",
                    slug=f"day-{day}",
                    permalink=f"/posts/day-{day}/",
                    published_at=datetime(2025, 3, day, tzinfo=UTC),
                    tag_names=["Cats"] if day % 2 else [],
                    tags=[cats] if day % 2 else [],
                )
            )
        for title, draft, when in [
            ("Draft", True, datetime(2025, 3, 20, tzinfo=UTC)),
            ("Scheduled", False, now_utc() + timedelta(days=2)),
        ]:
            db.session.add(
                Post(
                    source_key=f"paging/{title}.md",
                    title=title,
                    slug=title.lower(),
                    permalink=f"/posts/{title.lower()}/",
                    published_at=when,
                    is_draft=draft,
                    tag_names=["Cats"],
                    tags=[cats],
                )
            )
        SiteState.bump()
        db.session.commit()
    return app


def read_page(client, url: str) -> tuple[list[str], dict[str, str]]:
    """One feed document: its entry titles and its links by rel (absolute URLs)."""
    response = client.get(url.removeprefix(SITE))
    assert response.status_code == 200, url
    if url.split("?")[0].endswith(".json"):
        feed = json.loads(response.data)
        links = {"self": feed["feed_url"]}
        if "next_url" in feed:
            links["next"] = feed["next_url"]
        return [item["title"] for item in feed["items"]], links
    etree.fromstring(response.data)
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    links = {link.rel: link.href for link in parsed.feed.links if link.rel != "alternate"}
    return [entry.title for entry in parsed.entries], links


def follow_next(client, path: str) -> list[tuple[list[str], dict[str, str]]]:
    """Every page from the feed's own URL, following `next` until there is none."""
    pages, url = [], SITE + path
    while url:
        titles, links = read_page(client, url)
        pages.append((titles, links))
        url = links.get("next")
        assert len(pages) < 20, "next links run in a circle"
    return pages


@pytest.mark.parametrize("path", FEEDS)
def test_following_next_reads_every_published_post_once(paged_app, path):
    pages = follow_next(paged_app.test_client(), path)
    titles = [title for page_titles, _ in pages for title in page_titles]
    assert titles == [f"Day {day}" for day in range(8, 0, -1)]
    assert [len(page_titles) for page_titles, _ in pages] == [3, 3, 2]


@pytest.mark.parametrize("path", TAG_FEEDS)
def test_a_tag_feed_pages_through_its_own_posts(paged_app, path):
    pages = follow_next(paged_app.test_client(), path)
    titles = [title for page_titles, _ in pages for title in page_titles]
    assert titles == ["Day 7", "Day 5", "Day 3", "Day 1"]


@pytest.mark.parametrize("path", ["/feed.xml", "/atom.xml"])
def test_every_page_links_first_previous_next_last(paged_app, path):
    client = paged_app.test_client()
    feed = SITE + path
    pages = follow_next(client, path)
    assert [links for _, links in pages] == [
        {"self": feed, "first": feed, "next": f"{feed}?page=2", "last": f"{feed}?page=3"},
        {
            "self": f"{feed}?page=2",
            "first": feed,
            "previous": feed,
            "next": f"{feed}?page=3",
            "last": f"{feed}?page=3",
        },
        {
            "self": f"{feed}?page=3",
            "first": feed,
            "previous": f"{feed}?page=2",
            "last": f"{feed}?page=3",
        },
    ]


def test_rss_carries_the_paging_links_as_atom_links(paged_app):
    root = etree.fromstring(paged_app.test_client().get("/feed.xml?page=2").data)
    links = {
        link.get("rel"): (link.get("href"), link.get("type"))
        for link in root.iterfind("channel/{http://www.w3.org/2005/Atom}link")
    }
    assert links["next"] == (f"{SITE}/feed.xml?page=3", "application/rss+xml")
    assert links["previous"] == (f"{SITE}/feed.xml", "application/rss+xml")


def test_a_one_page_feed_is_its_own_first_and_last(client):
    _, links = read_page(client, SITE + "/atom.xml")
    assert links == {
        "self": f"{SITE}/atom.xml",
        "first": f"{SITE}/atom.xml",
        "last": f"{SITE}/atom.xml",
    }


@pytest.mark.parametrize("path", FEEDS + TAG_FEEDS)
@pytest.mark.parametrize(
    "query", ["page=4", "page=99999", "page=1", "page=01", "page=0", "page=-1", "page=x", "page="]
)
def test_a_page_past_the_end_or_not_canonical_is_404(paged_app, path, query):
    response = paged_app.test_client().get(f"{path}?{query}")
    assert response.status_code == 404
    assert b"<rss" not in response.data and b"<feed" not in response.data


def test_pages_are_cached_and_revalidated_apart(paged_app):
    client = paged_app.test_client()
    first, second = client.get("/atom.xml"), client.get("/atom.xml?page=2")
    assert first.headers["ETag"] != second.headers["ETag"]
    again = client.get("/atom.xml?page=2", headers={"If-None-Match": second.headers["ETag"]})
    assert again.status_code == 304
