"""`flask posts import` as the author runs it, and the pages it makes."""

from __future__ import annotations

import re

from conftest import EXAMPLE_POST, SAMPLE_POSTS
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Post

SUMMARY = re.compile(
    r"^(\d+) imported, (\d+) updated, (\d+) unchanged, (\d+) skipped, (\d+) failed "
    r"\((\d+) files in [\d.]+ s, \d+ posts/s\)",
    re.MULTILINE,
)


def counts(output: str) -> tuple[int, ...]:
    """The summary line's numbers: imported, updated, unchanged, skipped, failed, files."""
    match = SUMMARY.search(output)
    assert match, output
    return tuple(int(n) for n in match.groups())


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id)))


def test_example_post_through_the_cli_and_over_http(client, import_posts):
    result = import_posts(EXAMPLE_POST)
    assert result.output.splitlines()[0] == f"imported: {EXAMPLE_POST}"
    assert counts(result.output) == (1, 0, 0, 0, 0, 1)

    response = client.get("/posts/2025/09/alg-blog-post-2/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 class="p-name">ALG Blog 2: How Generative AI Works and How It Fails</h1>' in page
    assert "30 September 2025" in page
    for slug, name in [
        ("generative-ai", "Generative AI"),
        ("langauge-models", "Langauge Models"),
        ("deep-learning", "Deep learning"),
    ]:
        assert f'<a href="/tags/{slug}/" rel="tag" class="p-category">{name}</a>' in page
        assert client.get(f"/tags/{slug}/").status_code == 200
    body = page.split('<div class="post-body e-content">')[1].split("</article>")[0]
    assert body.count("<h2") == 5
    assert '<h2 id="case-study-summary">Case Study Summary</h2>' in body
    assert 'href="https://mit-serc.pubpub.org/pub/f3o5mpn6/release/1?readingCollection=' in body
    assert "permalink:" not in page and "tags:" not in page and "<hr" not in body
    # The index shows the first paragraph as the excerpt.
    index = client.get("/").get_data(as_text=True)
    assert "<p>Generative AI and the Question of Fairness</p>" in index
    assert client.get("/posts/2025/09/alg-blog-post-2").status_code == 301


def test_reimport_is_unchanged_then_updated_after_an_edit(app, write_post, import_posts):
    path = write_post("2025-01-01-note.md", "---\ntitle: Note\n---\nFirst.\n")
    assert import_posts(path).output.startswith(f"imported: {path}\n")
    again = import_posts(path)
    assert again.output.startswith(f"unchanged: {path}\n")
    assert counts(again.output) == (0, 0, 1, 0, 0, 1)
    path.write_text("---\ntitle: Note, edited\n---\nSecond.\n", encoding="utf-8")
    edited = import_posts(path.parent)
    assert edited.output.startswith(f"updated: {path}\n")
    assert post_count(app) == 1
    with app.app_context():
        post = db.session.execute(select(Post)).scalar_one()
        assert (post.title, post.body_html) == ("Note, edited", "<p>Second.</p>")


def test_folders_are_searched_and_every_file_gets_a_line(write_post, import_posts, tmp_path):
    write_post("2025-01-01-a.md", "---\ntitle: A\n---\n")
    (tmp_path / "_posts" / "2025").mkdir()
    write_post("2025/2025-01-02-b.markdown", "---\ntitle: B\n---\n")
    write_post("2025-01-03-c.html", "---\ntitle: C\n---\n<p>C</p>\n")
    write_post("notes.txt", "not a post")
    result = import_posts(tmp_path / "_posts")
    lines = result.output.splitlines()
    assert sorted(line.split(": ")[0] for line in lines[:-2]) == [
        "imported",
        "imported",
        "imported",
        "skipped",
    ]
    assert any(line.startswith("skipped: ") and "notes.txt" in line for line in lines)
    # Before the summary, each kind of refusal once, with its count and its files.
    assert lines[-2] == (
        "skipped (1): not a Markdown or HTML file (…); posts are .md, .markdown or .html: "
        f"{tmp_path / '_posts' / 'notes.txt'}"
    )
    assert counts(result.output) == (3, 0, 0, 1, 0, 4)


def test_the_summary_names_each_kind_of_refusal_once(write_post, import_posts, tmp_path):
    for day in (1, 2, 3):
        write_post(f"2025-01-0{day}-bad.md", f"---\ntitle: [unclosed {day}\n---\n")
    write_post("2025-02-30-no-such-day.md", "---\ntitle: x\n---\n")
    lines = import_posts(tmp_path / "_posts", expect_ok=False).output.splitlines()
    kinds = [line for line in lines if line.startswith(("failed (", "skipped ("))]
    folder = tmp_path / "_posts"
    assert kinds[0].startswith("failed (3): front matter is not valid YAML at line …, column …")
    assert kinds[0].endswith(", ".join(str(folder / f"2025-01-0{d}-bad.md") for d in (1, 2, 3)))
    assert kinds[1].startswith("failed (1): the file name's date … does not exist")
    assert len(kinds) == 2


def test_a_failed_file_sets_the_exit_status_but_good_files_still_import(
    app, client, write_post, import_posts
):
    good = write_post("2025-01-01-good.md", "---\ntitle: Good\n---\nFine.\n")
    bad = write_post("2025-01-02-bad.md", "---\ntitle: 'It's broken'\n---\n")
    result = import_posts(good, bad, expect_ok=False)
    assert result.exit_code == 1
    assert f"imported: {good}" in result.output.splitlines()
    failed = [line for line in result.output.splitlines() if line.startswith("failed: ")]
    assert failed == [f"failed: {bad}: {failed[0].split(': ', 2)[2]}"]
    assert "not valid YAML" in failed[0]
    assert counts(result.output) == (1, 0, 0, 0, 1, 2)
    assert client.get("/posts/2025/01/good/").status_code == 200


def test_skipped_files_alone_exit_zero(write_post, import_posts):
    result = import_posts(write_post("2025-01-01-plain.txt", "Not a post.\n"))
    assert result.output.startswith("skipped: ")
    assert counts(result.output) == (0, 0, 0, 1, 0, 1)


def test_warnings_name_the_file(write_post, import_posts):
    path = write_post("2025-01-01-liquid.md", "---\ntitle: L\n---\n{% include x.html %}\n")
    lines = import_posts(path).output.splitlines()
    assert lines[:2] == [
        f"imported: {path}",
        f"warning: {path}: line 4: {{% include x.html %}} left out: no _includes folder"
        " (import the whole site to have it)",
    ]


def test_dry_run_changes_nothing(app, client, write_post, runner):
    path = write_post("2025-01-01-dry.md", "---\ntitle: Dry\n---\n")
    result = runner.invoke(args=["posts", "import", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"imported: {path}\n")
    assert "dry run, nothing was changed" in result.output
    assert post_count(app) == 0
    assert client.get("/posts/2025/01/dry/").status_code == 404


def test_if_empty_imports_only_into_an_empty_database(app, write_post, runner):
    first = runner.invoke(args=["posts", "import", "--if-empty", str(SAMPLE_POSTS)])
    assert first.exit_code == 0, first.output
    assert counts(first.output)[0] == 1
    path = write_post("2025-01-01-later.md", "---\ntitle: Later\n---\n")
    second = runner.invoke(args=["posts", "import", "--if-empty", str(path)])
    assert second.exit_code == 0
    assert second.output == "nothing imported: the database already holds posts (--if-empty)\n"
    assert post_count(app) == 1


def test_a_missing_path_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(args=["posts", "import", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_an_unknown_timezone_is_a_usage_error(make_app, write_post):
    app = make_app(TIMEZONE="Mars/Olympus_Mons")
    path = write_post("2025-01-01-a.md", "---\ntitle: A\n---\n")
    result = app.test_cli_runner().invoke(args=["posts", "import", str(path)])
    assert result.exit_code == 2
    assert "TIMEZONE 'Mars/Olympus_Mons'" in result.output
