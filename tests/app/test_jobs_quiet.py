"""A jobs worker with JOBS_QUIET_SECONDS waits for a pause in a burst of new jobs (readers
commenting) before it sends, and never longer than JOBS_QUIET_LONGEST."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from microblog import jobs
from microblog.extensions import db
from microblog.jobs.runner import run_pass
from microblog.models import Job, JobState
from microblog.timeutil import now_utc

DONE: list[int] = []


@jobs.task("test.quiet", attempts=1)
def remember(number: int) -> None:
    DONE.append(number)


def queue(app, number: int, age_seconds: float) -> None:
    with app.app_context():
        jobs.enqueue("test.quiet", number=number)
        db.session.commit()
        db.session.execute(
            update(Job)
            .where(Job.kind == "test.quiet", Job.state == JobState.WAITING)
            .values(created_at=now_utc() - timedelta(seconds=age_seconds))
        )
        db.session.commit()


def run_once(app) -> None:
    """One pass of the jobs worker's loop."""
    with app.app_context():
        run_pass(app, "test")


def states(app) -> list[str]:
    with app.app_context():
        found = db.session.scalars(select(Job.state).where(Job.kind == "test.quiet")).all()
        db.session.rollback()
        return sorted(state.value for state in found)


def test_a_burst_waits_for_a_pause_then_goes(make_app):
    DONE.clear()
    app = make_app(JOBS_QUIET_SECONDS=1.0, JOBS_QUIET_LONGEST=60.0)
    queue(app, 1, age_seconds=0.0)
    with app.app_context():
        assert jobs.arriving(1.0, 60.0)
    run_once(app)
    assert states(app) == ["waiting"] and DONE == []
    queue(app, 2, age_seconds=2.0)  # every waiting job now 2 s old: the burst paused
    with app.app_context():
        assert not jobs.arriving(1.0, 60.0)
    run_once(app)
    assert states(app) == ["done", "done"] and sorted(DONE) == [1, 2]


def test_a_steady_stream_still_sends_after_the_longest_wait(make_app):
    DONE.clear()
    app = make_app(JOBS_QUIET_SECONDS=1.0, JOBS_QUIET_LONGEST=60.0)
    queue(app, 1, age_seconds=61.0)
    with app.app_context():
        jobs.enqueue("test.quiet", number=2)  # and one just now: still arriving
        db.session.commit()
        assert not jobs.arriving(1.0, 60.0)  # but the oldest has waited long enough
    run_once(app)
    assert sorted(DONE) == [1, 2]


def test_without_the_setting_jobs_go_at_once(make_app):
    DONE.clear()
    app = make_app()
    assert app.config["JOBS_QUIET_SECONDS"] == 0
    queue(app, 1, age_seconds=0.0)
    run_once(app)
    assert DONE == [1]
