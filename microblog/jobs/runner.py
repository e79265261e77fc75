"""The thread that runs background jobs inside each app process (`make run`, every gunicorn
worker), so a personal blog needs no other process; `flask jobs worker` runs the same loop on
its own for a bigger site.

It starts in a gunicorn worker as soon as the worker boots (gunicorn.conf.py's
`post_worker_init`), else with the first request; never in CLI commands, nor in tests unless
asked (JOBS_RUNNER). A commit in this process that queued a job wakes it at once; it also
polls every JOBS_POLL_SECONDS for jobs other processes queued and for retries that fell due.
"""

from __future__ import annotations

import logging
import random
import threading

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from microblog import jobs
from microblog.extensions import db
from microblog.timeutil import now_utc

log = logging.getLogger(__name__)


class Runner:
    """A thread that runs due jobs, a batch at a time."""

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
        """Ask the thread to finish its current batch and stop."""
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def loop(self) -> None:
        """Run due jobs until stopped; sleep until woken or the next poll."""
        config = self.app.config
        poll = float(config["JOBS_POLL_SECONDS"])
        gather = float(config["JOBS_BATCH_WAIT"])
        worker = jobs.worker_name()
        next_prune = 0.0
        problem = jobs.lease_problem(float(config["JOBS_LEASE_SECONDS"]))
        if problem:
            log.warning("%s", problem)
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                with self.app.app_context():
                    try:
                        run_pass(self.app, worker)
                        if now_utc().timestamp() > next_prune:
                            jobs.prune(float(config["JOBS_KEEP_DAYS"]))
                            next_prune = now_utc().timestamp() + 3600
                    finally:
                        db.session.remove()
            except Exception:  # the database is away: say so, wait, try again
                log.exception("the job runner could not read the queue")
            if self.wake.wait(poll * random.uniform(0.8, 1.2)) and gather > 0:
                # Woken by a new job: wait a moment so that, under a burst of comments, one
                # claim and one commit serve several jobs (SQLite has one writer at a time).
                self.stopping.wait(gather)


def run_pass(app: Flask, worker: str) -> None:
    """One pass of the loop: run what is due, unless readers are still adding jobs (a burst
    of comments) and JOBS_QUIET_SECONDS asks to wait for a pause, so their requests get the
    cores and the database; JOBS_QUIET_LONGEST bounds the wait."""
    quiet = float(app.config["JOBS_QUIET_SECONDS"])
    if quiet <= 0 or not jobs.arriving(quiet, float(app.config["JOBS_QUIET_LONGEST"])):
        jobs.run_due(app, worker=worker)


def wake_after_commit(session: Session) -> None:
    """After a commit that queued a job, wake this process's runner (it need not poll)."""
    if session.info.pop("jobs_enqueued", False) and has_app_context():
        runner = current_app.extensions.get("jobs_runner")
        if runner is not None:
            runner.wake.set()


def forget_after_rollback(session: Session, *_args: object) -> None:
    session.info.pop("jobs_enqueued", None)


_listening = False


def init_app(app: Flask) -> None:
    """Give the app its runner, started by the first request when JOBS_RUNNER is on."""
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
