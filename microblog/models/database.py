"""Per-connection database settings: SQLite set up for a web server, and how long any
statement may wait for a lock another transaction holds (DATABASE_LOCK_TIMEOUT)."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from microblog.extensions import db


def configure_sqlite_connection(
    dbapi_connection: Any, _record: object, busy_ms: int = 10_000
) -> None:
    """WAL, a busy timeout and foreign keys on every new SQLite connection.

    WAL lets readers run while a writer commits. `synchronous=FULL` fsyncs the WAL at every
    commit, so a comment whose POST got its success response survives a power cut, not just
    a killed process (NORMAL would only lose the last commits on power loss, but we promise
    the reader more than that).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def configure_postgres_connection(
    dbapi_connection: Any, _record: object, lock_ms: int = 10_000
) -> None:
    """A lock wait ends after `lock_ms` with an error the caller can answer (503)."""
    dbapi_connection.execute(f"SET lock_timeout = {int(lock_ms)}")
    dbapi_connection.commit()


def is_busy(error: OperationalError) -> bool:
    """Whether `error` only says the database was held by another writer for too long
    (SQLite's busy timeout, PostgreSQL's lock timeout): try again later, nothing is wrong."""
    original = error.orig
    code = getattr(getattr(original, "diag", None), "sqlstate", None) or getattr(
        original, "sqlstate", None
    )
    if code == "55P03":  # lock_not_available
        return True
    text = str(original).lower()
    return "database is locked" in text or "database is busy" in text


def init_app(app: Flask) -> None:
    """Hook the per-connection settings onto the app's engine."""
    wait_ms = int(float(app.config.get("DATABASE_LOCK_TIMEOUT", 10)) * 1000)
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", partial(configure_sqlite_connection, busy_ms=wait_ms))
        elif engine.dialect.name == "postgresql":
            event.listen(
                engine,
                "connect",
                partial(configure_postgres_connection, lock_ms=wait_ms),
            )
