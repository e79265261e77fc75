"""HTML inside a paragraph as kramdown reads it (microblog/jekyll/kramdown_html.py). Each
expected HTML is what `jekyll build` (Jekyll 4.3, kramdown 2.4) wrote for the same text;
tests/system/test_jekyll_oracle.py checks the same texts against Jekyll itself."""

from __future__ import annotations

import pytest

from microblog.jekyll.markdown import render_post


@pytest.mark.parametrize(
    ("text", "jekyll"),
    [
        # a tag kramdown does not know leaves the rest of the paragraph raw, closed at its end
        (
            'An unclosed <word> here and *emph* "after".',
            '<p>An unclosed <word> here and *emph* "after".</word></p>',
        ),
        (
            "Use List<String> for *names* here.",
            "<p>Use List<String> for *names* here.</String></p>",
        ),
        ("A <foo>x</FOO> y", "<p>A <foo>x&lt;/FOO&gt; y</foo></p>"),
        # an end tag that closes nothing is text
        (
            'A stray </a> closing tag "q" and *emph*.',
            "<p>A stray &lt;/a&gt; closing tag \u201cq\u201d and <em>emph</em>.</p>",
        ),
        ("A </b> x <b>y</b> </i>", "<p>A &lt;/b&gt; x <b>y</b> &lt;/i&gt;</p>"),
        # a tag left open is closed at the end of its paragraph
        ("A <b>bold <i>it</b> x", "<p>A <b>bold <i>it&lt;/b&gt; x</i></b></p>"),
        (
            'A <a href="u">link "q" *e*',
            '<p>A <a href="u">link \u201cq\u201d <em>e</em></a></p>',
        ),
        # raw content: escaped text, tags kept, code spans as written
        (
            '<u>a & b < c "q" &amp; <i>it *x*</i> `c`</u> and *y*.',
            '<p><u>a &amp; b &lt; c "q" &amp; <i>it *x*</i> `c`</u> and <em>y</em>.</p>',
        ),
        # markdown="0"/"1"/"span"/"block" on span elements, the attribute dropped
        (
            'A <span markdown="0">*r* "q"</span> <b markdown="span">*s*</b>'
            ' <kbd markdown="1">*k*</kbd> <kbd markdown="span">*k*</kbd>'
            ' <span markdown="block">*bl*</span>',
            '<p>A <span>*r* "q"</span> <b><em>s</em></b> <kbd>*k*</kbd>'
            " <kbd><em>k</em></kbd> <span><em>bl</em></span></p>",
        ),
        # span IALs, also inside link text
        (
            "[*x*{:.c}](u) and *y*{: .c #id}",
            '<p><a href="u"><em class="c">x</em></a> and <em class="c" id="id">y</em></p>',
        ),
    ],
)
def test_span_html_as_jekyll_writes_it(text, jekyll):
    assert render_post(text)[0] == jekyll


def test_tags_in_code_and_guillemets_stay_text():
    html = render_post("Code `<word word>` and <<guillemets>> and \\<not> a tag.")[0]
    assert html == (
        '<p>Code <code class="language-plaintext highlighter-rouge">&lt;word word&gt;</code>'
        " and \u00abguillemets\u00bb and &lt;not&gt; a tag.</p>"
    )


@pytest.mark.parametrize(
    "text",
    [
        "<b>open\n\nnext para",
        "| <b>x | y</b> |\n|---|---|\n| 1 | 2 |",
        "- <a href='u'>item\n- <i>other",
        "## Title <em>open",
        'A <textarea>swallows "the" page',
    ],
)
def test_no_element_is_left_open_for_the_rest_of_the_page(text):
    """kramdown closes what a paragraph leaves open; so does the app (a `<b>` or `<a>` left
    open would run on through the page's other posts and its footer)."""
    html = render_post(text)[0]
    opened = [tag for tag in ("b", "a", "i", "em", "textarea") if f"<{tag}" in html]
    for tag in opened:
        assert html.count(f"<{tag}>") + html.count(f"<{tag} ") == html.count(f"</{tag}>"), html


