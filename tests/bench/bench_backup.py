"""Backup and restore speed: `flask backup` of a blog of 10,000 posts and 100,000 comments
(`flask dev seed`) on SQLite and on PostgreSQL, and `flask restore` of each archive into an
empty database of each kind (so SQLite → PostgreSQL and back are measured too).

    .venv/bin/python -m pytest -q -s tests/bench/bench_backup.py

Each figure is one whole `flask` process (start-up included), as an operator runs it.
Environment: BENCH_BACKUP_POSTS (10000), BENCH_BACKUP_COMMENTS (100000), BENCH_BACKENDS
(sqlite,postgresql), BENCH_BACKUP_PG_URL (a database of its own; its schema is dropped),
BENCH_RESULTS_BACKUP (a Markdown file to write the table to).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from harness import format_table
from servers import flask_cli, reset_postgres_schema
from sqlalchemy import create_engine, text

POSTS = int(os.environ.get("BENCH_BACKUP_POSTS", "10000"))
COMMENTS = int(os.environ.get("BENCH_BACKUP_COMMENTS", "100000"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
PG_URL = os.environ.get(
    "BENCH_BACKUP_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench_backup"
)
HEADERS = ["step", "rows", "seconds", "rows/s", "archive MB", "load before"]


def ensure_postgres_database(url: str) -> None:
    """Create the benchmark's own database when it is missing."""
    base, _, name = url.rpartition("/")
    engine = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if found.scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def fresh(backend: str, folder: Path, name: str) -> dict[str, str]:
    """An empty, migrated database of `backend`."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / (name + '.sqlite')}"
    else:
        ensure_postgres_database(PG_URL)
        reset_postgres_schema(PG_URL)
        url = PG_URL
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "SITE_URL": "http://blog.example",
        "MEDIA_FOLDER": str(folder / f"{name}-media"),
        "JOBS_RUNNER": "0",
    }
    flask_cli(env, "db", "upgrade")
    return env


def timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    output = flask_cli(env, *args, timeout=1800)
    return time.perf_counter() - started, output


def comment_count(env: dict[str, str]) -> int:
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM comments")).scalar_one()
    engine.dispose()
    return int(count)


def load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def test_backup_and_restore_speed(tmp_path):
    rows: list[tuple] = []
    archives: dict[str, Path] = {}
    total = 0
    for backend in BACKENDS:
        env = fresh(backend, tmp_path, f"source-{backend}")
        flask_cli(
            env, "dev", "seed", "--posts", str(POSTS), "--comments", str(COMMENTS), timeout=1800
        )
        archive = tmp_path / f"{backend}.tar.gz"
        before = load()
        seconds, output = timed(env, "backup", str(archive))
        assert "verified" in output, output
        total = int(output.split(" rows")[0].rsplit(" ", 1)[-1])
        megabytes = archive.stat().st_size / 1e6
        rows.append(
            (
                f"backup on {backend}",
                total,
                round(seconds, 1),
                round(total / seconds),
                round(megabytes, 1),
                before,
            )
        )
        archives[backend] = archive
    for source, archive in archives.items():
        for backend in BACKENDS:
            env = fresh(backend, tmp_path, f"restore-{source}-{backend}")
            before = load()
            seconds, output = timed(env, "restore", str(archive))
            assert output.startswith(f"restored {total} rows"), output
            assert comment_count(env) == COMMENTS
            megabytes = archive.stat().st_size / 1e6
            rows.append(
                (
                    f"restore {source} -> {backend}",
                    total,
                    round(seconds, 1),
                    round(total / seconds),
                    round(megabytes, 1),
                    before,
                )
            )
    table = format_table(HEADERS, rows)
    print()
    print(f"flask backup / flask restore of {POSTS:,} posts and {COMMENTS:,} comments")
    print(table)
    destination = os.environ.get("BENCH_RESULTS_BACKUP")
    if destination:
        Path(destination).write_text(f"```\n{table}\n```\n")
    if not rows:
        pytest.skip("nothing measured")
