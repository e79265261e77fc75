"""`flask backup` and `flask restore`: a whole blog into an empty database of either kind,
and every refusal (a database that holds anything, a damaged, cut or newer archive)."""

from __future__ import annotations

import difflib
import gzip
import hashlib
import io
import json
import re
import shutil
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from comment_helpers import log_in, post_comment
from conftest import (
    BASE_CONFIG,
    EXAMPLE_PERMALINK,
    EXAMPLE_POST,
    TEST_DATABASE_URL,
    empty_postgres,
    migrated_app,
    postgres_database,
)
from servers import reset_postgres_schema
from sqlalchemy import func, select

from microblog import create_app
from microblog.extensions import db
from microblog.models import (
    Author,
    Comment,
    CommentStatus,
    Job,
    JobState,
    MailOptOut,
    Media,
    Page,
    Post,
    ReplySubscription,
    Webmention,
)
from microblog.models.pages import SiteSetting
from microblog.posts.site_changes import mark_site_changed

PASSWORD = "correct horse battery staple"
REDIRECTED_POST = """---
title: "Moved — with ünïcode"
date: 2019-01-03 10:00:00 +0100
permalink: /notes/moved/
redirect_from:
  - /2019/01/03/moved.html
tags: [Backup, "Generative AI"]
---
A post that moved, with a [link](https://example.org/).
"""
# Per-request values that differ between two renders of the same page.
VOLATILE = re.compile(r'name="(?:comment_token|csrf_token)" value="[^"]*"')


@pytest.fixture(scope="session")
def second_postgres() -> str:
    """A second PostgreSQL database beside TEST_DATABASE_URL's (PostgreSQL to PostgreSQL),
    created when missing and migrated once per session."""
    if not TEST_DATABASE_URL:
        pytest.skip("needs TEST_DATABASE_URL")
    url = postgres_database(TEST_DATABASE_URL, "_restore")  # one per xdist worker
    reset_postgres_schema(url)
    migrated_app(url)
    return url


