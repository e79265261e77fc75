"""ActivityPub behind deploy/nginx.conf: WebFinger and the inbox reach the app, a post's URL
answers activity JSON to a fediverse server and HTML to a browser, and the page cache never
serves one for the other, in either order."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from comment_helpers import AUTHOR
from nginx_server import nginx_binary, nginx_front
from servers import GunicornSettings, flask_cli, gunicorn_server

pytestmark = pytest.mark.skipif(
    nginx_binary() is None,
    reason="nginx is not installed (apt-get install nginx): deploy/nginx.conf is not tested",
)

POST = """---
title: Federated
date: 2025-04-01 12:00:00 +0000
permalink: /posts/2025/04/federated/
---

A post for the fediverse.
"""
PERMALINK = "/posts/2025/04/federated/"
ACTIVITY = "application/activity+json"


@pytest.fixture(scope="module")
def front(tmp_path_factory, sqlite_template):
    folder = tmp_path_factory.mktemp("fediverse")
    (folder / "blog.sqlite").write_bytes(sqlite_template.read_bytes())
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'blog.sqlite'}",
        "SECRET_KEY": "fediverse-test-secret",
        "SITE_URL": "http://blog.example",
        "RATELIMIT_ENABLED": "0",
        "PROXY_FIX": "1",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "MEDIA_FOLDER": str(folder / "media"),
    }
    (folder / "post.md").write_text(POST)
    flask_cli(env, "posts", "import", str(folder / "post.md"))
    flask_cli(env, "author", "create", AUTHOR[0], "--password-stdin", stdin=AUTHOR[1] + "\n")
    settings = GunicornSettings(workers=1, worker_class="gthread", threads=2)
    with (
        gunicorn_server("wsgi:app", env=env, settings=settings, log_dir=folder) as app,
        nginx_front(folder / "nginx", [app.port]) as nginx,
    ):
        yield nginx


def get(url: str, accept: str = "text/html") -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), dict(error.headers)


def post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": ACTIVITY}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_html_and_activity_json_never_stand_in_for_each_other(front):
    url = front.url(PERMALINK)
    for accept in ("text/html", "text/html", ACTIVITY, "text/html", ACTIVITY):
        status, body, headers = get(url, accept)
        assert status == 200
        if accept == ACTIVITY:
            assert headers["Content-Type"].startswith(ACTIVITY)
            assert json.loads(body)["type"] == "Article"
            assert headers["X-Cache-Status"] == "BYPASS"
        else:
            assert headers["Content-Type"].startswith("text/html")
            assert "A post for the fediverse." in body


def test_webfinger_nodeinfo_and_the_actor_reach_the_app(front):
    status, body, headers = get(
        front.url("/.well-known/webfinger?resource=acct:author@blog.example"),
        "application/jrd+json",
    )
    assert status == 200
    links = json.loads(body)["links"]
    assert {
        "rel": "self",
        "type": ACTIVITY,
        "href": "http://blog.example/activitypub/actor",
    } in links
    status, body, _ = get(front.url("/.well-known/nodeinfo"), "application/json")
    assert status == 200 and json.loads(body)["links"]
    status, body, _ = get(front.url("/activitypub/actor"), ACTIVITY)
    assert status == 200 and json.loads(body)["type"] == "Person"


def test_the_inbox_takes_posts_to_1_mb_and_refuses_unsigned_ones(front):
    status, body = post(front.url("/activitypub/inbox"), b'{"type": "Follow"}')
    assert status == 401, body  # the app's answer: nginx passed it on
    status, body = post(front.url("/activitypub/inbox"), b"{" + b" " * (1024 * 1024 + 100) + b"}")
    assert status == 413
