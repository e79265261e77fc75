"""Real Jekyll as the oracle: build a site with `jekyll build`, and compare a rendered post
body's structure with Jekyll's.

Structure = the sequence of block elements and their text, whitespace collapsed:
- `div`, `figure`, `span`-like wrappers, `article`, `section`, `aside` are transparent (their
  bare text counts as a `text` block): Rouge and Pygments wrap code differently, and
  kramdown writes block math as bare text where the app may wrap TeX it kept in a div;
- a loose list item's first paragraph is the item's own text, and any other `p` directly
  inside an `li` is transparent (whether an item is "loose" is a spacing detail that
  kramdown and Python-Markdown decide a little differently);
- every code block is one `code` entry with its text, highlighting markup, line-number
  gutters and the (invisible) blanks at the end of a line aside;
- a footnote separator `hr` inside the footnotes is left out (Python-Markdown writes one).
- `<math>` (math rendered to MathML, microblog/jekyll/tex.py) counts as its TeX annotation
  written as kramdown writes it for a client renderer: `\\(TeX\\)`, block math `\\[TeX\\]`.

Reusable: `structure(html)` for any fragment, `post_bodies(site_dir)` for a built site.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import lxml.html

JEKYLL = shutil.which("jekyll")
BLOCKS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "dl",
    "dt",
    "dd",
}
TRANSPARENT = {"div", "figure", "article", "section", "aside", "main", "body", "center"}
SKIPPED = {"script", "style", "template"}
SPACES = re.compile(r"\s+")


def jekyll_build(source: Path, destination: Path) -> None:
    """`jekyll build` of `source` into `destination`, leaving no cache in `source`."""
    assert JEKYLL, "jekyll is not installed"
    subprocess.run(
        [
            JEKYLL,
            "build",
            "--quiet",
            "--disable-disk-cache",
            "-s",
            str(source),
            "-d",
            str(destination),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


BODY_HOOK = """
Jekyll::Hooks.register :posts, :post_convert do |post|
  File.write(File.join(ENV.fetch("ORACLE_OUT"), "body.html"), post.content)
