"""kramdown's block-level rules (microblog/jekyll/kramdown.py) against the HTML Jekyll 4.3 +
kramdown 2.4 wrote for the same texts (tests/kramdown_block_cases.py; the system test
tests/system/test_jekyll_oracle.py builds them with Jekyll at test time)."""

from __future__ import annotations

import pytest
from jekyll_oracle import structure
from kramdown_block_cases import BLOCK_CASES, EMPHASIS_CASES, SAME

from microblog.jekyll.markdown import render_post


@pytest.mark.parametrize(("text", "gfm_html", "kramdown_html"), BLOCK_CASES)
def test_blocks_render_as_jekyll_wrote_them(text, gfm_html, kramdown_html):
    assert structure(render_post(text)[0]) == structure(gfm_html)
    expected = gfm_html if kramdown_html is SAME else kramdown_html
    assert structure(render_post(text, gfm=False)[0]) == structure(expected)


def test_a_definitions_first_paragraph_is_bare_unless_a_blank_line_comes_before():
    html = render_post("term\n: tight\n\n    more\n\nterm\n\n: loose\n")[0]
    assert "<dd>tight\n<p>more</p>" in html.replace("<dd>\n", "<dd>")
    assert "<dd>\n<p>loose</p>\n</dd>" in html
    assert "\ue000" not in html


@pytest.mark.parametrize("gfm", [True, False])
def test_attributes_jekyll_writes(gfm):
    """What the block structure does not show (jekyll build wrote these attributes)."""
    # kramdown numbers each list from 1; an attribute list sets start
    html = render_post('3. three\n\npara\n\n2. x\n{: start="5"}\n', gfm=gfm)[0]
    assert "<ol>\n<li>three" in html
    assert '<ol start="5">' in html
    # a span IAL may run over a line break (ruby-lang.org's news)
    html = render_post('![i](/i.gif){:\n.icon width="70"} text\n', gfm=gfm)[0]
    assert '<img alt="i" class="icon" src="/i.gif" width="70"> text' in html
    # an end-of-block marker inside an HTML block is the HTML's text
    assert "int x\n^\n</pre>" in render_post("<pre>\nint x\n^\n</pre>\n", gfm=gfm)[0]


@pytest.mark.parametrize(("text", "html"), EMPHASIS_CASES)
def test_emphasis_runs_as_jekyll_wrote_them(text, html):
    assert render_post(text)[0] == html
    assert render_post(text, gfm=False)[0] == html


def test_an_ials_language_class_highlights_a_code_block_that_has_none():
    """`{: .language-ruby}` under indented code (or a fence with no language): Jekyll writes
    `<div class="language-ruby highlighter-rouge">`, Rouge's tokens, no plaintext class; a
    fence's own language stays, the IAL's language class dropped (checked with jekyll build)."""
    for gfm in (True, False):
        html = render_post('text\n\n    def f(x) = x + "a"\n{: .language-ruby}\n', gfm=gfm)[0]
        assert '<div class="language-ruby highlighter-rouge">' in html
        assert '<span class="k">def</span>' in html and "plaintext" not in html
    html = render_post("```js\nvar a\n```\n{: .language-ruby .big}\n")[0]
    assert '<div class="language-js big highlighter-rouge">' in html
