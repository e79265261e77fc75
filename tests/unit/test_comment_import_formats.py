"""The comment export readers and the pieces they share, without an app: dates, the path a
thread's URL is compared by, the imported-HTML sanitiser, and each format read from the
fixtures written from its documentation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from work_budget import within_budget

from microblog.comments.imports.dates import parse_date
from microblog.comments.imports.matching import path_key
from microblog.comments.imports.reading import read_exports
from microblog.comments.imports.records import ImportFileError
from microblog.comments.sanitize import clean_imported_html
from microblog.models import CommentStatus

DATA = Path(__file__).resolve().parents[1] / "data" / "comments"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2013-04-07T19:46:11Z", datetime(2013, 4, 7, 19, 46, 11, tzinfo=UTC)),
        ("2012-12-12T12:12:12", datetime(2012, 12, 12, 12, 12, 12, tzinfo=UTC)),
        ("2010-09-20 09:13:44", datetime(2010, 9, 20, 9, 13, 44, tzinfo=UTC)),
        ("2019-01-05T08:00:00+01:00", datetime(2019, 1, 5, 7, 0, tzinfo=UTC)),
        (1546600000, datetime(2019, 1, 4, 11, 6, 40, tzinfo=UTC)),
        ("1546600000", datetime(2019, 1, 4, 11, 6, 40, tzinfo=UTC)),
        (1546600000123, datetime(2019, 1, 4, 11, 6, 40, 123000, tzinfo=UTC)),
        ("0000-00-00 00:00:00", None),
        ("", None),
        ("yesterday", None),
        (None, None),
        (True, None),
    ],
)
def test_dates(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://old.example/2019/01/03/hello/", "/2019/01/03/hello"),
        ("https://new.example/2019/01/03/hello", "/2019/01/03/hello"),
        ("/2019/01/03/hello.html", "/2019/01/03/hello"),
        ("/notes/index.html", "/notes"),
        ("/Caf%C3%A9/", "/café"),
        ("https://blog.example/", "/"),
        ("https://blog.example", "/"),
        ("hello-world", None),
        ("108 http://foo.com/?p=108", None),
        ("javascript:alert(1)", None),
    ],
)
def test_thread_paths(value, expected):
    assert path_key(value) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>plain</p>", "<p>plain</p>"),
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ("<p>a<SCRIPT type=x>alert(1)</script >b</p>", "<p>ab</p>"),
        ("<p>a</p><script>never closed <p>b</p>", "<p>a</p>"),
        ("<style>p{}</style><p>x</p>", "<p>x</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="nofollow ugc noopener">x</a>'),
        ('<img src=x onerror="alert(1)">ok', "ok"),
        ("<p>\u202egnp.exe</p>", "<p>gnp.exe</p>"),
        ("<p>&#8238;gnp &#x202E;exe &rlm;x</p>", "<p>gnp exe x</p>"),
        (
            '<a href="https://example.org/" onclick="x()">x</a>',
            '<a href="https://example.org/" rel="nofollow ugc noopener">x</a>',
        ),
    ],
)
@pytest.mark.parametrize("backend", ["bleach", "nh3"])
def test_imported_html_is_sanitised(html, expected, backend):
    assert clean_imported_html(html, backend) == expected


def test_many_unclosed_script_tags_stay_fast():
    """One pass over the openings, not one per opening: 1,300 lines of Python, where a pass
    per opening would run 32,000 and more (tests/work_budget.py: work, not seconds). nh3
    cleans what is left in C; bleach's pure-Python cleaning of the same text is linear."""
    hostile = "<script" * 20_000 + "<script>" * 12_000
    assert within_budget(lambda: clean_imported_html(hostile, "nh3"), 20_000) == ""


def test_disqus_fixture():
    (export,) = read_exports([DATA / "disqus-export.xml"])
    assert export.format == "Disqus"
    assert sorted(export.threads) == ["5001", "5002", "5003"]
    assert export.threads["5002"].identifiers == ["/2019/01/03/moved.html"]
    by_key = {comment.key: comment for comment in export.comments}
    assert by_key["disqus:9003"].parent == "disqus:9002"
    assert by_key["disqus:9004"].status == CommentStatus.SPAM
    assert by_key["disqus:9005"].status == CommentStatus.TRASH
    assert by_key["disqus:9001"].status == CommentStatus.APPROVED


def test_wordpress_fixture():
    (export,) = read_exports([DATA / "wordpress-export.xml"])
    assert export.format == "WordPress"
    (thread,) = export.threads.values()  # the page without comments is no thread
    assert thread.links == ["https://wp.example.org/2019/01/03/moved/"]
    statuses = {comment.name: comment.status for comment in export.comments}
    assert statuses["Waiting Walter"] == CommentStatus.PENDING
    assert statuses["Casino"] == CommentStatus.SPAM
    assert statuses["Trashed Tom"] == CommentStatus.TRASH
    kinds = {comment.name: comment.kind for comment in export.comments}
    assert kinds["Another Blog"] == "pingback"


def test_staticman_fixture():
    (export,) = read_exports([DATA / "staticman-site"])
    assert sorted(export.threads) == ["moved", "no-such-post"]
    replies = [comment for comment in export.comments if comment.parent]
    assert [comment.name for comment in replies] == ["Ivan \u202egnp.exe"]


@pytest.mark.parametrize(
    ("name", "says"),
    [("not-xml.xml", "not XML"), ("disqus-bomb.xml", "DTD or XML entities")],
)
def test_bad_xml_is_refused(name, says):
    with pytest.raises(ImportFileError, match=says):
        read_exports([DATA / name])


def test_a_yaml_alias_bomb_is_refused(tmp_path):
    folder = tmp_path / "_data" / "comments" / "post"
    folder.mkdir(parents=True)
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        lines.append(
            f"{chr(97 + level)}: &{chr(97 + level)} ["
            + f"*{chr(96 + level)}, " * 9
            + f"*{chr(96 + level)}]"
        )
    lines.append("message: boom")
    (folder / "bomb.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (export,) = read_exports([tmp_path / "_data" / "comments"])
    assert export.comments == []
    assert any("refused" in note and "bomb.yml" in note for note in export.notes), export.notes
