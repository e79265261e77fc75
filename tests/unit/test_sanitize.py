"""The sanitiser: one table of hostile input, held to the same rules with both backends."""

from __future__ import annotations

import pytest
from hostile_input import GOOD, HOSTILE, assert_inert

from microblog.comments.sanitize import (
    BACKENDS,
    clean_html,
    count_links,
    render_comment,
)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_markdown_input_comes_out_inert(backend, case):
    assert_inert(render_comment(HOSTILE[case], backend))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_html_is_cleaned_by_the_backend_itself(backend, case):
    """The allow-list holds even for raw HTML that did not pass through Markdown."""
    assert_inert(clean_html(HOSTILE[case], backend))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("source", "expected"), GOOD)
def test_the_markdown_subset(backend, source, expected):
    assert render_comment(source, backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_disallowed_tags_keep_their_text_but_not_script_content_as_markup(backend):
    html = clean_html("<h1>Title</h1><div><span>kept</span></div>", backend)
    assert "Title" in html and "kept" in html
    assert "<h1" not in html and "<div" not in html and "<span" not in html


def test_count_links():
    html = render_comment("https://a.example and [b](https://b.example) and `https://c`")
    assert count_links(html) == 2


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="SANITIZER"):
        clean_html("<p>x</p>", "nope")
