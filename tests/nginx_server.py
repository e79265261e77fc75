"""Run a real nginx from `deploy/nginx.conf` in front of gunicorn, for tests and benchmarks.

The deploy file is included in a generated top-level nginx.conf (pid, logs and temp folders
in a folder of the caller's), with its four machine-specific literals replaced, and nothing
else: the cache folder, the app's address, the port and the static folder.

    with gunicorn_server("wsgi:app", env=env) as app, nginx_front(tmp_path, [app.port]) as front:
        status, headers, body = http_get(front.url("/"))

nginx runs in the foreground (`daemon off`) as a child of the test, so it goes when the test
does; `extra_http` adds lines to the `http {}` block (the benchmark's static-file server).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from servers import PROJECT_ROOT, free_port

DEPLOY_CONF = PROJECT_ROOT / "deploy" / "nginx.conf"
STATIC_FOLDER = PROJECT_ROOT / "microblog" / "static"
MIME_TYPES = Path("/etc/nginx/mime.types")
# The deploy file's machine-specific values, exactly as it writes them.
LITERAL_CACHE = "/var/cache/microblog"
LITERAL_APP = "127.0.0.1:8000"
LITERAL_PORT = "listen 8080;"
LITERAL_STATIC = "/srv/microblog/microblog/static/"


def nginx_binary() -> str | None:
    """Where nginx is installed (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def deploy_conf_for(
    cache_folder: Path, app_ports: Sequence[int], port: int, static_folder: Path
) -> str:
    """deploy/nginx.conf with its four literals replaced; several app ports, several servers."""
    text = DEPLOY_CONF.read_text()
    for literal in (LITERAL_CACHE, LITERAL_APP, LITERAL_PORT, LITERAL_STATIC):
        assert literal in text, f"deploy/nginx.conf no longer has {literal!r}"
    # Several app hosts: one `server` line each in the upstream block.
    servers = "\n    ".join(f"server 127.0.0.1:{app_port};" for app_port in app_ports)
    return (
        text.replace(LITERAL_CACHE, str(cache_folder))
        .replace(f"server {LITERAL_APP};", servers)
        .replace(LITERAL_APP, f"127.0.0.1:{app_ports[0]}")
        .replace(LITERAL_PORT, f"listen 127.0.0.1:{port};")
        .replace(LITERAL_STATIC, str(static_folder).rstrip("/") + "/")
    )


def top_level_conf(folder: Path, included: Path, extra_http: str = "", workers: int = 1) -> str:
    """An nginx.conf that keeps everything in `folder` and includes `included` in http {}."""
    user = ""
    if os.geteuid() == 0:  # as root, nginx would run its workers as nobody
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};"
    mime = f"include {MIME_TYPES};" if MIME_TYPES.exists() else "types { text/css css; }"
    temp = "\n".join(
        f"    {kind}_temp_path {folder / (kind + '_temp')};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
daemon off;
worker_processes {workers};
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    {mime}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
{temp}
    include {included};
{extra_http}
}}
"""


@dataclass
class Nginx:
    """A running nginx: its port, its folder and its process."""

    port: int
    folder: Path
    process: subprocess.Popen

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` through nginx."""
        return self.base_url + path

    def error_log(self) -> str:
        """What nginx wrote to its error log so far."""
        try:
            return (self.folder / "error.log").read_text(errors="replace")
        except OSError:
            return ""


def start_nginx(
    folder: Path,
    app_ports: Sequence[int],
    *,
    static_folder: Path = STATIC_FOLDER,
    extra_http: str = "",
    workers: int = 1,
    port: int | None = None,
    edit: Callable[[Path], None] | None = None,
) -> Nginx:
    """Start nginx from deploy/nginx.conf in front of the apps on `app_ports`; `edit` changes
    the written file as an operator would (turning TLS on) before nginx reads it."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cache").mkdir(exist_ok=True)
    port = port or free_port()
    included = folder / "microblog.conf"
    included.write_text(deploy_conf_for(folder / "cache", app_ports, port, static_folder))
    if edit is not None:
        edit(included)
    main = folder / "nginx.conf"
    main.write_text(top_level_conf(folder, included, extra_http, workers))
    # -e: the error log before the configuration is read (the default path is not ours).
    command = [binary, "-p", str(folder), "-c", str(main), "-e", str(folder / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx refused its configuration:\n{checked.stderr}")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    server = Nginx(port, folder, process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{server.error_log()}")
        try:
            # Listening is ready (with TLS on, plain http answers a redirect to https).
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return server
        except OSError:
            time.sleep(0.05)
    stop_nginx(server)
    raise RuntimeError(f"nginx did not answer in 10 s:\n{server.error_log()}")


def stop_nginx(server: Nginx) -> None:
    """Stop nginx (SIGQUIT: let its connections finish) and wait for it."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGQUIT)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def nginx_front(folder: Path, app_ports: Sequence[int], **options) -> Iterator[Nginx]:
    """nginx in front of the apps on `app_ports` until the block ends."""
    server = start_nginx(folder, app_ports, **options)
    try:
        yield server
    finally:
        stop_nginx(server)
