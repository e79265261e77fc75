"""One post to 10,000 followers on 1,000 shared inboxes: queued in under a second (the fan-out
job: one signed delivery job per shared inbox, in one transaction), and delivered at 100 or
more per second to a local sink (each a draft-cavage signed POST over loopback, through the
guarded fetch, from the durable queue).

    .venv/bin/python -m pytest -q -s tests/bench/bench_fediverse.py

Writes FEDIVERSE_RESULTS.md beside this file. The sink answers 202 at once and checks
nothing (the signatures are checked in tests/app/test_fediverse.py); one runner thread
delivers, as one app process's runner would.
"""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from comment_helpers import create_author, insert_post
from sqlalchemy import func, insert, select

from microblog import jobs
from microblog.extensions import db
from microblog.fediverse import delivery
from microblog.fediverse.keys import current_key
from microblog.models import Follower, Job, JobState, Post

FOLLOWERS = int(os.environ.get("BENCH_FOLLOWERS", "10000"))
SERVERS = int(os.environ.get("BENCH_SERVERS", "1000"))
RESULTS = Path(__file__).resolve().parent / "FEDIVERSE_RESULTS.md"
REPORT: dict[str, dict[str, float]] = {}


class Sink:
    """A local inbox for every server: counts the POSTs it is sent."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.count += 1
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink():
    server = Sink()
    yield server
    server.close()


def test_one_post_to_10000_followers_on_1000_servers(make_app, sink, database_url):
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    app = make_app(ACTIVITYPUB_ALLOW_PRIVATE=True)
    create_author(app)
    permalink = insert_post(app, title="News for everyone")
    base = f"http://127.0.0.1:{sink.port}"
    with app.app_context():
        rows = [
            {
                "actor_url": f"{base}/server-{n % SERVERS}/users/{n}",
                "inbox": f"{base}/server-{n % SERVERS}/users/{n}/inbox",
                "shared_inbox": f"{base}/server-{n % SERVERS}/inbox",
                "handle": f"@u{n}@server-{n % SERVERS}",
                "name": f"User {n}",
                "follow_id": "",
                "accepted": True,
            }
            for n in range(FOLLOWERS)
        ]
        db.session.execute(insert(Follower), rows)
        db.session.commit()
        post_id = db.session.execute(
            select(Post.id).where(Post.permalink == permalink)
        ).scalar_one()
        current_key()  # made once, outside the timing
        db.session.commit()

        started = time.perf_counter()
        delivery.publish(post_id=post_id)
        db.session.commit()
        queued_in = time.perf_counter() - started
        waiting = db.session.execute(
            select(func.count()).select_from(Job).where(Job.kind == "fediverse.deliver")
        ).scalar_one()
    assert waiting == SERVERS

    with app.app_context():
        started = time.perf_counter()
        ran = jobs.run_due(app, batch=50)
        delivered_in = time.perf_counter() - started
    assert sum(1 for job in ran if job.ok) == SERVERS
    assert sink.count == SERVERS
    with app.app_context():
        left = db.session.execute(
            select(func.count()).select_from(Job).where(Job.state == JobState.WAITING)
        ).scalar_one()
    assert left == 0
    rate = SERVERS / delivered_in
    REPORT[backend] = {"queued": queued_in, "rate": rate}
    print(
        f"\n{backend}: {FOLLOWERS} followers on {SERVERS} servers: queued in "
        f"{queued_in:.3f} s; delivered {SERVERS} at {rate:.0f}/s"
    )
    write_results()
    assert queued_in < 1.0
    assert rate >= 100


def write_results() -> None:
    lines = [
        "# One post to the fediverse (`tests/bench/bench_fediverse.py`)",
        "",
        f"{FOLLOWERS} followers on {SERVERS} servers (a shared inbox each) on a local sink "
        "answering 202; one runner thread (`jobs.run_due`, batches of 50); RSA 2048 "
        "draft-cavage signature per POST. Targets: queued < 1 s, delivered >= 100/s.",
        "",
        "| database | fan-out queued in | deliveries/s |",
        "| --- | ---: | ---: |",
    ]
    for backend, figures in sorted(REPORT.items()):
        lines.append(f"| {backend} | {figures['queued']:.3f} s | {figures['rate']:.0f} |")
    lines += [
        "",
        "Before reading the actor's private key once per process (cryptography checks an RSA "
        "key on every load, ~70 ms here) and queueing a fan-out with one INSERT, the same run "
        "gave 7 deliveries/s and 1.03 s to queue on PostgreSQL.",
        "The other half of the issue's target (page answers staying >= 1.0x hello while "
        "delivering) is not measured here.",
        "",
        f"Measured {time.strftime('%H:%M UTC', time.gmtime())} on the shared 2-core "
        f"machine (load average {os.getloadavg()[0]:.1f} at the end).",
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
