"""Files and the editor together: the database is the truth once a post is edited in the
app; re-importing its file reports `conflict:` and leaves it, unless `--force`."""

from __future__ import annotations

import re
import shutil

from editor_helpers import posts_in_db, signed_in, update_post

FILE = "---\ntitle: Hello\ndate: 2025-01-01 10:00:00 +0000\n---\nFrom the file.\n"


def page_of(client, path: str) -> str:
    """A page without its comment form's per-visit token."""
    html = client.get(path).get_data(as_text=True)
    return re.sub(r'name="comment_token" value="[^"]*"', "", html)


def run_import(app, *args):
    """`flask posts import …` and its output."""
    return app.test_cli_runner().invoke(args=["posts", "import", *map(str, args)])


def test_an_app_edit_is_not_overwritten_by_a_re_import(app, client, write_post, tmp_path):
    path = write_post("2025-01-01-hello.md", FILE)
    assert "imported: " in run_import(app, path).output
    [post] = posts_in_db(app)
    author = signed_in(app)
    edited = update_post(
        author,
        post.id,
        title="Hello",
        body="Edited in the app.",
        tags="",
        published_at="2025-01-01T10:00:00",
    )
    assert edited.status_code == 303
    path.write_text(FILE.replace("From the file.", "The file changed too."))
    result = run_import(app, path)
    assert result.exit_code == 0
    assert f"conflict: {path}" in result.output
    assert posts_in_db(app)[0].body_source == "Edited in the app."
    assert "Edited in the app." in client.get(post.permalink).get_data(as_text=True)

    forced = run_import(app, "--force", path)
    assert f"updated: {path}" in forced.output
    assert posts_in_db(app)[0].body_source == "The file changed too.\n"


def test_export_then_import_force_makes_the_files_the_source_again(
    app, client, write_post, tmp_path, clock
):
    """The page after export, then import --force of the export, is the page before, to
    the "updated" date. The edit comes an hour after the import and the import a day after
    the edit, on the test's clock: as an author works, whatever the machine's speed (an
    edit within a second of its import is not counted as one: feeds.entries.EDIT_GRACE)."""
    path = write_post("2025-01-01-hello.md", FILE)
    run_import(app, path)
    [post] = posts_in_db(app)
    author = signed_in(app)
    clock.advance(hours=1)
    update_post(
        author,
        post.id,
        title="Hello, edited",
        body="Edited in the app.",
        tags="",
        published_at="2025-01-01T10:00:00",
    )
    page = page_of(client, post.permalink)
    assert "updated <time" in page and "Hello, edited" in page
    clock.advance(days=1)
    # An export goes into an empty folder (it refuses one holding files); the author then
    # makes it the working copy, in place of the old files.
    out = tmp_path / "exported"
    assert app.test_cli_runner().invoke(args=["posts", "export", str(out)]).exit_code == 0
    exported = out / "_posts" / "2025-01-01-hello.md"
    assert "title: Hello, edited\n" in exported.read_text()
    path.write_text(exported.read_text())
    shutil.rmtree(out)
    out = tmp_path
    assert "updated: " in run_import(app, "--force", out).output
    assert not posts_in_db(app)[0].edited_since_import
    assert page_of(client, post.permalink) == page
    assert "unchanged: " in run_import(app, out).output
