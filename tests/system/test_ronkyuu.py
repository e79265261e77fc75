"""Webmention with ronkyuu, a Webmention library nobody here wrote, both ways, on loopback.

- ronkyuu discovers the blog's endpoint (advertised as an absolute URL) and sends a reply
  written on another site; once approved, the comment is marked up as a social reader
  needs it (mf2py reads it): the source as its u-url, u-in-reply-to the post, the author's
  photo, the date the source gives.
- The blog sends a Webmention for a post's link; the receiving site checks it with
  ronkyuu's `findMentions`, as a receiver built on it would.

Also the blog's own h-card, on posts and listings, with its photo (SITE_AUTHOR_PHOTO).
"""

from __future__ import annotations

from datetime import UTC, datetime

import mf2py
import pytest
import ronkyuu
from comment_helpers import create_author
from live_app import LiveApp
from local_site import LocalSite
from sqlalchemy import select

from microblog.comments import status
from microblog.extensions import db
from microblog.models import Comment

HTML = {"Content-Type": "text/html; charset=utf-8"}
POST = "---\ntitle: Beans\ndate: 2025-03-01 10:00:00 +0000\n---\nThe beans are up. {links}\n"


@pytest.fixture(autouse=True)
def plain_parser():
    """ronkyuu defaults to html5lib; the standard library's parser does the same job."""
    ronkyuu.setParser("html.parser")
    yield
    ronkyuu.setParser("html5lib")


def run_queue(app) -> None:
    """Run jobs until none is due: a job may queue the next (a Webmention's verification,
    then its author's photo), and one given back for want of lease waits for the next run."""
    for _ in range(10):
        result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
        assert result.exit_code == 0, result.output
        if "\n0 jobs run" in "\n" + result.output:
            return
    raise AssertionError(f"jobs still due after 10 runs: {result.output}")


def find(items: list, kind: str) -> list:
    found = []
    for item in items:
        if kind in item.get("type", []):
            found.append(item)
        found += find(item.get("children", []), kind)
    return found


def test_ronkyuu_sends_a_reply_and_the_blog_shows_it_as_a_reader_needs(make_app, write_post):
    with (
        LiveApp(make_app, WEBMENTION_ALLOW_PRIVATE=True, SITE_AUTHOR_PHOTO="/media/me.jpg") as blog,
        LocalSite() as elsewhere,
    ):
        path = write_post("2025-03-01-beans.md", POST.format(links=""))
        assert blog.app.test_cli_runner().invoke(args=["posts", "import", str(path)]).exit_code == 0
        target = blog.url("/posts/2025/03/beans/")
        source = elsewhere.url("/reply")
        avatar = elsewhere.url("/barnaby.jpg")
        elsewhere.pages["/reply"] = (
            200,
            HTML,
            '<article class="h-entry">'
            f'<a class="p-author h-card" href="{elsewhere.url("/")}">'
            f'<img class="u-photo" src="{avatar}" alt="">Barnaby</a>'
            f'<a class="u-in-reply-to" href="{target}">In reply to Beans</a>'
            '<time class="dt-published" datetime="2025-04-01T09:30:00+02:00">1 April</time>'
            '<p class="e-content">Mine are up too!</p></article>',
        )

        status_code, endpoint = ronkyuu.discoverEndpoint(target)
        assert status_code == 200 and endpoint == blog.url("/webmention")  # absolute
        answer = ronkyuu.sendWebmention(source, target)
        assert answer is not None and answer.status_code == 202
        run_queue(blog.app)
        create_author(blog.app)
        with blog.app.app_context():
            comment = db.session.execute(select(Comment)).scalar_one()
            status.apply(comment, "approve", None)
            db.session.commit()

        page = mf2py.parse(url=target)
        [entry] = [e for e in find(page["items"], "h-entry") if target in e["properties"]["url"]]
        [reply] = entry["properties"]["comment"]
        properties = reply["properties"]
        assert properties["url"] == [source]
        assert properties["in-reply-to"] == [target]
        [published] = properties["published"]
        assert datetime.fromisoformat(published) == datetime(2025, 4, 1, 7, 30, tzinfo=UTC)
        card = properties["author"][0]["properties"]
        assert card["name"] == ["Barnaby"]
        assert card["photo"][0] in (avatar, {"value": avatar, "alt": ""})
        # The post's own author h-card carries the author's photo.
        [me] = entry["properties"]["author"]
        photo = me["properties"]["photo"][0]
        assert (photo["value"] if isinstance(photo, dict) else photo) == blog.url("/media/me.jpg")

        # Listings: every h-entry has its author.
        listing = mf2py.parse(url=blog.url("/"))
        entries = find(listing["items"], "h-entry")
        assert entries and all(e["properties"].get("author") for e in entries)


def test_the_blog_sends_and_a_ronkyuu_receiver_verifies(make_app, write_post):
    with LocalSite() as receiver:
        receiver.pages["/article"] = (
            200,
            HTML,
            '<link rel="webmention" href="/endpoint"><p>An article.</p>',
        )
        target = receiver.url("/article")
        with LiveApp(make_app, WEBMENTION_SEND=True, WEBMENTION_ALLOW_PRIVATE=True) as blog:
            path = write_post(
                "2025-03-01-beans.md", POST.format(links=f"Read [this article]({target}).")
            )
            result = blog.app.test_cli_runner().invoke(
                args=["posts", "import", "--send-webmentions", str(path)]
            )
            assert result.exit_code == 0, result.output
            run_queue(blog.app)
            [(endpoint, form)] = receiver.posts
            assert endpoint == "/endpoint" and form["target"] == [target]
            source = form["source"][0]
            assert source == blog.url("/posts/2025/03/beans/")
            # What a receiver built on ronkyuu does with it.
            found = ronkyuu.findMentions(source, target)
            assert found["status"] == 200 and found["refs"] == {target}
