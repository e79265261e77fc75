"""The importer against a real database: the corpus, re-imports, collisions, tags, caching."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.jekyll.post_file import SiteSettings
from microblog.models import Post, Redirect, SiteState, Tag
from microblog.posts.importer import Importer, import_paths

SLICE = Path(__file__).resolve().parent.parent / "data" / "jekyll-corpus"
SLICE_FOLDERS = ["jekyll-docs", "jekyll-tests", "minimal-mistakes", "synthetic"]
FULL_CORPUS = Path("/work/shared/corpus/jekyll-posts")
FULL_FOLDERS = ["academicpages", "jekyll-docs", "jekyll-now", "jekyll-tests", "minimal-mistakes"]


def outcome(output: str, root: Path) -> dict[str, str]:
    """file (relative to `root`) → its report line, from the CLI's output."""
    lines: dict[str, str] = {}
    for line in output.splitlines():
        status, _, rest = line.partition(": ")
        if status in {"imported", "updated", "unchanged", "skipped", "failed"}:
            name = rest[len(str(root)) + 1 :] if rest.startswith(str(root)) else rest
            lines[name.split(": ")[0] if status in {"skipped", "failed"} else name] = line
    return lines


def post_at(permalink: str) -> Post | None:
    return db.session.execute(select(Post).where(Post.permalink == permalink)).scalar_one_or_none()


def generation() -> int:
    return db.session.execute(select(SiteState.generation)).scalar_one()


def test_corpus_slice(app, client, import_posts):
    result = import_posts(*(SLICE / f for f in SLICE_FOLDERS), expect_ok=False)
    assert result.exit_code == 1
    lines = outcome(result.output, SLICE)
    status = {name: line.split(":")[0] for name, line in lines.items()}
    assert len(status) == 29

    # What Jekyll refuses, this refuses, and says why.
    assert "not valid YAML" in lines["synthetic/2014-08-14-broken-yaml.md"]
    assert "'1000-00-00' does not exist" in lines["synthetic/1000-00-00-impossible-date.md"]
    taken = lines["synthetic/2020-02-02-taken-permalink.md"]
    assert taken.startswith("failed") and "2019-08-04-jekyll-4-0-0-pre-beta1-released" in taken
    # What Jekyll would not treat as a post is skipped.
    for name, why in {
        "jekyll-tests/2009-06-22-no-yaml.markdown": "no front matter",
        "jekyll-tests/2013-08-01-mkdn-extension.mkdn": "no front matter",
        "jekyll-tests/2011-04-12-text-extension.text": "'.text'",
        "jekyll-tests/2008-02-03-wrong-extension.yml": "'.yml'",
    }.items():
        assert lines[name].startswith("skipped") and why in lines[name]
    assert sorted(n for n, s in status.items() if s == "failed") == [
        "synthetic/1000-00-00-impossible-date.md",
        "synthetic/2014-08-14-broken-yaml.md",
        "synthetic/2020-02-02-taken-permalink.md",
    ]
    assert sum(s == "imported" for s in status.values()) == 22
    assert "22 imported, 0 updated, 0 unchanged, 4 skipped, 3 failed" in result.output
    liquid = SLICE / "synthetic" / "2024-05-29-liquid.markdown"
    assert f"warning: {liquid}: line 16: {{% include footer.html %}} left out" in result.output

    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 22
        # BOM + CRLF and UTF-16 files import with their titles.
        assert post_at("/posts/2017/04/UTF8CRLFandBOM/").title == "UTF8CRLFandBOM"
        assert post_at("/posts/2017/04/Unicode16LECRLFandBOM/").title == "Unicode16CRLFandBOM"
        # The traversal permalink stays inside the site.
        assert post_at("/baddie.html") is not None
        # The broken and colliding files left nothing behind; the first owner kept its post.
        owner = post_at("/posts/2019/08/jekyll-4-0-0-pre-beta1-released/")
        assert owner.source_key == "2019-08-04-jekyll-4-0-0-pre-beta1-released.markdown"

    assert client.get("/baddie.html").status_code == 200
    page = client.get("/posts/2024/05/liquid/").get_data(as_text=True)
    assert "http://blog.example" in page and "/images/ on" in page
    assert '<figure class="highlight"><pre><code class="language-ruby" data-lang="ruby">' in page
    assert "{% include" not in page
    assert "{{ page.title }}" in page  # kept by {% raw %}
    old = client.get("/news/2019/07/20/jekyll-4-0-0-pre-beta1-released/")
    assert old.status_code == 301
    assert old.headers["Location"].endswith("/posts/2019/08/jekyll-4-0-0-pre-beta1-released/")
    # A draft and a post dated 9999 are stored but not served.
    assert client.get("/posts/2008/02/not-published/").status_code == 404
    assert client.get("/posts/9999/12/post-future-date/").status_code == 404
    # 41 tags, mixed case, each with its page.
    assert client.get("/tags/nailed-it/").status_code == 200


