"""A clock the test moves by hand, instead of sleeping until the real one has moved.

`microblog.timeutil.now_utc` (every stored timestamp: created, updated, published) and
`time.time()` in the modules named read it. A test then says "an hour later" and it is, on
a fast machine and on one at load 19 alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from types import ModuleType, SimpleNamespace

import pytest

import microblog.timeutil


class Clock:
    """The time the app sees, moved only by `advance`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.now = start
        self._monkeypatch = monkeypatch
        clock = self

        class ClockDatetime(datetime):
            @classmethod
            def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
                return clock.now.astimezone(tz) if tz else clock.now.replace(tzinfo=None)

        monkeypatch.setattr(microblog.timeutil, "datetime", ClockDatetime)

    def advance(self, **how_long: float) -> None:
        """Move the clock on (`hours=1`, `seconds=0.5`, ...)."""
        self.now += timedelta(**how_long)

    def time(self) -> float:
        """The clock as `time.time()` gives it."""
        return self.now.timestamp()

    def drives_time_in(self, module: ModuleType) -> None:
        """`module`'s `time.time()` reads this clock too (its other `time` calls are real)."""
        import time

        fake = SimpleNamespace(
            **{name: getattr(time, name) for name in dir(time) if not name.startswith("__")}
        )
        fake.time = self.time
        self._monkeypatch.setattr(module, "time", fake)
