"""Real Jekyll as the oracle on whole sites (tests/site_oracle.py): every post of a real
blog's site, built by `jekyll build`, against what `flask posts import SITE_ROOT` makes of
the same files, body and excerpt, block by block.

tests/data/jekyll-sites/homebrew holds brew.sh's 45 posts (BSD-2-Clause) with the
project's own additions for what they lack: `{% include_cached %}`, `site.posts`,
`site.tags` and `site.categories`, kramdown tables with
separators and a footer, a footnote in an excerpt, a draft with `show_drafts`, a
`published: false` post with `unpublished`, a future post, Rouge line numbers set in the
kramdown options. The same site is built again with `kramdown.input: kramdown`.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

import pytest
from jekyll_oracle import JEKYLL, jekyll_build
from site_oracle import compare_site

from microblog.jekyll.settings import SiteSettings
from microblog.jekyll.site import load_site

SITES = Path(__file__).parents[1] / "data" / "jekyll-sites"
HOMEBREW = SITES / "homebrew"

pytestmark = pytest.mark.skipif(JEKYLL is None, reason="jekyll is not installed")


def test_every_post_of_a_real_blog_renders_as_jekyll_renders_it():
    result = compare_site(HOMEBREW)
    assert result.total == 49  # 45 posts, 3 of ours, the draft; the future post not yet
    assert result.alike == result.total, result.details()


def test_a_kramdown_input_site_renders_as_jekyll_renders_it(tmp_path):
    site = tmp_path / "homebrew-kramdown"
    shutil.copytree(HOMEBREW, site)
    config = site / "_config.yml"
    config.write_text(config.read_text().replace("kramdown:\n", "kramdown:\n  input: kramdown\n"))
    result = compare_site(site)
    assert result.total == 49
    assert result.alike == result.total, result.details()


def test_the_summary_names_the_settings_the_import_does_not_follow(tmp_path):
    (tmp_path / "_config.yml").write_text(
        "future: true\nkramdown:\n  input: GFM\n  math_engine: katex\n  header_offset: 1\n"
        "  hard_wrap: false\n  auto_ids: false\n"
        "plugins:\n  - jekyll-feed\n  - jemoji\n  - jekyll-mentions\n"
    )
    (tmp_path / "_plugins").mkdir()
    (tmp_path / "_plugins" / "anchors.rb").write_text("# changes kramdown's headings\n")
    notes = "\n".join(load_site(tmp_path, SiteSettings()).config_notes())
    assert "plugins jemoji, jekyll-mentions (the import does not run them" in notes
    assert "its own _plugins (anchors.rb" in notes
    assert "jekyll-feed" not in notes
    assert "kramdown.math_engine: 'katex'" in notes
    assert "kramdown.header_offset: 1" in notes
    assert "future" not in notes  # followed: a later post is published now
    for followed in ("hard_wrap", "auto_ids", "input"):
        assert f"kramdown.{followed}" not in notes


def test_the_posts_collection_permalink_wins_for_posts_and_pages_keep_the_sites(tmp_path):
    # jekyllrb.com's own site: `collections: posts: permalink:` beside `permalink: pretty`
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text(
        "permalink: pretty\ncollections:\n  posts:\n    permalink: /news/:year/:month/:title/\n"
    )
    (site / "_posts" / "2024-03-01-hello.md").write_text("---\ntitle: Hello\n---\nHi.\n")
    (site / "about.md").write_text("---\ntitle: About\n---\nMe.\n")
    result = compare_site(site)
    assert (result.alike, result.total) == (1, 1), result.details()
    built = tmp_path / "built"
    jekyll_build(site, built)
    assert (built / "news" / "2024" / "03" / "hello" / "index.html").is_file()
    page = load_site(site, SiteSettings()).page_url(PurePosixPath("about.md"))
    assert page == "/about/"
    assert (built / "about" / "index.html").is_file()


def test_liquid_ruby_reads_leniently_and_a_stray_undated_file_refuses_no_post(tmp_path):
    # bitcoincore.org: includes open with `{% capture /dev/null %}` (Ruby's Liquid names the
    # variable `dev`), a filter takes its arguments after a comma, and `_posts` holds a file
    # with no date in its name beside posts that list site.posts; CocoaPods' archive loops
    # `for post in site.posts reverse` (Ruby ignores the word: not `reversed`)
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_includes").mkdir()
    (site / "_config.yml").write_text("permalink: /:title/\n")
    (site / "_includes" / "keys.html").write_text(
        '{% capture /dev/null %}{% assign who = "Ann" %}{% endcapture %}'
        'Keys of {{ who }}: {{ "A$(X)" | replace, "$(X)", "B" }} [{{ dev | strip }}]\n'
    )
    (site / "_posts" / "2024-03-01-keys.md").write_text(
        "---\ntitle: Keys\n---\n{% include keys.html %}\n\n{{ site.posts | size }} posts:"
        " {% for p in site.posts reverse %}{{ p.title }} {% endfor %}\n"
    )
    (site / "_posts" / "2024-03-02-second.md").write_text("---\ntitle: Second\n---\nHi.\n")
    (site / "_posts" / "notes-on-scaling.md").write_text("---\ntitle: Notes\n---\nNo date.\n")
    result = compare_site(site)
    assert (result.alike, result.total) == (2, 2), result.details()
    assert list(result.refused) == ["_posts/notes-on-scaling.md"]
    assert "2 posts: Second Keys" in str(result.bodies), result.details()


def test_a_collection_of_the_sites_own_is_given_to_liquid(tmp_path):
    # bitcoincore.org's release list: a post that lists site.releases, sorted by a key
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_releases").mkdir()
    (site / "_config.yml").write_text(
        "collections:\n  releases:\n    output: true\ndefaults:\n  - scope:\n"
        "      type: releases\n    values:\n      lang: en\n"
    )
    for version, release in (("0.9.0", "[0, 9, 0]"), ("0.10.1", "[0, 10, 1]")):
        (site / "_releases" / f"{version}.md").write_text(
            f"---\ntitle: Core {version}\nrelease: {release}\n---\nNotes.\n"
        )
    (site / "_releases" / "notes.txt").write_text("no front matter: a static file\n")
    (site / "_posts" / "2024-03-01-releases.md").write_text(
        "---\ntitle: Releases\n---\n"
        "{% assign sorted = site.releases | sort: 'release' | reverse %}"
        "{% for r in sorted %}\n- {{ r.title }} at {{ r.url }} {{ r.lang }} {{ r.collection }}"
        " {{ r.slug }} {{ r.path }}\n{% endfor %}\n\n{{ site.releases | size }} releases\n"
    )
    result = compare_site(site)
    assert (result.alike, result.total) == (1, 1), result.details()
    assert "Core 0.10.1" in str(result.bodies[0].actual)


def test_with_future_true_a_later_post_is_published_now_as_jekyll_does(tmp_path):
    """`future: true`: Jekyll publishes the post dated 2999 at once, and lists it in
    `site.posts`; the import publishes it at the same address, and its Liquid sees it."""
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("future: true\n")
    (site / "_posts" / "2999-01-01-ahead.md").write_text("---\ntitle: Ahead\n---\nLater.\n")
    (site / "_posts" / "2024-01-01-list.md").write_text(
        "---\ntitle: List\n---\n{% for post in site.posts %}- {{ post.title }}\n{% endfor %}"
    )
    result = compare_site(site)
    assert (result.alike, result.total) == (2, 2), result.details()
    listed = next(c for c in result.bodies if c.name.endswith("list.md"))
    assert listed.expected == [("ul", ""), ("li", "Ahead"), ("li", "List")]