@pytest.mark.skipif(not FULL_CORPUS.is_dir(), reason="the shared corpus is not on this machine")
def test_full_corpus(app, import_posts):
    result = import_posts(*(FULL_CORPUS / f for f in FULL_FOLDERS), expect_ok=False)
    lines = outcome(result.output, FULL_CORPUS)
    failed = {name: line for name, line in lines.items() if line.startswith("failed")}
    skipped = {name for name, line in lines.items() if line.startswith("skipped")}
    assert len(lines) == 117
    # `date: 01-01-2020` is read as Ruby's Time.parse reads it (day first), as Jekyll does.
    assert sorted(failed) == [
        "academicpages/1000-00-00-future-post.md",
        "academicpages/20124-08-09-blog-post.md",
        "academicpages/2014-08-14-blog-post-0.md",
        "academicpages/2024-02-15.markdown",
    ]
    assert "not valid YAML" in failed["academicpages/2014-08-14-blog-post-0.md"]
    assert "2012-08-14-blog-post-1.md" in failed["academicpages/2024-02-15.markdown"]
    assert skipped == {
        "academicpages/.template",
        "academicpages/2015-8-15-blog-post-5.md",
        "jekyll-now/ 2015-28-10-Hello-World2.md",
        "jekyll-now/1-22-2019",
        "jekyll-tests/2008-02-03-wrong-extension.yml",
        "jekyll-tests/2009-06-22-no-yaml.markdown",
        "jekyll-tests/2011-04-12-text-extension.text",
        "jekyll-tests/2013-08-01-mkdn-extension.mkdn",
        "jekyll-tests/2013-12-20-properties.text",
        "jekyll-tests/es__2008-11-21-nested.markdown",
        "minimal-mistakes/2022-06-29-피터모빌의 UX 7요소.md",
    }
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 117 - 11 - 4
        traversal = db.session.execute(
            select(Post.permalink).where(Post.source_key == "2014-01-06-permalink-traversal.md")
        ).scalar_one()
        assert traversal == "/baddie.html"


def test_reimport_updates_in_place_and_only_changes_when_something_changed(app, write_post):
    path = write_post("2020-01-02-hello.md", "---\ntitle: Hello\ntags: [a, b]\n---\nHi\n")
    settings = SiteSettings.from_config(app.config)
    with app.app_context():
        start = generation()
        assert [r.status for r in import_paths([path], settings).results] == ["imported"]
        after_import = generation()
        assert after_import > start
        assert [r.status for r in import_paths([path], settings).results] == ["unchanged"]
        assert generation() == after_import

        path.write_text("---\ntitle: Hello again\ntags: [b, c]\n---\nHi\n", encoding="utf-8")
        assert [r.status for r in import_paths([path], settings).results] == ["updated"]
        assert generation() > after_import
        posts = db.session.execute(select(Post)).scalars().all()
        assert [(p.title, p.tag_names) for p in posts] == [("Hello again", ["b", "c"])]
        assert sorted(t.slug for t in posts[0].tags) == ["b", "c"]
        # A changed setting that shapes the post renders it again.
        moved = SiteSettings(site_url=settings.site_url, permalink="pretty")
        result = import_paths([path], moved).results[0]
        assert (result.status, result.permalink) == ("updated", "/2020/01/02/hello/")


def test_tags_are_shared_by_slug_and_keep_the_first_spelling(app, write_post):
    one = write_post("2020-01-01-one.md", "---\ntitle: One\ntags: [Deep learning]\n---\n")
    two = write_post(
        "2020-01-02-two.md", "---\ntitle: Two\ntags: [DEEP LEARNING, deep-learning]\n---\n"
    )
    with app.app_context():
        import_paths([one, two], SiteSettings.from_config(app.config))
        tags = db.session.execute(select(Tag)).scalars().all()
        assert [(t.name, t.slug, len(t.posts)) for t in tags] == [
            ("Deep learning", "deep-learning", 2)
        ]
        two_post = db.session.execute(select(Post).where(Post.title == "Two")).scalar_one()
        assert two_post.tag_names == ["DEEP LEARNING"]


