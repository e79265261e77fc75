"""`flask comments import`: Disqus exports, WordPress exports (WXR) and Staticman data files
onto the blog's posts, on SQLite and PostgreSQL. The fixtures in tests/data/comments follow
each format's published description (Disqus's "Comments Export", WordPress's export.php,
Staticman's entry files) with hostile text inside."""

from __future__ import annotations

import re
import shutil

import feedparser
import pytest
from conftest import EXAMPLE_PERMALINK, EXAMPLE_POST, PROJECT_ROOT
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Job

DATA = PROJECT_ROOT / "tests" / "data" / "comments"
DISQUS = DATA / "disqus-export.xml"
WXR = DATA / "wordpress-export.xml"
SITE = DATA / "staticman-site"
MOVED = "/notes/moved/"


@pytest.fixture
def blog(app, import_posts):
    """The example post and a post that moved (its old address in `redirect_from`)."""
    import_posts(EXAMPLE_POST, SITE / "_posts" / "2019-01-03-moved.md")
    return app


def run(app, *args):
    return app.test_cli_runner().invoke(args=["comments", "import", *map(str, args)])


def comments(app) -> list[dict]:
    """Every stored comment as the moderation queue would show it."""
    with app.app_context():
        rows = db.session.execute(select(Comment).order_by(Comment.created_at, Comment.id))
        return [
            {
                "id": c.id,
                "permalink": c.post.permalink,
                "name": c.author_name,
                "email": c.author_email,
                "url": c.author_url,
                "status": c.status,
                "parent": c.parent.author_name if c.parent else None,
                "html": c.body_html,
                "created": c.created_at.isoformat(),
            }
            for c in rows.scalars()
        ]


def by_name(app) -> dict[str, dict]:
    return {comment["name"]: comment for comment in comments(app)}


def job_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Job.id))).scalar_one()


def assert_harmless(html: str) -> None:
    """Nothing in a stored comment can run or reorder text."""
    lowered = html.lower()
    for bad in ("<script", "javascript:", "onerror", "onclick", "<iframe", "<img"):
        assert bad not in lowered, (bad, html)
    assert not re.search("[\u202a-\u202e\u2066-\u2069]|&#(x202e|8238);", html, re.I), html


def test_disqus_export(blog):
    # Pages cached before the import show the imported comments after it.
    assert "I agree with Ada." not in blog.test_client().get(EXAMPLE_PERMALINK).get_data(True)
    result = run(blog, DISQUS)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "no post for thread https://old-blog.example.com/never/existed/"
        " (A post this blog never had): 1 comments left out"
    )
    assert "Disqus: 6 comments imported (4 approved, 1 spam, 1 trash)" in lines[1]
    found = by_name(blog)
    assert set(found) == {"Ada", "Evegnp.exe", "Grace", "Spammer", "Mallory", "Bob"}
    # Through http and another host to the post's permalink; through redirect_from (the
    # thread's identifier /2019/01/03/moved.html) to the post that moved.
    assert {found[name]["permalink"] for name in ("Ada", "Spammer")} == {EXAMPLE_PERMALINK}
    assert found["Bob"]["permalink"] == MOVED
    assert found["Ada"]["status"] == CommentStatus.APPROVED
    assert found["Spammer"]["status"] == CommentStatus.SPAM
    assert found["Mallory"]["status"] == CommentStatus.TRASH
    # Threads: Eve answered Ada; Grace answered Eve, which on a one-level blog is Ada's thread.
    assert found["Evegnp.exe"]["parent"] == "Ada"
    assert found["Grace"]["parent"] == "Ada"
    assert found["Ada"]["created"] == "2025-10-01T08:00:00+00:00"
    assert found["Ada"]["email"] == "ada@example.org"
    assert '<a href="https://example.org/ok" rel="nofollow ugc noopener">' in found["Ada"]["html"]
    assert "alert" not in found["Ada"]["html"]  # a script's words never become text
    for comment in found.values():
        assert_harmless(comment["html"])
        assert_harmless(comment["name"])
    assert job_count(blog) == 0  # nothing mailed

    page = blog.test_client().get(EXAMPLE_PERMALINK).get_data(as_text=True)
    assert "Great post!" in page  # <b> is not on the allow-list: its text stays
    assert "I agree with Ada." in page and "Cheap pills" not in page
    feed = feedparser.parse(blog.test_client().get(EXAMPLE_PERMALINK + "comments/feed.xml").data)
    assert len(feed.entries) == 3


