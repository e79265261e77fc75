"""The feeds over HTTP: what a feed reader fetches, parses and re-checks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from feed_validator import problems_in
from lxml import etree
from sqlalchemy import delete, select, update

from microblog.extensions import db
from microblog.jekyll.slugs import tag_slug
from microblog.models import Post, SiteState, Tag
from microblog.timeutil import now_utc

SITE = "http://blog.example"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
FEEDS = [
    ("/feed.xml", RSS, "rss20"),
    ("/atom.xml", ATOM, "atom10"),
    ("/tags/generative-ai/feed.xml", RSS, "rss20"),
    ("/tags/generative-ai/atom.xml", ATOM, "atom10"),
]
FEED_PATHS = [path for path, _, _ in FEEDS]
EXAMPLE_TAGS = ["Generative AI", "Langauge Models", "Deep learning"]


@pytest.fixture
def add_post(app) -> Callable[..., str]:
    """Insert a post (and any new tags) straight into the database; return its permalink."""
    counter = iter(range(1, 10_000))

    def add(
        title: str = "A post",
        published_at: datetime | None = None,
        tags: list[str] | None = None,
        permalink: str | None = None,
        body_html: str = "<p>Body.</p>",
        excerpt_html: str = "<p>Body.</p>",
        **fields,
    ) -> str:
        number = next(counter)
        tags = EXAMPLE_TAGS if tags is None else tags
        permalink = permalink or f"/posts/test-{number}/"
        with app.app_context():
            tag_rows = []
            for name in tags:
                slug = tag_slug(name)
                tag = db.session.execute(select(Tag).where(Tag.slug == slug)).scalar_one_or_none()
                tag_rows.append(tag or Tag(name=name, slug=slug))
            post = Post(
                source_key=f"test/{number}.md",
                title=title,
                slug=f"test-{number}",
                permalink=permalink,
                published_at=published_at or datetime(2025, 9, 30, tzinfo=UTC),
                body_html=body_html,
                excerpt_html=excerpt_html,
                tag_names=list(tags),
                tags=tag_rows,
                **fields,
            )
            db.session.add(post)
            SiteState.bump()
            db.session.commit()
        return permalink

    return add


@pytest.fixture
def edit_post(app) -> Callable[..., None]:
    """Change a post's row the way an import of an edited file does."""

    def edit(permalink: str, **values) -> None:
        with app.app_context():
            db.session.execute(update(Post).where(Post.permalink == permalink).values(**values))
            SiteState.bump()
            db.session.commit()

    return edit


@pytest.fixture
def example(example_post) -> str:
    """The example post, imported; its permalink."""
    return example_post


def fetch(client, path: str, **kwargs):
    """GET a feed, check it answers 200 with well-formed XML, and parse it."""
    response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    etree.fromstring(response.data)
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed


@pytest.mark.parametrize(("path", "content_type", "version"), FEEDS)
def test_feed_has_the_example_post(client, example, path, content_type, version):
    """The example post, imported by `flask posts import`, as every feed shows it."""
    response, parsed = fetch(client, path)
    assert response.headers["Content-Type"] == content_type
    assert parsed.version == version
    (entry,) = parsed.entries
    assert entry.title == "ALG Blog 2: How Generative AI Works and How It Fails"
    assert entry.link == "http://blog.example/posts/2025/09/alg-blog-post-2/"
    assert entry.id == entry.link
    assert entry.published_parsed[:3] == (2025, 9, 30)
    assert [tag.term for tag in entry.tags] == EXAMPLE_TAGS
    assert entry.author == "The author"
    assert "Generative AI and the Question of Fairness" in entry.summary
    assert "Why I chose it" in entry.content[0].value
    assert 'href="https://mit-serc.pubpub.org/pub/f3o5mpn6/release/1?' in entry.content[0].value
    self_link = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_link == [SITE + path]


