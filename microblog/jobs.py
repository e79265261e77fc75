"""The durable background queue: jobs recorded in the caller's transaction, run by a thread
inside the app's own processes (or by `flask jobs worker`), each under a lease.

Why not a library: procrastinate, pq, pgqueuer and dramatiq-pg are PostgreSQL-only; huey,
rq, dramatiq and persist-queue keep their queue in Redis or in a SQLite file of their own,
through a connection of their own. None can write a job in the same SQLAlchemy transaction
as the comment that causes it on both SQLite and PostgreSQL, which is the guarantee we need
("a comment stored ⇒ its mail will go"). What we need of them is small: this module.

    @task("mail.author", attempts=8)
    def mail_author(comment_id: int) -> None: ...

    enqueue("mail.author", comment_id=comment.id)   # then the caller commits, as it would

A job is claimed by one atomic UPDATE that moves it to `running` and sets its lease
(`due_at` = now + lease). On PostgreSQL the row is picked with `FOR UPDATE SKIP LOCKED`, so
concurrent runners never wait on each other; on SQLite the UPDATE itself holds the database's
one write lock and re-checks the job is due, so two runners cannot both claim it. A runner
that dies leaves its job `running` until the lease ends; then another takes it again.
"""

from __future__ import annotations

import contextvars
import logging
import os
import random
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete, event, func, select, update

from .extensions import db
from .models import Job, JobState
from .timeutil import now_utc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """A registered job kind: its function and how it is retried."""

    name: str
    function: Callable[..., None]
    attempts: int = 8


TASKS: dict[str, Task] = {}

# The id of the job running in this thread (a mail uses it for a Message-ID that stays the
# same across retries, so a mail sent twice after a crash is recognisably one).
current_job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_job_id", default=None
)


def task(name: str, *, attempts: int = 8) -> Callable:
    """Register a function as a job kind named `name` (a decorator).

    The function takes plain JSON-able keyword arguments, runs in an app context, may change
    the database (its changes commit with the job's completion) and raises to ask for a retry.
    """

    def register(function: Callable[..., None]) -> Callable[..., None]:
        TASKS[name] = Task(name, function, attempts)
        return function

    return register


def enqueue(kind: str, *, delay: float = 0, session: Any = None, **args: Any) -> Job:
    """Record a job in the current session (or `session`): it exists once, and only if, the
    caller commits."""
    if kind not in TASKS:
        raise KeyError(f"no job kind named {kind!r}")
    job = Job(
        kind=kind,
        args=args,
        state=JobState.WAITING,
        due_at=now_utc() + timedelta(seconds=delay),
        attempts=0,
        max_attempts=TASKS[kind].attempts,
    )
    session = db.session if session is None else session
    session.add(job)
    # Wake this process's runner once the transaction commits (see `wake_after_commit`).
    session.info["jobs_enqueued"] = True
    return job


def retry_delay(attempt: int, first: float, longest: float) -> float:
    """Seconds before retry number `attempt` (1, 2, …): doubling, capped, with some jitter."""
    delay = min(longest, first * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.8, 1.2)


def worker_name() -> str:
    """Who holds a lease: host, process and thread, for `flask jobs` and the logs."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


# ---------------------------------------------------------------------------- claim and run


def _due(now: datetime):
    return Job.state.in_([JobState.WAITING, JobState.RUNNING]) & (Job.due_at <= now)


def claim(worker: str, lease_seconds: float, due_by: datetime | None = None) -> Job | None:
    """Take the next job due by `due_by` (now) under a lease, in a transaction of its own;
    None when none is due."""
    now = now_utc()
    due_by = min(due_by or now, now)
    candidate = (
        select(Job.id)
        .where(_due(due_by))
        .order_by(Job.due_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's UPDATE holds its write lock
        .scalar_subquery()
    )
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == candidate, _due(due_by))  # re-checked: the claim is conditional
        .values(
            state=JobState.RUNNING,
            locked_by=worker,
            attempts=Job.attempts + 1,
            due_at=now + timedelta(seconds=lease_seconds),
        )
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    db.session.commit()
    if claimed is None:
        return None
    return db.session.get(Job, claimed, populate_existing=True)


def _settle(job_id: int, worker: str, **values: Any) -> bool:
    """Record a job's outcome, if this worker still holds its lease."""
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker, Job.state == JobState.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))  # an UPDATE's result is a CursorResult


def run_job(app: Flask, job: Job, worker: str) -> bool:
    """Run one claimed job and record how it went; True when it succeeded."""
    job_id, kind, args, attempt, most = (
        job.id,
        job.kind,
        dict(job.args),
        job.attempts,
        job.max_attempts,
    )
    spec = TASKS.get(kind)
    try:
        if spec is None:
            raise LookupError(f"no job kind named {kind!r} in this version of the app")
        if attempt > most:
            raise RuntimeError(f"gave up: its runner stopped during each of {most} attempts")
        token = current_job_id.set(job_id)
        try:
            spec.function(**args)
        finally:
            current_job_id.reset(token)
        if not _settle(
            job_id, worker, state=JobState.DONE, finished_at=now_utc(), due_at=now_utc()
        ):
            # The lease ran out and another runner took the job: keep nothing of this run.
            db.session.rollback()
            log.warning("job %s (%s) outlived its lease; its result was dropped", job_id, kind)
            return False
        db.session.commit()
        return True
    except Exception as error:  # noqa: BLE001 (a job's failure is recorded, never raised)
        db.session.rollback()
        message = f"{type(error).__name__}: {error}"[:2000]
        log.warning("job %s (%s) attempt %s failed: %s", job_id, kind, attempt, message)
        log.debug("%s", traceback.format_exc())
        if attempt >= most or spec is None:
            values: dict[str, Any] = {"state": JobState.FAILED, "finished_at": now_utc()}
        else:
            delay = retry_delay(
                attempt, app.config["JOBS_RETRY_FIRST"], app.config["JOBS_RETRY_LONGEST"]
            )
            values = {"state": JobState.WAITING, "due_at": now_utc() + timedelta(seconds=delay)}
        _settle(job_id, worker, last_error=message, locked_by=None, **values)
        db.session.commit()
        return False


