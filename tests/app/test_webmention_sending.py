"""Webmention sending (WEBMENTION_SEND): a published post's links are notified from the
queue, each once per change, at the endpoint each page names (header, <link>, <a>)."""

from __future__ import annotations

import pytest
from local_site import LocalSite

from microblog.indieweb.sending import endpoint_from_header, outbound_links

SITE = "http://blog.example"
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def elsewhere():
    with LocalSite() as site:
        site.pages["/by-header"] = (200, {**HTML, "Link": '</hook>; rel="webmention"'}, "<p>a</p>")
        site.pages["/by-link"] = (200, HTML, '<link rel="webmention" href="deep/hook2"><p>b</p>')
        site.pages["/by-a"] = (200, HTML, '<a rel="nofollow webmention" href="/hook3">wm</a>')
        site.pages["/none"] = (200, HTML, "<p>no endpoint</p>")
        yield site


def post_linking(write_post, site: LocalSite, title: str = "Links") -> object:
    body = " ".join(f"[{p}]({site.url(p)})" for p in ("/by-header", "/by-link", "/by-a", "/none"))
    text = f"---\ntitle: {title}\ndate: 2025-03-01 10:00:00 +0000\n---\n{body} [me](/about/)\n"
    return write_post("2025-03-01-links.md", text)


def run_jobs(app) -> None:
    for _ in range(2):  # the post's links job, then one send per link
        app.test_cli_runner().invoke(args=["jobs", "run", "--once"])


def test_a_published_post_notifies_each_linked_site_once(make_app, write_post, elsewhere):
    app = make_app(WEBMENTION_SEND=True, WEBMENTION_ALLOW_PRIVATE=True)
    path = post_linking(write_post, elsewhere)
    assert import_(app, path).exit_code == 0
    run_jobs(app)
    sent = sorted((p, f["target"][0]) for p, f in elsewhere.posts)
    assert sent == [
        ("/deep/hook2", elsewhere.url("/by-link")),
        ("/hook", elsewhere.url("/by-header")),
        ("/hook3", elsewhere.url("/by-a")),
    ]
    source = SITE + "/posts/2025/03/links/"
    assert {f["source"][0] for _, f in elsewhere.posts} == {source}
    run_jobs(app)
    assert len(elsewhere.posts) == 3  # nothing changed: nothing sent again

    post_linking(write_post, elsewhere, "Links, edited")
    import_(app, path)
    run_jobs(app)
    assert len(elsewhere.posts) == 6  # a change: each link once more


def import_(app, path, *flags: str):
    return app.test_cli_runner().invoke(
        args=["posts", "import", "--send-webmentions", *flags, str(path)]
    )


def test_an_import_notifies_nobody_without_the_flag(make_app, write_post, elsewhere):
    app = make_app(WEBMENTION_SEND=True, WEBMENTION_ALLOW_PRIVATE=True)
    path = post_linking(write_post, elsewhere)
    result = app.test_cli_runner().invoke(args=["posts", "import", str(path)])
    assert result.exit_code == 0, result.output
    run_jobs(app)
    assert elsewhere.posts == [] and elsewhere.gets == []


def test_a_removed_link_and_a_deleted_post_are_notified_again(make_app, write_post, elsewhere):
    app = make_app(WEBMENTION_SEND=True, WEBMENTION_ALLOW_PRIVATE=True)
    path = post_linking(write_post, elsewhere)
    import_(app, path)
    run_jobs(app)
    assert len(elsewhere.posts) == 3
    # The author drops the link to /by-a: /by-a is told once more (and finds no link).
    path.write_text(
        "---\ntitle: Links\ndate: 2025-03-01 10:00:00 +0000\n---\n"
        f"[h]({elsewhere.url('/by-header')}) [l]({elsewhere.url('/by-link')})\n"
    )
    import_(app, path)
    run_jobs(app)
    told = [f["target"][0] for _, f in elsewhere.posts[3:]]
    assert sorted(told) == sorted(elsewhere.url(p) for p in ("/by-header", "/by-link", "/by-a"))
    # Deleted: the two sites it still linked to are told, and its address answers 410.
    source = SITE + "/posts/2025/03/links/"
    delete = ["posts", "delete", "--yes", "/posts/2025/03/links/"]
    result = app.test_cli_runner().invoke(args=delete)
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/posts/2025/03/links/").status_code == 410
    run_jobs(app)
    gone = elsewhere.posts[6:]
    assert sorted(f["target"][0] for _, f in gone) == [
        elsewhere.url("/by-header"),
        elsewhere.url("/by-link"),
    ]
    assert {f["source"][0] for _, f in gone} == {source}


def test_nothing_is_sent_unless_asked(make_app, write_post, elsewhere):
    app = make_app(WEBMENTION_ALLOW_PRIVATE=True)
    app.test_cli_runner().invoke(args=["posts", "import", str(post_linking(write_post, elsewhere))])
    run_jobs(app)
    assert elsewhere.posts == [] and elsewhere.gets == []


def test_private_targets_are_not_contacted_without_the_setting(make_app, write_post, elsewhere):
    app = make_app(WEBMENTION_SEND=True)
    import_(app, post_linking(write_post, elsewhere))
    run_jobs(app)
    assert elsewhere.posts == [] and elsewhere.gets == []


def test_discovery_rules():
    assert (
        endpoint_from_header('<https://a.example/x>; rel="other", </wm>; rel="webmention"') == "/wm"
    )
    assert endpoint_from_header("<https://e.example/>; rel=webmention") == "https://e.example/"
    assert endpoint_from_header('<https://e.example/>; rel="nope"') is None
    links = outbound_links(
        '<a href="https://x.example/a#frag">1</a><a href="/own">2</a><a href="https://x.example/a">3</a>'
        '<a href="mailto:me@x">m</a>',
        "http://blog.example/p/",
    )
    assert links == ["https://x.example/a"]
