"""The tables of the background queue (Job) and of readers' mail (ReplySubscription,
MailOptOut), kept apart from models.py so that each room stays small; models.py re-exports
them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from microblog.extensions import Model
from microblog.timeutil import UTCDateTime, now_utc


class JobState(enum.Enum):
    """Where a background job stands."""

    WAITING = "waiting"  # due at `due_at` (a retry waits here too, with its last error)
    RUNNING = "running"  # leased by `locked_by` until `due_at`
    DONE = "done"
    FAILED = "failed"  # gave up after its last attempt; `last_error` says why


class Job(Model):
    """One unit of background work: a registered function's name and its plain arguments.

    Written in the same transaction as the change that causes it (see `jobs.enqueue`).
    """

    __tablename__ = "jobs"
    # The runner's one question, "what is due now", reads this index.
    __table_args__ = (Index("ix_jobs_state_due_at", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(
        Enum(
            JobState,
            native_enum=False,
            length=16,
            values_callable=lambda states: [state.value for state in states],
        ),
        default=JobState.WAITING,
    )
    # While waiting: when it may run. While running: when its lease ends, after which another
    # runner may take it again (its runner is presumed dead). One column, so one index.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
