"""The class "what one server on a machine holds, another never takes over": two gunicorns
started from the same gunicorn.conf.py each get a control socket of their own (gunicorn's
default is one path per user, so the second took the first's), and an explicit one is kept."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def start(port: int, log: Path, **env: str) -> subprocess.Popen:
    """gunicorn with the project's settings and a tiny app (the settings are the subject)."""
    app = log.parent / "tinyapp.py"
    app.write_text("def app(environ, start):\n    start('200 OK', [])\n    return [b'ok']\n")
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--pythonpath", str(log.parent),
        "--log-level", "debug", "tinyapp:app",
    ]  # fmt: skip
    with log.open("wb") as handle:
        return subprocess.Popen(
            command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )


def control_socket_of(log: Path, timeout: float = 20) -> str:
    """The control socket the server says it listens on, once it is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(
            r"[Cc]ontrol socket (?:listening|server)[^/]*(/\S+\.ctl)", log.read_text()
        )
        if found:
            return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no control socket in the log:\n{log.read_text()}")


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_two_servers_each_get_their_own_control_socket(tmp_path):
    first_log, second_log = tmp_path / "a" / "log", tmp_path / "b" / "log"
    first_log.parent.mkdir()
    second_log.parent.mkdir()
    first = start(free_port(), first_log)
    second = start(free_port(), second_log)
    try:
        one, two = control_socket_of(first_log), control_socket_of(second_log)
        assert one != two
        assert os.path.exists(one) and os.path.exists(two)
        assert len(one.encode()) < 108 and len(two.encode()) < 108
    finally:
        stop(first, second)


def test_a_named_control_socket_is_kept(tmp_path):
    log = tmp_path / "log"
    wanted = str(tmp_path / "mine.ctl")
    server = start(free_port(), log, GUNICORN_CONTROL_SOCKET=wanted)
    try:
        assert control_socket_of(log) == wanted
    finally:
        stop(server)