def test_importing_again_adds_nothing(blog):
    assert run(blog, DISQUS, WXR).exit_code == 0
    before = comments(blog)
    again = run(blog, DISQUS, WXR)
    assert again.exit_code == 0, again.output
    assert "Disqus: 0 comments imported, 6 already there" in again.output
    assert "WordPress: 0 comments imported, 6 already there" in again.output
    assert comments(blog) == before


def test_dry_run_changes_nothing(blog):
    result = run(blog, "--dry-run", DISQUS)
    assert result.exit_code == 0, result.output
    assert "Disqus: 6 comments imported" in result.output
    assert result.output.rstrip().endswith("dry run: nothing changed")
    assert comments(blog) == []
    assert run(blog, DISQUS).exit_code == 0
    assert len(comments(blog)) == 6


def test_wordpress_export(blog):
    result = run(blog, WXR)
    assert result.exit_code == 0, result.output
    assert "WordPress: 6 comments imported (3 approved, 1 pending, 1 spam, 1 trash)" in (
        result.output
    )
    found = by_name(blog)
    assert {comment["permalink"] for comment in found.values()} == {MOVED}
    assert found["Waiting Walter"]["status"] == CommentStatus.PENDING
    assert found["Waiting Walter"]["url"] is None  # javascript: is no website
    assert found["Casino"]["status"] == CommentStatus.SPAM
    assert found["Trashed Tom"]["status"] == CommentStatus.TRASH
    assert found["Admin"]["parent"] == "Dana"
    assert found["Dana"]["url"] == "https://dana.example/"
    assert found["Dana"]["created"] == "2019-01-05T10:00:00+00:00"  # comment_date_gmt
    assert found["Dana"]["html"].startswith(
        "<p>First line<br>second line with <em>emphasis</em>.</p><p>A second paragraph"
    )
    assert found["Another Blog"]["status"] == CommentStatus.APPROVED  # a pingback
    for comment in found.values():
        assert_harmless(comment["html"])
    assert job_count(blog) == 0


def test_staticman_files(blog):
    result = run(blog, SITE / "_data" / "comments")
    assert result.exit_code == 0, result.output
    assert "no post for thread no-such-post: 1 comments left out" in result.output
    found = by_name(blog)
    assert set(found) == {"Hedy", "Ivan gnp.exe", "Judy"}
    assert {comment["permalink"] for comment in found.values()} == {MOVED}
    assert found["Ivan gnp.exe"]["parent"] == "Hedy"
    assert found["Hedy"]["email"] is None  # Staticman kept only an MD5 of it
    # Markdown as the form renders it: raw HTML shown as text, never run.
    assert found["Hedy"]["html"].startswith(
        "<p>Nice <strong>post</strong>. &lt;script&gt;alert('x')&lt;/script&gt;"
    )
    assert found["Judy"]["created"] == "2019-01-05T07:00:00+00:00"
    assert found["Hedy"]["created"] == "2019-01-04T11:06:40+00:00"  # a Unix timestamp
    for comment in found.values():
        assert comment["status"] == CommentStatus.APPROVED
        assert_harmless(comment["html"])
    again = run(blog, SITE / "_data" / "comments")
    assert "0 comments imported, 3 already there" in again.output


