"""The reader's pages over HTTP: index, permalinks, tags, sitemap, robots, errors."""

from __future__ import annotations

import re

import pytest
from conftest import EXAMPLE_PERMALINK, EXAMPLE_TITLE


def post_text(title: str, date: str, tags: str = "", extra: str = "", body: str = "Body.") -> str:
    """A small Jekyll post."""
    return f'---\ntitle: "{title}"\ndate: {date}\n{tags}{extra}---\n\n{body}\n'


def test_example_post_renders_exactly(client, example_post):
    page = client.get(example_post)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<h1 class="p-name">{EXAMPLE_TITLE}</h1>' in html
    assert (
        '<time class="dt-published" datetime="2025-09-30T00:00:00+00:00">30 September 2025</time>'
        in html
    )
    for slug, name in [
        ("generative-ai", "Generative AI"),
        ("langauge-models", "Langauge Models"),
        ("deep-learning", "Deep learning"),
    ]:
        assert f'<a href="/tags/{slug}/" rel="tag" class="p-category">{name}</a>' in html
    body = html.split('<div class="post-body e-content">', 1)[1].split("</article>", 1)[0]
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", body)
    assert headings == [
        "Case Study Summary",
        "Discussion Topic I chosen: The use of creative work for training",
        "New Discussion Question",
        "Why I chose it",
        "Reflection:",
    ]
    assert 'href="https://mit-serc.pubpub.org/pub/f3o5mpn6/release/1?' in body
    for leaked in ("permalink:", "tags:", "title:", "Langauge Models\n"):
        assert leaked not in body


def test_missing_trailing_slash_redirects_permanently(client, example_post):
    response = client.get(EXAMPLE_PERMALINK.rstrip("/"))
    assert response.status_code == 301
    assert response.headers["Location"].endswith(EXAMPLE_PERMALINK)


def test_index_lists_newest_first_with_excerpts(client, import_posts, write_post):
    write_post("2024-01-01-older.md", post_text("Older", "2024-01-01", body="Old one.\n\nMore."))
    write_post("2024-06-01-newer.md", post_text("Newer", "2024-06-01", body="New one.\n\nMore."))
    import_posts(write_post("2024-06-02-x.md", post_text("X", "2024-06-02")).parent)
    html = client.get("/").get_data(as_text=True)
    assert html.index("Newer") < html.index("Older")
    assert "New one." in html
    assert "More." not in html  # only the excerpt: the first paragraph


@pytest.mark.parametrize("page", ["0", "-1", "abc", "2", "1e3", "99999999999999999999", "1.5"])
def test_bad_page_numbers_are_404_not_500(client, example_post, page):
    assert client.get(f"/?page={page}").status_code == 404


def test_pagination_links(make_app, write_post):
    app = make_app(POSTS_PER_PAGE=2)
    paths = [
        write_post(f"2024-01-0{day}-p{day}.md", post_text(f"Post {day}", f"2024-01-0{day}"))
        for day in range(1, 6)
    ]
    result = app.test_cli_runner().invoke(args=["posts", "import", str(paths[0].parent)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    first = client.get("/").get_data(as_text=True)
    assert 'rel="next" href="/?page=2"' in first and "Post 5" in first
    third = client.get("/?page=3").get_data(as_text=True)
    assert "Post 1" in third and 'rel="prev"' in third
    assert client.get("/?page=4").status_code == 404


def test_tag_pages(client, example_post):
    index = client.get("/tags/").get_data(as_text=True)
    assert '<a href="/tags/langauge-models/">Langauge Models</a>' in index
    assert "(1 post)" in index
    tag = client.get("/tags/generative-ai/")
    assert tag.status_code == 200
    html = tag.get_data(as_text=True)
    assert "Generative AI" in html and EXAMPLE_TITLE in html
    assert client.get("/tags/no-such-tag/").status_code == 404


def test_drafts_and_future_posts_are_not_served(client, import_posts, write_post):
    write_post("2024-01-01-draft.md", post_text("Draft", "2024-01-01", extra="published: false\n"))
    write_post("2999-01-01-future.md", post_text("Future", "2999-01-01", tags="tags: [later]\n"))
    import_posts(write_post("2024-01-02-live.md", post_text("Live", "2024-01-02")).parent)
    html = client.get("/").get_data(as_text=True)
    assert "Live" in html and "Draft" not in html and "Future" not in html
    assert client.get("/posts/2024/01/draft/").status_code == 404
    assert client.get("/posts/2999/01/future/").status_code == 404
    assert client.get("/tags/later/").status_code == 404
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "/posts/2024/01/live/" in sitemap and "draft" not in sitemap and "future" not in sitemap


def test_redirect_from_answers_301(client, import_posts, write_post):
    extra = "redirect_from:\n  - /old/path/\n  - /older.html\n"
    import_posts(write_post("2024-01-01-moved.md", post_text("Moved", "2024-01-01", extra=extra)))
    for old in ("/old/path/", "/old/path", "/older.html"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"].endswith("/posts/2024/01/moved/")


def test_sitemap_and_robots(client, example_post):
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    assert f"<loc>http://blog.example{EXAMPLE_PERMALINK}</loc>" in sitemap.get_data(as_text=True)
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://blog.example/sitemap.xml" in robots
    assert "Disallow: /admin/" in robots


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/posts/2025/09/",
        "/%00",
        "/%ff%fe",
        "/..%2f..%2fetc/passwd",
        "/tags/%00/",
        "/" + "a" * 5000,
        "/posts/2025/09/alg-blog-post-2/%0d%0aSet-Cookie:x=1",
        "/static/../../wsgi.py",
    ],
)
def test_unknown_paths_get_a_friendly_404(client, example_post, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "Traceback" not in html
    assert "Set-Cookie" not in response.headers or "x=1" not in response.headers["Set-Cookie"]


def test_page_is_served_from_cache_until_the_post_changes(client, import_posts, write_post):
    path = write_post("2024-01-01-cached.md", post_text("First title", "2024-01-01"))
    import_posts(path)
    first = client.get("/posts/2024/01/cached/")
    etag = first.headers["ETag"]
    assert client.get("/posts/2024/01/cached/", headers={"If-None-Match": etag}).status_code == 304
    path.write_text(post_text("Second title", "2024-01-01"), encoding="utf-8")
    import_posts(path)
    changed = client.get("/posts/2024/01/cached/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Second title" in changed.get_data(as_text=True)


def test_security_headers_on_pages(client, example_post):
    for path in ("/", example_post, "/tags/", "/nope"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp or "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_stylesheet_is_served_by_the_app(client):
    with client.get("/static/style.css") as css:
        assert css.status_code == 200
        assert "prefers-color-scheme: dark" in css.get_data(as_text=True)


def test_classic_favicon_path_points_at_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/static/favicon.svg")


def test_extra_query_arguments_share_the_cached_page(app, client, example_post):
    first = client.get("/?utm_source=x")
    assert first.status_code == 200
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    # Only the page number tells listings apart; everything else is the same page.
    assert client.get("/?x=1").headers["ETag"] == client.get("/?x=2").headers["ETag"]
    assert len(app.extensions["response_cache"].entries) == 1
