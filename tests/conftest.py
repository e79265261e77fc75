"""Shared fixtures and the tiers of the suite.

tests/unit needs no app, tests/app drives the app through Flask's test client on SQLite, and
tests/system starts real servers and processes; each test is marked with its folder's tier
(and `browser` under tests/system/browser). Every test gets a fresh SQLite database; a test
of what the database itself does (locks, claims, LISTEN/NOTIFY, query plans, migrations)
is marked `any_database` and runs on PostgreSQL as well when TEST_DATABASE_URL is set,
inside a transaction rolled back after it (or, with `any_database(cleanup=True)` for a
test that spans several connections or processes, emptied before and after it). Under
pytest-xdist each worker has a PostgreSQL database of its own (`<name>_gw0`, ...)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from servers import PROJECT_ROOT, reset_postgres_schema
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Connection

from microblog import create_app

# What the whole suite shares is defined here once (every tier imports it).
SAMPLE_POSTS = PROJECT_ROOT / "content" / "_posts"
EXAMPLE_POST = SAMPLE_POSTS / "2025-09-30-alg-blog-post-2.md"
EXAMPLE_PERMALINK = "/posts/2025/09/alg-blog-post-2/"
EXAMPLE_TITLE = "ALG Blog 2: How Generative AI Works and How It Fails"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "app", "system")

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """SQLite for every test of the database; PostgreSQL too for `any_database` tests."""
    if "database_url" not in metafunc.fixturenames:
        return
    backends = ["sqlite"]
    if TEST_DATABASE_URL and metafunc.definition.get_closest_marker("any_database"):
        backends.append("postgresql")
    metafunc.parametrize("database_url", backends, indirect=True)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tier (its folder), `browser` and `postgres`; refuse a test
    outside the tiers, and a unit test that asks for a database."""
    for item in items:
        try:
            parts = item.path.resolve().relative_to(TESTS).parts
        except ValueError:
            continue
        if parts[0] == "bench":
            continue
        tier = parts[0]
        if tier not in TIERS or len(parts) < 2:
            raise pytest.UsageError(
                f"{item.nodeid}: test files live in tests/unit, tests/app or tests/system"
            )
        item.add_marker(tier)
        if tier == "system":
            # Under --dist loadgroup a system test file runs whole on one worker, its tests
            # one after another (they share servers and timings); the browser folder is one
            # group (one live site and one Chromium). Files run side by side: ports are free
            # ports, folders are tmp_path, each worker has its own PostgreSQL database.
            browser = parts[1] == "browser"
            group = "system-browser" if browser else "system-" + "-".join(parts[1:])
            item.add_marker(pytest.mark.xdist_group(group))
            if browser:
                item.add_marker("browser")
        if tier == "unit" and "database_url" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(f"{item.nodeid}: a unit test has no database (tests/app)")
        callspec = getattr(item, "callspec", None)
        if callspec is not None and any(
            isinstance(value, str) and value.startswith("postgresql")
            for value in callspec.params.values()
        ):
            item.add_marker("postgres")


def migrated_app(url: str) -> Flask:
    """An app on `url`, with the schema brought up to date by the real migrations."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from microblog.extensions import db

        # Close every connection: SQLite (in WAL mode) then writes the schema into the
        # main file, which is what gets copied for each test.
        db.engine.dispose()
    app.extensions["generation_reader"].close()
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    migrated_app(f"sqlite:///{path}")
    return path


def postgres_database(url: str, suffix: str = "") -> str:
    """A PostgreSQL database on `url`'s server named after `url`'s, plus `suffix`, plus the
    pytest-xdist worker's name (`test_gw0`...), made when missing: so that workers never
    empty each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = make_url(url)
    name = shared.database + suffix + (f"_{worker}" if worker else "")
    if name == shared.database:
        return url
    engine = create_engine(shared.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not found:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return shared.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    """This run's PostgreSQL test database, emptied and migrated once per session."""
    url = postgres_database(TEST_DATABASE_URL)
    reset_postgres_schema(url)
    migrated_app(url)
    return url


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


def _joined_get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
    """Flask-SQLAlchemy's choice of engine, unless the session was bound to a connection."""
    if bind is None and isinstance(self.bind, Connection):
        return self.bind
    return FLASK_GET_BIND(self, mapper=mapper, clause=clause, bind=bind, **kwargs)


FLASK_GET_BIND = FlaskSession.get_bind


class RolledBack:
    """A PostgreSQL test inside one transaction, rolled back after it (SQLAlchemy's "join a
    session into an external transaction"): the first app of the test opens a connection
    on its own engine and begins; every session of the test is bound to that connection,
    where a commit only releases a SAVEPOINT. The next test finds the database as migrated,
    with no TRUNCATE and no new engine."""

    def __init__(self) -> None:
        self.monkeypatch = pytest.MonkeyPatch()
        self.connection: Connection | None = None
        self.saved: dict[str, Any] = {}

    def join(self, app: Flask) -> None:
        if self.connection is not None:
            return
        from microblog.extensions import db

        with app.app_context():
            self.connection = db.engine.connect()
        self.connection.begin()
        factory = db.session.session_factory
        self.saved = dict(factory.kw)
        factory.configure(bind=self.connection, join_transaction_mode="create_savepoint")
        self.monkeypatch.setattr(FlaskSession, "get_bind", _joined_get_bind)

    def end(self) -> None:
        """Roll everything back and unbind the sessions (before the engine is disposed)."""
        if self.connection is None:
            return
        from microblog.extensions import db

        factory = db.session.session_factory
        factory.kw.clear()
        factory.kw.update(self.saved)
        self.monkeypatch.undo()
        connection, self.connection = self.connection, None
        connection.rollback()
        connection.close()


ROLLED_BACK = pytest.StashKey[RolledBack]()


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A fresh, migrated database: a copy of the SQLite template, or (the `postgres` run
    of an `any_database` test) PostgreSQL, rolled back after the test or, with
    `any_database(cleanup=True)`, emptied before and after it."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_migrated")
    marker = request.node.get_closest_marker("any_database")
    if marker is not None and marker.kwargs.get("cleanup"):
        empty_postgres(url)
        request.addfinalizer(lambda: empty_postgres(url))
    else:
        rolled_back = RolledBack()
        request.node.stash[ROLLED_BACK] = rolled_back
        request.addfinalizer(rolled_back.end)
    return url


@pytest.fixture
def make_app(request, database_url) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database with extra settings."""
    apps: list[Flask] = []
    rolled_back = request.node.stash.get(ROLLED_BACK, None)

    def build(**config) -> Flask:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})
        apps.append(app)
        if rolled_back is not None:
            rolled_back.join(app)
        return app

    yield build
    if rolled_back is not None:
        rolled_back.end()
    for app in apps:
        # A runner thread (JOBS_RUNNER) would outlive its test and take the next one's jobs.
        app.extensions["jobs_runner"].stop()
        app.extensions["generation_reader"].close()
        with app.app_context():
            from microblog.extensions import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def clock(monkeypatch):
    """The app's clock (tests/clock.py), moved only by the test: `clock.advance(hours=1)`.
    It starts at the real time (to the second), so what the test stored before still reads
    as past."""
    from datetime import UTC, datetime

    from clock import Clock

    return Clock(monkeypatch, datetime.now(UTC).replace(microsecond=0))


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
