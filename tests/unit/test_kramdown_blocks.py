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


@pytest.mark.parametrize(("text", "html"), EMPHASIS_CASES)
def test_emphasis_runs_as_jekyll_wrote_them(text, html):
    assert render_post(text)[0] == html
    assert render_post(text, gfm=False)[0] == html
