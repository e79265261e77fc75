"""Run the blog (or any WSGI app) under a real gunicorn on a free port, for tests and benchmarks.

The one place that starts a server for the tests: the default suite (several hosts on one
database, the crash and error-log tests), the browser tests' live site, and the benchmark
harness in `tests/bench/harness.py`, which re-exports what is here:

    with gunicorn_server("wsgi:app", env={"DATABASE_URL": url}) as server:
        status, headers, body = http_get(server.url("/"))

Each gunicorn runs in its own process group, so `kill_group(server)` can SIGKILL the master
and all its workers at once, like a power cut to the application (not to the database).
"""

from __future__ import annotations

import http.cookiejar
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class GunicornSettings:
    """How gunicorn runs an app; use the same for the app and its baseline."""

    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 4
    keepalive: int = 5
    extra_args: tuple[str, ...] = ()

    def args(self) -> list[str]:
        """The command-line options for these settings."""
        args = [
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--keep-alive",
            str(self.keepalive),
            "--log-level",
            "warning",
        ]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args + list(self.extra_args)

    def describe(self) -> str:
        """A one-line summary for a report."""
        threads = f" x {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.workers} {self.worker_class} workers{threads}"


@dataclass
class Server:
    """A running gunicorn: where it listens and how to stop it."""

    app_spec: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return self.base_url + path

    def log(self) -> str:
        """What gunicorn wrote so far (for a failure message)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError as error:  # said, not an empty log: a log that is gone is a clue
            return f"(gunicorn's log cannot be read: {error})"


_log_markers = itertools.count()


def caught_up_log(server: Server, timeout: float = 60) -> str:
    """The server's log once it holds every request answered before this call.

    gunicorn writes a request's access line just after answering it: instead of sleeping a
    guess, a marker request is sent and its line waited for (as long as a busy machine
    takes), twice, so a line still being written by another thread or worker is in too.
    """
    for _ in range(2):
        marker = f"/log-marker-{os.getpid()}-{next(_log_markers)}"
        http_get(server.url(marker), timeout=timeout)
        deadline = time.monotonic() + timeout
        while f"GET {marker} HTTP" not in (log := server.log()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{marker} never reached gunicorn's log:\n{log[-3000:]}")
            time.sleep(0.05)
    return log


def app_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a test server or `flask` command runs with: this process's, less the
    developer's own app settings (only what a test gives configures the app), plus `env`."""
    from microblog.config import ENV_TYPES

    inherited = {name: value for name, value in os.environ.items() if name not in ENV_TYPES}
    return {**inherited, "PYTHONUNBUFFERED": "1", **(env or {})}


# Each xdist worker hands out ports from its own block below the kernel's ephemeral range
# (32768+ on Linux). With port 0, two workers could be given the same free port, and one
# test's SMTP server then answered another test's HTTP client (seen in a full parallel run).
PORT_BLOCK = 1000
_handed_out = itertools.count()


def port_block() -> range:
    """This xdist worker's ports (gw0: 20000–20999, gw1: 21000–21999, …)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % 12 if worker.isdigit() else 0
    first = 20000 + index * PORT_BLOCK
    return range(first, first + PORT_BLOCK)


def free_port() -> int:
    """A TCP port nobody listens on right now, from this worker's block, each one handed out
    in turn (so a port just given to a test that has not bound it yet is not given again)."""
    block = port_block()
    for _ in range(len(block)):
        port = block[next(_handed_out) % len(block)]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port in this worker's block")


def http_get(
    url: str, headers: Mapping[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """A GET without following redirects: status, headers and body (errors included)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


class Browser:
    """A reader or the author over real HTTP: keeps cookies, never follows redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), self.NoRedirect()
        )

    def send(self, url: str, form: dict[str, str] | None = None) -> tuple[int, str, dict]:
        data = urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(urllib.request.Request(url, data=data), timeout=30) as answer:
                return answer.status, answer.read().decode(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)


def wait_until_up(server: Server, path: str = "/", timeout: float = 30) -> None:
    """Wait until the server answers `path` with anything below 500."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.log()}")
        try:
            status, _, _ = http_get(server.url(path), timeout=2)
            if status < 500:
                return
        except OSError as error:
            last_error = error
        time.sleep(0.1)
    raise RuntimeError(
        f"gunicorn did not answer {path} in {timeout}s ({last_error}):\n{server.log()}"
    )


def start_gunicorn(
    app_spec: str,
    *,
    env: Mapping[str, str] | None = None,
    settings: GunicornSettings | None = None,
    pythonpath: Path | str | None = None,
    cwd: Path | str = PROJECT_ROOT,
    log_dir: Path | str | None = None,
    port: int | None = None,
) -> Server:
    """Start `gunicorn app_spec` in its own process group; returns before it is ready."""
    settings = settings or GunicornSettings()
    port = port or free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += settings.args()
    if pythonpath is not None:
        command += ["--pythonpath", str(pythonpath)]
    command.append(app_spec)
    log_folder = Path(log_dir) if log_dir else Path(os.environ.get("TMPDIR", "/tmp"))
    log_path = log_folder / f"gunicorn-{port}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=str(cwd),
            env=app_environment(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(app_spec, port, process, log_path)


@contextmanager
def gunicorn_server(
    app_spec: str,
    *,
    env: Mapping[str, str] | None = None,
    settings: GunicornSettings | None = None,
    pythonpath: Path | str | None = None,
    cwd: Path | str = PROJECT_ROOT,
    ready_path: str = "/",
    log_dir: Path | str | None = None,
) -> Iterator[Server]:
    """Run `gunicorn app_spec` on a free port until the block ends.

    `env` is added to this process's environment; `pythonpath` is put on gunicorn's import
    path (for an app module outside the project's packages, such as `hello:app`).
    """
    server = start_gunicorn(
        app_spec, env=env, settings=settings, pythonpath=pythonpath, cwd=cwd, log_dir=log_dir
    )
    try:
        wait_until_up(server, ready_path)
        yield server
    finally:
        stop(server.process)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop gunicorn (its master and its workers) and wait for it."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def kill_group(server: Server) -> None:
    """SIGKILL the master and every worker at once (no graceful shutdown of anything)."""
    try:
        os.killpg(server.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.process.wait()
    # Workers are in the same group; wait until none is left running (a zombie waiting to be
    # reaped by init holds nothing).
    deadline = time.monotonic() + 10
    while group_alive(server.process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (is not a zombie), from /proc."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command's closing parenthesis: state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def flask_cli(
    env: Mapping[str, str], *args: str, stdin: str | None = None, timeout: float = 600
) -> str:
    """A `flask --app wsgi` command in its own process, as an operator runs it; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=app_environment(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def reset_postgres_schema(url: str, schema: str = "public") -> None:
    """Drop every table of `schema` (made anew, empty), for a run that migrates from nothing."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


def drop_postgres_schema(url: str, schema: str) -> None:
    """Remove `schema` and everything in it (leave the database as a test found it)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def in_postgres_schema(url: str, schema: str) -> str:
    """`url` with its search_path set to `schema`: the app's tables live there alone."""
    from sqlalchemy import make_url

    own = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return own.render_as_string(hide_password=False)
