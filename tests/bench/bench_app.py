"""The blog under gunicorn against a Flask hello-world, at 100 and at 100,000 posts, on SQLite
and PostgreSQL (`make bench`).

For each backend and dataset: the example post, the home page, a tag page, a tag feed, a
feed and a page answered 304, and comment submission, each measured by wrk between two runs
of the hello-world under the same gunicorn settings (hello, case, hello, case, ...). Comment
submission POSTs distinct comments through a Lua script (tests/bench/comment_post.lua) and
counts the 303s; afterwards every comment a 303 named is looked up in the database: stored,
and exactly once. Then each page is rendered cold (its cache invalidated) a few times, to
show what a change costs as the blog grows. Nothing is asserted about speed; the tables are
printed, and written to BENCH_RESULTS (a Markdown file) when that is set.

Both servers start in the project folder, so gunicorn reads gunicorn.conf.py (its access
log, timeouts and worker recycling) and the command line sets workers, class and threads.

Datasets are built once per run: `flask db upgrade`, the example post, then `flask dev seed`
(ten comments per post in both, so that only the size differs); on PostgreSQL in the
BENCH_PG_URL database (emptied first) followed by ANALYZE.

Environment: BENCH_SECONDS (5), BENCH_ROUNDS (1), BENCH_BACKENDS (sqlite,postgresql),
BENCH_DATASETS (small,large), BENCH_BIG_POSTS (100000), BENCH_BIG_COMMENTS (1000000),
BENCH_PG_URL (postgresql+psycopg://postgres@127.0.0.1:5432/test_bench), BENCH_WORKERS
(cores + 1, as gunicorn.conf.py), BENCH_WORKER_CLASS (gthread), BENCH_THREADS (4),
BENCH_CONNECTIONS (16), BENCH_SYNCHRONOUS (SQLite synchronous pragma override, for
comparisons only), BENCH_RESULTS.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLE_PERMALINK
from harness import (
    BENCH_DIR,
    PROJECT_ROOT,
    Case,
    Comparison,
    GunicornSettings,
    WrkResult,
    alternate,
    comparison_table,
    format_table,
    gunicorn_server,
    http_get,
    median_of_rounds,
    run_wrk,
)
from servers import flask_cli, reset_postgres_schema
from sqlalchemy import create_engine, text

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
DATASETS = {
    "small": (100, 1_000),
    "large": (
        int(os.environ.get("BENCH_BIG_POSTS", "100000")),
        int(os.environ.get("BENCH_BIG_COMMENTS", "1000000")),
    ),
}
CHOSEN_DATASETS = os.environ.get("BENCH_DATASETS", "small,large").split(",")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench")
# gunicorn.conf.py's shape: gthread, one worker per core plus one, four threads each.
SETTINGS = GunicornSettings(
    workers=int(os.environ.get("BENCH_WORKERS", str((os.cpu_count() or 1) + 1))),
    worker_class=os.environ.get("BENCH_WORKER_CLASS", "gthread"),
    threads=int(os.environ.get("BENCH_THREADS", "4")),
)
EXAMPLE_POST = EXAMPLE_PERMALINK
TAG_PAGE = "/tags/topic-1/"  # `flask dev seed` names its tags "Topic 0", "Topic 1", ...
TAG_FEED = "/tags/topic-1/feed.xml"
COLD_PAGES = [EXAMPLE_POST, "/", TAG_PAGE, TAG_FEED, "/feed.xml"]
COLD_TRIES = 5

# Everything measured in this run, for the summary and the Markdown report.
REPORT: dict[tuple[str, str], dict] = {}

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


@dataclass(frozen=True)
class CommentCase(Case):
    """Comment submission: distinct comments POSTed to `path` + "comments" by wrk's Lua."""

    email: bool = False


def build(backend: str, posts: int, comments: int, folder: Path) -> tuple[dict[str, str], float]:
    """A migrated database with the example post and `posts` seeded posts; seconds taken."""
    started = time.monotonic()
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite'}"
    else:
        url = PG_URL
        reset_postgres_schema(url)
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "SITE_URL": "http://blog.example",
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
    }
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "posts", "import", str(PROJECT_ROOT / "content" / "_posts"))
    flask_cli(env, "dev", "seed", "--posts", str(posts), "--comments", str(comments))
    if backend == "postgresql":
        # What autovacuum does within a minute of a bulk load; plans need the statistics.
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    return env, time.monotonic() - started