def test_a_permalink_taken_by_an_earlier_import_is_refused(app, write_post, tmp_path):
    first = write_post("2020-01-01-first.md", "---\ntitle: First\npermalink: /same/\n---\nA\n")
    other = tmp_path / "other"
    other.mkdir()
    second = other / "2021-01-01-second.md"
    second.write_text("---\ntitle: Second\npermalink: /same/\n---\nB\n", encoding="utf-8")
    settings = SiteSettings.from_config(app.config)
    with app.app_context():
        import_paths([first], settings)
        result = import_paths([second], settings).results[0]
        assert result.status == "failed"
        assert "/same/ is already the address of 2020-01-01-first.md" in result.reason
        assert post_at("/same/").title == "First"


def test_two_files_with_the_same_key_do_not_overwrite_each_other(app, tmp_path):
    for folder, title in [("a", "From A"), ("b", "From B")]:
        posts = tmp_path / folder / "_posts"
        posts.mkdir(parents=True)
        (posts / "2020-01-01-same.md").write_text(f"---\ntitle: {title}\n---\n", encoding="utf-8")
    with app.app_context():
        report = import_paths(
            [tmp_path / "a", tmp_path / "b"], SiteSettings.from_config(app.config)
        )
        assert [r.status for r in report.results] == ["imported", "failed"]
        assert "same name" in report.results[1].reason
        assert [p.title for p in db.session.execute(select(Post)).scalars()] == ["From A"]


def test_a_post_can_move_its_permalink_and_another_can_take_the_old_one(app, write_post):
    a = write_post("2020-01-01-a.md", "---\ntitle: A\npermalink: /x/\n---\n")
    settings = SiteSettings.from_config(app.config)
    with app.app_context():
        import_paths([a], settings)
        a.write_text(
            "---\ntitle: A\npermalink: /y/\nredirect_from: /x-old/\n---\n", encoding="utf-8"
        )
        b = write_post(
            "2020-01-02-b.md", "---\ntitle: B\npermalink: /x/\nredirect_from: /x-old/\n---\n"
        )
        report = import_paths([a, b], settings)
        assert [r.status for r in report.results] == ["updated", "imported"]
        assert "redirect_from /x-old/ ignored" in report.results[1].warnings[0]
        assert post_at("/y/").title == "A" and post_at("/x/").title == "B"
        assert db.session.execute(select(Redirect.path)).scalars().all() == ["/x-old/"]


def test_dry_run_changes_nothing(app, write_post):
    path = write_post("2020-01-01-a.md", "---\ntitle: A\ntags: [t]\n---\n")
    with app.app_context():
        start = generation()
        report = import_paths([path], SiteSettings.from_config(app.config), dry_run=True)
        assert [r.status for r in report.results] == ["imported"]
        assert db.session.scalar(select(func.count(Post.id))) == 0
        assert db.session.scalar(select(func.count(Tag.id))) == 0
        assert generation() == start


def test_importer_api_takes_bytes_and_commits_in_batches(app):
    with app.app_context():
        importer = Importer(SiteSettings.from_config(app.config), batch_size=2)
        for day in range(1, 6):
            text = f"---\ntitle: Day {day}\ntags: [seed]\n---\nBody {day}\n"
            importer.add_bytes(text.encode(), f"_posts/2020-01-0{day}-day.md")
        report = importer.close()
        # Five files asking for the same permalink: the first gets it.
        assert [r.status for r in report.results] == ["imported"] + ["failed"] * 4
        assert "already the address of 2020-01-01-day.md" in report.results[1].reason
        importer = Importer(SiteSettings.from_config(app.config), batch_size=2)
        for day in range(1, 6):
            text = f"---\ntitle: Day {day}\ntags: [seed]\n---\nBody {day}\n"
            importer.add_bytes(text.encode(), f"_posts/2020-01-0{day}-day{day}.md")
        assert [r.status for r in importer.close().results] == ["imported"] * 5
        db.session.remove()
        assert db.session.scalar(select(func.count(Post.id))) == 6


def test_an_import_shows_on_pages_cached_before_it(app, client, write_post, import_posts):
    assert "Fresh post" not in client.get("/").get_data(as_text=True)
    import_posts(write_post("2020-01-01-fresh.md", "---\ntitle: Fresh post\n---\nNew.\n"))
    assert "Fresh post" in client.get("/").get_data(as_text=True)
