"""Reading the site's change counter (`site_state.generation`) fast, for the response cache.

The cache is told to call `GenerationReader.read`; it runs on every cached request, so it
skips the ORM session and the pool checkout: a plain cursor on a kept connection costs
microseconds.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.engine import Engine

from .models import GENERATION_SQL


class GenerationReader:
    """Reads `site_state.generation` over a connection kept for that alone, one per thread.

    The connection is in autocommit (PostgreSQL) or outside any transaction (SQLite), so
    each read sees the latest commit.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.local = threading.local()
        self.opened: list[Any] = []
        self.lock = threading.Lock()

    def read(self) -> int:
        """The generation now; one retry on a fresh connection if the kept one broke."""
        try:
            return self.read_once()
        except Exception:
            self.discard()
            return self.read_once()

    def read_once(self) -> int:
        """The generation, read on this thread's kept connection."""
        connection = getattr(self.local, "connection", None) or self.open()
        cursor = connection.cursor()
        try:
            cursor.execute(GENERATION_SQL)
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()

    def open(self) -> Any:
        """A connection of the engine's own kind, taken out of its pool for good."""
        connection = self.engine.raw_connection()
        connection.detach()
        if self.engine.dialect.name == "postgresql":
            connection.rollback()
            connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        self.local.connection = connection
        with self.lock:
            self.opened.append(connection)
        return connection

    def discard(self) -> None:
        """Forget this thread's connection (it failed); the next read opens another."""
        connection = getattr(self.local, "connection", None)
        self.local.connection = None
        if connection is not None:
            with self.lock:
                if connection in self.opened:
                    self.opened.remove(connection)
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - it is already broken; nothing to save
                pass

    def close(self) -> None:
        """Close every kept connection (app shutdown, end of a test)."""
        with self.lock:
            opened, self.opened = self.opened, []
        for connection in opened:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing at shutdown, best effort
                pass
