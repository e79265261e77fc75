"""The whole site goes out and comes back: a Jekyll site with a `_config.yml` permalink,
folder categories, a draft, includes, data and images, plus a post whose file name Jekyll
would not read as a post, and comments with a thread. `flask posts export DIR`, then
`flask posts import DIR` into an empty database: every address, feed and approved comment is
the same (ETags aside), and exporting again gives the same files. An export never writes
into a folder that holds other files, and never writes commenters' addresses unless asked.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from comment_helpers import post_comment, set_status
from conftest import empty_postgres
from servers import PROJECT_ROOT
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Post, Redirect, Tag

SITE = PROJECT_ROOT / "tests" / "data" / "jekyll-site"
TOKEN = re.compile(rb'name="comment_token" value="[^"]*"')
ODD_NAME = "69508099-2013-05-06-jekyll-1-0-0-released.markdown"
ODD_POST = """---
title: Jekyll 1.0.0 Released
date: 2013-05-06 12:00:00 +0000
---
A file name Jekyll would not read as a post's.
"""


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def addresses(app) -> list[str]:
    """Every address of the blog's posts, old ones, tags, feeds and comment feeds."""
    with app.app_context():
        permalinks = db.session.execute(select(Post.permalink)).scalars().all()
        old = db.session.execute(select(Redirect.path)).scalars().all()
        slugs = db.session.execute(select(Tag.slug).where(Tag.posts.any())).scalars().all()
    paths = ["/", "/?page=2", "/tags/", "/feed.xml", "/atom.xml", "/feed.json"]
    paths += ["/assets/images/dot.png", "/files/notes.txt", "/about/", "/sitemap.xml"]
    for permalink in permalinks:
        paths += [permalink, permalink + "comments/feed.xml", permalink.rstrip("/")]
    paths += list(old)
    for slug in slugs:
        paths += [f"/tags/{slug}/", f"/tags/{slug}/feed.xml", f"/tags/{slug}/atom.xml"]
    return sorted(set(paths))


def snapshot(app, paths: list[str]) -> dict[str, tuple[int, str | None, bytes]]:
    client = app.test_client()
    found = {}
    for path in paths:
        response = client.get(path)
        body = TOKEN.sub(b'name="comment_token" value=""', response.data)
        found[path] = (response.status_code, response.headers.get("Location"), body)
        response.close()
    return found


def add_comments(app) -> None:
    """Two approved comments and an approved reply on one post, one held on another."""
    client = app.test_client()
    with app.app_context():
        first, second = (
            db.session.execute(select(Post.permalink).where(Post.is_draft.is_(False)))
            .scalars()
            .all()[:2]
        )
    for name, email in (("Ada", "ada@example.org"), ("Bob", "")):
        assert (
            post_comment(client, first, name=name, email=email, body=f"{name}: *hi*").status_code
            == 303
        )
    with app.app_context():
        ids = db.session.execute(select(Comment.id).order_by(Comment.id)).scalars().all()
    for comment_id in ids:
        set_status(app, comment_id, CommentStatus.APPROVED)
    reply = post_comment(client, first, name="Cy", body="Answering Ada.", parent_id=str(ids[0]))
    assert reply.status_code == 303
    with app.app_context():
        reply_id = db.session.execute(select(Comment.id).order_by(Comment.id.desc())).scalar()
    set_status(app, reply_id, CommentStatus.APPROVED)
    assert post_comment(client, second, name="Dee", body="Held for now.").status_code == 303


@pytest.fixture
def second_database(request, database_url, tmp_path):
    def make() -> str:
        if database_url.startswith("sqlite"):
            path = tmp_path / "second.sqlite"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        empty_postgres(database_url)
        return database_url

    return make


