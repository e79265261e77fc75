"""Security headers over real HTTP from gunicorn: pages, feeds, errors, redirects, static
files, and a browser that really refuses to frame the blog."""

from __future__ import annotations

import http.client
import urllib.request
from urllib.parse import urlsplit

import pytest

PATHS = [
    "/",
    "/posts/2025/09/alg-blog-post-2/",
    "/posts/2025/09/alg-blog-post-2",  # 301 to the slash form
    "/tags/",
    "/tags/generative-ai/",
    "/feed.xml",
    "/atom.xml",
    "/tags/generative-ai/feed.xml",
    "/tags/generative-ai/atom.xml",
    "/posts/2025/09/alg-blog-post-2/comments/feed.xml",
    "/sitemap.xml",
    "/robots.txt",
    "/static/style.css",
    "/no/such/page/",
    "/tags/no-such-tag/",
    "/tags/no-such-tag/feed.xml",
    "/static/no-such-file.css",
    "/admin/login",
    "/admin/comments?status=pending",  # signed out: a redirect or a refusal, headers all the same
]

ACCEPTABLE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def fetch(base_url: str, path: str) -> http.client.HTTPResponse:
    """GET `path` without following redirects."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def csp_directives(value: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(live_site, path):
    response = fetch(live_site.url, path)
    assert response.status < 500, (path, response.status)

    policy = response.getheader("Content-Security-Policy")
    assert policy, f"{path} has no Content-Security-Policy"
    directives = csp_directives(policy)
    assert directives.get("default-src") == ["'self'"], policy
    assert directives.get("object-src") == ["'none'"], policy
    assert directives.get("base-uri") == ["'none'"], policy
    assert directives.get("frame-ancestors") == ["'none'"], policy
    # No inline script, no eval, whatever directive might allow it.
    for name in ("default-src", "script-src", "script-src-elem", "script-src-attr"):
        sources = directives.get(name, [])
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, policy
        assert not any(source in ("*", "data:", "http:", "https:") for source in sources), policy

    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Frame-Options", "").upper() == "DENY"
    assert response.getheader("Referrer-Policy") in ACCEPTABLE_REFERRER_POLICIES


def framed_main_count(watched, url: str) -> int:
    """How many `main#main` elements show inside an iframe of `url` on another origin."""
    page = watched.page
    page.set_content(f'<iframe id="framed" src="{url}" title="framed"></iframe>')
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    return page.frame_locator("#framed").locator("main#main").count()


def test_the_browser_refuses_to_show_the_blog_in_a_frame(new_page, live_site):
    assert framed_main_count(new_page(), live_site.url + "/") == 0

    # The control: the same page with its anti-framing headers taken off does show, so the
    # count above is zero because of the headers, not because the check cannot see frames.
    control = new_page()

    with urllib.request.urlopen(live_site.url + "/") as response:
        body = response.read()

    def without_frame_headers(route):
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    control.page.route(live_site.url + "/", without_frame_headers)
    assert framed_main_count(control, live_site.url + "/") == 1
