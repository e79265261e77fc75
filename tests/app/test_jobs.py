"""The background queue (microblog/jobs.py) on SQLite and PostgreSQL: a job exists only if its
transaction commits, runs once under concurrent runners, retries with backoff, gives up
visibly, and a runner that dies mid-job leaves it to another after its lease."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from microblog import jobs
from microblog.extensions import db
from microblog.models import Job, JobState
from microblog.timeutil import now_utc

# Claims, leases and retries are the database's locking: both databases.
pytestmark = pytest.mark.any_database

RAN: list[tuple[str, int]] = []
RAN_LOCK = threading.Lock()
FAILURES: dict[int, int] = {}


@jobs.task("test.record", attempts=3)
def record(number: int) -> None:
    time.sleep(0.001)  # long enough for concurrent runners to overlap
    with RAN_LOCK:
        RAN.append(("record", number))


@jobs.task("test.flaky", attempts=3)
def flaky(number: int) -> None:
    """Fails while FAILURES[number] > 0."""
    if FAILURES.get(number, 0) > 0:
        FAILURES[number] -= 1
        raise ConnectionRefusedError(f"[Errno 111] Connection refused (try {number})")
    with RAN_LOCK:
        RAN.append(("flaky", number))


@pytest.fixture(autouse=True)
def fresh_records():
    RAN.clear()
    FAILURES.clear()
    yield


def all_jobs(app) -> list[Job]:
    with app.app_context():
        rows = list(db.session.scalars(select(Job).order_by(Job.id)))
        db.session.expunge_all()
        return rows


def test_a_job_exists_only_when_its_transaction_commits(app):
    with app.app_context():
        jobs.enqueue("test.record", number=1)
        db.session.rollback()
        jobs.enqueue("test.record", number=2)
        db.session.commit()
    [job] = all_jobs(app)
    assert (job.kind, job.args, job.state) == ("test.record", {"number": 2}, JobState.WAITING)


def test_an_unknown_kind_is_refused_when_queued(app):
    with app.app_context(), pytest.raises(KeyError):
        jobs.enqueue("no.such.job")


def test_run_once_runs_what_is_due_and_leaves_the_rest(app):
    with app.app_context():
        jobs.enqueue("test.record", number=1)
        jobs.enqueue("test.record", number=2, delay=3600)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 jobs run, 0 failed" in result.output
    assert RAN == [("record", 1)]
    states = [job.state for job in all_jobs(app)]
    assert states == [JobState.DONE, JobState.WAITING]


def test_a_failing_job_retries_with_backoff_then_gives_up_visibly(make_app, clock):
    app = make_app(JOBS_RETRY_FIRST=60, JOBS_RETRY_LONGEST=600)
    FAILURES[7] = 99
    with app.app_context():
        jobs.enqueue("test.flaky", number=7)
        db.session.commit()
    cli = app.test_cli_runner()
    first = cli.invoke(args=["jobs", "run", "--once"])
    assert first.exit_code == 1 and "failed" in first.output
    [job] = all_jobs(app)
    assert job.state == JobState.WAITING and job.attempts == 1
    wait = (job.due_at - now_utc()).total_seconds()  # the clock stood still meanwhile
    assert 48 <= wait <= 72  # the first retry delay, give or take its 20 % jitter

    # Not due yet: another run leaves it alone.
    assert "0 jobs run" in cli.invoke(args=["jobs", "run", "--once"]).output

    shown = cli.invoke(args=["jobs"])
    assert shown.exit_code == 0
    assert "test.flaky" in shown.output and "oldest waiting: job" in shown.output
    assert "ConnectionRefusedError" in shown.output and "Connection refused" in shown.output

    for attempt in (2, 3):
        with app.app_context():
            db.session.execute(update(Job).values(due_at=now_utc() - timedelta(seconds=1)))
            db.session.commit()
        cli.invoke(args=["jobs", "run", "--once"])
        [job] = all_jobs(app)
        assert job.attempts == attempt
    assert job.state == JobState.FAILED and "Connection refused" in job.last_error
    assert RAN == []
    report = cli.invoke(args=["jobs"]).output
    assert "failed" in report and "3 attempts" in report

    # The operator fixes the cause and puts it back.
    FAILURES[7] = 0
    assert "1 failed jobs queued again" in cli.invoke(args=["jobs", "retry"]).output
    cli.invoke(args=["jobs", "run", "--once"])
    assert RAN == [("flaky", 7)]
    assert all_jobs(app)[0].state == JobState.DONE


def test_a_job_that_fails_once_succeeds_on_its_retry(make_app):
    app = make_app(JOBS_RETRY_FIRST=0.01, JOBS_RETRY_LONGEST=0.01)
    FAILURES[3] = 1
    with app.app_context():
        jobs.enqueue("test.flaky", number=3)
        db.session.commit()
        first = jobs.run_due(app)
        assert [job.ok for job in first] == [False]
        time.sleep(0.05)
        second = jobs.run_due(app)
        assert [job.ok for job in second] == [True]
    [job] = all_jobs(app)
    assert job.state == JobState.DONE and job.attempts == 2
    assert "Connection refused" in job.last_error  # the history stays visible


@pytest.mark.any_database(cleanup=True)
def test_concurrent_runners_run_each_job_exactly_once(app):
    total = 120
    with app.app_context():
        for number in range(total):
            jobs.enqueue("test.record", number=number)
        db.session.commit()

    errors: list[BaseException] = []

    def runner(name: str) -> None:
        try:
            with app.app_context():
                jobs.run_due(app, worker=name, batch=1 + int(name[-1]) % 3)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(f"runner-{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    counts = Counter(number for _, number in RAN)
    assert sorted(counts) == list(range(total))
    assert set(counts.values()) == {1}
    assert {job.state for job in all_jobs(app)} == {JobState.DONE}
    # Several runners shared the work.
    assert len({job.locked_by for job in all_jobs(app)}) > 1


def test_a_dead_runners_job_is_taken_again_after_its_lease(app):
    with app.app_context():
        jobs.enqueue("test.record", number=5)
        db.session.commit()
        [claimed] = jobs.claim("dead-runner", lease_seconds=60)
        claimed_id = claimed.id
        # Leased: nobody else takes it.
        assert jobs.claim("other", lease_seconds=60) == []
        # The lease runs out (the dead runner never comes back).
        db.session.execute(update(Job).values(due_at=now_utc() - timedelta(seconds=1)))
        db.session.commit()
        ran = jobs.run_due(app, worker="other")
        assert [(job.id, job.ok) for job in ran] == [(claimed_id, True)]
        # The dead runner waking up late cannot record anything over it.
        assert not jobs._settle(claimed_id, "dead-runner", state=JobState.FAILED)
        db.session.commit()
    [job] = all_jobs(app)
    assert job.state == JobState.DONE and job.attempts == 2 and job.locked_by == "other"
    assert RAN == [("record", 5)]


@pytest.mark.any_database(cleanup=True)
def test_the_runner_thread_picks_up_a_job_at_once(make_app):
    app = make_app(JOBS_RUNNER=True, JOBS_POLL_SECONDS=30)
    runner = app.extensions["jobs_runner"]
    runner.start()
    try:
        time.sleep(0.2)  # the thread is now waiting on its 30 s poll
        started = time.monotonic()
        with app.app_context():
            jobs.enqueue("test.record", number=9)
            db.session.commit()  # wakes the runner
        # Woken by the commit, not by its poll: the poll comes after 24 s at the soonest
        # (30 s less its jitter), and this waits 20 at the most, however busy the machine.
        while not RAN and time.monotonic() - started < 20:
            time.sleep(0.01)
        assert RAN == [("record", 9)]
    finally:
        runner.stop()


def test_done_jobs_are_forgotten_after_a_while(app):
    with app.app_context():
        jobs.enqueue("test.record", number=1)
        jobs.enqueue("test.record", number=2)
        db.session.commit()
        jobs.run_due(app)
        # Ids as the database gave them (a rolled-back test does not rewind a sequence).
        old, recent = sorted(job.id for job in all_jobs(app))
        db.session.execute(
            update(Job).where(Job.id == old).values(finished_at=now_utc() - timedelta(days=8))
        )
        db.session.commit()
        assert jobs.prune(keep_days=7) == 1
    assert [job.id for job in all_jobs(app)] == [recent]


def test_flask_jobs_on_an_empty_queue(runner):
    result = runner.invoke(args=["jobs"])
    assert result.exit_code == 0 and "The queue is empty." in result.output
