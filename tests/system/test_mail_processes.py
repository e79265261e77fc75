"""Mail from real gunicorn processes to a real SMTP server (aiosmtpd), on SQLite and
PostgreSQL: the reader's POST answers at once while the mail server is down, and the mail goes
once it is back (`flask jobs` showing the error meanwhile); a gunicorn SIGKILLed right after
answering still sends the mail after a restart; two gunicorns on one database send each mail
exactly once. The runner thread inside gunicorn's workers is the only sender: no other
process is started."""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from collections import Counter
from urllib.parse import urlencode

import pytest
from comment_helpers import TOKEN_RE, insert_post
from conftest import BASE_CONFIG
from servers import (
    GunicornSettings,
    Server,
    flask_cli,
    http_get,
    kill_group,
    start_gunicorn,
    stop,
    wait_until_up,
)
from smtp_server import SMTPServer

from microblog import create_app
from microblog.extensions import db
from microblog.models import Author

# Job claims across processes: each database's locking.
pytestmark = pytest.mark.any_database(cleanup=True)

PERMALINK = "/posts/2025/03/mail-test/"
SETTINGS = GunicornSettings(workers=2, worker_class="gthread", threads=2)
AUTHOR_EMAIL = "author@blog.example"


class SlowMailFrom:
    """Holds each MAIL FROM for a while: a send is under way, unfinished, when the test kills
    the sender (no message is accepted before RCPT and DATA complete)."""

    def __init__(self, collector, seconds: float) -> None:
        self.collector = collector
        self.seconds = seconds

    async def handle_MAIL(self, server, session, envelope, address, options):
        await asyncio.sleep(self.seconds)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return await self.collector.handle_DATA(server, session, envelope)


@pytest.fixture
def site(database_url, tmp_path):
    """The environment of a blog with mail on, its post imported and its author created."""
    smtp = SMTPServer()
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "mail-processes-secret",
        "SITE_URL": "http://blog.example",
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_TIMEOUT": "5",
        "JOBS_POLL_SECONDS": "0.5",
        "JOBS_LEASE_SECONDS": "3",
        "JOBS_RETRY_FIRST": "0.5",
        "JOBS_RETRY_LONGEST": "2",
    }
    # The post and the author straight through the models (a CLI process each costs seconds).
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    insert_post(app, slug="mail-test", permalink=PERMALINK, title="Mail test")
    with app.app_context():
        author = Author(username="me", email=AUTHOR_EMAIL)
        author.set_password("pw", app.config["PASSWORD_HASH_METHOD"])
        db.session.add(author)
        db.session.commit()
        db.engine.dispose()
    servers: list[Server] = []
    yield env, smtp, servers, tmp_path
    for server in servers:
        stop(server.process)
    smtp.stop()


def boot(env, servers, tmp_path) -> Server:
    server = start_gunicorn("wsgi:app", env=env, settings=SETTINGS, log_dir=tmp_path)
    servers.append(server)
    wait_until_up(server)
    return server


def comment(server: Server, body: str) -> tuple[int, float]:
    """Send a comment as a browser would; the status and how long the answer took."""
    _, _, page = http_get(server.url(PERMALINK))
    token = TOKEN_RE.search(page.decode()).group(1)
    form = urlencode({"name": "Ada", "body": body, "comment_token": token}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect())
    started = time.monotonic()
    try:
        with opener.open(server.url(PERMALINK + "comments"), data=form, timeout=30) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def last_error(env) -> str:
    """The queue's latest error, read straight from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT max(last_error) FROM jobs")).scalar()
    finally:
        engine.dispose()
    return found or ""


def bodies(smtp: SMTPServer) -> list[str]:
    return [m.get_body(("plain",)).get_content() for m in smtp.messages]


def test_mail_server_down_the_post_answers_at_once_and_the_mail_goes_later(site):
    env, smtp, servers, tmp_path = site
    server = boot(env, servers, tmp_path)  # the mail server is not running yet
    status, _ = comment(server, "Written while the mail server is down.")
    assert status == 303
    # The reader's answer did not wait on the mail: the queue's runner tried it and failed
    # (the job waits to be retried), which the job's error below shows.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "refused" not in last_error(env):
        time.sleep(0.2)
    assert "refused" in last_error(env)
    assert smtp.messages == []

    smtp.start()
    [mail] = smtp.wait_for(1, timeout=30)
    assert "Written while the mail server is down." in bodies(smtp)[0]
    assert mail["To"] == AUTHOR_EMAIL
    time.sleep(1)
    assert len(smtp.messages) == 1
    # `flask jobs` shows the mail done and, among the last errors, why it had to wait.
    report = flask_cli(env, "jobs")
    assert re.search(r"mail\.author\s+0\s+0\s+1\s+0", report), report
    assert "Connection refused" in report, report


def test_a_gunicorn_killed_right_after_answering_still_sends_the_mail(site):
    env, smtp, servers, tmp_path = site
    slow = SlowMailFrom(smtp.collector, seconds=2.0)
    from aiosmtpd.controller import Controller

    smtp.controller = Controller(slow, hostname="127.0.0.1", port=smtp.port)
    smtp.controller.start()
    server = boot(env, servers, tmp_path)
    status, _ = comment(server, "The process dies right after this answer.")
    assert status == 303
    time.sleep(0.3)  # the runner has woken and is inside MAIL FROM, or about to be
    kill_group(server)
    servers.remove(server)
    assert smtp.messages == []

    smtp.stop()
    smtp.start()  # a normal, fast server again
    boot(env, servers, tmp_path)  # no request needed: the workers' runners start at boot
    smtp.wait_for(1, timeout=30)
    time.sleep(1.5)
    assert len(smtp.messages) == 1, bodies(smtp)
    assert "The process dies right after this answer." in bodies(smtp)[0]


def test_two_gunicorns_on_one_database_send_each_mail_exactly_once(site):
    env, smtp, servers, tmp_path = site
    smtp.start()
    hosts = [boot(env, servers, tmp_path), boot(env, servers, tmp_path)]
    total = 24
    for number in range(total):
        status, _ = comment(hosts[number % 2], f"Comment number {number:03d}.")
        assert status == 303
    smtp.wait_for(total, timeout=60)
    time.sleep(2)  # anything sent twice would have arrived by now
    seen = Counter(re.search(r"Comment number (\d{3})\.", b).group(1) for b in bodies(smtp))
    assert sorted(seen) == [f"{n:03d}" for n in range(total)]
    assert set(seen.values()) == {1}
    assert len({m["Message-ID"] for m in smtp.messages}) == total
    report = flask_cli(env, "jobs")
    assert re.search(rf"mail\.author\s+0\s+0\s+{total}\s+0", report), report
