"""TIMEZONE everywhere: what the author types in the editor is wall-clock time there (the hour
the clocks skip is refused, the one they pass twice is the first unless an offset says
otherwise, and a time shown back and saved again stays the same instant); lists, feeds and
the comment edit window say the zone's time; and importing again after TIMEZONE changed
leaves every post's updated date and feed <updated> where it was."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import feedparser
import pytest
from comment_helpers import insert_post, post_comment
from editor_helpers import create_post, signed_in, update_post

from microblog.extensions import db
from microblog.models import Comment, Post

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def paris(make_app):
    return make_app(TIMEZONE="Europe/Paris")


def stored(app, title: str) -> Post:
    with app.app_context():
        post = db.session.execute(db.select(Post).where(Post.title == title)).scalar_one()
        db.session.expunge(post)
        return post


def test_the_hour_the_clocks_skip_is_refused_and_nothing_is_stored(paris):
    client = signed_in(paris)
    answer = create_post(client, title="Spring forward", published_at="2025-03-30T02:30:00")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "2025-03-30 02:30 does not exist in Europe/Paris" in page
    assert "such as 03:30" in page and "Spring forward" in page  # the author's text kept
    with paris.app_context():
        assert db.session.execute(db.select(Post)).first() is None


def test_the_hour_the_clocks_pass_twice_is_the_first_unless_an_offset_says(paris):
    client = signed_in(paris)
    assert (
        create_post(client, title="First pass", published_at="2025-10-26T02:30:00").status_code
        == 303
    )
    second = "2025-10-26T02:30:00+01:00"
    assert create_post(client, title="Second pass", published_at=second).status_code == 303
    first_post, second_post = stored(paris, "First pass"), stored(paris, "Second pass")
    assert first_post.published_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # CEST
    assert second_post.published_at == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # CET

    # The admin list tells them apart by the zone's name.
    listing = client.get("/admin/posts").get_data(as_text=True)
    assert "2025-10-26 02:30 CEST" in listing and "2025-10-26 02:30 CET" in listing
    # The edit form shows each in local time; saved again unchanged, neither moves.
    for post in (first_post, second_post):
        edit_page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
        assert 'value="2025-10-26T02:30:00"' in edit_page
        answer = update_post(
            client, post.id, title=post.title, published_at="2025-10-26T02:30:00", tags=""
        )
        assert answer.status_code == 303
        assert stored(paris, post.title).published_at == post.published_at


def test_a_scheduled_time_is_the_author_s_wall_clock_time(paris):
    client = signed_in(paris)
    create_post(client, title="Later", published_at="2031-01-15T10:00:00")
    assert stored(paris, "Later").published_at == datetime(2031, 1, 15, 9, 0, tzinfo=UTC)
    summer = "2031-07-15T10:00:00"
    create_post(client, title="Summer", published_at=summer)
    assert stored(paris, "Summer").published_at == datetime(2031, 7, 15, 8, 0, tzinfo=UTC)


def test_pages_and_feeds_say_the_zone_s_day_and_offset(paris):
    # 23:30 UTC on 2 January is already 3 January in Paris.
    permalink = insert_post(paris, published_at=datetime(2019, 1, 2, 23, 30, tzinfo=UTC))
    client = paris.test_client()
    page = client.get(permalink).get_data(as_text=True)
    assert 'datetime="2019-01-03T00:30:00+01:00">3 January 2019<' in page
    atom = client.get("/atom.xml").get_data(as_text=True)
    assert "<published>2019-01-03T00:30:00+01:00</published>" in atom
    rss = client.get("/feed.xml").get_data(as_text=True)
    assert "<pubDate>Thu, 03 Jan 2019 00:30:00 +0100</pubDate>" in rss
    item = client.get("/feed.json").get_json()["items"][0]
    assert item["date_published"] == "2019-01-03T00:30:00+01:00"
    assert "<lastmod>2019-01-03</lastmod>" in client.get("/sitemap.xml").get_data(as_text=True)


def test_the_comment_edit_window_ends_at_a_local_time_with_its_zone(paris):
    permalink = insert_post(paris)
    client = paris.test_client()
    assert post_comment(client, permalink, body="Wait for me.").status_code == 303
    with paris.app_context():
        created = db.session.execute(db.select(Comment)).scalar_one().created_at
    until = (created + timedelta(minutes=15)).astimezone(PARIS)
    expected = f"until {until:%H:%M} {until.tzname()}"
    assert expected in client.get(permalink).get_data(as_text=True)
    comment_id = re.search(r"comments/(\d+)/edit", client.get(permalink).get_data(as_text=True))
    edit_page = client.get(f"{permalink}comments/{comment_id.group(1)}/edit")
    assert expected in edit_page.get_data(as_text=True)


POST_WITH_LAST_CHANGE = """---
title: Kept dates
date: 2018-01-20 10:00:00 +0000
last_modified_at: 2018-02-09 10:00:00 +0000
---
Words.
"""
POST_WITH_DAY_ONLY = """---
title: Day only
date: 2018-01-21
last_modified_at: 2018-02-09
---
Words.
"""
POST_WITHOUT = """---
title: Plain
date: 2018-01-22 10:00:00 +0000
---
Words.
"""


def feed_updated(client) -> dict[str, datetime]:
    feed = feedparser.parse(client.get("/atom.xml").get_data())
    return {entry.title: datetime.fromisoformat(entry.updated) for entry in feed.entries}


def shown_updated(client, title: str) -> str | None:
    with client.application.app_context():
        permalink = db.session.execute(
            db.select(Post.permalink).where(Post.title == title)
        ).scalar_one()
    page = client.get(permalink).get_data(as_text=True)
    found = re.search(r'class="dt-updated" datetime="[^"]+">([^<]+)<', page)
    return found.group(1) if found else None


def test_importing_again_after_timezone_changed_moves_no_updated_date(
    make_app, tmp_path, monkeypatch
):
    folder = tmp_path / "_posts"
    folder.mkdir()
    (folder / "2018-01-20-kept.md").write_text(POST_WITH_LAST_CHANGE)
    (folder / "2018-01-21-day.md").write_text(POST_WITH_DAY_ONLY)
    (folder / "2018-01-22-plain.md").write_text(POST_WITHOUT)
    before_app = make_app()
    assert before_app.test_cli_runner().invoke(args=["posts", "import", str(folder)]).exit_code == 0
    before = feed_updated(before_app.test_client())
    shown_before = {t: shown_updated(before_app.test_client(), t) for t in before}

    # Later: the author sets TIMEZONE and imports the same files again.
    later = datetime.now(UTC) + timedelta(days=3)
    monkeypatch.setattr("microblog.posts.writer.now_utc", lambda: later)
    after_app = make_app(TIMEZONE="Europe/Paris")
    result = after_app.test_cli_runner().invoke(args=["posts", "import", str(folder)])
    assert result.exit_code == 0 and "3 updated" in result.output, result.output
    after = feed_updated(after_app.test_client())
    shown_after = {t: shown_updated(after_app.test_client(), t) for t in after}

    assert (
        shown_after
        == shown_before
        == {
            "Kept dates": "9 February 2018",
            "Day only": "9 February 2018",
            "Plain": None,
        }
    )
    # A time with its offset is the same instant; a day alone is that day in either zone.
    assert after["Kept dates"] == before["Kept dates"]
    assert after["Plain"] == before["Plain"] == datetime(2018, 1, 22, 10, tzinfo=UTC)
    assert after["Day only"].astimezone(PARIS).date() == before["Day only"].date()
    assert all(moment.year == 2018 for moment in after.values()), after

    # Only a changed text is an update.
    (folder / "2018-01-22-plain.md").write_text(POST_WITHOUT + "More words.\n")
    after_app.test_cli_runner().invoke(args=["posts", "import", str(folder)])
    changed = feed_updated(after_app.test_client())
    assert changed["Plain"] == later.replace(microsecond=0)
    assert changed["Kept dates"] == before["Kept dates"]
