"""kramdown's `$$…$$` math rendered at write time to MathML (latex2mathml), so that a
reader's browser lays it out with no script, no CDN and no change to the CSP.

Each formula becomes `<math>` (block math: `display="block"`) holding the MathML and the
TeX as the author wrote it (`<semantics>…<annotation encoding="application/x-tex">`): a
copy, a feed reader or a later renderer still has the source.

TeX that latex2mathml refuses, or renders into MathML that is not whole (an `\\frac` with one
argument, an unknown `\\command` shown as its name), is kept as kramdown writes it for a
client renderer (`\\(…\\)`, `\\[…\\]`) in an element marked `data-math-error`; the writer
turns each mark into a warning (`unrendered_math`). Rendering is bounded as the Markdown
render is: a formula over MAX_FORMULA characters, or past MAX_TEX_PER_TEXT characters of
math in one text, is kept as TeX too (latex2mathml takes ~50 µs a character).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import lru_cache

from latex2mathml.converter import convert
from markdown.util import AtomicString

MAX_FORMULA = 10_000  # characters of TeX in one formula
MAX_TEX_PER_TEXT = 30_000  # characters of TeX in one post: ~2 s of rendering at most
TEX_ENCODING = "application/x-tex"
MATHML_NAMESPACE = ' xmlns="http://www.w3.org/1998/Math/MathML"'
# The children a presentation element must have (MathML Core); fewer is a broken formula.
ARITY = {
    "mfrac": 2,
    "mroot": 2,
    "msub": 2,
    "msup": 2,
    "msubsup": 3,
    "munder": 2,
    "mover": 2,
    "munderover": 3,
}
TOKEN_ELEMENTS = frozenset({"mi", "mo", "mn", "mtext", "ms"})
# What latex2mathml writes. It copies `\\text{…}` into the markup unescaped, so
# `\\text{<b>x</b>}` would put HTML into the page: anything else is refused.
MATHML_ELEMENTS = frozenset(
    "math mrow mi mo mn mtext ms mspace msqrt mroot mfrac msub msup msubsup munder mover"
    " munderover mtable mtr mtd mstyle mpadded mphantom menclose merror mmultiscripts"
    " mprescripts none".split()
)
MATHML_ATTRIBUTES = frozenset(
    "display accent accentunder columnalign columnlines columnspacing depth displaystyle"
    " fence form height largeop linebreak linethickness lspace mathbackground mathcolor"
    " mathsize mathvariant maxsize minsize movablelimits notation rowalign rowlines"
    " rowspacing rspace scriptlevel separator stretchy symmetric voffset width".split()
)
UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+")
ERROR_MARK = re.compile(r'<(span|div) class="math-tex" data-math-error="([^"]*)">(.*?)</\1>', re.S)


@dataclass
class TexBudget:
    """What is left of one text's math budget, in characters of TeX."""

    left: int = MAX_TEX_PER_TEXT


def _problem(math: etree.Element) -> str | None:
    """Why latex2mathml's MathML is not a whole formula, or None when it is."""
    for element in math.iter():
        if element.tag not in MATHML_ELEMENTS or not MATHML_ATTRIBUTES.issuperset(element.attrib):
            return "markup inside the TeX"
        wanted = ARITY.get(element.tag)
        if wanted is not None and len(element) != wanted:
            return f"\\{element.tag.removeprefix('m')} lacks an argument"
        if element.tag in TOKEN_ELEMENTS:
            unknown = UNKNOWN_COMMAND.match(element.text or "")
            if unknown:
                return f"unknown command {unknown.group(0)}"
    return None


@lru_cache(maxsize=1024)
def _mathml(tex: str, display: bool) -> tuple[str, str]:
    """(`<math>` markup, "") for a formula, or ("", why it cannot be rendered)."""
    try:
        rendered = convert(tex, display="block" if display else "inline")
        math = etree.fromstring(rendered.replace(MATHML_NAMESPACE, "", 1))
    except RecursionError:
        return "", "nested too deeply"
    except etree.ParseError:  # e.g. a bare `&` outside a matrix, copied as it is
        return "", "TeX it cannot write as MathML"
    except Exception as error:  # latex2mathml's own errors have no common base class
        name = type(error).__name__.removesuffix("Error")
        return "", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower() or "not TeX it knows"
    problem = _problem(math)
    if problem:
        return "", problem
    presentation = etree.Element("mrow") if len(math) != 1 else math[0]
    if len(math) != 1:
        presentation.extend(list(math))
    semantics = etree.Element("semantics")
    semantics.append(presentation)
    annotation = etree.SubElement(semantics, "annotation", {"encoding": TEX_ENCODING})
    annotation.text = tex
    out = etree.Element("math", {"display": "block"} if display else {})
    out.append(semantics)
    return etree.tostring(out, encoding="unicode"), ""


def _atomic(element: etree.Element) -> etree.Element:
    """`element` with every text and tail marked as no Markdown (inline patterns skip it)."""
    for node in element.iter():
        if node.text:
            node.text = AtomicString(node.text)
        if node.tail:
            node.tail = AtomicString(node.tail)
    return element


def math_element(tex: str, *, display: bool, budget: TexBudget) -> etree.Element:
    """The element for one formula: `<math>`, or the TeX kept with why it is not rendered."""
    tex = tex.strip()
    budget.left -= len(tex)
    if len(tex) > MAX_FORMULA:
        markup, why = "", f"longer than {MAX_FORMULA:,} characters"
    elif budget.left < 0:
        markup, why = "", f"past the {MAX_TEX_PER_TEXT:,} characters of math a post may render"
    else:
        markup, why = _mathml(tex, display)
    if markup:
        return _atomic(etree.fromstring(markup))
    kept = etree.Element("div" if display else "span", {"class": "math-tex"})
    kept.set("data-math-error", why)
    kept.text = AtomicString(f"\\[{tex}\\]" if display else f"\\({tex}\\)")
    return kept


def math_source(element: etree.Element) -> str | None:
    """The TeX of a `<math>` element made here (its annotation), else None."""
    for annotation in element.iter("annotation"):
        if annotation.get("encoding") == TEX_ENCODING:
            return annotation.text or ""
    return None


def unrendered_math(body_html: str) -> list[str]:
    """A warning for each formula of a rendered body that was kept as TeX."""
    warnings = []
    for _tag, why, tex in ERROR_MARK.findall(body_html):
        shown = "$$" + html.unescape(tex)[2:-2] + "$$"  # as the author wrote it
        shown = shown if len(shown) <= 60 else shown[:57] + "…"
        warnings.append(f"math kept as TeX, not rendered ({html.unescape(why)}): {shown}")
    return warnings
