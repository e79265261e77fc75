"""The rendering differences the import names (microblog/jekyll/differences.py): each is
found where it is, with its file line, and a plain post gets no warning."""

from __future__ import annotations

import pytest

from microblog.jekyll.differences import rendering_differences


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        (
            '<figure markdown="1">\n  ![](x.png)\n  <caption>It\'s</caption>\n</figure>\n',
            "HTML inside",
            5,
        ),
        ("no [boxing](https://w.org/Type_(object\\)#Boxing) or\n", "an escaped ')'", 5),
        # jekyll build: `b&lt;/ol&gt;`, the rest in the <li>
        ("- Steps:\n\n  <ol><li>a\n  <li>b</ol>\n\nnext *para*\n", "with </ol> while a <li>", 8),
        ("- See:\n\n  <p>a<br />\n  <pre><code></p>\n  x = 1\n", "with </p> while a <code>", 8),
    ],
)
def test_each_known_difference_is_named_with_its_line(text, words, line):
    warnings = rendering_differences(text, first_line=5)
    assert len(warnings) == 1 and words in warnings[0]
    assert warnings[0].startswith(f"line {line}: ")


def test_plain_posts_and_code_get_no_warning():
    text = (
        "A *post* with `__init__` and snake_case_name.\n\n```\n___ in code\n```\n\n- a\n- b\n"
        "\nFixed ::<unnamed union>::field and a stray </a>.\n"  # rendered as kramdown does
        # bitcoincore.org's TOC include: parsed as kramdown parses it (spans, #26)
        '\n<section class="toc">\n  <h3>Overview</h3>\n<div markdown="1">\n'
        "* TOC\n{:toc}\n</div>\n</section>\n"
    )
    assert rendering_differences(text, first_line=1) == []
    # blog.cocoapods.org, swift.org, bitcoincore.org: rendered as kramdown does (spans)
    html = (
        "<ul>\n  <li>\n    <p<There b. </p>\n  </li>\n</ul>\n\nthe <code>``Name``</code> syntax\n"
        '\n<link rel="alternate" href="/r.xml">\n<div>\n</div>\n'
    )
    assert rendering_differences(html, first_line=1) == []
    # end tags that close the innermost element only, as kramdown pairs them, and raw HTML
    # at a line's start that the app renders as kramdown does (rubyonrails.org's early posts)
    paired = (
        "<ol><li>a</li>\n<li>b</li></ol>\n\n<p>a <b>b</b> <br> c</p>\n\n<div>\n"
        "<pre><code>x</code></pre>\n</div>\n\nstray </p> in a paragraph\n\n"
        "<p>See:<br />\n<pre><code></p>\nx = 1\n</code></pre>\n"
    )
    assert rendering_differences(paired, first_line=1) == []


def test_a_difference_an_include_brings_is_named_too(tmp_path):
    from microblog.jekyll.liquid import SiteContext
    from microblog.jekyll.post_file import SiteSettings, parse_post

    includes = tmp_path / "_includes"
    includes.mkdir()
    (includes / "toc.html").write_text(
        '<figure markdown="1">\n  ![](x.png)\n  <caption>It\'s</caption>\n</figure>\n'
    )
    post = tmp_path / "2024-01-01-meeting.md"
    post.write_text("---\ntitle: Meeting\n---\n{% include toc.html %}\n\n## Topics\n")
    source = parse_post(
        post.read_bytes(), post, SiteSettings(), site=SiteContext(includes_dir=includes)
    )
    assert source.warnings == [
        'in the text its Liquid gives, line 1: HTML inside a markdown="1" element (kramdown'
        " leaves it raw: no typographic quotes): Jekyll may show it otherwise"
    ]


def test_a_heading_with_markup_is_named_where_a_plugin_rewrites_headings():
    """swift.org's _plugins/convert-header.rb writes a heading's HTML into an anchor's title,
    where `<code>` ends the attribute and shows as text; a heading with a link it leaves."""
    from microblog.jekyll.differences import heading_plugin_differences

    plugins = ("convert-header.rb",)
    text = "Intro\n\n### Plain title\n\n```\n## `in` code\n```\n\n#### New `Sequence` members\n"
    warnings = heading_plugin_differences(text, 3, plugins)
    assert len(warnings) == 1 and warnings[0].startswith("line 11: a heading holding markup")
    assert "convert-header.rb" in warnings[0]
    assert heading_plugin_differences(text, 3, ()) == []
    near_misses = "### Plain\n\n## [`x`](https://x.org) link\n\nA `code` line\n\n#snake_case\n"
    assert heading_plugin_differences(near_misses, 1, plugins) == []


def test_the_site_names_its_own_plugins_that_rewrite_headings(tmp_path):
    from microblog.jekyll.site_plugins import header_plugins

    (tmp_path / "_plugins").mkdir()
    (tmp_path / "_plugins" / "convert-header.rb").write_text(
        "module Kramdown\n  module Converter\n    class Html\n      def convert_header(el, i)\n"
    )
    (tmp_path / "_plugins" / "tags.rb").write_text("class Tag < Liquid::Tag\nend\n")
    assert header_plugins(tmp_path) == ("convert-header.rb",)
    assert header_plugins(tmp_path / "nowhere") == ()


def test_a_fence_right_under_an_items_fence_is_named():
    # gfx-rs.github.io: kramdown keeps both blocks, and the list, in the item
    text = "  * Unity3D\n```c\nx\n```\n```c\ny\n```\n  * Irrlight\n"
    (warning,) = rendering_differences(text, 10)
    assert warning.startswith("line 14: a fenced code block right under an item's fenced code")
    # not after a paragraph, nor after a blank line under the item
    assert rendering_differences("para\n```\nx\n```\n```\ny\n```\n", 1) == []
    assert rendering_differences("- a\n\n```\nx\n```\n```\ny\n```\n", 1) == []
