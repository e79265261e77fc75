"""Start-up cost: a CLI command and a jobs-worker boot, against a bare `import flask`, side by
side (alternating, ROUNDS rounds, medians). Target: each at most 0.5 s above `import flask`.

    .venv/bin/python -m pytest -q -s tests/bench/bench_startup.py

Also prints the ten slowest imports of `import wsgi` (python -X importtime), the places to
make lazy next. Environment: BENCH_STARTUP_ROUNDS (7).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from servers import PROJECT_ROOT, app_environment

ROUNDS = int(os.environ.get("BENCH_STARTUP_ROUNDS", "7"))
PYTHON = sys.executable
FLASK = [PYTHON, "-m", "flask", "--app", "wsgi"]
TARGET_ABOVE_FLASK = 0.5


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def worker_boot(env: dict[str, str]) -> float:
    """Seconds from starting `flask jobs worker` to its first line (it is then polling)."""
    started = time.perf_counter()
    worker = subprocess.Popen(
        [*FLASK, "jobs", "worker"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = worker.stdout.readline() if worker.stdout else ""
        took = time.perf_counter() - started
        assert line.startswith("running jobs"), line
        return took
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        if worker.stdout:
            worker.stdout.close()


def slowest_imports(env: dict[str, str], count: int = 10) -> list[tuple[float, str]]:
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import wsgi"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if match and "." not in match.group(3) and match.group(3) != "wsgi":
            name = match.group(3)
            found[name] = max(found.get(name, 0.0), int(match.group(1)) / 1e6)
    return sorted(((took, name) for name, took in found.items()), reverse=True)[:count]


def test_cli_and_worker_start_near_a_bare_flask_import(tmp_path):
    env = app_environment(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'start.sqlite'}",
            "SECRET_KEY": "bench",
            "JOBS_POLL_SECONDS": "60",
        }
    )
    # As deployed (install.sh compiles the code): bytecode compiled once and used, even where
    # the calling shell says PYTHONDONTWRITEBYTECODE (this machine's does).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", "microblog", "migrations", "wsgi.py"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*FLASK, "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True
    )
    times: dict[str, list[float]] = {"import flask": [], "flask jobs": [], "worker boot": []}
    for _ in range(ROUNDS):
        times["import flask"].append(timed([PYTHON, "-c", "import flask"], env))
        times["flask jobs"].append(timed([*FLASK, "jobs"], env))
        times["worker boot"].append(worker_boot(env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["import flask"]
    print(f"\nstart-up, medians of {ROUNDS} alternating rounds (load {os.getloadavg()[0]:.1f}):")
    for name, value in medians.items():
        above = value - base
        verdict = (
            ""
            if name == "import flask"
            else (f"  +{above:.2f} s: {'met' if above <= TARGET_ABOVE_FLASK else 'missed'}")
        )
        print(f"  {name:<13} {value:.2f} s{verdict}")
    print("slowest top-level imports of `import wsgi` (cumulative):")
    for took, name in slowest_imports(env):
        print(f"  {took * 1000:7.0f} ms {name}")
    Path(tmp_path / "start.txt").write_text(repr(medians))
