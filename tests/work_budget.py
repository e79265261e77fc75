"""Work counted in lines of Python run, not in seconds.

A bound in seconds fails on a busy machine (two cores at load 19) and lets a slow algorithm
through on a fast one. The number of Python lines a call runs is the same on both, and a
pathological input (a rescan per bracket, a recursion per level) shows in it as it shows in
time. Code in C (regular expressions, hashing, nh3) is not counted: what bounds it is the
size of its input. Timing figures belong in tests/bench/.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


def lines_run(call: Callable[[], T]) -> tuple[T, int]:
    """What `call()` returns and how many lines of Python it ran (in this thread)."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    previous = sys.gettrace()  # a coverage tool's tracer, put back after
    sys.settrace(tracer)
    try:
        result = call()
    finally:
        sys.settrace(previous)
    return result, count


def within_budget(call: Callable[[], T], budget: int, what: str = "") -> T:
    """`call()`'s result; fails when it ran more than `budget` lines of Python."""
    result, count = lines_run(call)
    assert count <= budget, f"{what or call}: {count:,} lines of Python run, budget {budget:,}"
    return result
