"""On PostgreSQL each process hears of changes (LISTEN/NOTIFY) instead of asking the database
on every cached request; what it serves is never staler than a notification's delivery, or
HEARTBEAT if one were lost, and its own writes show at once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from microblog.extensions import db
from microblog.models import SiteState
from microblog.web import generation
from microblog.web.generation import HEARTBEAT

# LISTEN/NOTIFY across connections: PostgreSQL's own, emptied around each test.
pytestmark = pytest.mark.any_database(cleanup=True)

# A notification is delivered within milliseconds; a test waits this long for one, for a
# machine at load 19. What proves a change came by NOTIFY is the heartbeat set longer than
# that (`no_heartbeat`).
HEARD_WITHIN = 20.0


@pytest.fixture
def no_heartbeat(monkeypatch):
    """The listener's periodic re-read set past any wait of the test: what it hears then,
    it heard by NOTIFY (to be asked before `pg_app`, whose reader starts listening)."""
    monkeypatch.setattr(generation, "HEARTBEAT", 3 * HEARD_WITHIN)


@pytest.fixture
def pg_app(make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite reads a local file")
    app = make_app()
    reader = app.extensions["generation_reader"]
    reader.read()
    deadline = time.monotonic() + 5
    while reader.known is None:
        assert time.monotonic() < deadline, "the listener never read the counter"
        time.sleep(0.01)
    other = create_engine(database_url, isolation_level="AUTOCOMMIT")
    yield app, reader, other
    other.dispose()


def bump_elsewhere(engine) -> int:
    """Change the counter from another connection, as another host or the CLI would."""
    with engine.connect() as conn:
        return conn.execute(
            text("UPDATE site_state SET generation = generation + 1 RETURNING generation")
        ).scalar_one()


def seen_after(reader, value: int, limit: float) -> float:
    """How long until `reader.read()` gives `value` (fails after `limit` seconds)."""
    started = time.monotonic()
    while reader.read() != value:
        assert time.monotonic() - started < limit, f"still {reader.read()}, not {value}"
        time.sleep(0.002)
    return time.monotonic() - started


def test_a_hit_reads_the_counter_from_memory(pg_app, monkeypatch):
    _, reader, _ = pg_app
    asked = []
    monkeypatch.setattr(reader, "read_once", lambda: asked.append(1) or -1)
    values = {reader.read() for _ in range(1000)}
    assert asked == [] and len(values) == 1 and values != {-1}


def test_a_change_elsewhere_is_heard_at_once(no_heartbeat, pg_app):
    _, reader, other = pg_app
    for _ in range(3):
        seen_after(reader, bump_elsewhere(other), HEARD_WITHIN)


def test_this_process_sees_its_own_change_without_waiting(pg_app):
    app, reader, _ = pg_app
    for _ in range(20):
        with app.app_context():
            SiteState.bump()
            db.session.commit()
            expected = db.session.execute(text("SELECT generation FROM site_state")).scalar()
        assert reader.read() == expected


def test_without_notifications_the_heartbeat_bounds_staleness(pg_app):
    _, reader, other = pg_app
    with other.connect() as conn:
        conn.execute(text("ALTER TABLE site_state DISABLE TRIGGER site_state_changed"))
    try:
        # Heard without a notification: the heartbeat's re-read (HEARTBEAT, 1 s) found it.
        seen_after(reader, bump_elsewhere(other), HEARTBEAT + HEARD_WITHIN)
    finally:
        with other.connect() as conn:
            conn.execute(text("ALTER TABLE site_state ENABLE TRIGGER site_state_changed"))


def test_a_lost_listener_falls_back_to_asking_then_listens_again(pg_app):
    _, reader, other = pg_app
    backend = reader.listener_backend
    with other.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    # Whatever state the listener is in, a change is never served late.
    seen_after(reader, bump_elsewhere(other), HEARD_WITHIN)
    deadline = time.monotonic() + 3 * HEARTBEAT + 2
    while reader.listener_backend == backend or reader.known is None:
        assert time.monotonic() < deadline, "the listener did not come back"
        time.sleep(0.05)
    seen_after(reader, bump_elsewhere(other), HEARD_WITHIN)
