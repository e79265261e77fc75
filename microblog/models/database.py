"""Per-connection database settings: SQLite set up for a web server, and how long any
statement may wait for a lock another transaction holds (DATABASE_LOCK_TIMEOUT); and the
one consistent read a page's render is made from (`read_snapshot`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, scoped_session

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


@contextmanager
def read_snapshot(session: Session | scoped_session[Any]) -> Iterator[int]:
    """Every read in the block sees the database as one commit left it; yields the site's
    change counter as that same commit left it.

    A page or feed is made of several statements (the post, its comments, the counts, the
    neighbours). Without this, each statement sees its own moment: pysqlite begins no
    transaction before a SELECT, and PostgreSQL's READ COMMITTED takes a new snapshot per
    statement, so a render running while an import commits could show half of it (a post's
    new title beside its old comments, a count from before and a list from after), and the
    response cache would keep that under a counter read on another connection. Whatever
    transaction the caller had open is ended first: the snapshot starts here.
    """
    session.rollback()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
    elif dialect == "sqlite":
        # An explicit BEGIN: one read transaction, one WAL snapshot, from its first read on.
        session.connection().exec_driver_sql("BEGIN")
    try:
        generation = session.execute(text(GENERATION_SQL)).scalar_one_or_none()
        yield int(generation or 0)
    finally:
        session.rollback()


@contextmanager
def savepoint(session: Session | scoped_session[Any]) -> Iterator[None]:
    """`session.begin_nested()`, inside a real transaction on SQLite too.

    pysqlite begins no transaction before a SAVEPOINT when nothing was written yet; SQLite
    then takes the SAVEPOINT as the transaction's own start and its RELEASE as a COMMIT, so
    what the block wrote would be committed at once, apart from the rest of the caller's
    transaction (a comment visible before the change counter that says so). An explicit
    BEGIN first keeps it one transaction.
    """
    if session.get_bind().dialect.name == "sqlite":
        connection = session.connection()
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN")
    with session.begin_nested():
        yield


# The counter as one plain SQL statement (models/site.py's SiteState row).
GENERATION_SQL = "SELECT generation FROM site_state WHERE id = 1"


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
