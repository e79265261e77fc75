"""`flask doctor`: checks the running configuration and says what to fix.

Each check gives one line: `ok`, `note` (works, but read this) or `PROBLEM` followed by what
to do. The exit status is 1 when any check found a problem, so a deploy script can stop.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


@dataclass(frozen=True)
class Finding:
    """One check's verdict: "ok", "note" or "problem", what was found, and what to do."""

    verdict: str
    what: str
    fix: str = ""


def ok(what: str) -> Finding:
    return Finding("ok", what)


def note(what: str, fix: str) -> Finding:
    return Finding("note", what, fix)


def problem(what: str, fix: str) -> Finding:
    return Finding("problem", what, fix)


def check_site_url(config: dict[str, Any]) -> Finding:
    url = str(config.get("SITE_URL") or "")
    parts = urlsplit(url)
    example = "SITE_URL=https://blog.example.org"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return problem(f"SITE_URL {url!r} is not an absolute http(s) URL", f"set {example}")
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        return problem(
            f"SITE_URL {url!r} has a path, query or fragment",
            f"give only the scheme and host (the blog lives at the root): {example}",
        )
    local = parts.hostname in LOCAL_HOSTS
    if parts.scheme == "http" and config.get("SESSION_COOKIE_SECURE"):
        return problem(
            f"SITE_URL {url} is http but SESSION_COOKIE_SECURE is on: sign-in cannot work",
            "serve the blog over https (deploy/nginx.conf's #tls lines) and set SITE_URL to it",
        )
    if parts.scheme == "http" and not local:
        return problem(
            f"SITE_URL {url} is plain http on a public name: sign-in and feeds travel in clear",
            "turn TLS on (deploy/nginx.conf's #tls lines), then set SITE_URL=https://"
            f"{parts.netloc} and SESSION_COOKIE_SECURE=1",
        )
    if local:
        return note(
            f"SITE_URL {url} is this machine only: fine for `make run`",
            f"on a server, set the address readers use ({example})",
        )
    return ok(f"SITE_URL {url}")


def check_secret_key(config: dict[str, Any], instance_path: str) -> Finding:
    from microblog.config import secret_key_source

    key = str(config.get("SECRET_KEY") or "")
    source = secret_key_source(key, instance_path)
    if len(key) < 32:
        return problem(
            f"SECRET_KEY is {len(key)} characters long",
            "unset it (one is generated into instance/secret_key and kept) or set 64 random "
            "hex characters: python3 -c 'import secrets; print(secrets.token_hex(32))'",
        )
    if source == "instance/secret_key":
        return ok(f"SECRET_KEY kept in {Path(instance_path) / 'secret_key'}")
    if source == "instance/config.py":
        return ok("SECRET_KEY written in instance/config.py")
    if source == "environment":
        return note(
            "SECRET_KEY comes from the environment",
            "keep it in a file (systemd EnvironmentFile, /etc/microblog/microblog.env), never "
            "generated per shell: a new key voids every session and mailed link",
        )
    return ok("SECRET_KEY set by the application's caller")


def check_mail(config: dict[str, Any]) -> Finding:
    from microblog.mail.probe import smtp_problem

    if not config.get("MAIL_SERVER"):
        return note(
            "no MAIL_SERVER: no notification mail (new comments, replies to readers)",
            "set MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME, MAIL_PASSWORD and "
            "MAIL_DEFAULT_SENDER to send it",
        )
    why = smtp_problem(config)
    if why:
        return problem(
            f"mail: {why}",
            "check MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS / MAIL_USE_SSL and the credentials "
            "(queued mail waits and is retried: flask jobs)",
        )
    server = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    return ok(f"mail server {server} answers")


def check_timezone(config: dict[str, Any]) -> Finding:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = str(config.get("TIMEZONE") or "")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return problem(
            f"TIMEZONE {name!r} is not an IANA zone name",
            "set TIMEZONE=Europe/Paris (or UTC; timedatectl list-timezones lists them)",
        )
    return ok(f"TIMEZONE {name}")


def check_migrations() -> Finding:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from microblog.extensions import db

    migrate = current_app.extensions["migrate"]
    heads = set(ScriptDirectory.from_config(migrate.migrate.get_config()).get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # the database itself is the finding
        return problem(
            f"cannot open the database ({type(exc).__name__}: {str(exc).splitlines()[0]})",
            "check DATABASE_URL, and that the database and its role exist",
        )
    if current != heads:
        shown = ", ".join(sorted(current)) or "empty"
        return problem(
            f"the database schema is at {shown}, the code expects {', '.join(sorted(heads))}",
            "run: flask db upgrade",
        )
    return ok("database schema up to date")


def check_media_folder(config: dict[str, Any]) -> Finding:
    folder = Path(str(config["MEDIA_FOLDER"]))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return problem(
            f"MEDIA_FOLDER {folder} is not writable ({exc.strerror or exc})",
            "create it and give it to the user the app runs as (chown microblog), or set "
            "MEDIA_FOLDER to a folder it may write",
        )
    return ok(f"MEDIA_FOLDER {folder} writable")


def check_rate_limits(config: dict[str, Any], workers: int) -> Finding:
    from microblog.config import rate_limit_storage_problem
    from microblog.extensions import limiter

    if not config.get("RATELIMIT_ENABLED"):
        return note("rate limits are off", "set RATELIMIT_ENABLED=1 on a public server")
    storage = str(config["RATELIMIT_STORAGE_URI"])
    if rate_limit_storage_problem(workers, config):
        return problem(
            f"RATELIMIT_STORAGE_URI={storage} counts per process: {workers} web workers would "
            "each count sign-ins and comments alone",
            "set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (shared by every worker), or "
            "run one worker (GUNICORN_WORKERS=1; `make run` is one: flask doctor --workers 1)",
        )
    if not storage.startswith("memory://"):
        try:
            answers = bool(limiter.storage.check())
        except Exception:  # a storage driver's own error: it does not answer
            answers = False
        if not answers:
            return problem(
                f"rate-limit storage {storage} does not answer",
                "start it (systemctl start redis-server) or fix RATELIMIT_STORAGE_URI",
            )
    return ok(f"rate-limit storage {storage} for {workers} worker(s)")


@click.command("doctor")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Web processes to check the rate-limit storage for (default: as gunicorn.conf.py).",
)
@with_appcontext
def doctor_cli(workers: int | None) -> None:
    """Check the configuration (SITE_URL, SECRET_KEY, mail, TIMEZONE, migrations,
    MEDIA_FOLDER, rate limits) and say what to fix; exit 1 on any problem."""
    from microblog.config import gunicorn_workers

    config = dict(current_app.config)
    checks: list[Callable[[], Finding]] = [
        lambda: check_site_url(config),
        lambda: check_secret_key(config, current_app.instance_path),
        lambda: check_timezone(config),
        check_migrations,
        lambda: check_media_folder(config),
        lambda: check_rate_limits(config, workers or gunicorn_workers()),
        lambda: check_mail(config),
    ]
    problems = 0
    for check in checks:
        finding = check()
        label = {"ok": "ok     ", "note": "note   ", "problem": "PROBLEM"}[finding.verdict]
        click.echo(f"{label} {finding.what}")
        if finding.fix:
            click.echo(f"        -> {finding.fix}")
        problems += finding.verdict == "problem"
    click.echo(f"{problems} problem{'' if problems == 1 else 's'} found")
    if problems:
        raise SystemExit(1)
