"""Configuration: built-in defaults, then `instance/config.py`, then the environment.

This is the only module that reads the environment.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SITE_URL": "http://127.0.0.1:5000",
    "SITE_TITLE": "microblog",
    "SITE_DESCRIPTION": "Notes and essays, written in Markdown.",
    "SITE_AUTHOR": "The author",
    "SITE_LANGUAGE": "en",
    # The author's picture (a URL, or a path on the site) for their h-card; None: none.
    "SITE_AUTHOR_PHOTO": None,
    # A line or two about the author, shown under each post; and their pages elsewhere,
    # "Label=URL" pairs separated by commas ("Mastodon=https://…, GitHub=https://…").
    "SITE_AUTHOR_BIO": "",
    "SITE_LINKS": "",
    "PERMALINK": "/posts/:year/:month/:title/",
    # The zone of post dates written without an offset (Jekyll's `timezone`).
    "TIMEZONE": "UTC",
    # Where an imported site's files (images, downloads) are copied and served from, at the
    # same paths as on the Jekyll site; None: `<instance>/media`.
    "MEDIA_FOLDER": None,
    # The largest image the author may upload (the editor, the library, Micropub).
    "MEDIA_MAX_BYTES": 25 * 1024 * 1024,
    # Let Micropub's photo URLs be fetched from private and loopback addresses (tests only).
    "MEDIA_FETCH_ALLOW_PRIVATE": False,
    "POSTS_PER_PAGE": 10,
    "FEED_MAX_ITEMS": 20,
    "FEED_FULL_TEXT": True,
    "FEED_MAX_AGE": 300,
    # The WebSub hub every feed names (rel="hub"); None: no hub link.
    "WEBSUB_HUB": None,
    # Webmention: send to the sites posts link to; fetch sources on private addresses (tests);
    # how often one client (address; IPv6: its /64) may send; how many verifications may wait
    # at once, in all and from one client.
    "WEBMENTION_SEND": False,
    "WEBMENTION_ALLOW_PRIVATE": False,
    "WEBMENTION_RATE_LIMIT": "20 per hour",
    "WEBMENTION_MAX_QUEUED": 500,
    "WEBMENTION_MAX_QUEUED_PER_CLIENT": 20,
    # Likes and reposts kept per post (each reader once); more are not counted.
    "WEBMENTION_MAX_REACTIONS": 500,
    # ActivityPub: the blog's author can be followed from the fediverse (off: no actor, no
    # WebFinger, nothing sent); fetch actors and deliver to private and loopback addresses
    # (tests only); approve each follower by hand; give up on a server failing this long.
    "ACTIVITYPUB_ENABLED": True,
    "ACTIVITYPUB_ALLOW_PRIVATE": False,
    "ACTIVITYPUB_MANUAL_APPROVAL": False,
    "ACTIVITYPUB_GIVE_UP_DAYS": 3.0,
    # Inbox activities accepted per minute from one server, and the largest body taken.
    "ACTIVITYPUB_INBOX_RATE_LIMIT": "300 per minute",
    "ACTIVITYPUB_MAX_BODY": 1024 * 1024,
    # IndieAuth: fetch an app's client_id page on private and loopback addresses (tests).
    "INDIEAUTH_ALLOW_PRIVATE": False,
    "PAGE_MAX_AGE": 0,
    # Each worker's response cache, in bytes of rendered pages and feeds kept.
    "RESPONSE_CACHE_MAX_BYTES": 64 * 1024 * 1024,
    "COMMENTS_MIN_SECONDS": 2,
    "COMMENTS_MAX_LINKS": 2,
    "COMMENTS_BLOCKLIST": "",
    "COMMENTS_TRUST_RETURNING": True,
    "COMMENTS_CLOSE_AFTER_DAYS": 0,
    "COMMENTS_TOKEN_MAX_AGE": 24 * 3600,
    "COMMENTS_RATE_LIMIT": "5 per minute; 50 per day",
    "LOGIN_RATE_LIMIT": "5 per 15 minutes",
    "SANITIZER": "bleach",
    # werkzeug's password hash; the test suite picks a cheap one to stay fast.
    "PASSWORD_HASH_METHOD": "scrypt",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # The author's own routes (the editor, Micropub): a long post must fit.
    "AUTHOR_MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "PROXY_FIX": 0,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Seconds a statement waits for another writer's lock (SQLite's busy timeout, PostgreSQL's
    # lock_timeout) before a comment is answered 503 with its text kept.
    "DATABASE_LOCK_TIMEOUT": 10,
    # Mail (Flask-Mail's names). No MAIL_SERVER: no mail is queued or sent.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "microblog@localhost",
    # Flask-Mail would otherwise drop every mail when TESTING; our tests talk to a real server.
    "MAIL_SUPPRESS_SEND": False,
    "MAIL_TIMEOUT": 20,
    # The background queue (microblog/jobs.py). JOBS_RUNNER: run jobs in a thread of each app
    # process; None means "yes, except under TESTING".
    "JOBS_RUNNER": None,
    "JOBS_POLL_SECONDS": 2.0,
    "JOBS_BATCH_WAIT": 0.1,
    # Send only once no job has been queued for this many seconds (readers first), unless
    # one has waited JOBS_QUIET_LONGEST; 0: send at once. The jobs unit sets 1.
    "JOBS_QUIET_SECONDS": 0.0,
    "JOBS_QUIET_LONGEST": 60.0,
    "JOBS_LEASE_SECONDS": 120.0,
    "JOBS_RETRY_FIRST": 30.0,
    "JOBS_RETRY_LONGEST": 3600.0,
    "JOBS_KEEP_DAYS": 7.0,
}

# Environment variables that are read, with the type each is parsed as.
ENV_TYPES: dict[str, type] = {
    "MEDIA_FOLDER": str,
    "MEDIA_MAX_BYTES": int,
    "MEDIA_FETCH_ALLOW_PRIVATE": bool,
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "SITE_URL": str,
    "SITE_TITLE": str,
    "SITE_DESCRIPTION": str,
    "SITE_AUTHOR": str,
    "SITE_LANGUAGE": str,
    "SITE_AUTHOR_PHOTO": str,
    "SITE_AUTHOR_BIO": str,
    "SITE_LINKS": str,
    "PERMALINK": str,
    "TIMEZONE": str,
    "POSTS_PER_PAGE": int,
    "FEED_MAX_ITEMS": int,
    "FEED_FULL_TEXT": bool,
    "FEED_MAX_AGE": int,
    "WEBSUB_HUB": str,
    "WEBMENTION_SEND": bool,
    "WEBMENTION_ALLOW_PRIVATE": bool,
    "WEBMENTION_RATE_LIMIT": str,
    "WEBMENTION_MAX_QUEUED": int,
    "WEBMENTION_MAX_QUEUED_PER_CLIENT": int,
    "WEBMENTION_MAX_REACTIONS": int,
    "ACTIVITYPUB_ENABLED": bool,
    "ACTIVITYPUB_ALLOW_PRIVATE": bool,
    "ACTIVITYPUB_MANUAL_APPROVAL": bool,
    "ACTIVITYPUB_GIVE_UP_DAYS": float,
    "ACTIVITYPUB_INBOX_RATE_LIMIT": str,
    "INDIEAUTH_ALLOW_PRIVATE": bool,
    "PAGE_MAX_AGE": int,
    "RESPONSE_CACHE_MAX_BYTES": int,
    "COMMENTS_MIN_SECONDS": float,
    "COMMENTS_MAX_LINKS": int,
    "COMMENTS_BLOCKLIST": str,
    "COMMENTS_TRUST_RETURNING": bool,
    "COMMENTS_CLOSE_AFTER_DAYS": int,
    "COMMENTS_RATE_LIMIT": str,
    "LOGIN_RATE_LIMIT": str,
    "SANITIZER": str,
    "RATELIMIT_ENABLED": bool,
    "RATELIMIT_STORAGE_URI": str,
    "MAX_CONTENT_LENGTH": int,
    "AUTHOR_MAX_CONTENT_LENGTH": int,
    "SESSION_COOKIE_SECURE": bool,
    "PROXY_FIX": int,
    "DATABASE_LOCK_TIMEOUT": float,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": bool,
    "MAIL_USE_SSL": bool,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "MAIL_TIMEOUT": float,
    "JOBS_RUNNER": bool,
    "JOBS_POLL_SECONDS": float,
    "JOBS_BATCH_WAIT": float,
    "JOBS_QUIET_SECONDS": float,
    "JOBS_QUIET_LONGEST": float,
    "JOBS_LEASE_SECONDS": float,
    "JOBS_RETRY_FIRST": float,
    "JOBS_RETRY_LONGEST": float,
    "JOBS_KEEP_DAYS": float,
}

TRUE_WORDS = {"1", "true", "yes", "on"}


def parse_env_value(raw: str, kind: type) -> Any:
    """Turn one environment string into the setting's type."""
    if kind is bool:
        return raw.strip().lower() in TRUE_WORDS
    return kind(raw)