def app_spec_and_env(env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """`wsgi:app`, or with BENCH_SYNCHRONOUS its bench twin that overrides the SQLite pragma."""
    if os.environ.get("BENCH_SYNCHRONOUS"):
        mode = os.environ["BENCH_SYNCHRONOUS"]
        return "bench_wsgi:app", {**env, "BENCH_SQLITE_SYNCHRONOUS": mode}
    return "wsgi:app", env


class Runner:
    """Runs a case with wrk; comment cases with the Lua script, keeping the accepted ids."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.accepted_ids: list[str] = []
        self.runs = 0

    def __call__(self, case: Case) -> WrkResult:
        if not isinstance(case, CommentCase):
            return run_wrk(
                case.server.url(case.path),
                seconds=SECONDS,
                threads=2,
                connections=CONNECTIONS,
                headers=case.headers,
            )
        self.runs += 1
        _, _, page = http_get(case.server.url(case.path))
        token = re.search(rb'name="comment_token" value="([^"]+)"', page).group(1).decode()
        prefix = self.folder / f"comments-{self.runs}"
        result = run_wrk(
            case.server.url(case.path + "comments"),
            seconds=SECONDS,
            threads=2,
            connections=CONNECTIONS,
            script=BENCH_DIR / "comment_post.lua",
            env={
                "BENCH_PATH": case.path + "comments",
                "BENCH_TOKEN": token,
                "BENCH_OUT": str(prefix),
                "BENCH_TAG": f"r{self.runs}",
                "BENCH_EMAIL": "1" if case.email else "0",
            },
        )
        counts = re.search(r"accepted (\d+) refused (\d+)", result.raw)
        accepted, refused = int(counts[1]), int(counts[2])
        assert refused == 0, f"{refused} comments refused:\n{result.raw}"
        for ids_file in self.folder.glob(f"comments-{self.runs}-*.ids"):
            self.accepted_ids += ids_file.read_text().split()
        # Accepted comments per second (responses still in flight when wrk stops are not
        # counted, though the server may have stored them).
        rate = result.requests_per_sec * accepted / max(result.requests, 1)
        return dataclasses.replace(result, requests_per_sec=rate)


def verify_comments(url: str, accepted_ids: list[str]) -> dict[str, int]:
    """Every comment a 303 named is stored, once; returns the counts for the report."""
    assert "?" not in accepted_ids, "a 303 without a comment id in its Location"
    ids = [int(i) for i in accepted_ids]
    assert len(ids) == len(set(ids)), "two 303s named the same comment"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, body_source FROM comments WHERE body_source LIKE 'Bench comment %'"
                )
            ).all()
    finally:
        engine.dispose()
    stored = {row.id for row in rows}
    missing = set(ids) - stored
    assert not missing, f"{len(missing)} comments answered 303 are not stored"
    doubled = [body for body, n in Counter(row.body_source for row in rows).items() if n > 1]
    assert not doubled, f"stored twice: {doubled[:5]}"
    return {"accepted": len(ids), "stored": len(rows)}


def cold_renders(server, url: str) -> dict[str, float]:
    """Median ms to answer each page right after its cache was invalidated."""
    engine = create_engine(url)
    timings: dict[str, float] = {}
    try:
        for path in COLD_PAGES:
            samples = []
            for _ in range(COLD_TRIES):
                with engine.begin() as conn:
                    conn.execute(text("UPDATE site_state SET generation = generation + 1"))
                started = time.perf_counter()
                status, _, _ = http_get(server.url(path))
                samples.append((time.perf_counter() - started) * 1000)
                assert status == 200, (path, status)
            timings[path] = statistics.median(samples)
    finally:
        engine.dispose()
    return timings


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


@pytest.mark.parametrize("dataset", [d for d in DATASETS if d in CHOSEN_DATASETS])
@pytest.mark.parametrize("backend", BACKENDS)
def test_app_against_hello_world(backend, dataset, tmp_path):
    posts, comments = DATASETS[dataset]
    env, build_seconds = build(backend, posts, comments, tmp_path)
    runner = Runner(tmp_path)
    load_before = load_average()
    app_spec, app_env = app_spec_and_env(env)
    with (
        gunicorn_server(
            app_spec,
            env=app_env,
            settings=SETTINGS,
            pythonpath=BENCH_DIR,
            ready_path="/robots.txt",
            log_dir=tmp_path,
        ) as blog,
        gunicorn_server(
            "hello:app", settings=SETTINGS, pythonpath=BENCH_DIR, log_dir=tmp_path
        ) as hello,
    ):
        feed_etag = http_get(blog.url("/feed.xml"))[1]["ETag"]
        home_etag = http_get(blog.url("/"))[1]["ETag"]
        cases = [
            Case("example post", blog, EXAMPLE_POST),
            Case("home page", blog, "/"),
            Case("tag page", blog, TAG_PAGE),
            Case("tag feed (RSS)", blog, TAG_FEED),
            Case("feed 304", blog, "/feed.xml", {"If-None-Match": feed_etag}, 304),
            Case("page 304 (home)", blog, "/", {"If-None-Match": home_etag}, 304),
            CommentCase("comment POST, 303s/s", blog, EXAMPLE_POST),
            CommentCase("comment POST with email, 303s/s", blog, EXAMPLE_POST, email=True),
        ]
        rounds = [alternate(cases, Case("hello", hello, "/"), run=runner) for _ in range(ROUNDS)]
        comparisons = median_of_rounds(rounds)
        cold = cold_renders(blog, env["DATABASE_URL"])
        log = blog.log()
    load_after = load_average()
    checked = verify_comments(env["DATABASE_URL"], runner.accepted_ids)
    assert "database is locked" not in log, log
    assert "Traceback" not in log, log

    title = (
        f"{backend}, {dataset}: {posts:,} seeded posts + the example post, "
        f"{comments:,} comments (built in {build_seconds:.0f} s)"
    )
    REPORT[(backend, dataset)] = {
        "title": title,
        "comparisons": comparisons,
        "cold": cold,
        "checked": checked,
        "load": (load_before, load_after),
    }
    print()
    print(title)
    print(
        f"{SETTINGS.describe()}, wrk -t2 -c{CONNECTIONS} -d{SECONDS:g}s, {ROUNDS} round(s), "
        f"load average before {load_before}, after {load_after}"
    )
    print(comparison_table(comparisons))
    print(
        f"comments: {checked['accepted']} answered 303, all stored exactly once "
        f"({checked['stored']} bench comments in the database, in-flight ones included)"
    )
    print(format_table(["cold render", "ms"], [(p, round(ms, 1)) for p, ms in cold.items()]))


def scale_rows(backend: str) -> list[tuple]:
    """Each case at the large dataset as a fraction of the small one."""
    small, large = REPORT.get((backend, "small")), REPORT.get((backend, "large"))
    if not small or not large:
        return []
    rows = []
    pairs = zip(small["comparisons"], large["comparisons"], strict=True)
    for a, b in pairs:
        rows.append(
            (
                a.case.name,
                a.result.requests_per_sec,
                b.result.requests_per_sec,
                f"{b.result.requests_per_sec / a.result.requests_per_sec:.2f}",
                f"{a.ratio:.2f}",
                f"{b.ratio:.2f}",
            )
        )
    for path, ms in small["cold"].items():
        rows.append((f"cold render {path} (ms)", round(ms, 1), round(large["cold"][path], 1)))
    return rows


def test_scale_summary():
    """The large dataset against the small one, per backend (printed, and written)."""
    headers = ["case", "small req/s", "large req/s", "large/small", "ratio small", "ratio large"]
    sections = []
    for backend in BACKENDS:
        rows = scale_rows(backend)
        if rows:
            rows = [row + ("",) * (len(headers) - len(row)) for row in rows]
            sections.append((f"{backend}: large against small", format_table(headers, rows)))
    for title, table in sections:
        print()
        print(title)
        print(table)
    destination = os.environ.get("BENCH_RESULTS")
    if destination and REPORT:
        write_markdown(Path(destination), sections)


def write_markdown(path: Path, scale_sections: list[tuple[str, str]]) -> None:
    """Every table of this run, with the machine and the settings."""
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} on {os.cpu_count()} cores "
        f"({platform_summary()}); {SETTINGS.describe()}; wrk -t2 -c{CONNECTIONS} "
        f"-d{SECONDS:g}s; {ROUNDS} round(s), median ratio kept.",
        "",
    ]
    for report in REPORT.values():
        comparisons: list[Comparison] = report["comparisons"]
        lines += [
            f"### {report['title']}",
            "",
            f"Load average before {report['load'][0]}, after {report['load'][1]}. "
            f"Comments: {report['checked']['accepted']} answered 303, every one stored once.",
            "",
            "```",
            comparison_table(comparisons),
            "",
            format_table(
                ["cold render", "ms"], [(p, round(ms, 1)) for p, ms in report["cold"].items()]
            ),
            "```",
            "",
        ]
    for title, table in scale_sections:
        lines += [f"### {title}", "", "```", table, "```", ""]
    path.write_text("\n".join(lines))


def platform_summary() -> str:
    try:
        model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        return model[1].strip() if model else "unknown CPU"
    except OSError:
        return "unknown CPU"