@pytest.mark.parametrize(
    ("text", "jekyll"),
    [
        # blog.cocoapods.org's Kommittee post: a malformed tag and its end tag are text
        (
            "<ul>\n  <li>\n    <p>a</p>\n    <p<There b. </p>\n    <p>c</p>\n  </li>\n</ul>",
            "<ul>\n  <li>\n    <p>a</p>\n    &lt;p&lt;There b. &lt;/p&gt;\n    <p>c</p>\n"
            "  </li>\n</ul>",
        ),
        # text escaped; comments and scripts as written; no tag to kramdown, or an end tag
        # closing nothing, is text
        (
            '<div>\na < b & c &amp; d > e "q"\n<!-- comment < -->\n'
            "<script>if (a < b && c) {}</script>\n<span>x</span></b>\n"
            '<img src=a.png> <span @click="x">z</span>\n</div>',
            '<div>\na &lt; b &amp; c &amp; d &gt; e "q"\n<!-- comment < -->\n'
            "<script>if (a < b && c) {}</script>\n<span>x</span>&lt;/b&gt;\n"
            '&lt;img src=a.png&gt; &lt;span @click="x"&gt;z&lt;/span&gt;\n</div>',
        ),
        (
            "<table>\n  <tr><td>a & b</td></tr>\n</table>\n</div>",
            "<table>\n  <tr><td>a &amp; b</td></tr>\n</table>\n<p>&lt;/div&gt;</p>",
        ),
    ],
)
def test_html_blocks_as_jekyll_writes_them(text, jekyll):
    assert render_post(text)[0] == jekyll


@pytest.mark.parametrize(
    ("text", "jekyll"),
    [
        ('{:ref: .ald title="T"}\nA *x*{:ref} b.', '<p>A <em class="ald" title="T">x</em> b.</p>'),
        ("A *x*{:r2} b.\n\n{:r2: .late}", '<p>A <em class="late">x</em> b.</p>'),
        (
            "A *x*{:undefined} b and *y*{: disabled .c}.",
            '<p>A <em>x</em> b and <em class="c">y</em>.</p>',
        ),
        (
            "{:note: .note #n1}\n\nPara one.\n{:note}",
            '<p class="note" id="n1">Para one.</p>',
        ),
    ],
)
def test_attribute_list_definitions_as_jekyll_reads_them(text, jekyll):
    """kramdown's `{:name: …}` defines an attribute list a later (or earlier) `{:name}`
    uses; a bare word naming none is left out."""
    assert render_post(text)[0] == jekyll


def test_toc_list_becomes_the_table_of_contents():
    """`* TOC\\n{:toc}` (a valueless attribute to Python-Markdown 3.11) is kramdown's
    table of contents: Jekyll writes `<ul id="markdown-toc">` with a link per heading."""
    html = render_post("* TOC\n{:toc}\n\n## Head\n\n### Sub\n")[0]
    assert html.startswith('<ul id="markdown-toc">\n<li><a href="#head" id="markdown-toc-head">')
    assert 'href="#sub"' in html and "TOC" not in html and " toc" not in html


def test_a_markdown_element_inside_an_html_block_is_parsed():
    """bitcoincore.org's table of contents: kramdown parses a `markdown="1"` element inside
    an HTML block it leaves raw (Jekyll: the TOC list with a link to #main)."""
    text = (
        '<section class="toc">\n  <header>\n    <h3>Overview</h3>\n  </header>\n'
        '<div markdown="1" class="toc-drawer">\n*  Auto generated table of contents\n{:toc}\n'
        "</div>\n</section>\n\n## Main\n\ntext\n"
    )
    html = render_post(text)[0]
    assert '<div class="toc-drawer">\n<ul id="markdown-toc">\n' in html
    assert '<li><a href="#main" id="markdown-toc-main">Main</a></li>' in html
    assert "Auto generated" not in html and "ial" not in html and "markdown=" not in html


def test_what_raw_html_holds_is_written_as_it_stands():
    # an attribute list line is text there; a code span inside <code> keeps its backticks
    assert "{: .c}" in render_post("<div>\n{: .c}\ntext\n</div>")[0]
    assert render_post("a <code>``X``</code> b")[0] == "<p>a <code>``X``</code> b</p>"


@pytest.mark.parametrize(
    "text",
    [
        '<link rel="alternate" href="/r.xml" title="R">\n<div class="download">\n</div>',
        'Para\n<link rel="x" href="y">\nmore',
        '<meta name="a" content="b">\n\nText',
    ],
)
def test_link_and_meta_lines_are_blocks_of_their_own(text):
    """bitcoincore.org's download pages: kramdown writes a `<link>` line as block HTML
    (Jekyll: `<link … />` alone, no empty paragraph around it), and it ends a paragraph."""
    html = render_post(text)[0]
    assert "<p><link" not in html and "<p><meta" not in html
    assert "<p>Para</p>" in html or "Para" not in text
