"""Search speed (issue 23): `GET /search?q=` over 10,000 posts on SQLite and on PostgreSQL,
against the target p95 < 20 ms, with a Flask hello-world measured side by side (`make bench`).

The blog: `flask db upgrade`, then `flask dev seed --posts 10000` (prose whose words follow
a Zipf-like law, titles, tags, a category each, a few accented words; see
microblog/cli/seed_text.py), the search index filled as the seeder writes; on PostgreSQL in
a database of its own (its schema emptied first) followed by VACUUM ANALYZE.

Two measurements per database, for a table of queries (a common word, a rare word, two
words, a phrase, a prefix, an accented word, a title word, a tag, a word no post has, and
page 5 of the common word):

- over HTTP: wrk with one connection (one reader waiting for each page: the latency a
  reader sees, not a queue) against the blog under gunicorn, alternating with the same
  wrk against `hello:app` under the same gunicorn settings (hello, query, hello, query...);
  p50/p95/p99 from wrk's histogram (tests/bench/latency.lua);
- the query function alone (`microblog.search.query.search`), in a process of its own
  (tests/bench/search_timer.py), alternating with a `SELECT 1` through the same session:
  wall-clock and CPU milliseconds per call.

Before measuring, every query's page is fetched and its match count checked against what
the query is meant to be (the common word in nearly every post, the rare one in a few, ...),
so a changed seeder cannot make the table measure something else. Nothing asserts a speed;
the tables are printed, and written to BENCH_RESULTS_SEARCH (a Markdown file) when set.

Environment: BENCH_SEARCH_POSTS (10000), BENCH_SECONDS (3, per wrk run), BENCH_SEARCH_CALLS
(100, calls of the function per query), BENCH_BACKENDS (sqlite,postgresql),
BENCH_SEARCH_PG_URL (postgresql+psycopg://postgres@127.0.0.1:5432/test_bench_search),
BENCH_WORKERS (cores + 1), BENCH_THREADS (4), BENCH_RESULTS_SEARCH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bench_backup import ensure_postgres_database
from harness import (
    BENCH_DIR,
    PROJECT_ROOT,
    Case,
    GunicornSettings,
    WrkResult,
    alternate,
    format_table,
    gunicorn_server,
    http_get,
    run_wrk,
)
from servers import app_environment, flask_cli, reset_postgres_schema
from sqlalchemy import create_engine, text

POSTS = int(os.environ.get("BENCH_SEARCH_POSTS", "10000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CALLS = int(os.environ.get("BENCH_SEARCH_CALLS", "100"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
PG_URL = os.environ.get(
    "BENCH_SEARCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench_search"
)
SETTINGS = GunicornSettings(
    workers=int(os.environ.get("BENCH_WORKERS", str((os.cpu_count() or 1) + 1))),
    worker_class="gthread",
    threads=int(os.environ.get("BENCH_THREADS", "4")),
)
TARGET_P95_MS = 20.0
PER_PAGE = 10


@dataclass(frozen=True)
class Query:
    """One row of the table: what a reader types, the page, and the matches it must have
    over POSTS seeded posts (as fractions of POSTS, or exact counts)."""

    name: str
    q: str
    page: int = 1
    least: float = 1
    most: float = POSTS

    @property
    def path(self) -> str:
        args = {"q": self.q} | ({"page": str(self.page)} if self.page > 1 else {})
        return "/search?" + urlencode(args)


# The words are the seeder's (seed 1): "the" is in every post, "babuda" a made-up word of
# the long tail, "matters" only in titles ("Why … matters"), "Topic 17" a tag.
QUERIES = [
    Query("common word", "the", least=0.95 * POSTS),
    Query("rare word", "babuda", least=1, most=10),
    Query("two words", "kitchen garden", least=0.01 * POSTS, most=0.2 * POSTS),
    Query("phrase", '"open source"', least=0.01 * POSTS, most=0.5 * POSTS),
    Query("prefix", "photo*", least=0.3 * POSTS),
    Query("accented", "café", least=0.01 * POSTS, most=0.3 * POSTS),
    Query("title word", "matters", least=0.05 * POSTS, most=0.2 * POSTS),
    Query("tag", "topic 17", least=0.005 * POSTS, most=0.05 * POSTS),
    Query("no match", "xylophone", least=0, most=0),
    Query("common word, page 5", "the", page=5, least=0.95 * POSTS),
]
COUNT = re.compile(r"(\d+) posts match|(One) post matches|(No) post matches")

REPORT: dict[str, dict] = {}

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def build(backend: str, folder: Path) -> tuple[dict[str, str], float]:
    """A migrated database with POSTS seeded posts, indexed; seconds taken."""
    started = time.monotonic()
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'search.sqlite'}"
    else:
        ensure_postgres_database(PG_URL)
        reset_postgres_schema(PG_URL)
        url = PG_URL
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "SITE_URL": "http://blog.example",
        "RATELIMIT_ENABLED": "0",
        "JOBS_RUNNER": "0",
    }
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "dev", "seed", "--posts", str(POSTS), timeout=1800)
    if backend == "postgresql":
        # What autovacuum does within a minute of a bulk load; plans need the statistics.
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    return env, time.monotonic() - started


def matches_shown(page: bytes) -> int:
    """The match count the results page tells the reader."""
    found = COUNT.search(page.decode())
    assert found, "the page shows no match count"
    number, one, none = found.groups()
    return int(number) if number else (1 if one else 0)


def check_queries(server) -> dict[str, int]:
    """Every query answers 200 with a count in its range, and hits on its page."""
    counts = {}
    for query in QUERIES:
        status, _, page = http_get(server.url(query.path))
        assert status == 200, (query.path, status)
        counts[query.name] = matches_shown(page)
        assert query.least <= counts[query.name] <= query.most, (query, counts[query.name])
        hits = page.count(b'class="search-hit"')
        expected = max(0, min(PER_PAGE, counts[query.name] - (query.page - 1) * PER_PAGE))
        assert hits == expected, (query, hits, expected)
    return counts


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float
    p99: float
    requests: int


def percentiles(result: WrkResult) -> Percentiles:
    """The p50/p95/p99 latency.lua printed, in ms."""
    found = re.search(
        r"percentiles_us p50 (\d+) p95 (\d+) p99 (\d+) requests (\d+) non2xx (\d+)", result.raw
    )
    assert found, result.raw
    assert int(found[5]) == 0, f"{found[5]} non-2xx responses:\n{result.raw}"
    return Percentiles(
        int(found[1]) / 1000, int(found[2]) / 1000, int(found[3]) / 1000, int(found[4])
    )


def one_reader(case: Case) -> WrkResult:
    """wrk with one connection (one reader), reporting p95 through latency.lua."""
    return run_wrk(
        case.server.url(case.path),
        seconds=SECONDS,
        threads=1,
        connections=1,
        script=BENCH_DIR / "latency.lua",
    )


def function_alone(env: dict[str, str]) -> dict[str, dict]:
    """The search function's timings per query, and SELECT 1's (search_timer.py)."""
    queries = json.dumps([[q.name, q.q, q.page] for q in QUERIES])
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "search_timer.py"), str(CALLS), queries],
        cwd=PROJECT_ROOT,
        env={**app_environment(env), "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def quantile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def verdict(p95: float) -> str:
    return "met" if p95 < TARGET_P95_MS else "missed"


def http_table(report: dict) -> str:
    rows = []
    for query in QUERIES:
        ours: Percentiles = report["http"][query.name]
        hello: tuple[Percentiles, Percentiles] = report["hello"][query.name]
        rows.append(
            (
                query.name,
                query.q + (f" (page {query.page})" if query.page > 1 else ""),
                report["counts"][query.name],
                round(ours.p50, 2),
                round(ours.p95, 2),
                round(ours.p99, 2),
                round(max(h.p95 for h in hello), 2),
                f"{ours.p95 / max(max(h.p95 for h in hello), 0.001):.1f}",
                verdict(ours.p95),
            )
        )
    headers = [
        "query",
        "q",
        "matches",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "hello p95 ms",
        "p95 / hello",
        "p95 < 20 ms",
    ]
    return format_table(headers, rows)


def function_table(report: dict) -> str:
    timings = report["function"]
    rows = []
    for name in ["SELECT 1 (reference)", *(q.name for q in QUERIES)]:
        wall, cpu = timings[name]["wall"], timings[name]["cpu"]
        rows.append(
            (
                name,
                round(statistics.median(wall), 2),
                round(quantile(wall, 0.95), 2),
                round(quantile(wall, 0.99), 2),
                round(statistics.median(cpu), 2),
                round(quantile(cpu, 0.95), 2),
            )
        )
    headers = ["function alone", "p50 ms", "p95 ms", "p99 ms", "CPU p50 ms", "CPU p95 ms"]
    return format_table(headers, rows)


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_against_hello_world(backend, tmp_path):
    env, build_seconds = build(backend, tmp_path)
    load_before = load_average()
    with (
        gunicorn_server(
            "wsgi:app",
            env=env,
            settings=SETTINGS,
            pythonpath=BENCH_DIR,
            ready_path="/robots.txt",
            log_dir=tmp_path,
        ) as blog,
        gunicorn_server(
            "hello:app", settings=SETTINGS, pythonpath=BENCH_DIR, log_dir=tmp_path
        ) as hello,
    ):
        counts = check_queries(blog)
        cases = [Case(query.name, blog, query.path) for query in QUERIES]
        comparisons = alternate(cases, Case("hello", hello, "/"), run=one_reader)
        log = blog.log()
    load_middle = load_average()
    function = function_alone(env)
    load_after = load_average()
    assert "Traceback" not in log, log

    report = {
        "title": (
            f"{backend}: {POSTS:,} seeded posts (built and indexed in {build_seconds:.0f} s)"
        ),
        "counts": counts,
        "http": {c.case.name: percentiles(c.result) for c in comparisons},
        "hello": {c.case.name: tuple(percentiles(b) for b in c.baseline) for c in comparisons},
        "function": function,
        "load": (load_before, load_middle, load_after),
    }
    REPORT[backend] = report
    print()
    print(report["title"])
    print(
        f"{SETTINGS.describe()}; wrk -t1 -c1 -d{SECONDS:g}s per query, hello-world before and "
        f"after each; load average before {load_before}, after HTTP {load_middle}, "
        f"after the function {load_after}"
    )
    print(http_table(report))
    print(f"the function alone, {CALLS} calls per query, alternating with SELECT 1:")
    print(function_table(report))


def test_write_report():
    """The tables of this run as Markdown, when BENCH_RESULTS_SEARCH names a file."""
    destination = os.environ.get("BENCH_RESULTS_SEARCH")
    if not destination or not REPORT:
        return
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} on {os.cpu_count()} cores; "
        f"{SETTINGS.describe()}; wrk -t1 -c1 -d{SECONDS:g}s per query; {CALLS} function "
        "calls per query.",
        "",
    ]
    for report in REPORT.values():
        before, middle, after = report["load"]
        lines += [
            f"### {report['title']}",
            "",
            f"Load average before {before}, after the HTTP runs {middle}, after the function "
            f"runs {after}.",
            "",
            "```",
            http_table(report),
            "",
            function_table(report),
            "```",
            "",
        ]
    Path(destination).write_text("\n".join(lines))
