"""webmention.rocks' sender tests, ported from the suite's own descriptions: discovery
(23 tests) and updates and deletes (3 tests), against loopback test pages that receive and
verify the Webmentions as the suite's receiver does (tests/webmention_rocks.py).

The blog is live on a loopback port (the receiver fetches the source, which must answer
with the post, then without a removed link, then 410 Gone once deleted); its posts come
from Micropub, as an app would write them, and its queue is run by `flask jobs run --once`.
"""

from __future__ import annotations

import pytest
import requests
from comment_helpers import create_author
from live_app import LiveApp
from webmention_rocks import DISCOVERY, RocksSite


@pytest.fixture
def rocks():
    with RocksSite() as site:
        site.add_update_and_delete_pages()
        yield site


@pytest.fixture
def blog(make_app):
    with LiveApp(make_app, WEBMENTION_SEND=True, WEBMENTION_ALLOW_PRIVATE=True) as live:
        create_author(live.app)
        result = live.app.test_cli_runner().invoke(args=["author", "token", "author"])
        live.token = result.stdout.strip()
        yield live


def micropub(blog: LiveApp, payload: dict) -> requests.Response:
    answer = requests.post(
        blog.url("/micropub"),
        json=payload,
        headers={"Authorization": f"Bearer {blog.token}"},
        timeout=20,
    )
    assert answer.status_code in (200, 201, 204), answer.text
    return answer


def run_queue(blog: LiveApp) -> None:
    """The links job, then the sends it queued (each run does what is due now)."""
    for _ in range(3):
        result = blog.app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
        assert result.exit_code == 0, result.output


def links(*urls: str) -> str:
    return " ".join(f'<a href="{url}">link {n}</a>' for n, url in enumerate(urls, 1))


@pytest.mark.parametrize("number", sorted(DISCOVERY), ids=lambda n: f"discovery-{n}")
def test_discovery(blog, rocks, number):
    """webmention.rocks discovery test N: the right endpoint gets the Webmention, once."""
    target = rocks.url(f"/test/{number}")
    made = micropub(
        blog,
        {
            "type": ["h-entry"],
            "properties": {
                "content": [{"html": f"<p>Testing {DISCOVERY[number]}: {links(target)}</p>"}]
            },
        },
    )
    source = made.headers["Location"]
    run_queue(blog)
    got = rocks.at(rocks.right(number))
    assert [(r.source, r.target) for r in got] == [(source, target)], (
        f"#{number} {DISCOVERY[number]}: sent to {[r.endpoint for r in rocks.received]}"
    )
    assert got[0].source_status == 200 and got[0].source_links_target
    assert rocks.at(rocks.wrong(number)) == []


def test_update_1_an_updated_post_is_sent_again(blog, rocks):
    """Update test 1: after an edit the Webmention is sent again; the source shows the edit."""
    target = rocks.url("/update/1")
    made = micropub(
        blog,
        {
            "type": ["h-entry"],
            "properties": {"content": [{"html": f"<p>First {links(target)}</p>"}]},
        },
    )
    source = made.headers["Location"]
    run_queue(blog)
    micropub(
        blog,
        {
            "action": "update",
            "url": source,
            "replace": {"content": [{"html": f"<p>Edited words {links(target)}</p>"}]},
        },
    )
    run_queue(blog)
    got = rocks.at("/update/1/webmention")
    assert [r.source for r in got] == [source, source]
    assert got[1].source_links_target and "Edited words" in got[1].source_body


def test_update_2_a_removed_link_is_told_it_is_gone(blog, rocks):
    """Update test 2: a link removed in an edit gets a Webmention whose source no longer
    links to it (so the receiver removes the mention); the kept link is sent again."""
    part1, part2 = rocks.url("/update/2/part/1"), rocks.url("/update/2/part/2")
    made = micropub(
        blog,
        {
            "type": ["h-entry"],
            "properties": {"content": [{"html": f"<p>{links(part1, part2)}</p>"}]},
        },
    )
    source = made.headers["Location"]
    run_queue(blog)
    assert [r.source_links_target for r in rocks.at("/update/2/part/2/webmention")] == [True]
    micropub(
        blog,
        {
            "action": "update",
            "url": source,
            "replace": {"content": [{"html": f"<p>{links(part1)}</p>"}]},
        },
    )
    run_queue(blog)
    removed = rocks.at("/update/2/part/2/webmention")
    assert [(r.source, r.source_status, r.source_links_target) for r in removed] == [
        (source, 200, True),
        (source, 200, False),
    ]
    assert [r.source_links_target for r in rocks.at("/update/2/part/1/webmention")] == [True, True]


def test_delete_1_a_deleted_post_is_sent_again_and_answers_410(blog, rocks):
    """Delete test 1: deleting the post sends the Webmention again; its source is 410 Gone."""
    target = rocks.url("/delete/1")
    made = micropub(
        blog,
        {"type": ["h-entry"], "properties": {"content": [{"html": f"<p>Bye {links(target)}</p>"}]}},
    )
    source = made.headers["Location"]
    run_queue(blog)
    micropub(blog, {"action": "delete", "url": source})
    run_queue(blog)
    got = rocks.at("/delete/1/webmention")
    assert [(r.source, r.source_status) for r in got] == [(source, 200), (source, 410)]
