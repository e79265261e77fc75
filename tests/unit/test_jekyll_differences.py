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
    )
    assert rendering_differences(text, first_line=1) == []
