"""Webmention receiving over real HTTP: a local "other site" serves the source pages, the
blog verifies them in its queue, and a reader sees what another site's parser would."""

from __future__ import annotations

import mf2py
import pytest
from comment_helpers import comments_in_db, insert_post
from local_site import LocalSite
from sqlalchemy import select

from microblog.comments import status
from microblog.extensions import db
from microblog.indieweb.fetch import FetchRefused, address_refused, fetch
from microblog.models import Comment, CommentStatus
from microblog.models.openweb import Webmention

SITE = "http://blog.example"
HTML = {"Content-Type": "text/html; charset=utf-8"}


HOSTILE = "Lovely <strong>post</strong><script>alert(1)</script>"


def reply_page(target: str, text: str = HOSTILE) -> str:
    return f"""<!doctype html><html><body>
    <article class="h-entry">
      <p class="p-author h-card"><a class="p-name u-url" href="/bea">Bea Other</a>
        <img class="u-photo" src="/bea.png" alt=""></p>
      <a class="u-in-reply-to" href="{target}">in reply to</a>
      <div class="e-content">{text}</div>
    </article></body></html>"""


def like_page(target: str, name: str, prop: str = "u-like-of") -> str:
    return f"""<div class="h-entry"><a class="p-author h-card" href="/{name}">{name}</a>
    <a class="{prop}" href="{target}">liked</a></div>"""


@pytest.fixture
def other_site():
    with LocalSite() as site:
        yield site


@pytest.fixture
def blog(make_app):
    return make_app(WEBMENTION_ALLOW_PRIVATE=True)


@pytest.fixture
def target(blog) -> str:
    return SITE + insert_post(blog)


def send(blog, source: str, target: str):
    return blog.test_client().post("/webmention", data={"source": source, "target": target})


def run_jobs(blog) -> str:
    return blog.test_cli_runner().invoke(args=["jobs", "run", "--once"]).output


@pytest.mark.parametrize(
    ("source", "target_path", "why"),
    [
        ("ftp://other.example/x", "/posts/2025/01/hello-comments/", "http:// or https://"),
        ("http://other.example/x", "/no/such/post/", "not a post of this site"),
        ("", "/posts/2025/01/hello-comments/", "source field is missing"),
        (SITE + "/posts/2025/01/hello-comments/", "/posts/2025/01/hello-comments/", "same page"),
    ],
)
def test_a_bad_webmention_is_refused_at_once_with_the_reason(
    blog, target, source, target_path, why
):
    answer = send(blog, source, SITE + target_path)
    assert answer.status_code == 400 and why in answer.get_data(as_text=True)
    assert send(blog, "http://x.example/", "https://elsewhere.example/p/").status_code == 400


def test_a_reply_becomes_a_pending_comment_shown_via_its_source_once_approved(
    blog, target, other_site
):
    other_site.pages["/reply"] = (200, HTML, reply_page(target))
    source = other_site.url("/reply")
    answer = send(blog, source, target)
    assert answer.status_code == 202
    assert other_site.gets == []  # verified off the request path
    assert "1 jobs run, 0 failed" in run_jobs(blog)
    [comment] = comments_in_db(blog)
    assert comment.status == CommentStatus.PENDING
    assert comment.author_name == "Bea Other"
    assert comment.author_url == other_site.url("/bea")
    assert comment.source_url == source
    assert "<strong>post</strong>" in comment.body_html and "<script" not in comment.body_html
    with blog.app_context():
        [mention] = db.session.scalars(select(Webmention)).all()
        assert (mention.kind, mention.author_photo) == ("reply", other_site.url("/bea.png"))

    path = target.removeprefix(SITE)
    assert "Bea Other" not in blog.test_client().get(path).get_data(as_text=True)
    with blog.app_context():
        status.apply(db.session.get(Comment, comment.id), "approve", None)
        db.session.commit()
    page = blog.test_client().get(path).get_data(as_text=True)
    assert 'via <a href="' + source in page
    [entry] = [i for i in mf2py.parse(doc=page, url=target)["items"] if "h-entry" in i["type"]]
    [cite] = entry["properties"]["comment"]
    assert cite["properties"]["author"][0]["properties"]["name"] == ["Bea Other"]

    # Sent again with new words: the same comment, changed (and read again before it shows).
    other_site.pages["/reply"] = (200, HTML, reply_page(target, "Second thoughts."))
    assert send(blog, source, target).status_code == 202
    run_jobs(blog)
    [comment] = comments_in_db(blog)
    assert "Second thoughts." in comment.body_html
    assert comment.status == CommentStatus.PENDING

    # No longer linking to the post: gone.
    other_site.pages["/reply"] = (200, HTML, "<p>I changed my mind.</p>")
    send(blog, source, target)
    run_jobs(blog)
    assert comments_in_db(blog) == []


