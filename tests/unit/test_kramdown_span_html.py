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
