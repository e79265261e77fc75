"""What readers browse and share: the archive by year and month, category pages and feeds,
older/newer and related posts, comment counts, and each post's link card (OpenGraph,
Twitter, JSON-LD) read with real parsers."""

from __future__ import annotations

import json

import feedparser
import html5lib
import pytest

POSTS = {
    "2019-01-03-new-year.md": (
        "---\ntitle: New year\ndate: 2019-01-03 00:30:00 +0100\ntags: [life, travel]\n"
        "categories: [journal]\nimage: /images/snow.jpg\n---\n"
        "Snow in Paris. The first post of the year.\n\nA second paragraph."
    ),
    "2019-01-20-film.md": (
        "---\ntitle: Film cameras\ntags: [photography, travel]\ncategories: [Gear Notes]\n---\n"
        "Film again.\n\n![a camera](/images/camera.png)"
    ),
    "2019-03-02-spring.md": (
        "---\ntitle: Spring\ntags: [life]\ncategories: [journal]\n---\nBuds & <em>rain</em>."
    ),
    "2020-07-14-summer.md": "---\ntitle: Summer\ntags: [travel, life]\n---\nHot.",
}


@pytest.fixture
def blog(make_app, write_post):
    app = make_app(TIMEZONE="Europe/Paris")
    runner = app.test_cli_runner()
    paths = [str(write_post(name, text)) for name, text in POSTS.items()]
    result = runner.invoke(args=["posts", "import", *paths])
    assert result.exit_code == 0, result.output
    run_jobs(app)
    return app


def run_jobs(app) -> None:
    """Run what the writes queued (related posts are worked out by a job)."""
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output


def tree(response):
    return html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)


def meta(page, key: str) -> list[str]:
    found = page.findall(f".//meta[@property='{key}']") + page.findall(f".//meta[@name='{key}']")
    return [element.get("content") for element in found]


def link_href(page, rel: str) -> str | None:
    element = page.find(f".//head/link[@rel='{rel}']")
    return None if element is None else element.get("href")


def permalink_of(app, title: str) -> str:
    from sqlalchemy import select

    from microblog.extensions import db
    from microblog.models import Post

    with app.app_context():
        return db.session.execute(select(Post.permalink).where(Post.title == title)).scalar_one()


def test_the_archive_counts_posts_by_year_and_month_in_the_site_zone(blog):
    client = blog.test_client()
    page = client.get("/archive/").get_data(as_text=True)
    assert "4 posts" in page
    assert '<a href="/archive/2019/01/">January</a> <span class="count">(2)</span>' in page
    assert '<a href="/archive/2019/03/">March</a> <span class="count">(1)</span>' in page
    assert '<a href="/archive/2020/">2020</a>' in page
    month = client.get("/archive/2019/01/").get_data(as_text=True)
    assert "New year" in month and "Film cameras" in month and "Spring" not in month
    year = client.get("/archive/2019/").get_data(as_text=True)
    assert "New year" in year and "Spring" in year and "Summer" not in year
    for missing in ("/archive/2018/", "/archive/2019/02/", "/archive/2019/13/", "/archive/2019/1/"):
        assert client.get(missing).status_code == 404, missing


