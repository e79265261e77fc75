"""A small HTTP benchmark harness: gunicorn serves an app, wrk loads it, we read the figures.

Reusable by every benchmark in `tests/bench/`:

    with gunicorn_server("wsgi:app", env={...}) as app_server, \\
         gunicorn_server("hello:app", pythonpath=BENCH_DIR) as hello_server:
        result = run_wrk(app_server.url("/feed.xml"), seconds=5)
        print(result.requests_per_sec, result.p50_ms, result.p99_ms)

Both servers in a comparison should run with the same `GunicornSettings`, and runs should
alternate between them so that a noisy neighbour or a CPU that heats up hits both alike
(`alternate` does that). Nothing here asserts a timing: benchmarks print tables.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Starting and stopping gunicorn is shared with the default suite (tests/servers.py, on the
# import path because tests/conftest.py is); re-exported here for the benchmarks.
from servers import (  # noqa: F401
    PROJECT_ROOT,
    GunicornSettings,
    Server,
    free_port,
    gunicorn_server,
    http_get,
    kill_group,
    start_gunicorn,
    stop,
    wait_until_up,
)

BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    url: str
    seconds: float
    requests: int
    requests_per_sec: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    raw: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        """Whether every response was a 2xx or 3xx and no socket failed."""
        return self.requests > 0 and self.non_2xx_3xx == 0 and self.socket_errors == 0


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def to_ms(text: str) -> float:
    """A wrk duration such as `635.91us`, `1.20ms` or `2.01s`, in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * UNITS_MS[match[2]]


def parse_wrk(output: str, url: str = "", seconds: float = 0) -> WrkResult:
    """The figures in wrk's `--latency` report."""

    def number(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output)
        if match:
            return match[1]
        if default is None:
            raise ValueError(f"wrk output has no {pattern!r}:\n{output}")
        return default

    def percentile(p: int) -> float:
        return to_ms(number(rf"(?m)^\s+{p}%\s+(\S+)\s*$"))

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        url=url,
        seconds=seconds,
        requests=int(number(r"(\d+) requests in")),
        requests_per_sec=float(number(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=percentile(50),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        non_2xx_3xx=int(number(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        raw=output,
    )


def run_wrk(
    url: str,
    *,
    seconds: float = 5,
    threads: int = 2,
    connections: int = 16,
    headers: Mapping[str, str] | None = None,
    timeout: str = "5s",
    script: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> WrkResult:
    """Load `url` with wrk for `seconds` and return what it measured.

    `script` is a wrk Lua script (e.g. one that POSTs forms), `env` what it reads by getenv.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout}",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["--script", str(script)]
    command.append(url)
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    )
    return parse_wrk(done.stdout, url, seconds)


@dataclass(frozen=True)
class Case:
    """One thing to measure: a URL on a server, with optional request headers."""

    name: str
    server: Server
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    expect_status: int = 200


@dataclass(frozen=True)
class Comparison:
    """A case measured between two runs of the baseline, and its ratio to them."""

    case: Case
    result: WrkResult
    baseline: tuple[WrkResult, WrkResult]

    @property
    def baseline_rps(self) -> float:
        return sum(r.requests_per_sec for r in self.baseline) / len(self.baseline)

    @property
    def ratio(self) -> float:
        """The case's throughput as a fraction of the baseline's."""
        return self.result.requests_per_sec / self.baseline_rps if self.baseline_rps else 0.0


def check_status(case: Case) -> None:
    """Fail loudly if the case does not answer what it should (no benchmarking of errors)."""
    status, _, body = http_get(case.server.url(case.path), case.headers)
    if status != case.expect_status:
        raise AssertionError(
            f"{case.name}: {case.path} answered {status}, not {case.expect_status}: {body[:300]!r}"
        )


def alternate(
    cases: Sequence[Case],
    baseline: Case,
    *,
    run: Callable[[Case], WrkResult] | None = None,
    warmup_seconds: float = 1,
) -> list[Comparison]:
    """Measure baseline, case 1, baseline, case 2, baseline, ...: each case gets the two
    baseline runs around it as its reference."""

    def measure(case: Case) -> WrkResult:
        result = run(case) if run else run_wrk(case.server.url(case.path), headers=case.headers)
        if result.requests == 0:  # seen once on a loaded machine: measure that case again
            result = run(case) if run else run_wrk(case.server.url(case.path), headers=case.headers)
        if not result.ok:
            raise AssertionError(f"{case.name}: errors under load:\n{result.raw}")
        return result

    for case in [baseline, *cases]:
        check_status(case)
        if warmup_seconds:
            run_wrk(case.server.url(case.path), seconds=warmup_seconds, headers=case.headers)
    comparisons = []
    before = measure(baseline)
    for case in cases:
        result = measure(case)
        after = measure(baseline)
        comparisons.append(Comparison(case, result, (before, after)))
        before = after
    return comparisons


def median_of_rounds(rounds: Sequence[Sequence[Comparison]]) -> list[Comparison]:
    """For each case, the round whose ratio is the median: one noisy run does not decide.

    `rounds` are several results of `alternate` over the same cases.
    """
    by_case = zip(*rounds, strict=True)
    return [sorted(runs, key=lambda c: c.ratio)[len(runs) // 2] for runs in by_case]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [
        [f"{c:,.1f}" if isinstance(c, float) else str(c) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if index else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        )

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def comparison_table(comparisons: Sequence[Comparison], baseline_name: str = "hello") -> str:
    """The usual report: each case's req/s, p50 and p99, the baseline's, and the ratio."""
    rows = [
        (
            c.case.name,
            c.result.requests_per_sec,
            round(c.result.p50_ms, 2),
            round(c.result.p99_ms, 2),
            c.baseline_rps,
            round(max(r.p50_ms for r in c.baseline), 2),
            round(max(r.p99_ms for r in c.baseline), 2),
            f"{c.ratio:.2f}",
        )
        for c in comparisons
    ]
    headers = [
        "case",
        "req/s",
        "p50 ms",
        "p99 ms",
        f"{baseline_name} req/s",
        f"{baseline_name} p50 ms",
        f"{baseline_name} p99 ms",
        "ratio",
    ]
    return format_table(headers, rows)
