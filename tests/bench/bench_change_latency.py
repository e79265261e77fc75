"""How soon a change shows to readers through deploy/nginx.conf's page cache: the figure the
system tests print but no longer assert (tests/system/test_nginx.py checks that a change
shows everywhere and never goes back; how soon is a speed, and speed lives here).

The blog under gunicorn (2 workers x 2 threads) behind nginx, on SQLite; each round the
author re-imports a post with a new title (`flask posts import`, a process of its own) while
one reader polls its page, the home page, its tag page and the feeds. For each page, the
seconds from the import's commit (its process returning) to the first answer showing the
new title. Target (issue 14): within 2 s (nginx keeps an entry 1 to 2 s). Nothing is
asserted; the table is printed with the load average.

    .venv/bin/python -m pytest -q -s tests/bench/bench_change_latency.py

Environment: BENCH_CHANGE_ROUNDS (5).
"""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
import urllib.error
import urllib.request

from comment_helpers import AUTHOR
from nginx_server import nginx_binary, nginx_front
from servers import Browser, GunicornSettings, flask_cli, gunicorn_server

ROUNDS = int(os.environ.get("BENCH_CHANGE_ROUNDS", "5"))
POST = """---
title: {title}
date: 2025-04-01 12:00:00 +0000
permalink: /posts/2025/04/change/
tags: [Change]
---

A post that changes.
"""
PATHS = ["/posts/2025/04/change/", "/", "/tags/change/", "/tags/change/feed.xml", "/feed.xml"]
OPENER = urllib.request.build_opener(Browser.NoRedirect())


def body_of(url: str) -> str:
    try:
        with OPENER.open(url, timeout=30) as answer:
            return answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


def test_how_soon_a_change_shows_through_nginx(tmp_path, sqlite_template):
    if nginx_binary() is None:
        print("nginx is not installed: nothing measured")
        return
    (tmp_path / "blog.sqlite").write_bytes(sqlite_template.read_bytes())
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'blog.sqlite'}",
        "SECRET_KEY": "bench-secret",
        "SITE_URL": "http://blog.example",
        "RATELIMIT_ENABLED": "0",
        "PROXY_FIX": "1",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    post = tmp_path / "_posts" / "2025-04-01-change.md"
    post.parent.mkdir()
    flask_cli(env, "author", "create", AUTHOR[0], "--password-stdin", stdin=AUTHOR[1] + "\n")
    settings = GunicornSettings(workers=2, worker_class="gthread", threads=2)
    delays: dict[str, list[float]] = {path: [] for path in PATHS}
    shown: dict[str, str] = {}  # what each page showed last
    first_seen: dict[tuple[str, str], float] = {}  # (path, title) -> when it first showed
    stop = threading.Event()

    def reader(front_url: str) -> None:
        """One reader polling every page, so each is in the cache when the change comes."""
        while not stop.is_set():
            for path in PATHS:
                body = body_of(front_url + path)
                for title in re.findall(r"Title number \d+", body)[:1]:
                    first_seen.setdefault((path, title), time.monotonic())
                    shown[path] = title
            time.sleep(0.01)

    with (
        gunicorn_server("wsgi:app", env=env, settings=settings, log_dir=tmp_path) as app,
        nginx_front(tmp_path / "nginx", [app.port]) as front,
    ):
        polling = threading.Thread(target=reader, args=(front.url(""),), daemon=True)
        polling.start()
        try:
            for round_number in range(ROUNDS + 1):
                title = f"Title number {round_number}"
                post.write_text(POST.format(title=title))
                flask_cli(env, "posts", "import", str(post))
                changed = time.monotonic()  # the import has committed by now
                deadline = changed + 60
                while any(shown.get(p) != title for p in PATHS) and time.monotonic() < deadline:
                    time.sleep(0.02)
                time.sleep(1.5)  # the caches hold the new version a while before the next
                if round_number:  # the first round only fills the caches
                    for path in PATHS:
                        if (path, title) in first_seen:
                            delays[path].append(first_seen[path, title] - changed)
        finally:
            stop.set()
            polling.join()
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"\nA change through nginx, {ROUNDS} rounds: seconds from the import's return (it"
        f" committed before; a negative figure: shown before its process ended; load {load})"
    )
    print("| page | median | max |\n| --- | --- | --- |")
    for path, seconds in delays.items():
        if seconds:
            print(f"| {path} | {statistics.median(seconds):.2f} | {max(seconds):.2f} |")
