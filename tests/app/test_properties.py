"""Property tests (Hypothesis): whatever a stranger or a careless file sends, the blog answers
without a 5xx, without a traceback, and within a bounded amount of work.

Covered: the comment form, the Markdown and sanitiser paths (comments and posts), the
front-matter parser, and every argument a URL takes. The example counts are sized for CI
(`PROPERTY_EXAMPLES`, default 60 per property); raise it locally to search harder:
`PROPERTY_EXAMPLES=2000 .venv/bin/python -m pytest tests/test_properties.py`.
"""

from __future__ import annotations

import os
from pathlib import PurePath
from urllib.parse import quote

import pytest
from comment_helpers import create_author, insert_post, log_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from work_budget import within_budget

from microblog.comments.sanitize import CommentTooComplex, render_comment
from microblog.jekyll.errors import NotAPost, PostError
from microblog.jekyll.post_file import parse_post
from microblog.jekyll.settings import SiteSettings

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "60"))
# Lines of Python one call may run: about a second of CPU here (10-25 M lines a second);
# the heaviest examples run 6.6 M (a post's Markdown), a comment's form post 0.05 M.
WORK = 20_000_000
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # work is bounded by `timed` below, not by seconds
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a CI failure can be replayed
)

# Text as strangers send it: any character a form or URL can carry (no lone surrogates),
# with the troublemakers made likely: controls, format characters, bidi overrides,
# noncharacters, fullwidth and superscript digits, Markdown's own punctuation.
TROUBLE = list(
    "\x00\x07\x0b\x1b\x7f\x85\u00a0\u200b\u200e\u202e\u2066\ufeff\ufffe\uffff"
    "²１٣[]()<>*_`#-+>!|\\&;:/?%=\"'\n\t "
)
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(TROUBLE),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=300,
)
# Markdown made of repeated structure (nesting, brackets), the shapes that recurse or rescan.
# At most 5,000 characters: the comment form's own limit (BODY_MAX), refused before rendering.
markdown_shapes = st.builds(
    lambda unit, count, tail: (unit * count + tail)[:5000],
    st.sampled_from(["[", "- ", "> ", "* ", "1. ", "  - ", "`", "*a", "](", "<", "\n\n", "    "]),
    st.integers(min_value=1, max_value=3000),
    hostile_text,
)
numbers = st.one_of(
    st.integers(min_value=-5, max_value=2**70).map(str),
    st.sampled_from(["", "0", "01", "²", "１２", "٣", "1e3", " 1", "9223372036854775808"]),
    hostile_text,
)


def timed(call):
    """Run `call`; fail when it ran more than WORK lines of Python (tests/work_budget.py).

    Work, not seconds: what a pathological input costs shows in it (a rescan per bracket,
    a recursion per level), and it is the same on a machine at load 19 as on an idle one.
    """
    return within_budget(call, WORK)


def assert_answered(response) -> None:
    """No 5xx, no traceback: the answer a stranger may get."""
    assert response.status_code < 500, response.status_code
    assert b"Traceback" not in response.data


# ---------------------------------------------------------------------------- comment form


@pytest.fixture
def blog(app):
    """An app with one post that takes comments, warmed up."""
    path = insert_post(app, tag_names=["Jekyll"])
    client = app.test_client()
    assert client.get(path).status_code == 200
    return app, path


@SETTINGS
@given(
    name=hostile_text,
    email=hostile_text,
    url=hostile_text,
    body=st.one_of(hostile_text, markdown_shapes),
    parent_id=numbers,
    notify=st.sampled_from(["", "on", "\x00"]),
)
def test_comment_form_never_fails(blog, name, email, url, body, parent_id, notify):
    app, path = blog
    client = app.test_client()
    page = client.get(path).get_data(as_text=True)
    token = page.split('name="comment_token" value="', 1)[1].split('"', 1)[0]
    data = {
        "name": name,
        "email": email,
        "url": url,
        "body": body,
        "parent_id": parent_id,
        "notify": notify,
        "comment_token": token,
    }
    response = timed(lambda: client.post(path + "comments", data=data))
    assert_answered(response)
    assert response.status_code in (303, 400, 413, 422), response.status_code


# ------------------------------------------------------------------ Markdown and sanitiser


@SETTINGS
@given(source=st.one_of(hostile_text, markdown_shapes), backend=st.sampled_from(["bleach", "nh3"]))
def test_comment_markdown_and_sanitiser_never_fail(source, backend):
    try:
        html = timed(lambda: render_comment(source, backend))
    except CommentTooComplex:
        return  # past the budget: the form says so on the body field
    assert "<script" not in html.lower()


