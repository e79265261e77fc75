"""Many readers commenting at once, against a real multi-worker server (gunicorn):
every comment is stored exactly once, on SQLite (WAL) and on PostgreSQL."""

from __future__ import annotations

import http.client
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from comment_helpers import comments_in_db, insert_post
from servers import GunicornSettings, free_port, start_gunicorn, stop, wait_until_up

# Concurrent writers through gunicorn: each database's locking.
pytestmark = pytest.mark.any_database(cleanup=True)

COMMENTS = 80
RESENT = 20  # of those, sent a second time at once (a double click, a retry)
THREADS = 24


@pytest.fixture
def server(make_app, database_url, tmp_path):
    """gunicorn with 3 workers on the test database, one post in it."""
    app = make_app()
    path = insert_post(app)
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "concurrency-secret",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
    }
    settings = GunicornSettings(workers=3, worker_class="gthread", threads=4)
    gunicorn = start_gunicorn("wsgi:app", env=env, settings=settings, log_dir=tmp_path, port=port)
    try:
        wait_until_up(gunicorn, path)
        yield app, port, path
    finally:
        stop(gunicorn.process)
    log_text = gunicorn.log()
    assert "Traceback" not in log_text, log_text
    assert "database is locked" not in log_text, log_text


def request(port: int, method: str, path: str, body: str | None = None) -> tuple[int, str]:
    """One HTTP request on its own connection; the status and the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_many_comments_at_once_are_all_stored_once(server):
    app, port, path = server
    status, page = request(port, "GET", path)
    assert status == 200
    # Every reader gets the same (cached) page, hence the same form token.
    token = re.search(r'name="comment_token" value="([^"]+)"', page).group(1)
    forms = [
        urlencode(
            {
                "name": f"Reader {number}",
                "email": f"reader{number}@example.com",
                "body": f"Comment number {number}.",
                "comment_token": token,
            }
        )
        for number in range(COMMENTS)
    ]
    sends = forms + forms[:RESENT]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(lambda form: request(port, "POST", path + "comments", form), sends))
    statuses = [status for status, _ in results]
    assert statuses == [303] * len(sends), [r for r in results if r[0] != 303][:3]

    stored = comments_in_db(app)
    bodies = [comment.body_source for comment in stored]
    assert len(bodies) == COMMENTS, f"{len(bodies)} stored"
    assert sorted(bodies) == sorted(f"Comment number {n}." for n in range(COMMENTS))
    assert len({comment.submission_key for comment in stored}) == COMMENTS