def test_a_whole_site_import_brings_its_staticman_comments(app, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    result = app.test_cli_runner().invoke(args=["posts", "import", str(site)])
    assert result.exit_code == 0, result.output
    assert "comments: Staticman: 3 comments imported (3 approved)" in result.output
    page = app.test_client().get(MOVED).get_data(as_text=True)
    assert "Replying to Hedy." in page and "From a JSON file." in page
    again = app.test_cli_runner().invoke(args=["posts", "import", str(site)])
    assert "comments: Staticman: 0 comments imported, 3 already there" in again.output
    assert len(comments(app)) == 3


def test_a_dry_run_of_a_whole_site_imports_no_comment(app, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    result = app.test_cli_runner().invoke(args=["posts", "import", "--dry-run", str(site)])
    assert result.exit_code == 0, result.output
    assert "comments: 4 in " in result.output and "would be imported" in result.output
    assert comments(app) == []


def test_exported_staticman_comments_come_back(blog, tmp_path):
    """Files as `flask posts export` writes approved comments (`_id`, `name`, `email`,
    `url`, `message`, `date`, `replying_to`) import onto their post with their thread."""
    folder = tmp_path / "_data" / "comments" / "alg-blog-post-2"
    folder.mkdir(parents=True)
    (folder / "1.yml").write_text(
        "_id: 1\nname: Ada\nemail: ada@example.org\nurl: https://ada.example/\n"
        "message: First!\ndate: 2025-10-01T08:00:00+00:00\nreplying_to: ''\n",
        encoding="utf-8",
    )
    (folder / "2.yml").write_text(
        "_id: 2\nname: Bob\nemail: ''\nurl: ''\nmessage: |\n  Second, *answering*.\n"
        "date: 2025-10-01T09:00:00+00:00\nreplying_to: 1\n",
        encoding="utf-8",
    )
    result = run(blog, tmp_path / "_data" / "comments")
    assert result.exit_code == 0, result.output
    found = by_name(blog)
    assert found["Bob"]["parent"] == "Ada" and found["Bob"]["permalink"] == EXAMPLE_PERMALINK
    assert found["Bob"]["html"] == "<p>Second, <em>answering</em>.</p>"


def test_a_thread_known_by_jekyll_s_page_id(blog, tmp_path):
    """Themes give Disqus `page.id` (/YYYY/MM/DD/slug from the file name) as the identifier,
    whatever the permalink."""
    export = tmp_path / "disqus.xml"
    export.write_text(
        '<?xml version="1.0"?><disqus xmlns="http://disqus.com"'
        ' xmlns:dsq="http://disqus.com/disqus-internals">'
        '<thread dsq:id="1"><id>/2025/09/30/alg-blog-post-2</id><link/></thread>'
        '<post dsq:id="2"><message>&lt;p&gt;Hi&lt;/p&gt;</message>'
        "<createdAt>2025-10-01T08:00:00Z</createdAt><isDeleted>false</isDeleted>"
        '<isSpam>false</isSpam><author><name>Zoe</name></author><thread dsq:id="1"/></post>'
        "</disqus>",
        encoding="utf-8",
    )
    result = run(blog, export)
    assert result.exit_code == 0, result.output
    assert by_name(blog)["Zoe"]["permalink"] == EXAMPLE_PERMALINK
    assert by_name(blog)["Zoe"]["html"] == "<p>Hi</p>"


# ---------------------------------------------------------------------------- bad input


def test_a_wordpress_export_of_another_blog_is_refused(blog):
    result = run(blog, DATA / "wordpress-other-blog.xml")
    assert result.exit_code != 0
    assert "no post for thread https://someone-else.example/2021/06/01/their-post/" in (
        result.output
    )
    assert "is it another blog's export?" in result.output
    assert comments(blog) == []


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("not-xml.xml", "not XML"),
        ("disqus-bomb.xml", "refused: the file declares a DTD or XML entities"),
    ],
)
def test_bad_files_are_refused_and_nothing_changes(blog, name, says):
    # The bomb is refused at its DTD (defusedxml's forbid_dtd), before any entity is
    # declared, so nothing expands: the message says that is where it stopped.
    result = run(blog, DISQUS, DATA / name)
    assert result.exit_code != 0
    assert says in result.output and "nothing imported" in result.output
    assert comments(blog) == []


def test_an_xml_file_of_another_kind_is_refused(blog, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text("<?xml version='1.0'?><feed><entry/></feed>", encoding="utf-8")
    result = run(blog, feed)
    assert result.exit_code != 0
    assert "neither a Disqus export nor a WordPress export" in result.output


def test_huge_and_empty_comments_are_skipped_with_a_line(blog, tmp_path):
    text = DISQUS.read_text(encoding="utf-8")
    huge = "<p>" + "spam " * 30_000 + "</p>"
    text = text.replace("<p>I agree with Ada.</p>", huge).replace(
        "<p>Something I took back.</p>", "<script>only this</script>"
    )
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(text, encoding="utf-8")
    result = run(blog, hostile)
    assert result.exit_code == 1
    assert "skipped: disqus comment 9002: 150,007 characters, more than 100,000" in result.output
    assert "skipped: disqus comment 9005: no text left once sanitised" in result.output
    found = by_name(blog)
    assert "Mallory" not in found and "Evegnp.exe" not in found
    # Grace answered the skipped comment: she now starts a thread of her own.
    assert found["Grace"]["parent"] is None