end
"""


def jekyll_render(text: str, config: str = "", work: Path | None = None) -> str:
    """Jekyll's converted body of one post whose body is `text` (no front matter needed),
    in a site of its own whose `_config.yml` is `config`."""
    import os
    import tempfile

    assert JEKYLL, "jekyll is not installed"
    with tempfile.TemporaryDirectory(dir=work) as folder:
        site = Path(folder) / "site"
        (site / "_posts").mkdir(parents=True)
        (site / "_plugins").mkdir()
        (site / "_plugins" / "oracle.rb").write_text(BODY_HOOK)
        (site / "_config.yml").write_text(config)
        (site / "_posts" / "2024-01-01-post.md").write_text("---\n---\n" + text)
        subprocess.run(
            [
                JEKYLL,
                "build",
                "--quiet",
                "--disable-disk-cache",
                "-s",
                str(site),
                "-d",
                str(Path(folder) / "out"),
            ],
            check=True,
            capture_output=True,
            timeout=300,
            env={**os.environ, "ORACLE_OUT": folder},
        )
        return (Path(folder) / "body.html").read_text(encoding="utf-8")


def post_bodies(built: Path, marker: str = "post-body") -> dict[str, str]:
    """URL path → the HTML inside `<article class="{marker}">` of each built page."""
    bodies: dict[str, str] = {}
    for page in sorted(built.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        match = re.search(rf'<article class="{marker}">\n?(.*?)</article>', html, re.DOTALL)
        if match:
            url = "/" + str(page.relative_to(built)).removesuffix("index.html")
            bodies[url] = match.group(1)
    return bodies


def _text(value: str | None) -> str:
    return SPACES.sub(" ", value or "").strip()


def _code_text(pre: lxml.html.HtmlElement) -> str:
    """A code block's text: with line numbers in a table, only the code cell's."""
    cells = pre.xpath(
        ".//td[contains(concat(' ', @class, ' '), ' code ')"
        " or contains(concat(' ', @class, ' '), ' rouge-code ')]"
    )
    source = cells[0] if cells else pre
    # kramdown keeps a CRLF file's carriage returns in its code; a browser shows one line end,
    # and nothing of the blanks that end a line (kramdown keeps a spaces-only line's blanks)
    text = source.text_content().replace("\r\n", "\n")
    return "\n".join(line.rstrip(" \t") for line in text.split("\n")).strip("\n")


def _is_block(element: lxml.html.HtmlElement) -> bool:
    tag = element.tag
    return isinstance(tag, str) and (tag in BLOCKS or tag in TRANSPARENT or tag == "pre")


def _math_as_tex(root: lxml.html.HtmlElement) -> None:
    """Each `<math>` holding a TeX annotation replaced by that TeX as kramdown writes it,
    and each formula the app kept as TeX (`class="math-tex"`) by its bare text."""
    kept = root.xpath(".//*[@class='math-tex']")
    for math in [*root.iter("math"), *kept]:
        if math.tag != "math":
            text = math.text_content()
        elif math.xpath(".//annotation[@encoding='application/x-tex']"):
            tex = math.xpath("string(.//annotation[@encoding='application/x-tex'])")
            text = f"\\[{tex}\\]" if math.get("display") == "block" else f"\\({tex}\\)"
        else:
            continue
        parent = math.getparent()
        previous = math.getprevious()
        joined = text + (math.tail or "")
        if previous is not None:
            previous.tail = (previous.tail or "") + joined
        else:
            parent.text = (parent.text or "") + joined
        parent.remove(math)


def structure(fragment: str) -> list[tuple[str, str]]:
    """[(block tag or "code"/"text", its own text)] of an HTML fragment, in document order."""
    if not fragment.strip():
        return []
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    _math_as_tex(root)
    out: list[tuple[str, str]] = []

    def inline_text(element: lxml.html.HtmlElement) -> list[str]:
        """The element's text without its block children (which get their own entries)."""
        parts = [element.text or ""]
        for child in element:
            if not isinstance(child.tag, str) or child.tag in SKIPPED:
                parts.append(child.tail or "")
                continue
            if child.tag in BLOCKS or child.tag in TRANSPARENT or child.tag == "pre":
                parts.append("\0")  # a block boundary
            else:
                parts.extend(inline_text(child))
            parts.append(child.tail or "")
        return parts

    def walk(element: lxml.html.HtmlElement, in_footnotes: bool = False) -> None:
        for child in [None, *element]:
            if child is None:
                text = element.text
            elif not isinstance(child.tag, str) or child.tag in SKIPPED:
                text = child.tail
            else:
                visit(child, in_footnotes)
                text = child.tail
            if _text(text) and element.tag in TRANSPARENT:
                out.append(("text", _text(text)))

    def visit(element: lxml.html.HtmlElement, in_footnotes: bool) -> None:
        tag = element.tag
        classes = element.get("class", "").split()
        footnotes = in_footnotes or "footnotes" in classes or "footnote" in classes
        if tag == "pre" or (tag == "table" and {"highlighttable", "rouge-table"} & set(classes)):
            out.append(("code", _code_text(element)))
            return
        if tag == "hr" and footnotes:
            return
        if tag in TRANSPARENT or (tag == "p" and element.getparent().tag == "li"):
            if tag == "p":
                text = _text("".join(inline_text(element)).replace("\0", " "))
                if text:
                    out.append(("text", text))
                walk_blocks(element, footnotes)
                return
            walk(element, footnotes)
            return
        if tag in BLOCKS:
            own = [_text(piece) for piece in "".join(inline_text(element)).split("\0")]
            text = " ".join(piece for piece in own if piece)
            first = next((child for child in element if isinstance(child.tag, str)), None)
            if tag == "li" and not text and first is not None and first.tag == "p":
                # a loose item's first paragraph is the item's text, as in a tight one
                text = _text("".join(inline_text(first)).replace("\0", " "))
                out.append((tag, text))
                for child in element:
                    if child is not first and _is_block(child):
                        visit(child, footnotes)
                return
            out.append((tag, text))
            walk_blocks(element, footnotes)
            return
        # an inline element standing alone (e.g. an <a> or <img> at the top level)
        text = _text(element.text_content())
        if text:
            out.append(("text", text))

    def walk_blocks(element: lxml.html.HtmlElement, footnotes: bool) -> None:
        for child in element:
            if _is_block(child):
                visit(child, footnotes)

    walk(root)
    return out


@dataclass
class Comparison:
    """One post's body, ours against Jekyll's."""

    name: str
    expected: list[tuple[str, str]]
    actual: list[tuple[str, str]]

    @property
    def matches(self) -> bool:
        return self.expected == self.actual

    def diff(self) -> str:
        """A unified diff of the two structures, one block a line."""
        lines = difflib.unified_diff(
            [f"{tag}: {text}" for tag, text in self.expected],
            [f"{tag}: {text}" for tag, text in self.actual],
            "jekyll",
            "microblog",
            lineterm="",
        )
        return "\n".join(lines)


def report(comparisons: list[Comparison]) -> str:
    """The match percentage and the diff of each post that differs."""
    matched = sum(c.matches for c in comparisons)
    share = 100 * matched / len(comparisons) if comparisons else 100.0
    lines = [f"{matched}/{len(comparisons)} posts match Jekyll's structure ({share:.0f}%)"]
    for comparison in comparisons:
        if not comparison.matches:
            lines += [f"--- {comparison.name}", comparison.diff()]
    return "\n".join(lines)
