"""The class "an import reads no file through a symbolic link", on SQLite and PostgreSQL:
links to files and folders, inside the site or out of it, in every place a whole-site import
reads (static files, pages, posts, drafts, _data, _includes, include_relative, _config.yml)
and in a folder import, are never followed; each is named by a refusal line, and what they
point at is neither stored nor served."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from microblog.extensions import db
from microblog.jekyll.site_files import LinkRefused, copy_static_files
from microblog.models import Post

SECRET = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOutsideTheSite secret-key"
POST = "---\ntitle: {title}\ndate: 2025-01-0{day} 10:00:00 +0000\n---\n{body}\n"


@pytest.fixture
def outside(tmp_path) -> Path:
    """Files beside the site, never meant to be published."""
    folder = tmp_path / "outside"
    (folder / "dir").mkdir(parents=True)
    (folder / "id_ed25519").write_text(SECRET)
    (folder / "dir" / "key.txt").write_text(SECRET)
    (folder / "people.yml").write_text(f"- name: {SECRET}\n")
    (folder / "post.md").write_text(POST.format(title="Outside", day=3, body=SECRET))
    (folder / "include.html").write_text(SECRET)
    (folder / "config.yml").write_text("title: linked config\n")
    return folder


def make_site(tmp_path: Path, outside: Path) -> Path:
    site = tmp_path / "site"
    for folder in ("_posts", "_drafts", "_data", "_includes", "assets", "notes"):
        (site / folder).mkdir(parents=True)
    (site / "_config.yml").write_text("title: Links\npermalink: /:year/:title/\n")
    (site / "real.txt").write_text("a real file")
    (site / "assets" / "ok.css").write_text("body {}")
    (site / "_data" / "fine.yml").write_text("- name: Fine\n")
    (site / "_includes" / "fine.html").write_text("FINE-INCLUDE")
    (site / "notes" / "real.md").write_text("beside")
    body = "{% include fine.html %} {% include evil.html %} {% include_relative notes/evil.md %}"
    (site / "_posts" / "2025-01-01-real.md").write_text(POST.format(title="Real", day=1, body=body))
    links = {
        "secret.txt": outside / "id_ed25519",  # a file outside
        "inside.txt": site / "real.txt",  # a file inside
        "assets/keys": outside / "dir",  # a folder outside
        "mirror": site / "assets",  # a folder inside
        "about.md": outside / "post.md",  # a page
        "_posts/2025-01-02-linked.md": outside / "post.md",  # a post
        "_drafts/linked-draft.md": outside / "post.md",  # a draft
        "_data/people.yml": outside / "people.yml",  # site data
        "_includes/evil.html": outside / "include.html",  # an include
        "notes/evil.md": outside / "include.html",  # include_relative
    }
    for name, target in links.items():
        os.symlink(target, site / name)
    return site


def run_import(app, *paths: Path):
    return app.test_cli_runner().invoke(args=["posts", "import", *map(str, paths)])


@pytest.fixture
def blog(make_app, tmp_path):
    return make_app(MEDIA_FOLDER=str(tmp_path / "media"))


def test_a_site_import_follows_no_link_and_names_each(blog, tmp_path, outside):
    site = make_site(tmp_path, outside)
    result = run_import(blog, site)
    refused = sorted(
        line.split(": ")[1]
        for line in result.output.splitlines()
        if line.startswith("skipped: ") and "symbolic link" in line
    )
    assert refused == sorted(
        str(site / name)
        for name in (
            "_data/people.yml",
            "_drafts/linked-draft.md",
            "_includes/evil.html",
            "_posts/2025-01-02-linked.md",
            "about.md",
            "assets/keys",
            "inside.txt",
            "mirror",
            "notes/evil.md",
            "secret.txt",
        )
    ), result.output
    media = Path(blog.config["MEDIA_FOLDER"])
    copied = sorted(
        str(p.relative_to(media)) for p in media.rglob("*") if p.is_file() or p.is_symlink()
    )
    assert copied == ["assets/ok.css", "notes/real.md", "real.txt"]
    client = blog.test_client()
    for path in ("/secret.txt", "/inside.txt", "/assets/keys/key.txt", "/mirror/ok.css", "/about/"):
        assert client.get(path).status_code == 404, path
    with blog.app_context():
        posts = db.session.query(Post).all()
        assert [post.title for post in posts] == ["Real"]
        body = posts[0].body_html
        assert "FINE-INCLUDE" in body and SECRET not in body


def test_a_linked_config_is_not_read(blog, tmp_path, outside):
    site = make_site(tmp_path, outside)
    (site / "_config.yml").unlink()
    os.symlink(outside / "config.yml", site / "_config.yml")
    result = run_import(blog, site)
    assert "linked config" not in result.output
    assert result.exit_code != 0 and "symbolic link" in result.output


@pytest.mark.parametrize("inside", [True, False])
def test_a_folder_import_skips_linked_post_files(blog, tmp_path, outside, inside):
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "2025-01-01-real.md").write_text(POST.format(title="Real", day=1, body="hi"))
    target = folder / "2025-01-01-real.md" if inside else outside / "post.md"
    os.symlink(target, folder / "2025-01-05-linked.md")
    result = run_import(blog, folder)
    assert f"skipped: {folder / '2025-01-05-linked.md'}: a symbolic link" in result.output
    with blog.app_context():
        assert [post.title for post in db.session.query(Post).all()] == ["Real"]


def test_a_file_swapped_for_a_link_after_the_walk_is_not_copied(tmp_path, outside):
    site = tmp_path / "site"
    site.mkdir()
    os.symlink(outside / "id_ed25519", site / "late.txt")
    media = tmp_path / "media"
    count = copy_static_files(site, [Path("late.txt")], media)  # type: ignore[list-item]
    assert count.copied == 0 and len(count.failed) == 1
    assert not (media / "late.txt").exists()
    assert issubclass(LinkRefused, OSError)