def test_a_deleted_source_removes_its_comment(blog, target, other_site):
    other_site.pages["/reply"] = (200, HTML, reply_page(target))
    send(blog, other_site.url("/reply"), target)
    run_jobs(blog)
    assert len(comments_in_db(blog)) == 1
    other_site.pages["/reply"] = (410, HTML, "gone")
    send(blog, other_site.url("/reply"), target)
    run_jobs(blog)
    assert comments_in_db(blog) == []
    with blog.app_context():
        assert db.session.scalars(select(Webmention)).all() == []


def test_likes_and_reposts_are_counted_on_the_post_not_comments(blog, target, other_site):
    other_site.pages["/a"] = (200, HTML, like_page(target, "Ann"))
    other_site.pages["/b"] = (200, HTML, like_page(target, "Ben"))
    other_site.pages["/c"] = (200, HTML, like_page(target, "Cy", "u-repost-of"))
    for path in ("/a", "/b", "/c", "/a"):  # /a twice: still one like
        assert send(blog, other_site.url(path), target).status_code == 202
    run_jobs(blog)
    assert comments_in_db(blog) == []
    page = blog.test_client().get(target.removeprefix(SITE)).get_data(as_text=True)
    assert "2 likes" in page and "1 repost" in page
    assert ">Ann</a>" not in page and ">Cy</a>" not in page  # nobody moderated the names


def test_a_plain_link_is_a_mention_in_the_moderation_queue(blog, target, other_site):
    other_site.pages["/m"] = (200, HTML, f'<p>Read <a href="{target}">this</a>.</p>')
    send(blog, other_site.url("/m"), target)
    run_jobs(blog)
    [comment] = comments_in_db(blog)
    assert comment.status == CommentStatus.PENDING and comment.author_name == "127.0.0.1"


def test_every_page_advertises_the_endpoint(blog, target):
    for path in ("/", target.removeprefix(SITE)):
        answer = blog.test_client().get(path)
        # Absolute: a sender resolving it against the wrong base still finds it.
        assert answer.headers["Link"] == f'<{SITE}/webmention>; rel="webmention"'
        rels = mf2py.parse(doc=answer.get_data(as_text=True), url=SITE + path)["rels"]
        assert rels["webmention"] == [SITE + "/webmention"]


def test_a_private_source_is_never_fetched_without_the_setting(make_app, other_site):
    blog = make_app()
    target = SITE + insert_post(blog)
    other_site.pages["/reply"] = (200, HTML, reply_page(target))
    assert send(blog, other_site.url("/reply"), target).status_code == 202
    assert "1 jobs run, 1 failed" in run_jobs(blog)  # refused for good, with its reason
    assert "0 jobs run" in run_jobs(blog)  # and never retried
    assert other_site.gets == [] and comments_in_db(blog) == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.9",
        "169.254.169.254",
        "::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_private_loopback_link_local_and_metadata_addresses_are_refused(address):
    assert address_refused(address) is not None


def test_public_addresses_are_allowed():
    assert address_refused("93.184.216.34") is None and address_refused("2606:4700::1") is None


def test_the_fetch_caps_size_and_redirects_and_scheme(other_site):
    other_site.pages["/big"] = (200, HTML, "x" * (1024 * 1024 + 10))
    for hop in range(8):
        other_site.pages[f"/r{hop}"] = (302, {"Location": f"/r{hop + 1}"}, "")
    other_site.pages["/to-ftp"] = (302, {"Location": "ftp://127.0.0.1/x"}, "")
    with pytest.raises(FetchRefused, match="larger than"):
        fetch(other_site.url("/big"), allow_private=True)
    with pytest.raises(FetchRefused, match="redirects"):
        fetch(other_site.url("/r0"), allow_private=True)
    with pytest.raises(FetchRefused, match="only http and https"):
        fetch(other_site.url("/to-ftp"), allow_private=True)
    assert fetch(other_site.url("/r5"), allow_private=True).status == 404  # 3 hops: fine


def test_a_flood_fills_neither_the_queue_nor_the_database(make_app):
    blog = make_app(WEBMENTION_MAX_QUEUED=3)
    target = SITE + insert_post(blog)
    answers = [send(blog, f"http://s{i}.example/p", target).status_code for i in range(5)]
    assert answers == [202, 202, 202, 503, 503]
