"""Crash safety: readers comment at once while the whole gunicorn (master and workers) is
SIGKILLed, twice. After a restart, every comment whose POST got its 303 is stored exactly
once, a form re-sent after the crash is not stored twice, and the database is sound and
takes new writes. SQLite (WAL, synchronous=FULL) and PostgreSQL."""

from __future__ import annotations

import http.client
import re
import sqlite3
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import pytest
from comment_helpers import TOKEN_RE, comments_in_db, insert_post
from servers import GunicornSettings, Server, kill_group, start_gunicorn, wait_until_up
from sqlalchemy import create_engine, text

# A SIGKILL mid-write: each database's durability.
pytestmark = pytest.mark.any_database(cleanup=True)

CLIENTS = 8
SETTINGS = GunicornSettings(workers=2, worker_class="gthread", threads=4)
LOAD_SECONDS = 1.5  # of comments before each kill
RESEND_SECONDS = 1.0
CRASHES = 2


class Reader(threading.Thread):
    """Sends distinct comments one after another; re-sends a form whose answer was lost."""

    def __init__(self, number: int, state: dict) -> None:
        super().__init__(daemon=True)
        self.number = number
        self.state = state
        self.accepted: dict[str, int] = {}  # body -> comment id from the 303's Location
        self.unanswered: list[str] = []  # bodies whose POST got no answer (the server died)
        self.refused: list[tuple[int, str]] = []
        self.sent = 0

    def run(self) -> None:
        while not self.state["stop"].is_set():
            if not self.state["up"].is_set():
                self.state["up"].wait(0.05)
                continue
            # A reader whose POST got no answer sends that same form again, as a browser would.
            body = self.unanswered[-1] if self.unanswered else self.next_body()
            try:
                status, location = self.post(body)
            except (OSError, http.client.HTTPException):
                if body not in self.unanswered:
                    self.unanswered.append(body)
                time.sleep(0.02)
                continue
            if body in self.unanswered:
                self.unanswered.remove(body)
            if status == 303:
                self.accepted[body] = int(re.search(r"#comment-(\d+)$", location).group(1))
            else:
                self.refused.append((status, body))

    def next_body(self) -> str:
        self.sent += 1
        return f"Crash test comment {self.number}-{self.sent}."

    def post(self, body: str) -> tuple[int, str]:
        port, path, token = self.state["port"], self.state["path"], self.state["token"]
        form = urlencode({"name": f"Reader {self.number}", "body": body, "comment_token": token})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            connection.request(
                "POST",
                path + "comments",
                body=form,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = connection.getresponse()
            # The status line is only sent after the commit: once it is here, the comment
            # counts as accepted even if the crash cuts the rest of the answer short.
            status, location = response.status, response.getheader("Location", "")
            try:
                response.read()
            except (OSError, http.client.HTTPException):
                pass
            return status, location
        finally:
            connection.close()


def start(env: dict[str, str], tmp_path, path: str) -> Server:
    server = start_gunicorn("wsgi:app", env=env, settings=SETTINGS, log_dir=tmp_path)
    wait_until_up(server, path)
    return server


def check_database(url: str) -> None:
    """The database's own integrity checks."""
    if url.startswith("sqlite"):
        check_sqlite(url)
    else:
        check_postgres(url)


def check_sqlite(url: str) -> None:
    """SQLite's own checks of the file (read with the stdlib driver, after the crash)."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        connection.close()


def check_postgres(url: str) -> None:
    """What PostgreSQL's constraints promise, checked by queries; and no transaction left open."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            orphans = conn.execute(
                text(
                    "SELECT count(*) FROM comments c LEFT JOIN posts p ON p.id = c.post_id "
                    "WHERE p.id IS NULL"
                )
            ).scalar_one()
            assert orphans == 0
            duplicated_keys = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT submission_key FROM comments "
                    "WHERE submission_key IS NOT NULL GROUP BY submission_key "
                    "HAVING count(*) > 1) d"
                )
            ).scalar_one()
            assert duplicated_keys == 0
            invalid_indexes = conn.execute(
                text(
                    "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND NOT (i.indisvalid AND i.indisready)"
                )
            ).scalar_one()
            assert invalid_indexes == 0
    finally:
        engine.dispose()


def test_comments_answered_303_survive_a_sigkill_of_the_whole_server(
    make_app, database_url, tmp_path
):
    app = make_app()
    path = insert_post(app)
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "crash-secret",
        "SITE_URL": "http://blog.example",
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
    }
    server = start(env, tmp_path, path)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    connection.request("GET", path)
    token = TOKEN_RE.search(connection.getresponse().read().decode()).group(1)
    connection.close()

    state = {
        "port": server.port,
        "path": path,
        "token": token,
        "stop": threading.Event(),
        "up": threading.Event(),
    }
    readers = [Reader(number, state) for number in range(CLIENTS)]
    state["up"].set()
    for reader in readers:
        reader.start()
    logs = []
    try:
        for crash in range(CRASHES):
            time.sleep(LOAD_SECONDS)
            kill_group(server)  # mid-load: some POSTs are in flight, some in a commit
            state["up"].clear()
            logs.append(server.log())
            if crash == 0:
                check_database(database_url)  # the file or cluster as the crash left it
            server = start(env, tmp_path, path)
            state["port"] = server.port
            state["up"].set()
        time.sleep(RESEND_SECONDS)  # every form left unanswered by the last crash is re-sent
        state["stop"].set()
        for reader in readers:
            reader.join(timeout=30)
        # The restarted server takes new writes.
        assert Reader(99, state).post("Written after the crashes.")[0] == 303
    finally:
        state["stop"].set()
        kill_group(server)
        logs.append(server.log())

    accepted = {body: cid for reader in readers for body, cid in reader.accepted.items()}
    assert not [r.refused for r in readers if r.refused]
    assert len(accepted) > 20, "too few comments got through to say anything"
    assert not [r.unanswered for r in readers if r.unanswered]

    stored = comments_in_db(app)
    counts = Counter(comment.body_source for comment in stored)
    by_body = {comment.body_source: comment.id for comment in stored}
    lost = [body for body in accepted if counts[body] == 0]
    assert not lost, f"{len(lost)} comments answered 303 are missing: {lost[:5]}"
    doubled = [body for body, count in counts.items() if count > 1]
    assert not doubled, f"stored more than once: {doubled[:5]}"
    assert all(by_body[body] == cid for body, cid in accepted.items())
    assert counts["Written after the crashes."] == 1
    check_database(database_url)

    log_text = "\n".join(logs)
    assert "database is locked" not in log_text, log_text
    assert "Traceback" not in log_text, log_text
