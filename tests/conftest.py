"""Shared fixtures: a fresh app and database per test, on SQLite and (when
TEST_DATABASE_URL is set) on PostgreSQL as well."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from servers import PROJECT_ROOT, reset_postgres_schema
from sqlalchemy import create_engine, text

from microblog import create_app

# What the whole suite shares is defined here once (every tier imports it).
SAMPLE_POSTS = PROJECT_ROOT / "content" / "_posts"
EXAMPLE_POST = SAMPLE_POSTS / "2025-09-30-alg-blog-post-2.md"
EXAMPLE_PERMALINK = "/posts/2025/09/alg-blog-post-2/"
EXAMPLE_TITLE = "ALG Blog 2: How Generative AI Works and How It Fails"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])

# Settings every test app shares: quiet rate limits and no time-to-submit unless a test
# turns them on, because most tests are not about them.
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "SITE_URL": "http://blog.example",
    "SITE_TITLE": "Test Blog",
    "RATELIMIT_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "COMMENTS_MIN_SECONDS": 0,
    # scrypt takes ~0.15 s a hash; the tests log in hundreds of times.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


def migrated_app(url: str) -> Flask:
    """An app on `url`, with the schema brought up to date by the real migrations."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from microblog.extensions import db

        # Close every connection: SQLite (in WAL mode) then writes the schema into the
        # main file, which is what gets copied for each test.
        db.engine.dispose()
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    migrated_app(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    """The PostgreSQL test database, emptied and migrated once per session."""
    reset_postgres_schema(TEST_DATABASE_URL)
    migrated_app(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


def empty_postgres(url: str) -> None:
    """Remove every row a previous test left, keeping the schema."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('alembic_version', 'site_state')"
            )
        ).scalars()
        names = ", ".join(f'"{name}"' for name in tables)
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE site_state SET generation = 0"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    """A fresh, migrated database: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_migrated")
    empty_postgres(url)
    return url


@pytest.fixture
def make_app(database_url) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database with extra settings."""
    apps: list[Flask] = []

    def build(**config) -> Flask:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})
        apps.append(app)
        return app

    yield build
    for app in apps:
        # A runner thread (JOBS_RUNNER) would outlive its test and take the next one's jobs.
        app.extensions["jobs_runner"].stop()
        app.extensions["generation_reader"].close()
        with app.app_context():
            from microblog.extensions import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free port, for the duration of the test."""
    from smtp_server import SMTPServer

    with SMTPServer() as server:
        yield server


@pytest.fixture
def app(make_app) -> Flask:
    """A fresh app with the default test settings."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client for `app`."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `app`."""
    return app.test_cli_runner()


@pytest.fixture
def write_post(tmp_path) -> Callable[[str, str], Path]:
    """Write a Jekyll post file under a temporary `_posts/` folder and return its path."""
    folder = tmp_path / "_posts"
    folder.mkdir(exist_ok=True)

    def write(name: str, text_or_bytes: str | bytes) -> Path:
        path = folder / name
        if isinstance(text_or_bytes, bytes):
            path.write_bytes(text_or_bytes)
        else:
            path.write_text(text_or_bytes, encoding="utf-8")
        return path

    return write


@pytest.fixture
def import_posts(app) -> Callable[..., object]:
    """Run `flask posts import` on some paths and return the CLI result."""

    def run(*paths, expect_ok: bool = True):
        result = app.test_cli_runner().invoke(args=["posts", "import", *map(str, paths)])
        if expect_ok:
            assert result.exit_code == 0, result.output
        return result

    return run


@pytest.fixture
def example_post(import_posts) -> str:
    """Import the example post and return its permalink."""
    import_posts(EXAMPLE_POST)
    return EXAMPLE_PERMALINK