def test_the_guid_survives_a_reimport(client, import_posts, write_post):
    """Delete-and-import gives the post a new database id; its feed id stays the same."""
    text = "---\ntitle: Kept\ndate: 2025-05-01\ntags: [Generative AI]\n---\n\nBody.\n"
    path = write_post("2025-05-01-kept.md", text)
    import_posts(path)
    _, before = fetch(client, "/atom.xml")
    app = client.application
    with app.app_context():
        db.session.execute(delete(Post))
        SiteState.bump()
        db.session.commit()
    import_posts(path)
    _, after = fetch(client, "/atom.xml")
    assert [entry.id for entry in after.entries] == [entry.id for entry in before.entries]
    assert after.entries[0].id == SITE + "/posts/2025/05/kept/"


@pytest.mark.parametrize("path", FEED_PATHS)
def test_conditional_get_across_a_reimport(client, import_posts, write_post, path):
    """200, then 304 while nothing changed (a re-import of the same file included), then 200."""
    text = "---\ntitle: First\ndate: 2025-05-01\ntags: [Generative AI]\n---\n\nBody.\n"
    post = write_post("2025-05-01-edited.md", text)
    import_posts(post)
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    import_posts(post)
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    write_post("2025-05-01-edited.md", text.replace("Body.", "Body, corrected."))
    import_posts(post)
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert b"Body, corrected." in response.data


@pytest.mark.parametrize("path", FEED_PATHS)
def test_feed_answers_head(client, example, path):
    full = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == full.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(full.data))


def test_tag_feed_titles_name_the_tag(client, example):
    _, rss = fetch(client, "/tags/langauge-models/feed.xml")
    _, atom = fetch(client, "/tags/langauge-models/atom.xml")
    assert rss.feed.title == atom.feed.title == "Test Blog — Langauge Models"
    assert rss.feed.link == atom.feed.link == SITE + "/tags/langauge-models/"


def test_tag_feed_has_only_that_tags_posts(client, add_post):
    add_post(title="About AI", tags=["Generative AI"])
    add_post(title="About cats", tags=["Cats"])
    _, parsed = fetch(client, "/tags/cats/atom.xml")
    assert [entry.title for entry in parsed.entries] == ["About cats"]
    _, parsed = fetch(client, "/feed.xml")
    assert {entry.title for entry in parsed.entries} == {"About AI", "About cats"}


@pytest.mark.parametrize("kind", ["feed.xml", "atom.xml"])
def test_unknown_tag_is_404_not_an_empty_feed(client, example, kind):
    response = client.get(f"/tags/no-such-tag/{kind}")
    assert response.status_code == 404
    assert b"<rss" not in response.data and b"<feed" not in response.data


def test_tag_with_only_a_draft_is_404(client, add_post):
    add_post(title="Secret", tags=["Hidden"], is_draft=True)
    add_post(title="Public", tags=["Open"])
    assert client.get("/tags/hidden/feed.xml").status_code == 404
    assert client.get("/tags/hidden/atom.xml").status_code == 404
    assert client.get("/tags/open/feed.xml").status_code == 200


@pytest.mark.parametrize("path", FEED_PATHS)
def test_drafts_and_future_posts_never_appear(client, add_post, path):
    add_post(title="Published", tags=["Generative AI"])
    add_post(title="Draft", tags=["Generative AI"], is_draft=True)
    add_post(title="Scheduled", tags=["Generative AI"], published_at=now_utc() + timedelta(days=3))
    _, parsed = fetch(client, path)
    assert [entry.title for entry in parsed.entries] == ["Published"]


def test_a_scheduled_post_appears_once_its_time_comes(client, add_post, clock):
    add_post(title="Now", tags=["Generative AI"])
    add_post(title="Soon", tags=["Generative AI"], published_at=now_utc() + timedelta(hours=1))
    _, parsed = fetch(client, "/feed.xml")
    assert [entry.title for entry in parsed.entries] == ["Now"]
    clock.advance(minutes=59)
    _, parsed = fetch(client, "/feed.xml")
    assert [entry.title for entry in parsed.entries] == ["Now"]
    clock.advance(minutes=1)
    _, parsed = fetch(client, "/feed.xml")
    assert [entry.title for entry in parsed.entries] == ["Soon", "Now"]