def test_a_category_has_a_page_and_feeds(blog):
    client = blog.test_client()
    index = client.get("/categories/").get_data(as_text=True)
    assert "/categories/journal/" in index and "/categories/gear-notes/" in index
    page = client.get("/categories/journal/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "New year" in text and "Spring" in text and "Film cameras" not in text
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse(client.get(f"/categories/journal/{name}").get_data())
        assert not feed.bozo, feed.bozo_exception
        assert [entry.title for entry in feed.entries] == ["Spring", "New year"]
        assert "journal" in feed.feed.title
    json_feed = json.loads(client.get("/categories/gear-notes/feed.json").get_data())
    assert [item["title"] for item in json_feed["items"]] == ["Film cameras"]
    assert client.get("/categories/nothing/").status_code == 404
    assert client.get("/categories/nothing/feed.xml").status_code == 404


def test_posts_link_older_newer_and_related(blog):
    client = blog.test_client()
    page = tree(client.get(permalink_of(blog, "Film cameras")))
    assert link_href(page, "prev") == permalink_of(blog, "New year")
    assert link_href(page, "next") == permalink_of(blog, "Spring")
    related = [a.text for a in page.iterfind(".//aside[@class='related']//a")]
    # "New year" and "Summer" share travel with it; nothing else shares a tag.
    assert sorted(related) == ["New year", "Summer"]
    first = tree(client.get(permalink_of(blog, "New year")))
    assert link_href(first, "prev") is None
    assert link_href(first, "next") == permalink_of(blog, "Film cameras")


def test_related_lists_are_worked_out_at_write_time(blog, write_post):
    client = blog.test_client()
    path = permalink_of(blog, "Spring")

    def related() -> list[str]:
        return [a.text for a in tree(client.get(path)).iterfind(".//aside[@class='related']//a")]

    assert related() == ["Summer", "New year"]  # each shares "life"; newest first
    newcomer = "---\ntitle: Autumn\ntags: [life, travel, photography]\n---\nLeaves."
    runner = blog.test_cli_runner()
    result = runner.invoke(
        args=["posts", "import", str(write_post("2021-10-01-autumn.md", newcomer))]
    )
    assert result.exit_code == 0, result.output
    assert "Autumn" not in related()  # the page reads the stored list: the job has not run
    run_jobs(blog)
    assert related()[0] == "Autumn"  # the newest of the posts sharing one tag with Spring


def test_every_post_page_carries_a_link_card(blog):
    client = blog.test_client()
    path = permalink_of(blog, "New year")
    page = tree(client.get(path))
    url = "http://blog.example" + path
    assert link_href(page, "canonical") == url
    assert meta(page, "og:title") == ["New year"]
    assert meta(page, "og:url") == [url]
    assert meta(page, "og:type") == ["article"]
    assert meta(page, "og:site_name") == ["Test Blog"]
    assert meta(page, "og:description") == ["Snow in Paris. The first post of the year."]
    assert meta(page, "og:image") == ["http://blog.example/images/snow.jpg"]
    assert meta(page, "twitter:card") == ["summary_large_image"]
    # The time with the site's offset: 00:30 in Paris on 3 January.
    assert meta(page, "article:published_time") == ["2019-01-03T00:30:00+01:00"]
    scripts = page.findall(".//script[@type='application/ld+json']")
    assert len(scripts) == 1
    data = json.loads(scripts[0].text)
    assert data["@context"] == "https://schema.org" and data["@type"] == "BlogPosting"
    assert data["headline"] == "New year" and data["url"] == url
    assert data["datePublished"] == "2019-01-03T00:30:00+01:00"
    assert data["image"] == ["http://blog.example/images/snow.jpg"]
    assert data["author"]["name"] and data["publisher"]["name"] == "Test Blog"
    # No image in front matter: the first image of the post, made absolute.
    film = tree(client.get(permalink_of(blog, "Film cameras")))
    assert meta(film, "og:image") == ["http://blog.example/images/camera.png"]
    # Neither: a summary card without an image.
    spring = tree(client.get(permalink_of(blog, "Spring")))
    assert meta(spring, "og:image") == [] and meta(spring, "twitter:card") == ["summary"]
    assert meta(spring, "og:description") == ["Buds & rain."]


def test_json_ld_cannot_break_out_of_its_script(make_app, write_post):
    app = make_app()
    hostile = '---\ntitle: "</script><script>alert(1)</script>"\n---\nBody <!-- x -->'
    result = app.test_cli_runner().invoke(
        args=["posts", "import", str(write_post("2020-01-01-x.md", hostile))]
    )
    assert result.exit_code == 0, result.output
    html = app.test_client().get("/posts/2020/01/x/").get_data(as_text=True)
    start = html.index('<script type="application/ld+json">')
    end = html.index("</script>", start)
    data = json.loads(html[start + len('<script type="application/ld+json">') : end])
    assert data["headline"] == "</script><script>alert(1)</script>"


def test_listings_show_comment_counts(blog):
    from sqlalchemy import select

    from microblog.extensions import db
    from microblog.models import Comment, CommentStatus, Post

    with blog.app_context():
        post = db.session.execute(select(Post).where(Post.title == "Spring")).scalar_one()
        statuses = [CommentStatus.APPROVED, CommentStatus.APPROVED, CommentStatus.PENDING]
        for n, status in enumerate(statuses):
            db.session.add(
                Comment(
                    post_id=post.id,
                    author_name=f"R{n}",
                    body_source="hi",
                    body_html="<p>hi</p>",
                    status=status,
                )
            )
        db.session.commit()
    client = blog.test_client()
    assert "2 comments" in client.get("/").get_data(as_text=True)
    assert "2 comments" in client.get("/categories/journal/").get_data(as_text=True)


@pytest.mark.parametrize(
    "permalink", ["/archive/2019/", "/categories/journal/", "/search", "/opensearch.xml"]
)
def test_a_post_cannot_take_an_address_the_blog_answers(make_app, write_post, permalink):
    app = make_app()
    post = f"---\ntitle: Shadow\npermalink: {permalink}\n---\nText."
    result = app.test_cli_runner().invoke(
        args=["posts", "import", str(write_post("2020-01-01-shadow.md", post))]
    )
    assert result.exit_code != 0
    assert "failed:" in result.output and "the blog itself uses" in result.output


def test_feature_images_show_on_the_post_and_in_listings(blog):
    client = blog.test_client()
    post = tree(client.get(permalink_of(blog, "New year")))
    covers = [img.get("src") for img in post.iterfind(".//figure[@class='feature-image']/img")]
    assert covers == ["/images/snow.jpg"]
    listing = tree(client.get("/"))
    cards = [img.get("src") for img in listing.iterfind(".//a[@class='summary-image']/img")]
    assert cards == ["/images/snow.jpg"]  # only the post with a feature image has a card image
    # Both pictures give their box's size (no shift while they load); the card's loads lazily.
    [cover] = post.iterfind(".//figure[@class='feature-image']/img")
    [card] = listing.iterfind(".//a[@class='summary-image']/img")
    assert cover.get("width") and cover.get("height") and cover.get("loading") is None
    assert card.get("width") and card.get("height") and card.get("loading") == "lazy"


def test_minimal_mistakes_header_images(make_app, write_post):
    app = make_app()
    text = "---\ntitle: Teaser\nheader:\n  overlay_image: banner.png\n  teaser: t.png\n---\nText."
    result = app.test_cli_runner().invoke(
        args=["posts", "import", str(write_post("2020-02-02-teaser.md", text))]
    )
    assert result.exit_code == 0, result.output
    page = tree(app.test_client().get("/posts/2020/02/teaser/"))
    # A relative path is the site's, as Minimal Mistakes' `relative_url` makes it.
    assert meta(page, "og:image") == ["http://blog.example/banner.png"]
    assert [img.get("src") for img in page.iterfind(".//figure/img")] == ["/banner.png"]
