"""Per-connection database settings: SQLite set up for a web server."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


def configure_sqlite_connection(dbapi_connection, _record) -> None:
    """WAL, a busy timeout and foreign keys on every new SQLite connection.

    WAL lets readers run while a writer commits. `synchronous=FULL` fsyncs the WAL at every
    commit, so a comment whose POST got its success response survives a power cut, not just
    a killed process (NORMAL would only lose the last commits on power loss, but we promise
    the reader more than that).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_app(app: Flask) -> None:
    """Hook the per-connection settings onto the app's engine."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", configure_sqlite_connection)
