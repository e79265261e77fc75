"""The class "every job has a bounded run time, and a job that cannot finish is not retried as
if it might", on SQLite and PostgreSQL: a Webmention source that drips, or whose HTML costs
too much to read, fails its job once with the reason; the jobs queued behind it still run;
a runner never starts a job its lease cannot outlast."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from comment_helpers import comments_in_db, insert_post
from local_site import LocalSite
from sqlalchemy import select

from microblog import jobs
from microblog.extensions import db
from microblog.indieweb import fetch as guarded
from microblog.models import Job, JobState

# The database matters here (claims, commits from jobs and the CLI): PostgreSQL too.
pytestmark = pytest.mark.any_database(cleanup=True)


SITE = "http://blog.example"
HTML = {"Content-Type": "text/html; charset=utf-8"}
DONE: list[int] = []


@jobs.task("test.after", attempts=3)
def after(number: int) -> None:
    DONE.append(number)


@jobs.task("test.long", attempts=3, seconds=100)
def long_job(number: int) -> None:
    DONE.append(number)


@pytest.fixture(autouse=True)
def fresh():
    DONE.clear()
    yield


@pytest.fixture
def blog(make_app):
    return make_app(WEBMENTION_ALLOW_PRIVATE=True)


def all_jobs(app) -> list[Job]:
    with app.app_context():
        rows = list(db.session.scalars(select(Job).order_by(Job.id)))
        db.session.expunge_all()
        return rows


def run_once(app) -> str:
    return app.test_cli_runner().invoke(args=["jobs", "run", "--once"]).output


class DripSite:
    """Answers every request with headers, then a body one byte every 0.2 s for 30 s."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self.drip, args=(connection,), daemon=True).start()

    def drip(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
                ends = time.monotonic() + 30
                while time.monotonic() < ends and not self.stop.is_set():
                    connection.sendall(b"X: y\r\n")
                    time.sleep(0.2)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.server.close()


def test_a_dripping_source_fails_once_and_the_queue_behind_it_runs(blog, monkeypatch):
    monkeypatch.setattr(guarded, "DEADLINE_SECONDS", 1.0)
    target = SITE + insert_post(blog)
    drip = DripSite()
    try:
        client = blog.test_client()
        answer = client.post(
            "/webmention", data={"source": f"http://127.0.0.1:{drip.port}/", "target": target}
        )
        assert answer.status_code == 202
        with blog.app_context():
            jobs.enqueue("test.after", number=7)
            db.session.commit()
        output = run_once(blog)
    finally:
        drip.close()
    verify, mail_like = all_jobs(blog)
    assert verify.state == JobState.FAILED and verify.attempts == 1  # never retried
    assert "took over" in (verify.last_error or "")
    assert mail_like.state == JobState.DONE and DONE == [7]
    assert "2 jobs run, 1 failed" in output
    assert "0 jobs run" in run_once(blog)  # nothing left to retry


NESTED = 140_000  # just under the 1 MB the fetch reads
HOSTILE_PAGES = {
    "nested-b": "<b>" * NESTED + "x" + "</b>" * NESTED,
    "nested-div": "<div>" * 5_000 + "x",
    "nested-inside-entry": '<div class="h-entry"><div class="e-content">'
    + "<i>" * 300
    + "</div></div>",
    "many-elements": "<p>x" * 60_000,
    "huge-entry": '<div class="h-entry"><div class="e-content">'
    + "<span>x</span>" * 5_000
    + "</div></div>",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_PAGES))
def test_a_page_too_costly_to_read_fails_its_job_once_with_the_reason(blog, kind):
    target = SITE + insert_post(blog)
    with LocalSite() as site:
        page = f'<a class="u-in-reply-to" href="{target}">re</a>' + HOSTILE_PAGES[kind]
        site.pages["/hostile"] = (200, HTML, page)
        client = blog.test_client()
        assert (
            client.post(
                "/webmention", data={"source": site.url("/hostile"), "target": target}
            ).status_code
            == 202
        )
        run_once(blog)
        run_once(blog)
    (job,) = all_jobs(blog)
    assert job.state == JobState.FAILED and job.attempts == 1
    assert "nests" in (job.last_error or "") or "elements" in (job.last_error or "")
    assert comments_in_db(blog) == []


def test_an_ordinary_reply_is_still_read(blog):
    target = SITE + insert_post(blog)
    with LocalSite() as site:
        body = "<p>" + "A nested <strong>and <em>styled</em></strong> reply. " * 50 + "</p>"
        page = (
            '<html><body><div class="h-feed"><article class="h-entry">'
            '<a class="p-author h-card" href="/bea">Bea</a>'
            f'<a class="u-in-reply-to" href="{target}">re</a>'
            f'<div class="e-content">{body}</div></article></div></body></html>'
        )
        site.pages["/fine"] = (200, HTML, page)
        blog.test_client().post("/webmention", data={"source": site.url("/fine"), "target": target})
        run_once(blog)
    (comment,) = comments_in_db(blog)
    assert comment.author_name == "Bea" and "<em>styled</em>" in comment.body_html


def test_a_runner_starts_no_job_its_lease_cannot_outlast(make_app):
    app = make_app(JOBS_LEASE_SECONDS=50)  # test.long needs 100 s + the margin
    with app.app_context():
        jobs.enqueue("test.after", number=1)
        jobs.enqueue("test.long", number=2)
        db.session.commit()
        ran = jobs.run_due(app)
    assert [r.kind for r in ran] == ["test.after"] and DONE == [1]
    first, second = all_jobs(app)
    assert first.state == JobState.DONE
    assert second.state == JobState.WAITING and second.attempts == 0  # given back, not counted


def test_a_lease_shorter_than_a_job_budget_is_named():
    assert "JOBS_LEASE_SECONDS" in jobs.lease_problem(30)
    assert jobs.lease_problem(10_000) == ""


def test_a_give_up_fails_at_once_whatever_attempts_are_left(app):
    with app.app_context():
        jobs.enqueue("test.gives-up")
        db.session.commit()
        jobs.run_due(app)
    (job,) = all_jobs(app)
    assert (job.state, job.attempts, job.last_error) == (JobState.FAILED, 1, "GiveUp: no point")


@jobs.task("test.gives-up", attempts=8)
def gives_up() -> None:
    raise jobs.GiveUp("no point")