def defaults(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The built-in defaults. Under `make run`, SITE_URL's default is the address the
    development server listens on (MICROBLOG_SERVER_URL, which the Makefile makes from HOST
    and PORT), so that links follow `make run PORT=…` unless SITE_URL is set (in
    instance/config.py or the environment, both read after this)."""
    environ = dict(os.environ) if environ is None else environ
    serving_at = environ.get("MICROBLOG_SERVER_URL", "")
    return {**DEFAULTS, "SITE_URL": serving_at} if serving_at else dict(DEFAULTS)


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The settings given as environment variables."""
    environ = dict(os.environ) if environ is None else environ
    return {
        name: parse_env_value(environ[name], kind)
        for name, kind in ENV_TYPES.items()
        if environ.get(name, "") != ""
    }


def default_database_url(instance_path: str) -> str:
    """The embedded SQLite database inside the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "microblog.sqlite")


def local_secret_key(instance_path: str) -> str:
    """A secret generated once and kept in the instance folder (every setup: `make run`,
    a server), unless SECRET_KEY is set. Processes starting together (gunicorn's workers)
    all read the one key that was linked into place first."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(draft, path)  # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def finish(config: dict[str, Any], instance_path: str) -> None:
    """Fill in what depends on other settings once every source has been read."""
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = config.get("DATABASE_URL") or default_database_url(
            instance_path
        )
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = local_secret_key(instance_path)
    config["SITE_URL"] = str(config["SITE_URL"]).rstrip("/")
    config["MEDIA_FOLDER"] = str(config.get("MEDIA_FOLDER") or Path(instance_path) / "media")
    config["RATELIMIT_STORAGE_URI"] = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if config.get("JOBS_RUNNER") is None:
        config["JOBS_RUNNER"] = not config.get("TESTING")
    if not config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        # A storage that stops answering must fail fast (sign-in then falls back, a
        # comment gets a 503), not hold a request thread for the OS's TCP timeout.
        options = dict(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("socket_connect_timeout", 1)
        options.setdefault("socket_timeout", 1)
        config["RATELIMIT_STORAGE_OPTIONS"] = options


PACKAGE_DIR = Path(__file__).resolve().parent


def in_source_tree() -> bool:
    """Whether the package runs from its checkout (`make run`, an editable install) rather
    than from an installed copy (`pip install .`)."""
    return (PACKAGE_DIR.parent / "pyproject.toml").is_file() and (
        PACKAGE_DIR.parent / "templates"
    ).is_dir()


def shipped_folder(name: str) -> Path:
    """`templates` or `migrations`: beside the package in a checkout, inside it once
    installed (pyproject.toml ships them as `microblog/templates`, `microblog/migrations`)."""
    return PACKAGE_DIR.parent / name if in_source_tree() else PACKAGE_DIR / name


def instance_folder() -> Path:
    """Where the blog keeps its own files (config.py, the SQLite file, the secret key,
    media): `MICROBLOG_INSTANCE`, else the checkout's `instance/`, else `./instance` in the
    folder the server runs from (an installed package has no checkout)."""
    configured = os.environ.get("MICROBLOG_INSTANCE", "")
    if configured:
        return Path(configured).resolve()
    if in_source_tree():
        return PACKAGE_DIR.parent / "instance"
    return Path.cwd() / "instance"


def load_settings(instance_path: str | Path | None = None) -> dict[str, Any]:
    """The settings the app will run with, read the same way as `create_app` (for tools
    that run before any app exists, such as gunicorn.conf.py)."""
    from flask import Config

    config = Config(str(instance_path or instance_folder()))
    config.from_mapping(defaults())
    config.from_pyfile("config.py", silent=True)
    config.from_mapping(from_environment())
    return dict(config)


def rate_limit_storage_problem(workers: int, settings: dict[str, Any] | None = None) -> str:
    """Why `workers` processes cannot run with these settings, or "" when they can.

    With `memory://` each worker keeps its own counts: 5 sign-ins a quarter hour becomes 5
    per worker, and a burst spread over workers passes. Several workers need a shared
    storage (Redis).
    """
    settings = load_settings() if settings is None else settings
    storage = str(settings.get("RATELIMIT_STORAGE_URI") or "memory://")
    if workers > 1 and settings.get("RATELIMIT_ENABLED") and storage.startswith("memory://"):
        return (
            f"{workers} workers with RATELIMIT_STORAGE_URI={storage}: each worker would count "
            "sign-ins and comments alone, so the limits would not hold. Set "
            "RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (shared by every worker), or run "
            "one worker (GUNICORN_WORKERS=1), or turn limits off (RATELIMIT_ENABLED=0)."
        )
    return ""


def secret_key_source(secret_key: str, instance_path: str | Path) -> str:
    """Where the running SECRET_KEY came from: "environment", "instance/config.py",
    "instance/secret_key" (generated once, kept), or "" (none of these: given in code)."""
    if os.environ.get("SECRET_KEY", ""):
        return "environment"
    from flask import Config

    written = Config(str(instance_path))
    written.from_pyfile("config.py", silent=True)
    if written.get("SECRET_KEY"):
        return "instance/config.py"
    kept = Path(instance_path) / "secret_key"
    if kept.is_file() and kept.read_text().strip() == secret_key:
        return "instance/secret_key"
    return ""


def gunicorn_workers() -> int:
    """How many web processes gunicorn.conf.py starts (GUNICORN_WORKERS, else cores + 1)."""
    configured = os.environ.get("GUNICORN_WORKERS", "")
    return int(configured) if configured else (os.cpu_count() or 1) + 1
