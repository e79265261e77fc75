"""gzip: pages and feeds compressed when the client accepts it, the same `Vary` on every
path (cache fill, cache hit, 304, uncached), and a cache hit that compresses nothing."""

from __future__ import annotations

import gzip

import pytest
from comment_helpers import post_comment

from microblog.web import compression

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
PAGES_AND_FEEDS = [
    "/",
    "/tags/",
    "/tags/generative-ai/",
    "/posts/2025/09/alg-blog-post-2/",
    "/feed.xml",
    "/atom.xml",
    "/feed.json",
    "/tags/generative-ai/atom.xml",
    "/posts/2025/09/alg-blog-post-2/comments/feed.xml",
    "/sitemap.xml",
]


@pytest.mark.parametrize("path", PAGES_AND_FEEDS)
def test_compressed_when_accepted_the_same_content_when_not(client, example_post, path):
    # First request fills the cache through Flask, the second is a hit in the middleware.
    for attempt in ("fill", "hit"):
        plain = client.get(path)
        packed = client.get(path, headers=GZIP)
        assert plain.status_code == packed.status_code == 200, attempt
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip"
        if "/posts/" not in path or "comments" in path:
            # A post page embeds a fresh form token per render; everything else is stable.
            assert gzip.decompress(packed.data) == plain.data
        assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
        # A post's URL also answers ActivityStreams JSON by Accept: it says so.
        post_page = path.startswith("/posts/") and "comments" not in path
        varies = "Accept-Encoding, Accept" if post_page else "Accept-Encoding"
        assert plain.headers["Vary"] == packed.headers["Vary"] == varies
        assert plain.headers["Content-Type"] == packed.headers["Content-Type"]
        assert packed.headers["ETag"] != plain.headers["ETag"]


@pytest.mark.parametrize("path", ["/feed.xml", "/", "/feed.json"])
def test_304_for_either_encoding_with_vary(client, example_post, path):
    packed = client.get(path, headers=GZIP)
    for etag in (packed.headers["ETag"], client.get(path).headers["ETag"]):
        again = client.get(path, headers={**GZIP, "If-None-Match": etag})
        assert again.status_code == 304
        assert again.data == b""
        assert again.headers["Vary"] == "Accept-Encoding"
        assert again.headers["ETag"] == packed.headers["ETag"]
        assert "Content-Encoding" not in again.headers
    since = client.get(path, headers={**GZIP, "If-Modified-Since": packed.headers["Last-Modified"]})
    assert since.status_code == 304
    head = client.head(path, headers=GZIP)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == packed.headers["Content-Length"]


@pytest.mark.parametrize(
    ("accept", "compressed"),
    [
        ("gzip", True),
        ("GZIP", True),  # content codings are case-insensitive
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("*", True),
        ("*;q=0.1", True),
        ("br", False),
        ("identity", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_as_http_says(client, example_post, accept, compressed):
    response = client.get("/feed.xml", headers={"Accept-Encoding": accept})
    assert ("Content-Encoding" in response.headers) is compressed
    assert response.headers["Vary"] == "Accept-Encoding"


def test_a_cache_hit_compresses_nothing(client, example_post, monkeypatch):
    calls: list[int] = []
    real = compression.gzip_bytes

    def counting(body: bytes) -> bytes:
        calls.append(len(body))
        return real(body)

    monkeypatch.setattr("microblog.web.caching.gzip_bytes", counting)
    monkeypatch.setattr("microblog.web.compression.gzip_bytes", counting)
    for _ in range(50):
        assert client.get("/atom.xml", headers=GZIP).headers["Content-Encoding"] == "gzip"
    assert len(calls) == 1


def test_a_readers_private_page_is_compressed_too(app, client, example_post):
    response = post_comment(client, example_post)
    assert response.status_code == 303
    page = client.get(example_post, headers=GZIP)
    assert "private" in page.headers["Cache-Control"]
    assert page.headers["Content-Encoding"] == "gzip"
    assert set(page.headers["Vary"].split(", ")) == {"Cookie", "Accept-Encoding"}
    assert b"awaits moderation" in gzip.decompress(page.data)


def test_error_pages_vary_and_small_bodies_stay_plain(client, example_post):
    missing = client.get("/no/such/page/", headers=GZIP)
    assert missing.status_code == 404
    assert "Accept-Encoding" in missing.headers["Vary"]
    robots = client.get("/robots.txt", headers=GZIP)
    assert len(robots.data) < compression.MIN_SIZE
    assert "Content-Encoding" not in robots.headers
    assert "Accept-Encoding" in robots.headers["Vary"]
