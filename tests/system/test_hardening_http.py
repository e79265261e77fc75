"""Issue #10's classes that only show with the production server: gunicorn.conf.py as it
ships, several workers, a shared Redis for the rate limits, over real HTTP."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from comment_helpers import AUTHOR, CSRF_RE
from conftest import EXAMPLE_PERMALINK, EXAMPLE_POST
from servers import (
    Browser,
    GunicornSettings,
    flask_cli,
    gunicorn_server,
    http_get,
    start_gunicorn,
    stop,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
SETTINGS = GunicornSettings(workers=2, worker_class="gthread", threads=4)


@pytest.fixture
def redis_storage():
    """The test Redis database, emptied; skips when no Redis answers."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.flushdb()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {error}")
    yield REDIS_URL
    connection.flushdb()
    connection.close()


@pytest.fixture
def blog_env(database_url, redis_storage) -> dict[str, str]:
    """A database with the example post and the author, limits on and shared in Redis."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "hardening-http-secret",
        "SITE_URL": "http://blog.example",
        "RATELIMIT_ENABLED": "1",
        "RATELIMIT_STORAGE_URI": redis_storage,
        "LOGIN_RATE_LIMIT": "5 per 15 minutes",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    flask_cli(env, "posts", "import", str(EXAMPLE_POST))
    flask_cli(env, "author", "create", AUTHOR[0], "--password-stdin", stdin=AUTHOR[1] + "\n")
    return env


def test_script_name_poisons_the_cache_and_rate_limits_are_per_worker_no_more(blog_env, tmp_path):
    """One production server for both classes (starting one costs seconds)."""
    with gunicorn_server("wsgi:app", env=blog_env, settings=SETTINGS, log_dir=tmp_path) as blog:
        script_name_poisons_no_cache(blog)
        wrong_passwords_in_parallel_are_limited_across_workers(blog)


def script_name_poisons_no_cache(blog) -> None:
    """`SCRIPT_NAME: /evil` from 127.0.0.1 (a trusted forwarder) moves no link of anyone's."""
    for path in ["/", EXAMPLE_PERMALINK, "/evil/"]:
        # Every worker gets the poisoned request first, then a reader's.
        for _ in range(SETTINGS.workers * 2):
            http_get(blog.url(path), headers={"SCRIPT_NAME": "/evil"})
        for _ in range(SETTINGS.workers * 2):
            status, _, body = http_get(blog.url(path))
            assert b"/evil" not in body, (path, status)


def wrong_passwords_in_parallel_are_limited_across_workers(blog) -> None:
    """A parallel burst of wrong passwords spread over every worker: 5 tries, not 5 each."""
    browsers = [Browser() for _ in range(24)]
    tokens = []
    for browser in browsers:
        _, html, _ = browser.send(blog.url("/admin/login"))
        found = CSRF_RE.search(html)
        assert found
        tokens.append(found.group(1))

    def attempt(index: int) -> int:
        status, _, _ = browsers[index].send(
            blog.url("/admin/login"),
            {"username": AUTHOR[0], "password": "wrong", "csrf_token": tokens[index]},
        )
        return status

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(attempt, range(len(browsers))))
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == len(browsers) - 5, statuses


def test_several_workers_on_memory_storage_are_refused(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'refused.sqlite'}",
        "SECRET_KEY": "x",
        "RATELIMIT_ENABLED": "1",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    server = start_gunicorn("wsgi:app", env=env, settings=SETTINGS, log_dir=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while server.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.process.poll() not in (None, 0)
        assert "RATELIMIT_STORAGE_URI=redis://" in server.log()
    finally:
        stop(server.process)


def worker_rss_kib(master_pid: int) -> int:
    """The resident memory of gunicorn's one worker (the master's child), in KiB."""
    from pathlib import Path

    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    assert len(children) == 1, children
    for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_workers_cache_stays_under_its_byte_bound_whatever_urls_are_asked(tmp_path):
    """One worker, a 2 MB cache; every real page and feed plus a flood of made-up URLs (the
    trial that took a worker from 89 MB to 1.55 GB): its memory grows by the bound at most,
    plus what any Python process drifts by."""
    import re

    bound = 2 * 1024 * 1024
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'memory.sqlite'}",
        "SECRET_KEY": "memory",
        "SITE_URL": "http://blog.example",
        "RATELIMIT_ENABLED": "0",
        "RESPONSE_CACHE_MAX_BYTES": str(bound),
    }
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "dev", "seed", "--posts", "150", "--tags", "10", "--comments", "0")
    one = GunicornSettings(workers=1, worker_class="gthread", threads=2)
    with gunicorn_server("wsgi:app", env=env, settings=one, log_dir=tmp_path) as blog:
        _, _, sitemap = http_get(blog.url("/sitemap.xml"))
        paths = [
            re.sub(r"^http://blog\.example", "", loc)
            for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap.decode())
        ]
        tags = [path for path in paths if path.startswith("/tags/") and path != "/tags/"]
        assert len(paths) > 150 and tags
        for path in paths[:20]:  # warm up: templates, connections, the allocator
            http_get(blog.url(path))
        before = worker_rss_kib(blog.process.pid)
        asked = 0
        for path in paths + [tag + "feed.xml" for tag in tags] + ["/feed.xml", "/atom.xml"]:
            assert http_get(blog.url(path))[0] == 200, path
            asked += 1
        for number in range(2, 600):
            tag = tags[number % len(tags)]
            # Feeds are paged (RFC 5005): only their non-canonical forms are made up here.
            for url in [f"{tag}feed.xml?page=0{number}", f"{paths[number % 150]}?page={number}"]:
                assert http_get(blog.url(url))[0] == 404, url
                asked += 1
            http_get(blog.url(f"/?page={number:03d}"))
            http_get(blog.url(f"/feed.xml?x={number}"))
            asked += 2
        grown_kib = worker_rss_kib(blog.process.pid) - before
        print(f"worker RSS {before} KiB before, grew {grown_kib} KiB over {asked} requests")
    assert asked > 2000
    assert grown_kib * 1024 < bound + 24 * 1024 * 1024, f"grew {grown_kib} KiB"