@dataclass(frozen=True)
class Ran:
    """One job a runner ran, and whether it succeeded."""

    id: int
    kind: str
    ok: bool


def run_due(app: Flask, limit: int | None = None, worker: str | None = None) -> list[Ran]:
    """Run the jobs due now, one after another (at most `limit`); what ran and how it went.

    A job that fails and is due again at once waits for the next call, not this one.
    """
    started = now_utc()
    worker = worker or worker_name()
    lease = float(app.config["JOBS_LEASE_SECONDS"])
    ran: list[Ran] = []
    while limit is None or len(ran) < limit:
        job = claim(worker, lease, due_by=started)
        if job is None:
            break
        job_id, kind = job.id, job.kind
        ran.append(Ran(job_id, kind, run_job(app, job, worker)))
        db.session.expunge_all()
    return ran


def prune(keep_days: float) -> int:
    """Forget jobs done more than `keep_days` ago; how many."""
    cutoff = now_utc() - timedelta(days=keep_days)
    result = db.session.execute(
        delete(Job).where(Job.state == JobState.DONE, Job.finished_at < cutoff)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------------------- the runner thread


class Runner:
    """A thread in this process that runs due jobs: woken at once by a local commit that
    enqueued one, and polling now and then for jobs other processes enqueued or retries."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        """Start the thread, once per process (a forked worker starts its own)."""
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return
            self.stopping.clear()
            self.thread = threading.Thread(target=self.loop, name="jobs-runner", daemon=True)
            self.thread.start()

    def stop(self, timeout: float = 5) -> None:
        """Ask the thread to finish its current job and stop."""
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def loop(self) -> None:
        poll = float(self.app.config["JOBS_POLL_SECONDS"])
        worker = worker_name()
        next_prune = 0.0
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                with self.app.app_context():
                    try:
                        run_due(self.app, worker=worker)
                        if now_utc().timestamp() > next_prune:
                            prune(float(self.app.config["JOBS_KEEP_DAYS"]))
                            next_prune = now_utc().timestamp() + 3600
                    finally:
                        db.session.remove()
            except Exception:  # the database is away: say so, wait, try again
                log.exception("the job runner could not read the queue")
            self.wake.wait(poll * random.uniform(0.8, 1.2))


def wake_after_commit(session) -> None:
    """After a commit that enqueued a job, wake this process's runner (it need not poll)."""
    if session.info.pop("jobs_enqueued", False):
        from flask import current_app, has_app_context

        if has_app_context():
            runner = current_app.extensions.get("jobs_runner")
            if runner is not None:
                runner.wake.set()


def forget_after_rollback(session, *_args) -> None:
    session.info.pop("jobs_enqueued", None)


_listening = False


def init_app(app: Flask) -> None:
    """Give the app its runner; it starts with the first request, or at once in a gunicorn
    worker (see gunicorn.conf.py), and never in CLI commands or tests unless asked."""
    global _listening
    if not _listening:
        event.listen(db.session, "after_commit", wake_after_commit)
        event.listen(db.session, "after_soft_rollback", forget_after_rollback)
        _listening = True
    runner = Runner(app)
    app.extensions["jobs_runner"] = runner
    if app.config["JOBS_RUNNER"]:

        @app.before_request
        def start_runner() -> None:
            if runner.thread is None or not runner.thread.is_alive():
                runner.start()


def start_runner(app: Flask) -> None:
    """Start the app's runner now, when the app runs jobs in-process (gunicorn's hook)."""
    if app.config["JOBS_RUNNER"]:
        app.extensions["jobs_runner"].start()


# ------------------------------------------------------------------ what `flask jobs` shows


@dataclass(frozen=True)
class QueueReport:
    """Counts by kind and state, the oldest waiting job, the latest errors."""

    counts: dict[str, dict[str, int]]
    oldest_waiting: Job | None
    errors: list[Job]


def report(error_count: int = 5) -> QueueReport:
    """What is in the queue now."""
    counts: dict[str, dict[str, int]] = {}
    rows = db.session.execute(
        select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state)
    ).all()
    for kind, state, number in rows:
        counts.setdefault(kind, {})[state.value] = number
    oldest = db.session.scalars(
        select(Job).where(Job.state == JobState.WAITING).order_by(Job.created_at, Job.id).limit(1)
    ).first()
    errors = list(
        db.session.scalars(
            select(Job)
            .where(Job.last_error.is_not(None))
            .order_by(Job.id.desc())
            .limit(error_count)
        )
    )
    return QueueReport(counts, oldest, errors)


def retry_failed() -> int:
    """Put every failed job back in the queue, due now, with a fresh set of attempts."""
    result = db.session.execute(
        update(Job)
        .where(Job.state == JobState.FAILED)
        .values(state=JobState.WAITING, due_at=now_utc(), attempts=0, finished_at=None)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