@pytest.mark.parametrize("path", FEED_PATHS)
def test_items_are_capped_newest_first(make_app, path):
    app = make_app(FEED_MAX_ITEMS=3)
    client = app.test_client()
    with app.app_context():
        tag = Tag(name="Generative AI", slug="generative-ai")
        for day in range(1, 6):
            db.session.add(
                Post(
                    source_key=f"cap/{day}.md",
                    title=f"Day {day}",
                    slug=f"day-{day}",
                    permalink=f"/posts/day-{day}/",
                    published_at=datetime(2025, 1, day, tzinfo=UTC),
                    tag_names=["Generative AI"],
                    tags=[tag],
                )
            )
        SiteState.bump()
        db.session.commit()
    _, parsed = fetch(client, path)
    assert [entry.title for entry in parsed.entries] == ["Day 5", "Day 4", "Day 3"]


def test_the_default_cap_is_twenty(client, add_post):
    for day in range(1, 23):
        add_post(title=f"Day {day}", published_at=datetime(2025, 1, day, tzinfo=UTC))
    _, parsed = fetch(client, "/feed.xml")
    assert len(parsed.entries) == 20
    assert parsed.entries[0].title == "Day 22"


@pytest.mark.parametrize("path", FEED_PATHS)
def test_excerpts_only_when_full_text_is_off(make_app, path):
    app = make_app(FEED_FULL_TEXT=False)
    with app.app_context():
        tag = Tag(name="Generative AI", slug="generative-ai")
        db.session.add(
            Post(
                source_key="x.md",
                title="Short",
                slug="short",
                permalink="/posts/short/",
                published_at=datetime(2025, 1, 1, tzinfo=UTC),
                excerpt_html="<p>Just the start.</p>",
                body_html="<p>Just the start.</p><p>SECRET REST</p>",
                tag_names=["Generative AI"],
                tags=[tag],
            )
        )
        SiteState.bump()
        db.session.commit()
    response, parsed = fetch(app.test_client(), path)
    assert parsed.entries[0].summary == "<p>Just the start.</p>"
    assert b"SECRET REST" not in response.data


@pytest.mark.parametrize("path", FEED_PATHS)
def test_markup_in_a_title_is_shown_as_text(client, add_post, path):
    add_post(title='<b>Bold</b> & "quotes"', tags=["Generative AI"])
    _, parsed = fetch(client, path)
    assert parsed.entries[0].title == '<b>Bold</b> & "quotes"'


@pytest.mark.parametrize("path", FEED_PATHS)
def test_control_characters_are_removed(client, add_post, path):
    add_post(
        title="Bell\x07 and escape\x1b",
        tags=["Generative AI"],
        body_html="<p>soh\x01 and form feed\x0c</p>",
        excerpt_html="<p>vt\x0b</p>",
    )
    _, parsed = fetch(client, path)
    entry = parsed.entries[0]
    assert entry.title == "Bell and escape"
    assert entry.content[0].value == "<p>soh and form feed</p>"


