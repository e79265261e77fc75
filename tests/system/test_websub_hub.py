"""WebSub end to end with software nobody here wrote: flask-websub's hub and subscriber.

Three real HTTP servers on loopback: the blog (its job runner on), flask-websub's hub
(its Celery tasks run eagerly, in the hub's own request: no broker needed), and a
flask-websub subscriber that subscribed to every feed through the hub. A change on the
blog reaches the subscriber within seconds, for every feed it changed: the site's RSS,
Atom and JSON Feed, the tag's three feeds, and a post's comment feed.
"""

from __future__ import annotations

import threading
import time

import pytest
from celery import Celery
from comment_helpers import create_author
from flask import Flask
from flask_websub.hub import Hub, SQLite3HubStorage
from flask_websub.subscriber import (
    SQLite3SubscriberStorage,
    SQLite3TempSubscriberStorage,
    Subscriber,
    discover,
)
from live_app import LiveApp
from servers import free_port
from sqlalchemy import select
from werkzeug.serving import make_server

from microblog.comments import status
from microblog.extensions import db
from microblog.models import Comment

WAIT = 60  # seconds: a deadline for a condition, past any load (a pass takes what it takes)


class Served:
    """A Flask app on a loopback port, in a thread."""

    def __init__(self, app: Flask, port: int) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub(tmp_path):
    """flask-websub's hub at /hub, accepting publish pings."""
    port = free_port()
    app = Flask("hub")
    app.config.update(PUBLISH_SUPPORTED=True, SERVER_NAME=f"127.0.0.1:{port}")
    celery = Celery("hub", set_as_current=False)
    celery.conf.update(task_always_eager=True, broker_url="memory://")
    the_hub = Hub(SQLite3HubStorage(str(tmp_path / "hub.sqlite")), celery, BACKOFF_BASE=0.1)
    app.register_blueprint(the_hub.build_blueprint(url_prefix="/hub"))
    served = Served(app, port)
    yield f"http://127.0.0.1:{port}/hub"
    served.close()


@pytest.fixture
def subscriber(tmp_path):
    """flask-websub's subscriber, recording every notification (topic, body)."""
    port = free_port()
    app = Flask("subscriber")
    app.config["SERVER_NAME"] = f"127.0.0.1:{port}"
    the_subscriber = Subscriber(
        SQLite3SubscriberStorage(str(tmp_path / "subscriber.sqlite")),
        SQLite3TempSubscriberStorage(str(tmp_path / "subscriber-temp.sqlite")),
    )
    app.register_blueprint(the_subscriber.build_blueprint(url_prefix="/callbacks"))
    got: list[tuple[str, bytes]] = []
    confirmed: list[str] = []
    lock = threading.Lock()

    def on_notification(topic_url, callback_id, body):
        with lock:
            got.append((topic_url, body))

    def on_success(topic_url, callback_id, mode):
        with lock:
            confirmed.append(topic_url)

    the_subscriber.add_listener(on_notification)
    the_subscriber.add_success_handler(on_success)
    served = Served(app, port)
    the_subscriber.app = app
    the_subscriber.got = got
    the_subscriber.confirmed = confirmed
    yield the_subscriber
    served.close()


def subscribe_all(subscriber: Subscriber, topics: list[str]) -> None:
    """Discover each feed's hub (from its Link header or body) and subscribe there."""
    with subscriber.app.app_context():
        for topic in topics:
            found = discover(topic)
            assert found["topic_url"] == topic, found
            subscriber.subscribe(**found)
    deadline = time.monotonic() + WAIT
    while sorted(set(subscriber.confirmed)) != sorted(topics) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(set(subscriber.confirmed)) == sorted(topics)


def wait_for(subscriber: Subscriber, topics: list[str], words: str) -> dict[str, bytes]:
    """The newest body each topic was delivered with, once all of them carry `words`."""
    deadline = time.monotonic() + WAIT
    while True:
        newest = {topic: body for topic, body in list(subscriber.got)}
        if all(words.encode() in newest.get(t, b"") for t in topics):
            return newest
        if time.monotonic() > deadline:
            missing = [t for t in topics if words.encode() not in newest.get(t, b"")]
            raise AssertionError(f"not delivered within {WAIT} s: {missing}")
        time.sleep(0.05)


def test_every_changed_feed_reaches_a_real_subscriber_through_a_real_hub(
    make_app, hub, subscriber, write_post
):
    with LiveApp(make_app, WEBSUB_HUB=hub, JOBS_RUNNER=True, JOBS_POLL_SECONDS=0.1) as blog:
        post = write_post(
            "2025-03-01-first.md",
            "---\ntitle: First words\ndate: 2025-03-01 10:00:00 +0000\ntags: [Garden]\n---\nHi.\n",
        )
        cli = blog.app.test_cli_runner()
        assert cli.invoke(args=["posts", "import", str(post)]).exit_code == 0
        permalink = "/posts/2025/03/first/"  # Jekyll: :title is the file name's
        site_feeds = [blog.url(p) for p in ("/feed.xml", "/atom.xml", "/feed.json")]
        tag_feeds = [blog.url(f"/tags/garden/{n}") for n in ("feed.xml", "atom.xml", "feed.json")]
        comment_feed = blog.url(f"{permalink}comments/feed.xml")
        subscribe_all(subscriber, [*site_feeds, *tag_feeds, comment_feed])

        # A new post in the tag: the site's feeds and the tag's feeds change.
        second = write_post(
            "2025-03-02-second.md",
            "---\ntitle: Rain on the beans\ndate: 2025-03-02 10:00:00 +0000\n"
            "tags: [Garden]\n---\nWet.\n",
        )
        assert cli.invoke(args=["posts", "import", str(second)]).exit_code == 0
        delivered = wait_for(subscriber, [*site_feeds, *tag_feeds], "Rain on the beans")
        assert set(delivered) >= {*site_feeds, *tag_feeds}

        # A comment approved: the post's comment feed changes and is delivered.
        create_author(blog.app)
        with blog.app.app_context():
            from microblog.models import Post

            found = db.session.execute(select(Post).where(Post.permalink == permalink))
            target = found.scalar_one()
            comment = Comment(
                post_id=target.id,
                author_name="Ada",
                body_source="Lovely beans",
                body_html="<p>Lovely beans</p>",
            )
            db.session.add(comment)
            db.session.commit()
            status.apply(comment, "approve", None)
            db.session.commit()
        wait_for(subscriber, [comment_feed], "Lovely beans")
