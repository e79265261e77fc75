"""The class "what other sites send is counted once per reader, capped, and never shown
unmoderated", on SQLite and PostgreSQL: likes and reposts from query variants of one page,
or from one author's several pages, count once; a post keeps at most
WEBMENTION_MAX_REACTIONS; their names and links never reach the public page."""

from __future__ import annotations

import pytest
from comment_helpers import comments_in_db, insert_post
from local_site import LocalSite
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models.openweb import Webmention

# The database matters here (claims, commits from jobs and the CLI): PostgreSQL too.
pytestmark = pytest.mark.any_database(cleanup=True)


SITE = "http://blog.example"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def like(target: str, name: str, author: str | None, prop: str = "u-like-of") -> str:
    card = f'<a class="p-author h-card" href="{author}">{name}</a>' if author else ""
    return f'<div class="h-entry">{card}<a class="{prop}" href="{target}">liked</a></div>'


@pytest.fixture
def site():
    with LocalSite() as other:
        yield other


def deliver(blog, sources: list[str], target: str) -> str:
    client = blog.test_client()
    for number, source in enumerate(sources):
        answer = client.post(
            "/webmention",
            data={"source": source, "target": target},
            environ_base={"REMOTE_ADDR": f"198.51.100.{number % 250 + 1}"},
        )
        assert answer.status_code == 202
    blog.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    return client.get(target.removeprefix(SITE)).get_data(as_text=True)


def stored(blog) -> int:
    with blog.app_context():
        return db.session.execute(select(func.count()).select_from(Webmention)).scalar_one()


@pytest.mark.parametrize("author", [None, "/spammer"])
def test_query_variants_of_one_page_are_one_like(make_app, site, author):
    blog = make_app(WEBMENTION_ALLOW_PRIVATE=True)
    target = SITE + insert_post(blog)
    site.pages["/p"] = (200, HTML, like(target, "BUY CHEAP PILLS", author))
    for n in range(6):
        site.pages[f"/p?n={n}"] = site.pages["/p"]
    page = deliver(blog, [site.url(f"/p?n={n}") for n in range(6)] + [site.url("/p#x")], target)
    assert "1 like" in page and "6 likes" not in page and "7 likes" not in page
    assert stored(blog) == 1


def test_one_author_liking_from_several_pages_is_one_like_but_a_repost_is_its_own(make_app, site):
    blog = make_app(WEBMENTION_ALLOW_PRIVATE=True)
    target = SITE + insert_post(blog)
    for path in ("/one", "/two", "/three"):
        site.pages[path] = (200, HTML, like(target, "Ann", "/ann"))
    site.pages["/share"] = (200, HTML, like(target, "Ann", "/ann", "u-repost-of"))
    page = deliver(blog, [site.url(p) for p in ("/one", "/two", "/three", "/share")], target)
    assert "1 like" in page and "1 repost" in page


def test_a_post_keeps_no_more_reactions_than_its_cap(make_app, site):
    blog = make_app(WEBMENTION_ALLOW_PRIVATE=True, WEBMENTION_MAX_REACTIONS=3)
    target = SITE + insert_post(blog)
    for n in range(6):
        site.pages[f"/r{n}"] = (200, HTML, like(target, f"Reader {n}", f"/reader{n}"))
    page = deliver(blog, [site.url(f"/r{n}") for n in range(6)], target)
    assert "3 likes" in page and stored(blog) == 3


@pytest.mark.parametrize("prop", ["u-like-of", "u-repost-of"])
def test_reaction_names_and_links_never_reach_the_public_page(make_app, site, prop):
    blog = make_app(WEBMENTION_ALLOW_PRIVATE=True)
    target = SITE + insert_post(blog)
    site.pages["/spam"] = (
        200,
        HTML,
        like(target, "BUY CHEAP PILLS", "http://pills.example/", prop),
    )
    page = deliver(blog, [site.url("/spam")], target)
    assert "1 like" in page or "1 repost" in page
    assert "BUY CHEAP PILLS" not in page and "pills.example" not in page
    assert comments_in_db(blog) == []