@SETTINGS
@given(source=st.one_of(hostile_text, markdown_shapes))
def test_post_markdown_never_fails(source):
    from microblog.jekyll import markdown as post_markdown

    refusal = post_markdown.MarkdownTooComplex
    try:
        timed(lambda: post_markdown.render_post(source))
    except refusal:
        pass  # a clear refusal is an answer


# ---------------------------------------------------------------------------- front matter

yaml_scalars = st.one_of(
    hostile_text,
    st.sampled_from(
        [
            "yes",
            "no",
            "on",
            "~",
            "null",
            "2025-13-45",
            "2025-02-30 25:61:00 +9999",
            "0000-00-00",
            "9999999999",
            "[",
            "{",
            "&a [*a, *a]",
            "!!python/object:os.system",
            "!!binary AAAA",
            "*unknown",
            "'",
            '"\\x00"',
            "|",
            ">-",
            "- - - -",
        ]
    ),
)
front_matter_keys = st.sampled_from(
    [
        "title",
        "date",
        "tags",
        "categories",
        "category",
        "permalink",
        "slug",
        "published",
        "draft",
        "excerpt",
        "excerpt_separator",
        "redirect_from",
        "last_modified_at",
        "comments",
        "layout",
        "x",
    ]
)
front_matter = st.lists(
    st.tuples(front_matter_keys, yaml_scalars).map(lambda pair: f"{pair[0]}: {pair[1]}"),
    max_size=8,
).map("\n".join)
file_names = st.one_of(
    st.just("2025-01-02-a-post.md"),
    st.sampled_from(["2025-02-30-bad.md", "0000-00-00-x.md", "no-date.md", "2025-01-02-.md"]),
    hostile_text.map(lambda name: f"2025-01-02-{name.replace('/', '')}.md"),
)


@SETTINGS
@given(meta=front_matter, body=st.one_of(hostile_text, markdown_shapes), name=file_names)
def test_front_matter_parser_never_fails(meta, body, name):
    data = f"---\n{meta}\n---\n{body}".encode("utf-8", "surrogatepass")
    try:
        timed(lambda: parse_post(data, PurePath("_posts") / name, SiteSettings()))
    except (NotAPost, PostError):
        pass  # refused with a reason the import report shows


# ---------------------------------------------------------------------------- URL arguments


def url_part(text: str) -> str:
    """`text` as one path segment or query value on the wire."""
    return quote(text, safe="")


@pytest.fixture
def signed_in_blog(blog):
    app, path = blog
    create_author(app)
    client = app.test_client()
    assert log_in(client).status_code == 303
    return app, path, client


@SETTINGS
@given(segment=hostile_text, value=numbers, other=hostile_text)
def test_every_url_argument_never_fails(signed_in_blog, segment, value, other):
    app, path, author = signed_in_blog
    reader = app.test_client()
    seg, val, oth = url_part(segment), url_part(value), url_part(other)
    public = [
        f"/?page={val}",
        f"/tags/{seg}/?page={val}",
        f"/tags/jekyll/?page={val}&{oth}={val}",
        f"/tags/{seg}/feed.xml?page={val}",
        f"/tags/{seg}/atom.xml",
        f"/tags/{seg}/feed.json",
        f"/feed.xml?page={val}",
        f"/atom.xml?page={val}",
        f"/feed.json?page={val}",
        f"/sitemap.xml?{oth}={val}",
        f"/{seg}",
        f"/{seg}/",
        f"{path}{seg}",
        f"{path}comments/feed.xml?page={val}",
        f"{path}?page={val}&{oth}=1",
        f"/admin/login?next={oth}",
        f"/moderate/{seg}",
    ]
    for url in public:
        assert_answered(timed(lambda url=url: reader.get(url)))
    admin = [
        f"/admin/comments?status={oth}&page={val}",
        f"/admin/posts?page={val}",
        f"/admin/posts/{val}/edit",
    ]
    for url in admin:
        assert_answered(timed(lambda url=url: author.get(url)))
    for url, data in [
        (f"/admin/comments/{val}/{seg}", {"page": value, "status": other}),
        ("/admin/comments/bulk", {"ids": [value, other], "action": segment, "page": value}),
        (f"{path}comments", {"parent_id": value, "name": other, "body": segment}),
        ("/webmention", {"source": other, "target": segment}),
    ]:
        assert_answered(timed(lambda url=url, data=data: author.post(url, data=data)))
