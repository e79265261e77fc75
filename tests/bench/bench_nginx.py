"""The blog through deploy/nginx.conf's page cache against nginx serving the same bytes from
files, Jekyll's way (`make bench`).

One nginx (two worker processes, as `worker_processes auto` gives on two cores) runs three
servers side by side: deploy/nginx.conf in front of the blog's gunicorn (the page cache), a
static server whose root holds the very bytes the blog answered for each page (fetched once
and written to files), and the deploy file as it was before the cache (every request proxied,
a new connection to gunicorn each time). For the post page, a tag feed and the home page, wrk
alternates: static, cache, static, gunicorn directly, static, old proxy, static; each case is
compared with the static runs on either side of it. With BENCH_ROUNDS > 1 the round with each
case's median ratio is kept. Nothing is asserted about speed; the table is printed, and
appended to BENCH_RESULTS (a Markdown file) when that is set.

Targets (issue 14): the cache >= 0.8 x static's throughput, and its p99 <= 2 x static's.

Environment: BENCH_SECONDS (5), BENCH_ROUNDS (2), BENCH_CONNECTIONS (32), BENCH_WORKERS (2),
BENCH_THREADS (2) (the issue's table: gunicorn 2 workers x 2 threads, wrk -t2 -c32),
BENCH_NGINX_BACKEND (sqlite, or postgresql in BENCH_PG_URL), BENCH_RESULTS.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from harness import (
    PROJECT_ROOT,
    Case,
    Comparison,
    GunicornSettings,
    WrkResult,
    alternate,
    format_table,
    gunicorn_server,
    http_get,
    median_of_rounds,
    run_wrk,
)
from nginx_server import nginx_binary, nginx_front
from servers import flask_cli, free_port, reset_postgres_schema

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
BACKEND = os.environ.get("BENCH_NGINX_BACKEND", "sqlite")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench")
SETTINGS = GunicornSettings(
    workers=int(os.environ.get("BENCH_WORKERS", "2")),
    worker_class="gthread",
    threads=int(os.environ.get("BENCH_THREADS", "2")),
)
# Each page and the file that holds its bytes in the static root.
PAGES = {
    "post page": ("/posts/2025/09/alg-blog-post-2/", "posts/2025/09/alg-blog-post-2/index.html"),
    "tag feed": ("/tags/topic-1/feed.xml", "tags/topic-1/feed.xml"),
    "home page": ("/", "index.html"),
}

pytestmark = [
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed"),
]


def static_server(port: int, root: Path) -> str:
    """An nginx server for `root`'s files, as a Jekyll site is served."""
    return f"""
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        types {{ text/html html; application/rss+xml xml; }}
    }}"""


def old_proxy_server(port: int, app_port: int) -> str:
    """deploy/nginx.conf before the page cache (without its TLS lines): every request
    proxied to gunicorn over a new HTTP/1.0 connection."""
    return f"""
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 64k;
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
        }}
    }}"""


class Front:
    """A server (nginx or gunicorn) as the harness's Case wants it: something with url()."""

    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as a reader of the figures needs them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def build(folder: Path) -> dict[str, str]:
    """The dataset of bench_app's small run: the example post, 100 seeded posts, 1,000 comments."""
    url = f"sqlite:///{folder / 'bench.sqlite'}" if BACKEND == "sqlite" else PG_URL
    if BACKEND != "sqlite":
        reset_postgres_schema(url)
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "SITE_URL": "http://blog.example",
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
        "PROXY_FIX": "1",
    }
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "posts", "import", str(PROJECT_ROOT / "content" / "_posts"))
    flask_cli(env, "dev", "seed", "--posts", "100", "--comments", "1000")
    return env


def test_page_cache_against_static_files(tmp_path):
    env = build(tmp_path)
    root = tmp_path / "static-root"
    static_port, old_port = free_port(), free_port()
    with gunicorn_server("wsgi:app", env=env, settings=SETTINGS, log_dir=tmp_path) as app:
        for path, file in PAGES.values():
            status, _, body = http_get(app.url(path))
            assert status == 200, (path, status)
            (root / file).parent.mkdir(parents=True, exist_ok=True)
            (root / file).write_bytes(body)
        extra = static_server(static_port, root) + old_proxy_server(old_port, app.port)
        with nginx_front(tmp_path / "nginx", [app.port], extra_http=extra, workers=2) as cache:
            static, old = Front(static_port), Front(old_port)
            load_before = load_average()
            rounds = [measure(static, cache, app, old) for _ in range(ROUNDS)]
            load_after = load_average()
    comparisons = median_of_rounds(rounds)
    report(comparisons, load_before, load_after)


def measure(static, cache, app, old) -> list[Comparison]:
    """One round: every page, each case between two runs of the static file."""
    comparisons: list[Comparison] = []

    def run(case: Case) -> WrkResult:
        return run_wrk(case.server.url(case.path), seconds=SECONDS, connections=CONNECTIONS)

    for name, (path, file) in PAGES.items():
        baseline = Case(f"{name}: static file", static, "/" + file)
        cases = [
            Case(f"{name}: nginx page cache", cache, path),
            Case(f"{name}: gunicorn directly", app, path),
            Case(f"{name}: old deploy/nginx.conf", old, path),
        ]
        comparisons += alternate(cases, baseline, run=run)
    return comparisons


def report(comparisons: list[Comparison], load_before: str, load_after: str) -> None:
    """Print the table (and append it to BENCH_RESULTS)."""
    rows = []
    for c in comparisons:
        static_p99 = max(r.p99_ms for r in c.baseline)
        rows.append(
            (
                c.case.name,
                round(c.result.requests_per_sec),
                round(c.result.p50_ms, 2),
                round(c.result.p99_ms, 2),
                round(c.baseline_rps),
                round(static_p99, 2),
                f"{c.ratio:.2f}",
                f"{c.result.p99_ms / static_p99:.2f}" if static_p99 else "-",
            )
        )
    headers = [
        "case",
        "req/s",
        "p50 ms",
        "p99 ms",
        "static req/s",
        "static p99 ms",
        "x static req/s",
        "x static p99",
    ]
    title = (
        f"nginx page cache against static files ({BACKEND}; {SETTINGS.describe()}; "
        f"wrk -t2 -c{CONNECTIONS} -d{SECONDS:g}s; {ROUNDS} rounds, median kept; "
        f"load average {load_before} before, {load_after} after)"
    )
    table = format_table(headers, rows)
    print()
    print(title)
    print(table)
    destination = os.environ.get("BENCH_RESULTS")
    if destination:
        with open(destination, "a") as out:
            out.write(f"\n### {title}\n\n```\n{table}\n```\n")