@pytest.mark.parametrize("path", FEED_PATHS)
def test_relative_links_are_absolute(client, add_post, path):
    add_post(
        permalink="/posts/2025/09/pics/",
        tags=["Generative AI"],
        excerpt_html='<p><a href="/about/">about</a></p>',
        body_html=(
            '<p><img src="cat.jpg" srcset="cat.jpg 1x, /img/cat@2x.jpg 2x">'
            '<a href="../other/">other</a><video poster="poster.png" src="/v.mp4"></video></p>'
        ),
    )
    response, parsed = fetch(client, path)
    content = parsed.entries[0].content[0].value
    assert parsed.entries[0].summary == f'<p><a href="{SITE}/about/">about</a></p>'
    assert f'src="{SITE}/posts/2025/09/pics/cat.jpg"' in content
    assert f'href="{SITE}/posts/2025/09/other/"' in content
    # feedparser drops srcset and poster, so read those from the document itself.
    raw = raw_content(response.data)
    assert f'srcset="{SITE}/posts/2025/09/pics/cat.jpg 1x, {SITE}/img/cat@2x.jpg 2x"' in raw
    assert f'poster="{SITE}/posts/2025/09/pics/poster.png"' in raw
    assert f'src="{SITE}/v.mp4"' in raw
    assert not re.search(r'(?:href|src|poster)="(?!https?:)', raw)


def raw_content(document: bytes) -> str:
    """The first entry's full HTML as the feed carries it (`content:encoded` or `content`)."""
    root = etree.fromstring(document)
    return root.findtext(".//{http://purl.org/rss/1.0/modules/content/}encoded") or root.findtext(
        ".//{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content"
    )


@pytest.mark.parametrize("path", FEED_PATHS)
def test_entry_updated_is_the_last_modified_date(client, add_post, path):
    add_post(
        tags=["Generative AI"],
        published_at=datetime(2025, 9, 30, tzinfo=UTC),
        last_modified_at=datetime(2025, 10, 4, 9, 15, tzinfo=UTC),
    )
    add_post(tags=["Generative AI"], published_at=datetime(2025, 9, 1, tzinfo=UTC))
    _, parsed = fetch(client, path)
    assert parsed.entries[0].updated_parsed[:5] == (2025, 10, 4, 9, 15)
    assert parsed.entries[1].updated_parsed[:3] == (2025, 9, 1)
    assert parsed.feed.updated_parsed[:5] == (2025, 10, 4, 9, 15)


@pytest.mark.parametrize("path", FEED_PATHS)
def test_caching_headers(client, example, path):
    response = client.get(path)
    assert re.fullmatch(r'"[0-9a-f]+"', response.headers["ETag"])
    assert response.headers["Last-Modified"]
    assert response.cache_control.public
    assert response.cache_control.max_age == 300


@pytest.mark.parametrize("path", FEED_PATHS)
def test_conditional_get(client, example, edit_post, path):
    first = client.get(path)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    since = client.get(path, headers={"If-Modified-Since": last_modified})
    assert since.status_code == 304
    head = client.head(path, headers={"If-None-Match": etag})
    assert head.status_code == 304

    edit_post(example, title="A better title")
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert feedparser.parse(changed.data).entries[0].title == "A better title"
    assert client.get(path, headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("path", FEED_PATHS)
def test_if_modified_since_sees_an_edit(client, add_post, edit_post, path):
    """An edit that sets no `last_modified_at` still moves Last-Modified on."""
    old = datetime(2024, 1, 1, tzinfo=UTC)
    permalink = add_post(tags=["Generative AI"], published_at=old, updated_at=old)
    backdate_site_change(client.application, old)
    first = client.get(path)
    assert first.headers["Last-Modified"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert (
        client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code
        == 304
    )
    edit_post(permalink, body_html="<p>Corrected.</p>")
    response = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert response.status_code == 200
    assert b"Corrected." in response.data


def backdate_site_change(app, moment: datetime) -> None:
    """Make the site's last recorded change `moment`, as if the posts were imported then
    (HTTP dates count whole seconds: a test's edits all fall in the same one)."""
    with app.app_context():
        db.session.execute(update(SiteState).values(changed_at=moment))
        db.session.commit()


def test_an_unrelated_change_keeps_the_tag_feed_not_modified(client, example, add_post):
    path = "/tags/deep-learning/feed.xml"
    etag = client.get(path).headers["ETag"]
    add_post(title="Unrelated", tags=["Cats"])
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feed.xml", headers={"If-None-Match": etag}).status_code == 200


def test_same_content_gives_the_same_bytes_across_apps(make_app, add_post):
    add_post(title="Stable", tags=["Generative AI"])
    bodies = {make_app().test_client().get(path).data for path in ["/feed.xml"] * 2}
    assert len(bodies) == 1


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("/tags/Generative%20AI/feed.xml", "/tags/generative-ai/feed.xml"),
        ("/tags/Generative%20AI/atom.xml", "/tags/generative-ai/atom.xml"),
        ("/tags/Langauge%20Models/", "/tags/langauge-models/"),
        ("/tags/DEEP%20learning/atom.xml", "/tags/deep-learning/atom.xml"),
    ],
)
def test_a_typed_tag_name_redirects_to_the_slug(client, example, typed, slug):
    response = client.get(typed)
    assert response.status_code == 301
    assert response.headers["Location"] == slug
    assert client.get(slug).status_code == 200


