"""WebSub publishing: with WEBSUB_HUB set, every change to a feed (an import, an edit, a
scheduled post going live, a comment approved) reaches a real local hub as
`hub.mode=publish` from the queue, with retries; without a hub nothing is queued."""

from __future__ import annotations

from datetime import timedelta

import pytest
from local_site import LocalSite
from sqlalchemy import select, update

from microblog.comments import status
from microblog.extensions import db
from microblog.models import Comment, Job, JobState, Post
from microblog.timeutil import now_utc

SITE = "http://blog.test"
SITE_FEEDS = [f"{SITE}/feed.xml", f"{SITE}/atom.xml", f"{SITE}/feed.json"]


def tag_feeds(slug: str) -> list[str]:
    return [f"{SITE}/tags/{slug}/{name}" for name in ("feed.xml", "atom.xml", "feed.json")]


def post_text(title: str, tags: str, date: str = "2025-03-01 10:00:00 +0000") -> str:
    return f"---\ntitle: {title}\ndate: {date}\ntags: [{tags}]\n---\nSome words.\n"


@pytest.fixture
def hub():
    with LocalSite() as site:
        yield site


@pytest.fixture
def hub_app(make_app, hub):
    return make_app(SITE_URL=SITE, WEBSUB_HUB=hub.url("/hub"), JOBS_RETRY_FIRST=60)


def pinged(hub: LocalSite) -> list[str]:
    """The feed URLs the hub was told of, checking each was a proper publish ping."""
    urls = []
    for path, form in hub.posts:
        assert path == "/hub" and form["hub.mode"] == ["publish"]
        urls += form["hub.url"]
    return urls


def run_jobs(app) -> str:
    return app.test_cli_runner().invoke(args=["jobs", "run", "--once"]).output


def test_an_import_pings_the_site_and_tag_feeds_from_the_queue(hub_app, hub, write_post):
    path = write_post("2025-03-01-hello.md", post_text("Hello", "Generative AI, cats"))
    result = hub_app.test_cli_runner().invoke(args=["posts", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert hub.posts == []  # nothing on the writer's path: a job does it
    assert "websub.ping" in hub_app.test_cli_runner().invoke(args=["jobs"]).output
    assert "1 jobs run, 0 failed" in run_jobs(hub_app)
    assert sorted(pinged(hub)) == sorted(
        SITE_FEEDS + tag_feeds("generative-ai") + tag_feeds("cats")
    )


def test_an_edit_pings_the_feeds_of_the_tags_it_left_and_joined(hub_app, hub, write_post):
    path = write_post("2025-03-01-hello.md", post_text("Hello", "cats"))
    runner = hub_app.test_cli_runner()
    runner.invoke(args=["posts", "import", str(path)])
    run_jobs(hub_app)
    hub.posts.clear()
    write_post("2025-03-01-hello.md", post_text("Hello again", "dogs"))
    assert runner.invoke(args=["posts", "import", str(path)]).exit_code == 0
    run_jobs(hub_app)
    assert sorted(pinged(hub)) == sorted(SITE_FEEDS + tag_feeds("cats") + tag_feeds("dogs"))


def test_no_hub_no_ping_job(make_app, write_post):
    app = make_app(SITE_URL=SITE)
    path = write_post("2025-03-01-hello.md", post_text("Hello", "cats"))
    app.test_cli_runner().invoke(args=["posts", "import", str(path)])
    with app.app_context():
        assert db.session.scalars(select(Job)).all() == []


def test_a_refusing_hub_gets_the_ping_again_later_visible_in_flask_jobs(
    hub_app, hub, write_post, clock
):
    hub.answer = 503
    path = write_post("2025-03-01-hello.md", post_text("Hello", "cats"))
    hub_app.test_cli_runner().invoke(args=["posts", "import", str(path)])
    assert "1 failed" in run_jobs(hub_app)
    shown = hub_app.test_cli_runner().invoke(args=["jobs"]).output
    assert "websub.ping" in shown and "answered 503" in shown
    with hub_app.app_context():
        [job] = db.session.scalars(select(Job)).all()
        assert job.state == JobState.WAITING
        # The clock stood still meanwhile: the first retry delay, with its 20 % jitter.
        assert 48 <= (job.due_at - now_utc()).total_seconds() <= 72
        db.session.execute(update(Job).values(due_at=now_utc() - timedelta(seconds=1)))
        db.session.commit()
    hub.answer = 204
    hub.posts.clear()
    assert "1 jobs run, 0 failed" in run_jobs(hub_app)
    assert sorted(pinged(hub)) == sorted(SITE_FEEDS + tag_feeds("cats"))


def test_a_scheduled_post_is_pinged_when_it_goes_live(hub_app, hub, write_post, clock):
    live_at = now_utc() + timedelta(hours=1)
    date = live_at.strftime("%Y-%m-%d %H:%M:%S +0000")
    path = write_post("2025-03-01-later.md", post_text("Later", "cats", date))
    hub_app.test_cli_runner().invoke(args=["posts", "import", str(path)])
    run_jobs(hub_app)  # the import's own ping
    hub.posts.clear()
    clock.advance(minutes=59)
    run_jobs(hub_app)  # what the runner thread does every JOBS_POLL_SECONDS
    assert hub.posts == []
    clock.advance(minutes=1, seconds=1)  # the ping is due a second after (queue_pings)
    run_jobs(hub_app)
    assert sorted(pinged(hub)) == sorted(SITE_FEEDS + tag_feeds("cats"))


def test_approving_a_comment_pings_its_posts_comment_feed(hub_app, hub, write_post):
    path = write_post("2025-03-01-hello.md", post_text("Hello", "cats"))
    hub_app.test_cli_runner().invoke(args=["posts", "import", str(path)])
    run_jobs(hub_app)
    hub.posts.clear()
    with hub_app.app_context():
        post = db.session.scalars(select(Post)).one()
        permalink = post.permalink
        comment = Comment(post=post, author_name="Ada", body_source="Hi", body_html="<p>Hi</p>")
        db.session.add(comment)
        db.session.commit()
        assert run_jobs(hub_app).startswith("0 jobs run")  # a pending comment: no feed moved
        status.apply(db.session.get(Comment, comment.id), "approve", None)
        db.session.commit()
    run_jobs(hub_app)
    assert pinged(hub) == [f"{SITE}{permalink}comments/feed.xml"]
