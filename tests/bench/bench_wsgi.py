"""`wsgi:app` for benchmarks, with SQLite's `synchronous` pragma set by BENCH_SQLITE_SYNCHRONOUS.

Only for measuring what durability costs (FULL, the app's choice, against NORMAL); the app
itself never reads this.
"""

from __future__ import annotations

import os

from sqlalchemy import event

from microblog import create_app
from microblog.extensions import db

app = create_app()
MODE = os.environ.get("BENCH_SQLITE_SYNCHRONOUS", "")

if MODE.upper() in {"OFF", "NORMAL", "FULL", "EXTRA"}:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def set_synchronous(dbapi_connection, _record) -> None:
            """Runs after the app's own pragmas, so this one wins."""
            dbapi_connection.execute(f"PRAGMA synchronous={MODE.upper()}")

        engine.dispose()
