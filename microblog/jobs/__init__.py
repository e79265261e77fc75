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

Every job kind has a bounded run time (`seconds`, its budget): what a job waits on (the
guarded fetch, SMTP) is given no more than the budget has left (`time_left()`), and a runner
starts a job only while its lease outlasts that budget, so a lease runs out only when a
runner died, never because a job was slow. A job that cannot succeed raises `GiveUp`: it is
failed at once with its reason, not retried as if the next attempt might go better.
"""

from __future__ import annotations

import contextvars
import logging
import os
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from microblog.extensions import db
from microblog.models import Job, JobState
from microblog.timeutil import now_utc

log = logging.getLogger(__name__)


# A job's run time unless its kind says otherwise (well under JOBS_LEASE_SECONDS).
DEFAULT_BUDGET = 60.0


class GiveUp(Exception):
    """Raised by a job that cannot succeed (a source that always times out, a page too
    complex to read): the job fails now, its reason kept, with no retry."""


@dataclass(frozen=True)
class Task:
    """A registered job kind: its function and how it is retried."""

    name: str
    function: Callable[..., None]
    attempts: int = 8
    seconds: float = DEFAULT_BUDGET


TASKS: dict[str, Task] = {}

# The id of the job running in this thread (a mail uses it for a Message-ID that stays the
# same across retries, so a mail sent twice after a crash is recognisably one).
current_job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_job_id", default=None
)
# When (time.monotonic()) the job running in this thread must be done by.
current_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "current_deadline", default=None
)


def time_left() -> float | None:
    """Seconds left of the running job's budget (None outside a job)."""
    deadline = current_deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def task(
    name: str, *, attempts: int = 8, seconds: float = DEFAULT_BUDGET
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as a job kind named `name` (a decorator), run within `seconds`.

    The function takes plain JSON-able keyword arguments, runs in an app context, may change
    the database (its changes commit with the job's completion) and raises to ask for a retry
    (`GiveUp`: to fail at once).
    """

    def register(function: Callable[..., None]) -> Callable[..., None]:
        TASKS[name] = Task(name, function, attempts, seconds)
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


def enqueue_many(
    kind: str, many: list[dict[str, Any]], *, delay: float = 0, session: Any = None
) -> int:
    """Record one job of `kind` per argument set in one INSERT, in the current session's
    transaction (a fan-out of thousands costs one statement, not a flush of thousands of
    objects); how many."""
    if kind not in TASKS:
        raise KeyError(f"no job kind named {kind!r}")
    if not many:
        return 0
    now = now_utc()
    due = now + timedelta(seconds=delay)
    attempts = TASKS[kind].attempts
    rows = [
        {
            "kind": kind,
            "args": args,
            "state": JobState.WAITING,
            "due_at": due,
            "attempts": 0,
            "max_attempts": attempts,
            "created_at": now,
        }
        for args in many
    ]
    session = db.session if session is None else session
    session.execute(insert(Job), rows)
    session.info["jobs_enqueued"] = True
    session.info["job_wrote"] = True  # a running job that fans out must commit with it
    return len(rows)


def retry_delay(attempt: int, first: float, longest: float) -> float:
    """Seconds before retry number `attempt` (1, 2, …): doubling, capped, with some jitter."""
    delay = min(longest, first * 2 ** max(0, attempt - 1))
    return float(delay * random.uniform(0.8, 1.2))


def worker_name() -> str:
    """Who holds a lease: host, process and thread, for `flask jobs` and the logs."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


# ---------------------------------------------------------------------------- claim and run


def _due(now: datetime) -> ColumnElement[bool]:
    return Job.state.in_([JobState.WAITING, JobState.RUNNING]) & (Job.due_at <= now)


@dataclass(frozen=True)
class Claimed:
    """A job this runner holds the lease of: what it needs to run it."""

    id: int
    kind: str
    args: dict[str, Any]
    attempts: int  # this attempt's number
    max_attempts: int


def arriving(quiet_seconds: float, longest_wait: float) -> bool:
    """Whether jobs are still arriving in a burst (readers commenting): the newest waiting
    job is younger than `quiet_seconds`, and none has waited `longest_wait` yet (then it is
    time to send anyway)."""
    newest, oldest = db.session.execute(
        select(func.max(Job.created_at), func.min(Job.created_at)).where(
            Job.state == JobState.WAITING
        )
    ).one()
    db.session.rollback()  # end the read transaction
    if newest is None or oldest is None:
        return False
    now = now_utc()
    return (now - newest).total_seconds() < quiet_seconds and (
        now - oldest
    ).total_seconds() < longest_wait


def claim(
    worker: str, lease_seconds: float, due_by: datetime | None = None, limit: int = 1
) -> list[Claimed]:
    """Take up to `limit` jobs due by `due_by` (now) under a lease, in a transaction of its
    own, oldest first; an empty list when none is due."""
    now = now_utc()
    due_by = min(due_by or now, now)
    # A CTE, not `id IN (subquery)`: PostgreSQL may run such a subquery once per row of the
    # UPDATE, and with SKIP LOCKED each run finds new rows, so LIMIT would not hold.
    candidates = (
        select(Job.id)
        .where(_due(due_by))
        .order_by(Job.due_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's UPDATE holds its write lock
        .cte("candidates")
    )
    claimed = (
        db.session.execute(
            update(Job)
            .where(Job.id == candidates.c.id, _due(due_by))  # re-checked: a conditional claim
            .values(
                state=JobState.RUNNING,
                locked_by=worker,
                attempts=Job.attempts + 1,
                due_at=now + timedelta(seconds=lease_seconds),
            )
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    if not claimed:
        return []
    rows = db.session.execute(
        select(Job.id, Job.kind, Job.args, Job.attempts, Job.max_attempts)
        .where(Job.id.in_(claimed))
        .order_by(Job.id)
    ).all()
    db.session.rollback()  # end the read transaction
    return [
        Claimed(row.id, row.kind, dict(row.args), row.attempts, row.max_attempts) for row in rows
    ]


def release(job_ids: list[int], worker: str) -> None:
    """Give back jobs this worker claimed and did not start (due now, attempt not counted)."""
    if job_ids:
        db.session.execute(
            update(Job)
            .where(
                Job.id.in_(job_ids),
                Job.locked_by == worker,
                Job.state == JobState.RUNNING,
            )
            .values(
                state=JobState.WAITING,
                due_at=now_utc(),
                attempts=Job.attempts - 1,
                locked_by=None,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def _settle(job_id: int, worker: str, **values: Any) -> bool:
    """Record a job's outcome, if this worker still holds its lease."""
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker, Job.state == JobState.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))  # an UPDATE's result is a CursorResult


def run_job(app: Flask, job: Claimed, worker: str, deferred: list[int] | None = None) -> bool:
    """Run one claimed job and record how it went; True when it succeeded.

    With `deferred`, a job that changed nothing in the database (a mail) is not marked done
    here but added to the list, for one commit per batch (`finish`): on SQLite every commit
    is an fsync under the one write lock that readers' comments need too.
    """
    job_id, kind, args, attempt, most = (
        job.id,
        job.kind,
        job.args,
        job.attempts,
        job.max_attempts,
    )
    spec = TASKS.get(kind)
    try:
        if spec is None:
            raise LookupError(f"no job kind named {kind!r} in this version of the app")
        if attempt > most:
            raise RuntimeError(f"gave up: its runner stopped during each of {most} attempts")
        session = db.session
        session.info.pop("job_wrote", None)
        token = current_job_id.set(job_id)
        budget = current_deadline.set(time.monotonic() + spec.seconds)
        try:
            spec.function(**args)
        finally:
            current_deadline.reset(budget)
            current_job_id.reset(token)
        wrote = session.info.pop("job_wrote", False)
        if deferred is not None and not (wrote or session.new or session.dirty or session.deleted):
            session.rollback()  # ends the read transaction
            deferred.append(job_id)
            return True
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
        if attempt >= most or spec is None or isinstance(error, GiveUp):
            values: dict[str, Any] = {
                "state": JobState.FAILED,
                "finished_at": now_utc(),
            }
        else:
            delay = retry_delay(
                attempt,
                app.config["JOBS_RETRY_FIRST"],
                app.config["JOBS_RETRY_LONGEST"],
            )
            values = {
                "state": JobState.WAITING,
                "due_at": now_utc() + timedelta(seconds=delay),
            }
        _settle(job_id, worker, last_error=message, locked_by=None, **values)
        db.session.commit()
        return False


def note_write(session: Session, _flush_context: object) -> None:
    """Remember that the running job flushed changes (they must commit with it)."""
    session.info["job_wrote"] = True


def wrote() -> None:
    """Tell the runner that the running job wrote with Core statements (no ORM flush
    shows them): its changes must commit with it."""
    db.session.info["job_wrote"] = True


@dataclass(frozen=True)
class Ran:
    """One job a runner ran, and whether it succeeded."""

    id: int
    kind: str
    ok: bool


def finish(job_ids: list[int], worker: str) -> None:
    """Mark jobs done at once (those `run_job` deferred), if this worker still holds them."""
    if job_ids:
        now = now_utc()
        db.session.execute(
            update(Job)
            .where(
                Job.id.in_(job_ids),
                Job.locked_by == worker,
                Job.state == JobState.RUNNING,
            )
            .values(state=JobState.DONE, finished_at=now, due_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


# Seconds a lease must still hold after a job's budget (its commit, the next claim).
LEASE_MARGIN = 10.0


def budget_of(kind: str) -> float:
    """The run time a job of `kind` is given."""
    spec = TASKS.get(kind)
    return DEFAULT_BUDGET if spec is None else spec.seconds


def lease_problem(lease_seconds: float) -> str:
    """Why a lease of `lease_seconds` is too short for some job kind ("" when it is not)."""
    longest = max((spec.seconds for spec in TASKS.values()), default=DEFAULT_BUDGET)
    if lease_seconds < longest + LEASE_MARGIN:
        return (
            f"JOBS_LEASE_SECONDS={lease_seconds:g} is shorter than the longest job budget "
            f"({longest:g} s) plus {LEASE_MARGIN:g} s: a slow job would be taken by another "
            "runner while it still runs"
        )
    return ""


# Called after each batch a runner ran (e.g. to close the SMTP connection the batch reused).
AFTER_BATCH: list[Callable[[], None]] = []


def run_due(
    app: Flask, limit: int | None = None, worker: str | None = None, batch: int = 10
) -> list[Ran]:
    """Run the jobs due now, a batch at a time (at most `limit` in all); what ran and how.

    A job that fails and is due again at once waits for the next call, not this one. A job
    starts only while the batch's lease outlasts its budget; the rest are given back.
    """
    started = now_utc()
    worker = worker or worker_name()
    lease = float(app.config["JOBS_LEASE_SECONDS"])
    ran: list[Ran] = []
    while limit is None or len(ran) < limit:
        size = batch if limit is None else min(batch, limit - len(ran))
        claimed_at = time.monotonic()
        jobs = claim(worker, lease, due_by=started, limit=size)
        if not jobs:
            break
        deferred: list[int] = []
        try:
            for position, job in enumerate(jobs):
                lease_left = claimed_at + lease - time.monotonic()
                if position and lease_left < budget_of(job.kind) + LEASE_MARGIN:
                    release([other.id for other in jobs[position:]], worker)
                    break
                ran.append(Ran(job.id, job.kind, run_job(app, job, worker, deferred)))
        finally:
            finish(deferred, worker)
            db.session.expunge_all()
            for hook in AFTER_BATCH:
                hook()
    return ran


def prune(keep_days: float) -> int:
    """Forget jobs done more than `keep_days` ago; how many."""
    cutoff = now_utc() - timedelta(days=keep_days)
    result = db.session.execute(
        delete(Job).where(Job.state == JobState.DONE, Job.finished_at < cutoff)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


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
