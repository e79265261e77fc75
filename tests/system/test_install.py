"""deploy/install.sh in a scratch prefix, then the systemd units' own command lines run from
it: the server install an operator gets, without touching /etc or creating users.

The script runs with `--prefix` (every path under a temporary folder, no user, nothing
started). Then each unit's WorkingDirectory, EnvironmentFile, Environment, ExecStartPre and
ExecStart are read from the installed unit file, their paths moved under the prefix and
nothing else changed, and run: the web unit serves the blog, the jobs unit's worker stops on
SIGTERM. The logrotate file is read by logrotate itself.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from servers import PROJECT_ROOT, free_port

INSTALL = PROJECT_ROOT / "deploy" / "install.sh"
# Paths the units and the script use on a real server; under the prefix in this test.
SERVER_PATHS = ("/srv/microblog", "/etc/microblog", "/var/log/microblog")


@pytest.fixture(scope="module")
def prefix(tmp_path_factory) -> Path:
    """A scratch install whose settings file names a SQLite database (kept by the script)."""
    root = tmp_path_factory.mktemp("server")
    (root / "etc/microblog").mkdir(parents=True)
    (root / "etc/microblog/microblog.env").write_text(
        "# written before the install: the script keeps it\n"
        "SITE_URL=http://blog.example\n"
        "SITE_TITLE=A blog with spaces in its title\n"
        f"DATABASE_URL=sqlite:///{root}/srv/microblog/instance/blog.sqlite\n"
        "RATELIMIT_ENABLED=0\n"
        "GUNICORN_WORKERS=1\n"
    )
    install(root)
    return root


def install(root: Path) -> str:
    done = subprocess.run(
        [str(INSTALL), "--prefix", str(root)],
        capture_output=True,
        text=True,
        timeout=900,
        env={k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "VIRTUAL_ENV"))},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def unit(root: Path, name: str) -> dict[str, list[str]]:
    """The installed unit's settings (name -> values in order), paths under the prefix."""
    settings: dict[str, list[str]] = {}
    for line in (root / "etc/systemd/system" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            for path in SERVER_PATHS:
                value = value.replace(path, f"{root}{path}")
            settings.setdefault(key, []).append(value)
    return settings


def unit_environment(root: Path, settings: dict[str, list[str]]) -> dict[str, str]:
    """What systemd gives the service: EnvironmentFile's lines, then Environment=."""
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
    for line in Path(settings["EnvironmentFile"][0]).read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    for assignment in settings.get("Environment", []):
        key, value = assignment.split("=", 1)
        env[key] = value
    return env


def test_the_install_has_no_test_tools_and_an_upgraded_database(prefix):
    app = prefix / "srv/microblog"
    python = app / ".venv/bin/python"
    for tool in ("pytest", "ruff", "mypy", "playwright", "hypothesis"):
        found = subprocess.run([str(python), "-c", f"import {tool}"], capture_output=True)
        assert found.returncode != 0, f"{tool} is installed in production"
    assert not (app / "tests").exists()
    # Compiled where the service, which may not write there, finds it.
    assert list((app / "microblog" / "web" / "__pycache__").glob("public.*.pyc"))
    command = prefix / "usr/local/bin/microblog"
    current = subprocess.run(
        [str(command), "db", "current"], capture_output=True, text=True, timeout=120
    )
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout
    assert (app / "instance/secret_key").stat().st_mode & 0o077 == 0


def test_running_it_again_upgrades_and_keeps_settings_and_secret(prefix):
    settings = (prefix / "etc/microblog/microblog.env").read_text()
    secret = (prefix / "srv/microblog/instance/secret_key").read_text()
    output = install(prefix)
    assert "settings" in output and "kept" in output
    assert (prefix / "etc/microblog/microblog.env").read_text() == settings
    assert (prefix / "srv/microblog/instance/secret_key").read_text() == secret


def test_the_web_unit_upgrades_and_serves_and_logs_to_its_files(prefix):
    settings = unit(prefix, "microblog.service")
    env = unit_environment(prefix, settings)
    port = free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    (prefix / "var/log/microblog").mkdir(parents=True, exist_ok=True)
    cwd = settings["WorkingDirectory"][0]
    for command in settings["ExecStartPre"]:
        subprocess.run(shlex.split(command), cwd=cwd, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        shlex.split(settings["ExecStart"][0]), cwd=cwd, env=env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    page = answer.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, "gunicorn did not answer in 60 s"
                time.sleep(0.3)
        assert "A blog with spaces in its title" in page
        time.sleep(0.5)
        assert '"GET / HTTP' in (prefix / "var/log/microblog/access.log").read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server.stderr.close()


def test_the_jobs_unit_runs_a_worker_that_stops_on_sigterm(prefix):
    settings = unit(prefix, "microblog-jobs.service")
    env = unit_environment(prefix, settings)
    worker = subprocess.Popen(
        shlex.split(settings["ExecStart"][0]),
        cwd=settings["WorkingDirectory"][0],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout.readline().startswith("running jobs")
    finally:
        worker.send_signal(getattr(signal, settings["KillSignal"][0]))
        assert worker.wait(timeout=30) == 0
        worker.stdout.close()


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="logrotate is not installed")
def test_logrotate_reads_the_file(prefix, tmp_path):
    text = (prefix / "etc/logrotate.d/microblog").read_text()
    text = text.replace("/var/log/microblog", f"{prefix}/var/log/microblog")
    text = text.replace("create 0640 microblog adm", "create 0640")
    conf = tmp_path / "microblog.logrotate"
    conf.write_text(text)
    checked = subprocess.run(
        ["logrotate", "--debug", "--state", str(tmp_path / "state"), str(conf)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "access.log" in checked.stderr or "microblog/*.log" in checked.stderr


def test_a_first_run_writes_the_settings_and_stops_there(tmp_path):
    """Nothing is installed against settings nobody has read yet."""
    output = install(tmp_path)
    settings = tmp_path / "etc/microblog/microblog.env"
    assert settings.read_text() == (PROJECT_ROOT / "deploy/microblog.env").read_text()
    assert settings.stat().st_mode & 0o077 == 0o040  # root and the service's group only
    assert "run this script again" in output
    assert not (tmp_path / "srv").exists()
