"""Mail off the request path: comment submission with mail on against mail off, and the time
from a comment's 303 to its mail arriving at a real SMTP server (aiosmtpd).

Two gunicorns (gunicorn.conf.py's shape) serve one database: one without MAIL_SERVER, one
with it and an author address, so each accepted comment there queues one mail. As deployed
(deploy/microblog-jobs.service), the web workers run no jobs (JOBS_RUNNER=0): one
`flask jobs worker` process beside them sends the mail, at the lowest CPU priority (the
unit's Nice=19), once comments pause for a second (JOBS_QUIET_SECONDS=1), polling every
JOBS_POLL_SECONDS.
wrk POSTs distinct comments to each in turn (ROUNDS rounds, the mail server drained between
runs); the target is mail-on within 10% of mail-off. Then
LATENCY_COMMENTS comments are sent one at a time to the mail-on server and each one's mail is
awaited: p50 and p99 of POST sent → mail accepted by the SMTP server (the 303 comes in
between; the runner waits JOBS_BATCH_WAIT, 0.1 s, after a wake to gather a batch).

    make bench   (or: .venv/bin/python -m pytest -q -s tests/bench/bench_mail.py)
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bench_app import EXAMPLE_POST, PG_URL, SETTINGS, CommentCase, Runner, build
from harness import gunicorn_server, http_get
from servers import PROJECT_ROOT, app_environment, flask_cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from smtp_server import SMTPServer  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_MAIL_ROUNDS", "3"))
LATENCY_COMMENTS = int(os.environ.get("BENCH_MAIL_LATENCY_COMMENTS", "200"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
RESULTS = Path(__file__).resolve().parent / "MAIL_RESULTS.md"
REPORT: dict[str, dict] = {}

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@contextmanager
def jobs_worker(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """`flask jobs worker` (deploy/microblog-jobs.service's command) until the block ends."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"],
        cwd=PROJECT_ROOT,
        env=app_environment({**env, "JOBS_QUIET_SECONDS": "1"}),  # as the unit sets it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.nice(19),  # the unit's Nice=19
    )
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def post_one(url: str, token: str, body: str) -> int:
    form = urlencode({"name": "Latency reader", "body": body, "comment_token": token}).encode()
    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(url, data=form, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def drain(smtp: SMTPServer, expected: int, timeout: float = 300) -> float:
    """Wait until `expected` mails arrived; seconds waited."""
    started = time.monotonic()
    smtp.wait_for(expected, timeout=timeout)
    return time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_mail_stays_off_the_request_path(backend, tmp_path):
    if backend == "postgresql" and not PG_URL:
        pytest.skip("no PostgreSQL")
    env, _ = build(backend, 100, 1_000, tmp_path)
    flask_cli(
        env,
        "author",
        "create",
        "me",
        "--email",
        "me@blog.example",
        "--password-stdin",
        stdin="pw\n",
    )
    with SMTPServer() as smtp:
        # As deployed (deploy/microblog.service, microblog-jobs.service): the web workers run
        # no jobs (JOBS_RUNNER=0) and one `flask jobs worker` beside them sends the mail.
        mail_env = {**env, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)}
        off_env = {**env, "JOBS_RUNNER": "0"}
        web_env = {**mail_env, "JOBS_RUNNER": "0"}
        with (
            gunicorn_server("wsgi:app", env=off_env, settings=SETTINGS, log_dir=tmp_path) as off,
            gunicorn_server("wsgi:app", env=web_env, settings=SETTINGS, log_dir=tmp_path) as on,
            jobs_worker(mail_env),
        ):
            runner = Runner(tmp_path)
            rates: dict[str, list[float]] = {"off": [], "on": []}
            drained: list[float] = []
            on_accepted = 0
            for _ in range(ROUNDS):
                rates["off"].append(runner(CommentCase("off", off, EXAMPLE_POST)).requests_per_sec)
                before = len(runner.accepted_ids)
                rates["on"].append(runner(CommentCase("on", on, EXAMPLE_POST)).requests_per_sec)
                # Every comment the mail-on server stored (in-flight ones too) gets its mail.
                on_accepted += len(runner.accepted_ids) - before
                drained.append(drain(smtp, on_accepted))
            off_rate, on_rate = statistics.median(rates["off"]), statistics.median(rates["on"])

            # Latency: one comment at a time, each one's mail awaited.
            _, _, page = http_get(on.url(EXAMPLE_POST))
            token = re.search(rb'name="comment_token" value="([^"]+)"', page).group(1).decode()
            delays: list[float] = []
            answers: list[float] = []
            for number in range(LATENCY_COMMENTS):
                already = len(smtp.messages)
                body = f"Latency comment {number}."
                sent = time.time()
                status = post_one(on.url(EXAMPLE_POST + "comments"), token, body)
                answers.append((time.time() - sent) * 1000)
                assert status == 303, status
                smtp.wait_for(already + 1, timeout=30)
                # From the moment the POST left (an upper bound of "from its 303"): the
                # client's own reading of the answer is no part of the mail's way.
                delays.append((smtp.collector.arrived_at[already] - sent) * 1000)
    p50, p99 = percentile(delays, 0.50), percentile(delays, 0.99)
    REPORT[backend] = {
        "off": off_rate,
        "on": on_rate,
        "ratio": on_rate / off_rate,
        "p50": p50,
        "p99": p99,
        "post_p50": percentile(answers, 0.50),
        "drain": max(drained),
    }
    print(
        f"\n{backend}: comments/s mail off {off_rate:.0f}, mail on {on_rate:.0f} "
        f"({on_rate / off_rate:.0%}); POST sent → mail arrived p50 {p50:.0f} ms, p99 {p99:.0f} ms"
        f" (the POST's own answer: p50 {percentile(answers, 0.5):.0f} ms) "
        f"(one at a time, {LATENCY_COMMENTS} comments); after a {ROUNDS}-round load the "
        f"queue was empty within {max(drained):.1f} s"
    )
    write_results()
    assert on_rate >= 0.9 * off_rate, REPORT[backend]


def write_results() -> None:
    """tests/bench/MAIL_RESULTS.md: the figures of this run."""
    lines = [
        "# Mail off the request path (`tests/bench/bench_mail.py`)",
        "",
        f"{SETTINGS.describe()}, {os.cpu_count()} cores, wrk as in bench_app.py; median of "
        f"{ROUNDS} alternating rounds; latency over {LATENCY_COMMENTS} comments sent one at a "
        "time to a real SMTP server (aiosmtpd) in the benchmark's process.",
        "",
        "| database | comments/s, mail off | comments/s, mail on | on / off | POST → mail p50 "
        "| POST → mail p99 | POST → 303 p50 | queue empty after load within |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, row in REPORT.items():
        lines.append(
            f"| {backend} | {row['off']:.0f} | {row['on']:.0f} | {row['ratio']:.0%} "
            f"| {row['p50']:.0f} ms | {row['p99']:.0f} ms | {row['post_p50']:.0f} ms "
            f"| {row['drain']:.1f} s |"
        )
    RESULTS.write_text("\n".join(lines) + "\n")
