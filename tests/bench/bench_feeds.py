"""Feed throughput over 10,000 posts, as a ratio to a Flask hello-world (`make bench`).

Both apps run under the same gunicorn settings in the same run, and wrk alternates between
them (hello, case, hello, case, ...), so each ratio compares like with like. Nothing is
asserted about speed; the table is printed for a person to read.

    .venv/bin/python -m pytest -q -s tests/bench/bench_feeds.py

Environment: BENCH_SECONDS (5), BENCH_POSTS (10000), BENCH_WORKERS (2),
BENCH_WORKER_CLASS (gthread), BENCH_THREADS (4), BENCH_CONNECTIONS (16),
BENCH_ROUNDS (1: repeat the whole alternation and keep each case's median ratio).
"""

from __future__ import annotations

import os
import shutil

import pytest
from harness import (
    BENCH_DIR,
    Case,
    GunicornSettings,
    alternate,
    comparison_table,
    gunicorn_server,
    http_get,
    median_of_rounds,
    run_wrk,
)
from servers import flask_cli

POSTS = int(os.environ.get("BENCH_POSTS", "10000"))
TAGS = 200
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
SETTINGS = GunicornSettings(
    workers=int(os.environ.get("BENCH_WORKERS", "2")),
    worker_class=os.environ.get("BENCH_WORKER_CLASS", "gthread"),
    threads=int(os.environ.get("BENCH_THREADS", "4")),
)
# `flask dev seed` names its tags "Topic 0", "Topic 1", ...
TAG_FEED = "/tags/topic-0/feed.xml"

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


@pytest.fixture(scope="module")
def blog_env(tmp_path_factory) -> dict[str, str]:
    """A SQLite file migrated by `flask db upgrade` and bulk-filled with POSTS posts.

    `flask dev seed` inserts rows with SQLAlchemy Core (no importer, no Markdown), three
    tags per post out of TAGS, so a tag holds about POSTS * 3 / TAGS posts.
    """
    folder = tmp_path_factory.mktemp("bench-feeds")
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        "SECRET_KEY": "bench",
        "SITE_URL": "http://blog.example",
        # Only GETs here; several workers on memory:// storage would be refused.
        "RATELIMIT_ENABLED": "0",
    }
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "dev", "seed", "--posts", str(POSTS), "--tags", str(TAGS))
    return env


def test_feed_throughput_against_hello_world(blog_env, tmp_path):
    with (
        gunicorn_server(
            "wsgi:app", env=blog_env, settings=SETTINGS, ready_path="/robots.txt", log_dir=tmp_path
        ) as blog,
        gunicorn_server(
            "hello:app", settings=SETTINGS, pythonpath=BENCH_DIR, log_dir=tmp_path
        ) as hello,
    ):
        tag_etag = http_get(blog.url(TAG_FEED))[1]["ETag"]
        site_etag = http_get(blog.url("/feed.xml"))[1]["ETag"]
        cases = [
            Case("tag feed (RSS)", blog, TAG_FEED),
            Case("tag feed, 304", blog, TAG_FEED, {"If-None-Match": tag_etag}, 304),
            Case(f"site feed (RSS), {POSTS:,} posts", blog, "/feed.xml"),
            Case("site feed, 304", blog, "/feed.xml", {"If-None-Match": site_etag}, 304),
            Case("site feed (Atom)", blog, "/atom.xml"),
            # The app's floor: a response with no database and no cache, for reference.
            Case("robots.txt (no feed)", blog, "/robots.txt"),
        ]
        rounds = [
            alternate(
                cases,
                Case("hello", hello, "/"),
                run=lambda case: run_wrk(
                    case.server.url(case.path),
                    seconds=SECONDS,
                    threads=2,
                    connections=CONNECTIONS,
                    headers=case.headers,
                ),
                warmup_seconds=1 if number == 0 else 0,
            )
            for number in range(ROUNDS)
        ]
        comparisons = median_of_rounds(rounds)

    print()
    print(
        f"Feeds over {POSTS:,} posts (SQLite), {SETTINGS.describe()}, "
        f"wrk -t2 -c{CONNECTIONS} -d{SECONDS:g}s, runs alternating with hello, "
        f"median ratio of {ROUNDS} round(s), load average {os.getloadavg()[0]:.1f}"
    )
    print(comparison_table(comparisons))