def test_a_typed_name_without_such_tag_is_404(client, example):
    assert client.get("/tags/Not%20A%20Tag/feed.xml").status_code == 404
    assert client.get("/tags/Not%20A%20Tag/").status_code == 404


def alternate_links(html: str) -> dict[str, str]:
    """The page's `<link rel="alternate">` feeds: href → type."""
    return {
        href: kind
        for kind, href in re.findall(
            r'<link rel="alternate" type="([^"]+)"[^>]* href="([^"]+)"', html
        )
    }


def test_every_page_advertises_the_site_feeds(client, example):
    for page in ["/", "/tags/", "/tags/generative-ai/", example]:
        links = alternate_links(client.get(page).get_data(as_text=True))
        assert links.get("/feed.xml") == "application/rss+xml", page
        assert links.get("/atom.xml") == "application/atom+xml", page
        assert links.get("/feed.json") == "application/feed+json", page


def test_tag_page_advertises_and_shows_its_feed(client, example):
    html = client.get("/tags/generative-ai/").get_data(as_text=True)
    links = alternate_links(html)
    assert links["/tags/generative-ai/feed.xml"] == "application/rss+xml"
    assert links["/tags/generative-ai/atom.xml"] == "application/atom+xml"
    body = html.split("<body", 1)[1]
    assert 'href="/tags/generative-ai/feed.xml"' in body


def test_post_page_advertises_its_tags_feeds(client, example):
    links = alternate_links(client.get(example).get_data(as_text=True))
    for slug in ["generative-ai", "langauge-models", "deep-learning"]:
        assert f"/tags/{slug}/feed.xml" in links


def test_every_advertised_feed_answers(client, example):
    pages = ["/", "/tags/generative-ai/", example]
    hrefs = {
        href for page in pages for href in alternate_links(client.get(page).get_data(as_text=True))
    }
    assert len(hrefs) >= 6
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, href
        assert response.headers["Content-Type"] in {RSS, ATOM, JSON_FEED}


@pytest.mark.parametrize("kind", ["feed.xml", "atom.xml", "feed.json"])
def test_a_tag_feed_whose_last_post_became_a_draft_is_a_valid_empty_feed(
    client, add_post, edit_post, kind
):
    """Readers mark a 404 as a broken subscription: the feed stays, with no entries."""
    permalink = add_post(title="Fleeting", tags=["Fleeting"])
    path = f"/tags/fleeting/{kind}"
    assert client.get(path).status_code == 200
    edit_post(permalink, is_draft=True)
    response = client.get(path)
    assert response.status_code == 200
    assert problems_in(response.data, response.headers["Content-Type"]) == []
    if kind == "feed.json":
        assert json.loads(response.data)["items"] == []
    else:
        assert feedparser.parse(response.data).entries == []
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    # The tag's page lists nothing, so it is not found; the feed's subscribers keep theirs.
    assert client.get("/tags/fleeting/").status_code == 404
