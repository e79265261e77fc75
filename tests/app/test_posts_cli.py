"""Posts that can leave and files that move: `flask posts delete`, `import --prune`, a
renamed file keeping its post and comments, and `conflict:` for posts edited in the app."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from microblog.extensions import db
from microblog.jekyll.settings import SiteSettings
from microblog.models import Comment, CommentStatus, Post
from microblog.posts.writer import PostWriter


def post_file(title: str, permalink: str | None = None) -> str:
    own = f"permalink: {permalink}\n" if permalink else ""
    return f"---\ntitle: {title}\n{own}---\n{title} body.\n"


def comment_on(app, permalink: str, words: str = "Lovely post.") -> None:
    with app.app_context():
        post_id = db.session.execute(
            select(Post.id).where(Post.permalink == permalink)
        ).scalar_one()
        db.session.add(
            Comment(
                post_id=post_id,
                author_name="Ada",
                body_source=words,
                body_html=f"<p>{words}</p>",
                status=CommentStatus.APPROVED,
                created_at=datetime(2025, 1, 2, tzinfo=UTC),
            )
        )
        db.session.commit()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def edit_in_app(app, permalink: str, body: str) -> None:
    """What the editor will do: load the post, change its body, save over its version."""
    with app.app_context():
        post = db.session.execute(select(Post).where(Post.permalink == permalink)).scalar_one()
        posts = PostWriter(SiteSettings.from_config(app.config))
        draft = posts.input_of(post.id)
        draft.body = body
        posts.save(draft, post_id=post.id, expected_version=post.version)
        db.session.commit()


def test_delete_asks_then_removes_the_post_and_its_comments(
    app, client, runner, write_post, import_posts
):
    import_posts(write_post("2025-01-01-bye.md", post_file("Bye")))
    permalink = "/posts/2025/01/bye/"
    comment_on(app, permalink)
    refused = runner.invoke(args=["posts", "delete", permalink], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert client.get(permalink).status_code == 200

    result = runner.invoke(args=["posts", "delete", permalink], input="y\n")
    assert result.exit_code == 0, result.output
    assert f"removed: {permalink} (1 comment(s))" in result.output.splitlines()
    assert client.get(permalink).status_code == 410
    assert (count(app, Post), count(app, Comment)) == (0, 0)
    assert permalink not in client.get("/feed.xml").get_data(as_text=True)


def test_delete_with_yes_does_not_ask_and_an_unknown_permalink_deletes_nothing(
    app, runner, write_post, import_posts
):
    import_posts(write_post("2025-01-01-a.md", post_file("A")))
    import_posts(write_post("2025-01-02-b.md", post_file("B")))
    unknown = runner.invoke(args=["posts", "delete", "--yes", "/posts/2025/01/a/", "/nope/"])
    assert unknown.exit_code == 1
    assert "not found: /nope/" in unknown.output
    assert count(app, Post) == 2
    # Without its trailing slash the permalink is still found.
    done = runner.invoke(args=["posts", "delete", "--yes", "/posts/2025/01/a", "/posts/2025/01/b/"])
    assert done.exit_code == 0, done.output
    assert [
        line.split(" (")[0] for line in done.output.splitlines() if line.startswith("removed")
    ] == [
        "removed: /posts/2025/01/a/",
        "removed: /posts/2025/01/b/",
    ]
    assert count(app, Post) == 0


def test_a_reimport_notes_gone_files_and_prune_removes_them(
    app, client, runner, write_post, import_posts
):
    keep = write_post("2025-01-01-keep.md", post_file("Keep"))
    gone = write_post("2025-01-02-gone.md", post_file("Gone"))
    import_posts(keep.parent)
    comment_on(app, "/posts/2025/01/gone/")
    gone.unlink()

    again = import_posts(keep.parent)
    assert "note: 1 post imported from under" in again.output
    assert "--prune removes them" in again.output
    assert client.get("/posts/2025/01/gone/").status_code == 200

    dry = runner.invoke(args=["posts", "import", "--prune", "--dry-run", str(keep.parent)])
    assert f"removed: {gone}: its file is gone" in dry.output
    assert count(app, Post) == 2

    pruned = import_posts("--prune", keep.parent)
    removed = [line for line in pruned.output.splitlines() if line.startswith("removed:")]
    assert removed == [
        f"removed: {gone}: its file is gone; /posts/2025/01/gone/ removed with 1 comment"
    ]
    assert "1 removed" in pruned.output.splitlines()[-1]
    assert client.get("/posts/2025/01/gone/").status_code == 410
    assert client.get("/posts/2025/01/keep/").status_code == 200
    assert count(app, Comment) == 0


def test_prune_looks_only_under_the_paths_given(app, client, tmp_path, import_posts):
    one, two = tmp_path / "one" / "_posts", tmp_path / "two" / "_posts"
    for folder, name in [(one, "2025-01-01-one.md"), (two, "2025-01-02-two.md")]:
        folder.mkdir(parents=True)
        (folder / name).write_text(post_file(name[11:-3].title()), encoding="utf-8")
        import_posts(folder)
    (two / "2025-01-02-two.md").unlink()
    result = import_posts("--prune", one)
    assert "removed:" not in result.output
    assert client.get("/posts/2025/01/two/").status_code == 200


def test_a_renamed_file_with_its_own_permalink_keeps_its_post_and_comments(
    app, client, write_post, import_posts
):
    old = write_post("2025-01-01-draft-name.md", post_file("Kept", permalink="/kept/"))
    import_posts(old)
    comment_on(app, "/kept/", "First!")
    new = old.with_name("2025-01-01-final-name.md")
    old.rename(new)
    result = import_posts("--prune", new.parent)
    assert result.output.splitlines()[0] == (
        f"updated: {new}: renamed from {old}, keeps its post and comments"
    )
    assert "removed:" not in result.output
    assert count(app, Post) == 1
    assert "First!" in client.get("/kept/").get_data(as_text=True)
    # The next import knows the new name: unchanged.
    assert import_posts(new).output.startswith(f"unchanged: {new}")


def test_a_post_edited_in_the_app_is_a_conflict_on_reimport_unless_forced(
    app, client, write_post, import_posts
):
    path = write_post("2025-01-01-both.md", post_file("Both"))
    import_posts(path)
    edit_in_app(app, "/posts/2025/01/both/", "Edited in the app.")
    # The file did not change: nothing to overwrite.
    assert import_posts(path).output.startswith(f"unchanged: {path}")
    path.write_text(post_file("Both") + "\nEdited in the file.\n", encoding="utf-8")
    result = import_posts(path)
    assert result.output.splitlines()[0] == (
        f"conflict: {path}: the post was edited in the app since its last import; "
        "--force overwrites it"
    )
    assert "1 conflict" in result.output.splitlines()[-1]
    assert "Edited in the app." in client.get("/posts/2025/01/both/").get_data(as_text=True)
    forced = import_posts("--force", path)
    assert forced.output.startswith(f"updated: {path}")
    page = client.get("/posts/2025/01/both/").get_data(as_text=True)
    assert "Edited in the file." in page and "Edited in the app." not in page
    assert import_posts(path).output.startswith(f"unchanged: {path}")


def test_prune_keeps_a_post_edited_in_the_app_unless_forced(app, client, write_post, import_posts):
    path = write_post("2025-01-01-mine.md", post_file("Mine"))
    import_posts(path.parent)
    edit_in_app(app, "/posts/2025/01/mine/", "Mine now.")
    path.unlink()
    kept = import_posts("--prune", path.parent)
    assert kept.output.splitlines()[0].startswith(f"conflict: {path}: its file is gone")
    assert client.get("/posts/2025/01/mine/").status_code == 200
    forced = import_posts("--prune", "--force", path.parent)
    assert forced.output.splitlines()[0].startswith(f"removed: {path}")
    assert client.get("/posts/2025/01/mine/").status_code == 410