def test_a_whole_site_comes_back_the_same(make_app, second_database, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / ODD_NAME).write_text(ODD_POST)
    first = make_app(MEDIA_FOLDER=str(tmp_path / "media-one"), TIMEZONE="Europe/Paris")
    # The loose file first: it takes PERMALINK's address, which the site's pattern (set by
    # the site's import) would not give back.
    assert run(first, "posts", "import", str(loose)).exit_code == 0
    assert run(first, "posts", "import", str(site)).exit_code == 0
    add_comments(first)
    first.extensions["response_cache"].clear()  # set_status wrote past the site's counter
    paths = addresses(first)
    before = snapshot(first, paths)
    assert sum(status == 200 for status, _, _ in before.values()) > 30

    out = tmp_path / "one"
    result = run(first, "posts", "export", str(out))
    assert result.exit_code == 0, result.output
    files = files_in(out)
    config = yaml.safe_load(files["_config.yml"])
    assert config["permalink"] == "/:year/:month/:day/:title/" and config["timezone"] == "UTC"
    assert config["defaults"][1]["values"]["permalink"] == "/:categories/:year/:title/"
    assert "en/news/_posts/2024-03-08-folder-news.md" in files
    assert "_drafts/unfinished-thoughts.md" in files
    odd = next(name for name in files if name.endswith(ODD_NAME))
    assert odd.startswith("_posts/2013-05-06-") and b"permalink: " in files[odd]
    assert files["assets/images/dot.png"] == (SITE / "assets/images/dot.png").read_bytes()
    comments = {
        name: yaml.safe_load(text)
        for name, text in files.items()
        if name.startswith("_data/comments/")
    }
    assert len(comments) == 3, "approved comments only"
    by_name = {entry["name"]: entry for entry in comments.values()}
    assert by_name["Cy"]["replying_to"] == by_name["Ada"]["_id"]
    assert by_name["Ada"]["message"] == "Ada: *hi*"
    assert all("email" not in entry and "ip" not in entry for entry in comments.values())

    second = make_app(
        MEDIA_FOLDER=str(tmp_path / "media-two"),
        TIMEZONE="Europe/Paris",
        SQLALCHEMY_DATABASE_URI=second_database(),
    )
    result = run(second, "posts", "import", str(out))
    assert result.exit_code == 0, result.output
    after = snapshot(second, paths)
    different = [path for path in paths if after[path] != before[path]]
    assert not different, [(p, before[p][:2], after[p][:2]) for p in different[:5]]
    assert files_in_export(second, tmp_path / "two") == files


def files_in_export(app, folder: Path) -> dict[str, bytes]:
    result = run(app, "posts", "export", str(folder))
    assert result.exit_code == 0, result.output
    return files_in(folder)


def test_private_export_carries_the_commenters_addresses(make_app, tmp_path):
    app = make_app(MEDIA_FOLDER=str(tmp_path / "media"))
    shutil.copytree(SITE, tmp_path / "site")
    run(app, "posts", "import", str(tmp_path / "site"))
    add_comments(app)
    files = files_in_export_private(app, tmp_path / "out")
    entries = [yaml.safe_load(t) for n, t in files.items() if n.startswith("_data/comments/")]
    ada = next(entry for entry in entries if entry["name"] == "Ada")
    assert ada["email"] == "ada@example.org" and ada["ip"]


def files_in_export_private(app, folder: Path) -> dict[str, bytes]:
    result = run(app, "posts", "export", "--private", str(folder))
    assert result.exit_code == 0, result.output
    return files_in(folder)


@pytest.mark.parametrize("occupant", ["notes.txt", ".git", "sub/deep.md"])
def test_an_export_never_writes_into_a_folder_holding_other_files(make_app, tmp_path, occupant):
    app = make_app(MEDIA_FOLDER=str(tmp_path / "media"))
    shutil.copytree(SITE, tmp_path / "site")
    run(app, "posts", "import", str(tmp_path / "site"))
    folder = tmp_path / "out"
    (folder / occupant).parent.mkdir(parents=True, exist_ok=True)
    (folder / occupant).write_text("mine")
    before = files_in(folder)
    result = run(app, "posts", "export", str(folder))
    assert result.exit_code != 0
    assert "nothing exported" in result.output and "new or empty folder" in result.output
    assert files_in(folder) == before


def test_an_export_into_a_file_is_refused(make_app, tmp_path):
    app = make_app(MEDIA_FOLDER=str(tmp_path / "media"))
    target = tmp_path / "a-file"
    target.write_text("mine")
    result = run(app, "posts", "export", str(target))
    assert result.exit_code != 0 and target.read_text() == "mine"