@pytest.fixture
def apps(tmp_path, request):
    """Build apps on named databases ('sqlite-a', 'sqlite-b', 'postgresql', 'postgresql-b'),
    each with its own media folder."""
    made = []

    def build(kind: str):
        if kind.startswith("sqlite"):
            path = tmp_path / f"{kind}.sqlite"
            if not path.exists():
                shutil.copy(request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
        else:
            if not TEST_DATABASE_URL:
                pytest.skip("needs TEST_DATABASE_URL")
            fixture = "second_postgres" if kind == "postgresql-b" else "postgres_migrated"
            url = request.getfixturevalue(fixture)
            empty_postgres(url)
        app = create_app(
            {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "MEDIA_FOLDER": str(tmp_path / kind)}
        )
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["generation_reader"].close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def build_blog(app, tmp_path: Path) -> dict[str, str]:
    """A blog with something in every table: posts and old addresses, an author with a
    password and a token, comments in every status with a thread, a subscription, an
    opt-out, a Webmention, queued and failed jobs, media files."""
    runner = app.test_cli_runner()
    posts = tmp_path / "site" / "_posts"
    posts.mkdir(parents=True)
    shutil.copy(EXAMPLE_POST, posts)
    (posts / "2019-01-03-moved.md").write_text(REDIRECTED_POST, encoding="utf-8")
    assert runner.invoke(args=["posts", "import", str(posts)]).exit_code == 0
    # The work the import queued (related posts) is done, as a running blog would have it.
    assert runner.invoke(args=["jobs", "run", "--once"]).exit_code == 0
    created = runner.invoke(
        args=["author", "create", "author", "--password-stdin", "--email", "me@example.org"],
        input=PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    token = runner.invoke(args=["author", "token", "author"]).stdout.strip()

    client = app.test_client()
    for name in ("Ada", "Grace", "Mallory", "Trudy"):
        response = post_comment(client, EXAMPLE_PERMALINK, name=name, body=f"Words of {name}.")
        assert response.status_code == 303
    with app.app_context():
        comments = db.session.execute(select(Comment).order_by(Comment.id)).scalars().all()
        comments[0].status = CommentStatus.APPROVED
        comments[2].status, comments[2].previous_status = CommentStatus.SPAM, CommentStatus.PENDING
        comments[3].status = CommentStatus.TRASH
        first_id = comments[0].id
        mark_site_changed(db.session)
        db.session.commit()
    reply = post_comment(
        client,
        EXAMPLE_PERMALINK,
        name="Bob",
        email="bob@example.org",
        body="A reply, <script>x</script>.",
        parent_id=str(first_id),
        notify="on",
    )
    assert reply.status_code == 303
    with app.app_context():
        post = db.session.execute(select(Post).where(Post.permalink == EXAMPLE_PERMALINK))
        post_id = post.scalar_one().id
        bob = db.session.execute(select(Comment).where(Comment.author_name == "Bob")).scalar_one()
        assert bob.parent_id == first_id
        if db.session.execute(select(ReplySubscription)).first() is None:
            db.session.add(
                ReplySubscription(
                    comment_id=bob.id,
                    email="bob@example.org",
                    confirmed_at=datetime(2025, 5, 6, 7, 8, tzinfo=UTC),
                )
            )
        db.session.add(MailOptOut(email="quiet@example.org"))
        db.session.add(
            Webmention(
                post_id=post_id,
                source="https://other.example/likes/1",
                kind="like",
                author_name="Other",
                author_url="https://other.example/",
            )
        )
        db.session.add(
            Job(
                kind="mail.author",
                args={"comment_id": 1, "nested": [1, {"b": None, "é": True}]},
                state=JobState.FAILED,
                attempts=8,
                last_error="SMTP said no",
                due_at=datetime(2025, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
            )
        )
        db.session.add(
            Page(
                title="About",
                permalink="/about/",
                body_source="About *me*.",
                body_html="<p>About <em>me</em>.</p>",
                nav_order=1,
                front_matter={"title": "About", "nav": [1, True, None]},
            )
        )
        db.session.add(SiteSetting(key="backup.test", value={"kept": ["as", 1, True, None]}))
        db.session.add(
            Media(
                path="2025/09/photo.png",
                original_name="Photo été.png",
                content_type="image/png",
                size_bytes=10240,
                width=64,
                height=40,
                sha256="0" * 64,
                variants=[{"width": 32, "path": "2025/09/photo-32.png"}],
            )
        )
        mark_site_changed(db.session)
        db.session.commit()
    media = Path(app.config["MEDIA_FOLDER"])
    (media / "2025" / "09").mkdir(parents=True)
    (media / "2025" / "09" / "photo.png").write_bytes(bytes(range(256)) * 40)
    (media / "notes.txt").write_text("ünïcode file\n", encoding="utf-8")
    return {"token": token}


def every_row(app) -> dict[str, list[tuple]]:
    """Every archived table's rows as the models read them (site_state's counter aside;
    tables worked out from others, such as related posts, are made again on restore)."""
    with app.app_context():
        found = {}
        for table in db.metadata.sorted_tables:
            if table.info.get("backup") is False:
                continue
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            if table.name == "site_state":
                rows = [(row.id, row.changed_at) for row in rows]
            found[table.name] = [tuple(row) for row in rows]
        return found


def pages(app) -> dict[str, tuple[int, str]]:
    """What readers and feed readers get at the blog's addresses."""
    client = app.test_client()
    found = {}
    for path in (
        "/",
        EXAMPLE_PERMALINK,
        EXAMPLE_PERMALINK + "comments/feed.xml",
        "/notes/moved/",
        "/2019/01/03/moved.html",
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/tags/",
        "/tags/backup/",
        "/sitemap.xml",
        "/about/",
        "/2025/09/photo.png",
    ):
        response = client.get(path)
        body = response.get_data()
        response.close()
        shown = body.decode("utf-8") if path.endswith(("/", ".xml", ".json")) else body.hex()
        found[path] = (response.status_code, VOLATILE.sub("", shown))
    return found


def found_by_search(app, words: str) -> set[str]:
    page = app.test_client().get("/search", query_string={"q": words}).get_data(as_text=True)
    return set(re.findall(r'<li class="search-hit">\s*<h2><a href="([^"]+)"', page))


def assert_same_pages(got: dict, expected: dict) -> None:
    """Every address answers the same, with a readable difference when not."""
    for path, (status, body) in expected.items():
        assert got[path][0] == status, path
        if got[path][1] != body:
            diff = difflib.unified_diff(body.splitlines(), got[path][1].splitlines(), lineterm="")
            raise AssertionError(f"{path} differs:\n" + "\n".join(list(diff)[:40]))


def run(app, *args: str, input: bytes | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


PAIRS = [
    ("sqlite-a", "sqlite-b"),
    ("sqlite-a", "postgresql"),
    ("postgresql", "sqlite-b"),
    ("postgresql", "postgresql-b"),
]


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_restore_gives_the_same_blog(apps, tmp_path, source_kind, target_kind):
    source = apps(source_kind)
    secrets = build_blog(source, tmp_path)
    archive = tmp_path / "blog.tar.gz"
    made = run(source, "backup", str(archive))
    assert made.exit_code == 0, made.output + made.stderr
    assert "verified" in made.stdout

    target = apps(target_kind)
    restored = run(target, "restore", str(archive))
    assert restored.exit_code == 0, restored.output + restored.stderr

    assert every_row(target) == every_row(source)
    seen = pages(target)
    assert_same_pages(seen, pages(source))
    statuses = {path: seen[path][0] for path in seen}
    assert statuses[EXAMPLE_PERMALINK] == statuses["/notes/moved/"] == 200, statuses
    assert statuses["/2019/01/03/moved.html"] == 301, statuses
    assert statuses["/2025/09/photo.png"] == 200, statuses
    # The search index is not archived: restore makes it again (ranks and snippets are each
    # engine's own, so the posts found are compared).
    assert found_by_search(target, "generative") == found_by_search(source, "generative")
    assert len(found_by_search(target, "generative")) == 2
    copied = Path(target.config["MEDIA_FOLDER"])
    assert (copied / "2025" / "09" / "photo.png").read_bytes() == bytes(range(256)) * 40
    assert (copied / "notes.txt").read_text(encoding="utf-8") == "ünïcode file\n"

    client = target.test_client()
    signed_in = log_in(client, "author", PASSWORD)
    assert signed_in.status_code in (302, 303)
    assert "/admin/login" not in signed_in.headers["Location"]
    queue = client.get("/admin/comments?status=spam")
    assert "Words of Mallory." in queue.get_data(as_text=True)
    app_client = target.test_client()
    micropub = app_client.get(
        "/micropub?q=config", headers={"Authorization": f"Bearer {secrets['token']}"}
    )
    assert micropub.status_code == 200
    refused = app_client.get("/micropub?q=config", headers={"Authorization": "Bearer mbt_no"})
    assert refused.status_code in (401, 403)

    # New rows get new ids (PostgreSQL's sequences moved past the restored ones).
    answered = post_comment(target.test_client(), EXAMPLE_PERMALINK, name="Newcomer")
    assert answered.status_code == 303
    with target.app_context():
        newest = db.session.execute(select(func.max(Comment.id))).scalar_one()
        assert db.session.get(Comment, newest).author_name == "Newcomer"
        assert newest == len(every_row(source)["comments"]) + 1
        subscription = db.session.execute(select(ReplySubscription)).scalar_one()
        assert subscription.email == "bob@example.org"
        assert db.session.execute(select(Author.username)).scalar_one() == "author"


def test_backup_to_standard_output_restores(apps, tmp_path):
    source = apps("sqlite-a")
    build_blog(source, tmp_path)
    made = run(source, "backup", "-")
    assert made.exit_code == 0, made.stderr
    assert "verified" in made.stderr
    target = apps("sqlite-b")
    restored = run(target, "restore", "-", input=made.stdout_bytes)
    assert restored.exit_code == 0, restored.output + restored.stderr
    assert every_row(target) == every_row(source)


def test_restore_into_a_database_without_tables_creates_the_schema(apps, tmp_path):
    source = apps("sqlite-a")
    build_blog(source, tmp_path)
    archive = tmp_path / "blog.tar.gz"
    assert run(source, "backup", str(archive)).exit_code == 0
    bare = tmp_path / "bare.sqlite"
    target = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{bare}",
            "MEDIA_FOLDER": str(tmp_path / "bare-media"),
        }
    )
    try:
        restored = run(target, "restore", str(archive))
        assert restored.exit_code == 0, restored.output + restored.stderr
        assert every_row(target) == every_row(source)
    finally:
        target.extensions["generation_reader"].close()
        with target.app_context():
            db.engine.dispose()


# ---------------------------------------------------------------------------- refusals


def rewrite(archive: Path, change) -> bytes:
    """The archive with its members passed through `change(name, data) -> data`."""
    out = io.BytesIO()
    with tarfile.open(archive, "r:gz") as old, tarfile.open(fileobj=out, mode="w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            data = change(member.name, data)
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return out.getvalue()


def tampered_row(name: str, data: bytes) -> bytes:
    if name == "tables/comments.jsonl":
        return data.replace(b"Words of Ada.", b"Words of Eve.")
    return data


def newer_schema(name: str, data: bytes) -> bytes:
    if name == "manifest.json":
        manifest = json.loads(data)
        manifest["schema_revision"] = "ffffffff0000"
        return json.dumps(manifest).encode()
    return data


def dropped_media(name: str, data: bytes) -> bytes:
    return data


@pytest.fixture
def archive_of_blog(apps, tmp_path) -> Path:
    source = apps("sqlite-a")
    build_blog(source, tmp_path)
    archive = tmp_path / "blog.tar.gz"
    assert run(source, "backup", str(archive)).exit_code == 0
    return archive


def damaged(archive: Path, how: str) -> bytes:
    data = archive.read_bytes()
    if how == "cut short":
        return data[: len(data) // 2]
    if how.startswith("a byte flipped"):
        # What a flip breaks (the deflate data as the archive is opened, a checksum, the
        # manifest's JSON) depends on the archive's bytes, which hold the time they were
        # made: byte 20 (in the first deflate block) and every tenth of the file must all
        # read as damage.
        place = how.removeprefix("a byte flipped at ")
        if place.startswith("byte "):
            where = int(place.removeprefix("byte "))
        else:
            where = len(data) * int(place.removesuffix("/10")) // 10
        return data[:where] + bytes([data[where] ^ 0xFF]) + data[where + 1 :]
    if how == "a row changed":
        return rewrite(archive, tampered_row)
    if how == "a file missing":
        out = io.BytesIO()
        with tarfile.open(archive, "r:gz") as old, tarfile.open(fileobj=out, mode="w:gz") as new:
            for member in old.getmembers():
                if member.name != "tables/comments.jsonl":
                    new.addfile(member, old.extractfile(member))
        return out.getvalue()
    if how == "not an archive":
        return b"posts,comments\n1,2\n"
    if how == "a newer schema":
        return rewrite(archive, newer_schema)
    if how == "empty":
        return gzip.compress(b"")
    raise AssertionError(how)


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("cut short", "cut short"),
        ("a byte flipped at byte 20", "damaged"),
        *[(f"a byte flipped at {tenth}/10", "damaged") for tenth in range(1, 10)],
        ("a row changed", "checksum"),
        ("a file missing", "missing"),
        ("not an archive", "not a readable backup"),
        ("a newer schema", "newer"),
        ("empty", "not a readable backup"),
    ],
)
def test_a_bad_archive_is_refused_and_nothing_changes(apps, archive_of_blog, tmp_path, how, says):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(damaged(archive_of_blog, how))
    target = apps("sqlite-b")
    before = every_row(target)
    result = run(target, "restore", str(bad))
    assert result.exit_code != 0
    assert "restore refused, nothing changed" in result.stderr
    assert says in result.stderr
    assert every_row(target) == before
    media = Path(target.config["MEDIA_FOLDER"])
    assert not media.exists() or not any(media.rglob("*"))


@pytest.mark.parametrize("kind", ["sqlite-b", "postgresql"])
def test_a_database_that_holds_anything_is_refused(apps, archive_of_blog, kind):
    target = apps(kind)
    target.test_cli_runner().invoke(args=["posts", "import", str(EXAMPLE_POST)])
    before = every_row(target)
    result = run(target, "restore", str(archive_of_blog))
    assert result.exit_code != 0
    assert "not empty" in result.stderr and "holds rows" in result.stderr
    assert every_row(target) == before


def test_a_media_folder_that_holds_files_is_refused(apps, archive_of_blog):
    target = apps("sqlite-b")
    media = Path(target.config["MEDIA_FOLDER"])
    media.mkdir(parents=True)
    (media / "mine.jpg").write_bytes(b"mine")
    result = run(target, "restore", str(archive_of_blog))
    assert result.exit_code != 0
    assert "media folder" in result.stderr
    assert every_row(target)["posts"] == []
    assert [path.name for path in media.rglob("*")] == ["mine.jpg"]


def test_backup_into_a_missing_folder_fails_and_leaves_nothing(apps, tmp_path):
    source = apps("sqlite-a")
    result = run(source, "backup", str(tmp_path / "no" / "such" / "blog.tar.gz"))
    assert result.exit_code != 0
    assert "backup failed" in result.stderr
    assert not (tmp_path / "no").exists()


def test_rows_the_database_refuses_undo_the_whole_restore(apps, archive_of_blog, tmp_path):
    """An archive edited by hand, its manifest made to agree (a comment given twice): the
    database refuses the duplicate id, and nothing of the archive stays."""
    edited: dict[str, bytes] = {}

    def duplicate_first_comment(name: str, data: bytes) -> bytes:
        if name == "tables/comments.jsonl":
            data = data + data.splitlines(keepends=True)[0]
        edited[name] = data
        return data

    rewrite(archive_of_blog, duplicate_first_comment)
    manifest = json.loads(edited["manifest.json"])
    entry = manifest["tables"]["comments"]
    entry.update(
        sha256=hashlib.sha256(edited["tables/comments.jsonl"]).hexdigest(),
        size=len(edited["tables/comments.jsonl"]),
        rows=entry["rows"] + 1,
    )
    bad = tmp_path / "edited.tar.gz"
    bad.write_bytes(
        rewrite(
            archive_of_blog,
            lambda name, data: (
                json.dumps(manifest).encode() if name == "manifest.json" else edited[name]
            ),
        )
    )
    target = apps("sqlite-b")
    before = every_row(target)
    result = run(target, "restore", str(bad))
    assert result.exit_code != 0
    assert "restore failed, nothing changed: the database refused a row" in result.stderr
    assert every_row(target) == before
    media = Path(target.config["MEDIA_FOLDER"])
    assert not media.exists() or not any(media.rglob("*"))
