"""A whole Jekyll site imported as `flask posts import SITE_ROOT`, with real Jekyll as the
oracle: tests/data/jekyll-site built by `jekyll build`, then every URL Jekyll gives (posts
and the site's files) asked of the app, and each post's body structure compared."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from jekyll_oracle import JEKYLL, Comparison, jekyll_build, post_bodies, report, structure
from servers import PROJECT_ROOT, app_environment
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Post

SITE = Path(__file__).resolve().parent.parent / "data" / "jekyll-site"
SITE_URL = "https://oracle.example/notes"  # the site's _config.yml url + baseurl

pytestmark = pytest.mark.skipif(
    JEKYLL is None, reason="jekyll is not installed (apt-get install jekyll)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    destination = tmp_path_factory.mktemp("jekyll-site-built")
    jekyll_build(SITE, destination)
    return destination


@pytest.fixture
def site_app(make_app, tmp_path):
    return make_app(SITE_URL=SITE_URL, MEDIA_FOLDER=str(tmp_path / "media"))


def run_import(app, *paths, expect_ok: bool = True) -> str:
    result = app.test_cli_runner().invoke(args=["posts", "import", *map(str, paths)])
    if expect_ok:
        assert result.exit_code == 0, result.output
    return result.output


def served_body(page: str) -> str:
    """The post body the app serves (inside its `post-body` element)."""
    root = lxml.html.document_fromstring(page)
    body = root.xpath('//*[contains(concat(" ", @class, " "), " post-body ")]')[0]
    inner = (body.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in body
    )
    return inner


def static_urls(built: Path) -> list[str]:
    return sorted(
        "/" + str(path.relative_to(built))
        for path in built.rglob("*")
        if path.is_file() and path.suffix != ".html"
    )


def test_every_url_jekyll_gives_is_served_and_bodies_match(site_app, built):
    output = run_import(site_app, SITE)
    assert "permalink /:year/:month/:day/:title/, timezone UTC, kramdown input GFM" in output
    assert "site files: 2 copied" in output
    client = site_app.test_client()
    bodies = post_bodies(built)
    comparisons = []
    for url, jekyll_body in sorted(bodies.items()):
        response = client.get(url)
        if response.status_code == 301:
            response = client.get(response.headers["Location"])
        assert response.status_code == 200, url
        actual = served_body(response.get_data(as_text=True))
        comparisons.append(Comparison(url, structure(jekyll_body), structure(actual)))
        # No Liquid or kramdown syntax shows that Jekyll would not show; no hidden text.
        for syntax in ("{%", "{{", "{:", "{::", "never be published"):
            assert actual.count(syntax) <= jekyll_body.count(syntax), (url, syntax)
    assert len(comparisons) == 10
    matched = sum(c.matches for c in comparisons)
    assert matched / len(comparisons) >= 0.95, report(comparisons)
    for url in static_urls(built):
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.data == (built / url.lstrip("/")).read_bytes()


def test_folders_defaults_drafts_data_and_underscores(site_app, built):
    run_import(site_app, SITE)
    client = site_app.test_client()
    english = client.get("/en/news/2024/folder-news/").get_data(as_text=True)
    assert "written by the English desk" in english  # a `defaults` value, seen by Liquid
    assert "Listed in: en, news." in english  # categories from the folders
    assert '<img alt="A red dot" src="/notes/assets/images/dot.png"' in english
    japanese = client.get("/2024/03/08/folder-news/").get_data(as_text=True)
    assert "Listed in: ja, news." in japanese  # the same file name: a second post
    assert client.get("/2024/03/09/snake_case_name/").status_code == 200
    assert "9f86d081884c7d65" in client.get("/2024/03/05/includes-and-links/").get_data(
        as_text=True
    )  # _data through an include
    with site_app.app_context():
        draft = db.session.execute(
            select(Post).where(Post.title == "Unfinished thoughts")
        ).scalar_one()
        assert draft.is_draft and draft.source_key == "_drafts/unfinished-thoughts.md"
        keys = set(db.session.execute(select(Post.source_key)).scalars())
    assert {"en/news/_posts/2024-03-08-folder-news.md", "2024-03-08-folder-news.md"} <= {
        key.removeprefix("ja/news/_posts/") if key.startswith("ja/") else key for key in keys
    }
    assert client.get(draft.permalink).status_code == 404


def test_reimporting_the_site_changes_nothing(site_app):
    first = run_import(site_app, SITE)
    again = run_import(site_app, SITE)
    assert "11 imported" in first
    assert "0 imported, 0 updated, 11 unchanged, 0 skipped, 0 failed" in again
    assert "site files: 0 copied" in again and "2 unchanged" in again


def test_site_files_are_served_safely_with_validators(site_app):
    run_import(site_app, SITE)
    client = site_app.test_client()
    with client.get("/assets/images/dot.png") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        etag = response.headers["ETag"]
        assert etag and response.headers["Last-Modified"]
    with client.get("/assets/images/dot.png", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    media = Path(site_app.config["MEDIA_FOLDER"])
    (media.parent / "secret.txt").write_text("not for readers")  # beside the media folder
    for path in (
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/_config.yml",
    ):
        with client.get(path) as response:
            assert response.status_code == 404, path
            assert b"not for readers" not in response.data
    # What Jekyll never copies is not copied either.
    assert sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) == [
        "assets/images/dot.png",
        "files/notes.txt",
    ]


def test_folders_one_by_one_never_replace_each_others_posts(site_app, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    run_import(site_app, site / "en" / "news" / "_posts")
    output = run_import(site_app, site / "ja" / "news" / "_posts", expect_ok=False)
    assert "failed: " in output and "another folder's file of the same name" in output
    with site_app.app_context():
        titles = db.session.execute(select(Post.title)).scalars().all()
    assert titles == ["News from the English desk"]
    # The whole site then takes both: the English post is the same post, moved to the URL
    # its `defaults` rule gives; the Japanese one takes the URL the English one had.
    output = run_import(site_app, site)
    assert "10 imported, 1 updated, 0 unchanged, 0 skipped, 0 failed" in output
    client = site_app.test_client()
    assert "日本語のニュース" in client.get("/2024/03/08/folder-news/").get_data(as_text=True)
    assert "English desk" in client.get("/en/news/2024/folder-news/").get_data(as_text=True)
    with site_app.app_context():
        assert len(db.session.execute(select(Post.id)).scalars().all()) == 11


def test_a_same_named_file_with_the_same_bytes_is_still_another_folders_post(site_app, tmp_path):
    for folder in ("a", "b"):
        posts = tmp_path / folder / "_posts"
        posts.mkdir(parents=True)
        (posts / "2024-01-01-twin.md").write_text("---\ntitle: Twin\n---\nSame bytes.\n")
    run_import(site_app, tmp_path / "a" / "_posts")
    output = run_import(site_app, tmp_path / "b" / "_posts", expect_ok=False)
    assert "another folder's file of the same name" in output
    assert "unchanged" not in output.splitlines()[0]


def test_on_a_terminal_a_progress_bar_stays_below_the_file_lines(sqlite_template, tmp_path):
    database = tmp_path / "blog.sqlite"
    shutil.copy(sqlite_template, database)
    env = app_environment(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "MEDIA_FOLDER": str(tmp_path / "media"),
            "SITE_URL": SITE_URL,
            "COLUMNS": "100",
        }
    )
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "posts", "import", str(SITE)]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 0
    shown = b"".join(chunks).decode()
    assert "importing" in shown and "11/11" in shown  # the bar, with its count
    # Each file's line is written over the bar's line, which is drawn again below it.
    assert "\r\x1b[Kimported: " in shown
    assert shown.rstrip().splitlines()[-1].startswith("11 imported")


def test_feeds_link_the_site_files_absolutely(site_app):
    run_import(site_app, SITE)
    client = site_app.test_client()
    for feed in ("/feed.xml", "/atom.xml", "/feed.json"):
        text = client.get(feed).get_data(as_text=True)
        assert "https://oracle.example/notes/assets/images/dot.png" in text, feed
        assert "https://oracle.example/notes/files/notes.txt" in text, feed
