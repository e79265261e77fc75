"""kramdown's `$$` math rendered to MathML at write time (microblog/jekyll/tex.py): laid
out by the browser, the TeX kept beside it, and TeX that cannot be rendered kept as text
with a warning instead of failing the post."""

from __future__ import annotations

import xml.etree.ElementTree as etree
from html import escape as html_escape

import pytest

from microblog.jekyll.markdown import render_post
from microblog.jekyll.tex import MAX_FORMULA, MAX_TEX_PER_TEXT, unrendered_math


def maths(html: str) -> list[etree.Element]:
    """The `<math>` elements of a rendered body (it is well-formed apart from entities)."""
    root = etree.fromstring(f"<root>{html}</root>".replace("&nbsp;", "\u00a0"))
    return list(root.iter("math"))


def test_block_and_inline_math_become_mathml_with_their_tex():
    text = "Inline $$\\frac{a}{b}$$ here.\n\n$$\n\\sum_{i=1}^n i = \\frac{n(n+1)}{2}\n$$\n"
    html, _ = render_post(text)
    inline, block = maths(html)
    assert inline.get("display") is None and block.get("display") == "block"
    assert html.startswith("<p>Inline <math>") and "\n<math display=" in html
    for math, tex in ((inline, "\\frac{a}{b}"), (block, "\\sum_{i=1}^n i = \\frac{n(n+1)}{2}")):
        semantics = math.find("semantics")
        assert semantics is not None and len(semantics) == 2
        assert semantics[1].tag == "annotation"
        assert semantics[1].get("encoding") == "application/x-tex"
        assert semantics[1].text == tex
        assert semantics[0].find(".//mfrac") is not None
    assert unrendered_math(html) == []


def test_math_text_is_not_markdown_nor_typography():
    html, _ = render_post("Say $$a_1 * b_2 * c -- d$$ and 'quotes'.")
    (math,) = maths(html)
    assert math.find("semantics/annotation").text == "a_1 * b_2 * c -- d"
    assert "<em>" not in html and "–" not in html.split("</math>")[0]
    assert "‘quotes’" in html


@pytest.mark.parametrize(
    ("tex", "why"),
    [
        ("\\frac{a", "\\frac lacks an argument"),
        ("\\foo x", "unknown command \\foo"),
        ("x^2^3", "double superscripts"),
        ("\\left(", "no available tokens"),
        ("a & b", "TeX it cannot write as MathML"),
        ("\\text{<img src=x onerror=alert(1)>}", "TeX it cannot write as MathML"),
        ("\\text{<b>bold</b>}", "markup inside the TeX"),
        ("{" * 3000 + "x" + "}" * 3000, "nested too deeply"),
        ("x" * (MAX_FORMULA + 1), f"longer than {MAX_FORMULA:,} characters"),
    ],
)
def test_tex_that_cannot_be_rendered_is_kept_as_text_with_a_warning(tex, why):
    html, _ = render_post(f"Before $${tex}$$ after.\n\n$$\n{tex}\n$$\n")
    assert "<math" not in html and "<b>" not in html and "<img" not in html
    assert '<span class="math-tex"' in html and '<div class="math-tex"' in html
    warnings = unrendered_math(html)
    assert len(warnings) == 2
    assert all(w.startswith(f"math kept as TeX, not rendered ({why}): ") for w in warnings)
    # shown as kramdown writes it for a client renderer, escaped as text
    assert "\\(" + html_escape(tex[:20], quote=False) in html


def test_a_post_has_a_math_budget_and_the_rest_is_kept_as_text():
    formula = "x+" * 2_000 + "y"  # 4,001 characters
    count = MAX_TEX_PER_TEXT // len(formula) + 2
    html, _ = render_post("\n\n".join(f"$${formula}$$" for _ in range(count)))
    rendered, kept = html.count("<math"), html.count('class="math-tex"')
    assert rendered == MAX_TEX_PER_TEXT // len(formula) and rendered + kept == count
    assert "past the 30,000 characters of math a post may render" in unrendered_math(html)[0]


def test_each_render_starts_with_a_full_budget():
    formula = "x+" * 2_000 + "y"
    text = "\n\n".join(f"$${formula}$$" for _ in range(MAX_TEX_PER_TEXT // len(formula)))
    for _ in range(3):
        assert 'class="math-tex"' not in render_post(text)[0]


def test_a_heading_with_math_keeps_the_id_it_had_from_the_tex():
    html, _ = render_post("## The $$x^2$$ case\n")
    assert html.startswith('<h2 id="the-x2-case">The <math>')
