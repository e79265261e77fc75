"""Reading the site's change counter (`site_state.generation`) fast, for the response cache.

The cache is told to call `GenerationReader.read`; it runs on every cached request, so it
skips the ORM session and the pool checkout: a plain cursor on a kept connection costs
microseconds on SQLite.

On PostgreSQL that is still a round trip to the server per request, so there each process is
told instead of asking: a thread LISTENs on the channel a trigger on `site_state` notifies
(migration d4e8f1a2b3c5) and re-reads the counter when told, and at least once a second
whatever happens (HEARTBEAT: the bound on how stale a lost notification could leave it). A
request then reads the counter from memory. Until the thread has read it, after its
connection broke, or right after this process itself committed a change (so that a reader
sees its own write at once), requests read the database as before.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from microblog.models import GENERATION_SQL, SiteState

CHANNEL = "site_changed"
HEARTBEAT = 1.0  # seconds
# Every reader of this process, told when one of its own sessions changes the counter.
READERS: weakref.WeakSet[GenerationReader] = weakref.WeakSet()


class GenerationReader:
    """Reads `site_state.generation` over a connection kept for that alone, one per thread.

    The connection is in autocommit (PostgreSQL) or outside any transaction (SQLite), so
    each read sees the latest commit.
    """

    def __init__(self, engine: Engine, listen: bool | None = None) -> None:
        self.engine = engine
        self.local = threading.local()
        self.opened: list[Any] = []
        self.lock = threading.Lock()
        # What the listening thread last read, in the process that read it; None: ask.
        self.listen = engine.dialect.name == "postgresql" if listen is None else listen
        self.known: int | None = None
        self.known_in = 0
        self.epoch = 0  # bumped by forget(): a read started before it must not be kept
        self.listener: threading.Thread | None = None
        self.listener_backend: int | None = None  # its PostgreSQL backend's pid
        self.stopping = threading.Event()
        READERS.add(self)

    def read(self) -> int:
        """The generation now; one retry on a fresh connection if the kept one broke."""
        known = self.known
        if known is not None and self.known_in == os.getpid():
            return known
        if self.listen:
            self.start_listening()
        try:
            return self.read_once()
        except Exception:
            self.discard()
            return self.read_once()

    def forget(self) -> None:
        """Stop trusting the last value heard (this process just changed the counter)."""
        with self.lock:
            self.epoch += 1
            self.known = None

    def start_listening(self) -> None:
        """Start the listening thread of this process, if it is not running."""
        listener = self.listener
        if listener is not None and listener.is_alive() and self.known_in == os.getpid():
            return
        with self.lock:
            if self.stopping.is_set():
                return
            if self.listener is None or not self.listener.is_alive():
                self.known_in = os.getpid()
                self.listener = threading.Thread(
                    target=self.listen_loop, name="generation-listener", daemon=True
                )
                self.listener.start()

    def listen_loop(self) -> None:
        """LISTEN, read the counter, and read it again when told or every HEARTBEAT."""
        while not self.stopping.is_set():
            raw = None
            try:
                raw = self.engine.raw_connection()
                raw.detach()
                raw.rollback()
                connection = raw.dbapi_connection
                connection.autocommit = True  # type: ignore[union-attr]
                connection.execute(f"LISTEN {CHANNEL}")  # type: ignore[union-attr]
                self.listener_backend = connection.info.backend_pid  # type: ignore[union-attr]
                self.refresh(connection)
                while not self.stopping.is_set():
                    for _ in connection.notifies(  # type: ignore[union-attr]
                        timeout=HEARTBEAT, stop_after=1
                    ):
                        pass
                    self.refresh(connection)
            except Exception:  # noqa: BLE001 - requests ask the database until we are back
                self.forget()
                self.stopping.wait(HEARTBEAT)
            finally:
                if raw is not None:
                    try:
                        raw.close()
                    except Exception:  # noqa: BLE001 - it is broken already
                        pass
        self.forget()

    def refresh(self, connection: Any) -> None:
        """Read the counter and keep it, unless this process changed it meanwhile."""
        while not self.stopping.is_set():
            epoch = self.epoch
            row = connection.execute(GENERATION_SQL).fetchone()
            with self.lock:
                if epoch == self.epoch:
                    self.known = int(row[0])
                    self.known_in = os.getpid()
                    return

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
        """Close every kept connection (app shutdown, end of a test); the listening thread
        closes its own within HEARTBEAT."""
        self.stopping.set()
        self.forget()
        with self.lock:
            opened, self.opened = self.opened, []
        for connection in opened:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing at shutdown, best effort
                pass


def changes_site_state(state: ORMExecuteState) -> None:
    """Mark a session whose statement writes `site_state` (SiteState.bump)."""
    if state.is_update and any(
        getattr(mapper, "class_", None) is SiteState for mapper in state.all_mappers
    ):
        state.session.info["site_state_changed"] = True


def tell_readers(session: Session) -> None:
    """After a commit that changed the counter: this process's readers ask the database."""
    if session.info.pop("site_state_changed", False):
        for reader in list(READERS):
            reader.forget()


def forget_on_rollback(session: Session) -> None:
    """A rolled back change changed nothing."""
    session.info.pop("site_state_changed", None)
