"""Real Jekyll as the oracle: tests/data/jekyll-site built by `jekyll build`, each post's body
compared, block by block, with what microblog renders from the same file."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from jekyll_oracle import (
    JEKYLL,
    Comparison,
    jekyll_build,
    jekyll_render,
    post_bodies,
    report,
    structure,
)
from kramdown_block_cases import BLOCK_CASES, EMPHASIS_CASES, SAME
from site_oracle import compare_site as compare_whole_site
from work_budget import within_budget

from microblog.jekyll.front_matter import load_yaml, split_front_matter
from microblog.jekyll.liquid import SiteContext
from microblog.jekyll.markdown import MarkdownTooComplex, render_post
from microblog.jekyll.post_file import SiteSettings, parse_post

KRAMDOWN_INPUT = "kramdown:\n  input: kramdown\n"
SITE = Path(__file__).resolve().parent.parent / "data" / "jekyll-site"
SETTINGS = SiteSettings(
    site_url="https://oracle.example/notes", permalink="/:year/:month/:day/:title/"
)
CONFIG = yaml.safe_load((SITE / "_config.yml").read_text())
POSTS = sorted((SITE / "_posts").iterdir())


def oracle_site() -> SiteContext:
    """What the site gives its posts' Liquid, read here as the site importer will:
    `_config.yml`, `_data`, `_includes`, and every post's and page's URL."""
    data = {path.stem: yaml.safe_load(path.read_text()) for path in (SITE / "_data").iterdir()}
    bare = SiteContext(variables={"baseurl": CONFIG["baseurl"], "url": CONFIG["url"]})
    links: dict[str, str] = {}
    for path in POSTS:
        source = parse_post(path.read_bytes(), path, SETTINGS, site=bare)
        links[f"_posts/{path.name}"] = source.permalink
    for page in SITE.glob("*.md"):
        meta = load_yaml(split_front_matter(page.read_text())[0])
        links[page.name] = meta["permalink"]
    names = {Path(key).stem: url for key, url in links.items() if key.startswith("_posts/")}
    return SiteContext(
        variables={**CONFIG, "data": data},
        includes_dir=SITE / "_includes",
        site_root=SITE,
        post_url=names.get,
        link=links.get,
    )


pytestmark = pytest.mark.skipif(
    JEKYLL is None, reason="jekyll is not installed (apt-get install jekyll)"
)


@pytest.fixture(scope="module")
def jekyll_bodies(tmp_path_factory) -> dict[str, str]:
    built = tmp_path_factory.mktemp("jekyll-site")
    jekyll_build(SITE, built)
    return post_bodies(built)


def compare_site(bodies: dict[str, str]) -> list[Comparison]:
    """Each post of the site: Jekyll's body structure against ours."""
    comparisons = []
    site = oracle_site()
    gfm = CONFIG["kramdown"]["input"] == "GFM"
    for path in POSTS:
        source = parse_post(path.read_bytes(), path, SETTINGS, site=site)
        html, _ = render_post(source.body, is_markdown=source.is_markdown, gfm=gfm)
        expected = structure(bodies[source.permalink])
        comparisons.append(Comparison(path.name, expected, structure(html)))
    return comparisons


def test_every_post_matches_jekylls_structure(jekyll_bodies):
    comparisons = compare_site(jekyll_bodies)
    assert len(comparisons) == 8
    assert all(c.matches for c in comparisons), report(comparisons)


def test_links_and_line_numbers_are_jekylls(jekyll_bodies):
    site = oracle_site()
    rendered = {}
    for path in POSTS:
        source = parse_post(path.read_bytes(), path, SETTINGS, site=site)
        html, _ = render_post(source.body, is_markdown=source.is_markdown)
        rendered[source.permalink] = (html, source.warnings)
    html, warnings = rendered["/2024/03/05/includes-and-links/"]
    for href in re.findall(r'href="([^"]*)"', jekyll_bodies["/2024/03/05/includes-and-links/"]):
        assert f'href="{href}"' in html
    assert warnings == []
    html, warnings = rendered["/2024/03/06/highlight-and-raw/"]
    gutter = re.search(r'<td class="gutter gl"><pre class="lineno">([^<]*)</pre>', html)
    assert gutter is not None and gutter.group(1) == "1\n2\n3\n"
    assert gutter.group(0) in jekyll_bodies["/2024/03/06/highlight-and-raw/"]
    assert warnings == [
        "line 21: Liquid tag {% aside %} is from a plugin the app does not have: left out"
        " (a block's content is kept)"
    ]


def test_hidden_text_and_kramdown_syntax_never_show(jekyll_bodies):
    path = SITE / "_posts" / "2024-03-03-headings-and-extensions.md"
    html, _ = render_post(parse_post(path.read_bytes(), path, SETTINGS).body)
    assert "never be published" not in html and "hidden words" not in html
    for syntax in ("{:", "{::", "$$"):
        assert syntax not in html
    assert '<h2 id="参考资料">参考资料</h2>' in html and 'href="#参考资料"' in html
    assert '<h2 class="special" id="custom-id">' in html
    assert '<div class="raw-block"><p>Left *as is*, not Markdown.</p></div>' in html
    assert "a_1 &amp;= b_1 + c_1 \\\\" in html  # TeX kept, backslashes and all


CODE = '<code class="language-plaintext highlighter-rouge">'  # every code span (Rouge)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"Quotes" -- and --- dashes...', "<p>“Quotes” – and — dashes…</p>"),
        ("## 日本語の見出し", '<h2 id="日本語の見出し">日本語の見出し</h2>'),
        ("## Same\n## Same", '<h2 id="same">Same</h2>\n<h2 id="same-1">Same</h2>'),
        ("Para\n- a\n- b", "<p>Para</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("- a\n  - b", "<ul>\n<li>a<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>"),
        ("> quote\n{: .tip}", '<blockquote class="tip">\n<p>quote</p>\n</blockquote>'),
        ("{: .next}\nPara", '<p class="next">Para</p>'),
        ("x {::comment}y{:/comment}z", "<p>x z</p>"),
        ("`{::comment}` in code", f"<p>{CODE}{{::comment}}</code> in code</p>"),
        ('He said \\"hi\\"', '<p>He said "hi"</p>'),
        ("One\n<!--more-->\nTwo", "<p>One\n<!--more-->\nTwo</p>"),
        ("Text.\n\n[^a]: Never referred to.", "<p>Text.</p>"),
        ("[[Bug #1]]\n\n[Bug #1]: /b", '<p>[<a href="/b">Bug #1</a>]</p>'),
        ("<u>It's</u> it's", "<p><u>It's</u> it\u2019s</p>"),
        ('`pin`\'d "-" x', f"<p>{CODE}pin</code>\u2018d \u201c-\u201c x</p>"),
        (
            "> quote\n> - a\n> - b",
            "<blockquote>\n<p>quote</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n</blockquote>",
        ),
    ],
)
def test_kramdown_cases(text, expected):
    assert render_post(text)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("## 参考资料", '<h2 id="section">参考资料</h2>'),
        ("Para\n- a", "<p>Para\n- a</p>"),
    ],
)
def test_kramdown_input_differs_from_gfm(text, expected):
    assert render_post(text, gfm=False)[0] == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[" * 5000, "brackets open"),
        ("[a](" * 5000, "brackets open"),
        ("\n".join("  " * depth + "- x" for depth in range(500)), "lists nested"),
        ("\n".join("    " * depth + "- x" for depth in range(300)), "lists nested"),
        (">" * 2000 + " x", "block quotes nested"),
        ("*" * 5000 + "a" + "*" * 5000, "a run of more than"),
        ("x" * 1_000_001, "longer than"),
    ],
    ids=["5000 [", "5000 [a](", "2-space lists", "4-space lists", "quotes", "stars", "size"],
)
def test_texts_that_would_take_seconds_or_overflow_are_refused_at_once(text, why):
    def refusal() -> None:
        with pytest.raises(MarkdownTooComplex, match=why):
            render_post(text)

    # Work, not seconds (tests/work_budget.py): the heaviest refusal (5,000 `[`) runs 0.4 M
    # lines of Python.
    within_budget(refusal, 2_000_000, "the refusal")


def test_a_refused_text_is_a_failed_line_and_the_others_import(write_post, import_posts):
    bad = write_post("2024-01-01-bad.md", "---\ntitle: Bad\n---\n" + "[" * 5000)
    good = write_post("2024-01-02-good.md", "---\ntitle: Good\n---\nFine.\n")
    output = import_posts(bad, good, expect_ok=False).output
    assert f"failed: {bad}: more than 32 brackets open at once in one paragraph" in output
    assert f"imported: {good}" in output


def test_kramdown_tables_as_jekyll_reads_them():
    """Separator lines before, inside and after rows, a footer, short rows: the same
    structure as Jekyll's, and no separator shown as dashes."""
    text = (
        "|---\n| x | y\n|:--|--:\n| 1 | 2\n|---\n| 3\n|===\n| f | g\n\n"
        "| a | b |\n|---|---|\n| -- | 1 |\n|---|---|\n| 2 | 3 |\n"
    )
    html = render_post(text)[0]
    assert structure(html) == structure(jekyll_render(text))
    assert "\u2014" not in html and "\u2013" in html


def test_kramdown_input_fences_and_paragraphs_as_jekyll():
    """kramdown input: ``` is no fence (a code span in a paragraph), only ~~~ at its
    block's first column is; a numbered line, `#` or `>` after a paragraph line is text."""
    text = (
        "Text\n1. one\n2. two\n\n```coq\nfoo\n```\n\n~~~ruby\nx\n~~~\n\n"
        "Para\n# not heading\n> not quote\n\n  ~~~\n  indented\n  ~~~\n\n"
        "- item\n\n  ~~~\n  in item\n  ~~~\n"
    )
    theirs = jekyll_render(text, "kramdown:\n  input: kramdown\n")
    assert structure(render_post(text, gfm=False)[0]) == structure(theirs)


@pytest.mark.parametrize(
    "text",
    [
        "a `x ` b `` y `` c ` d\n\n~~del~~ and ~sub~\n\n    {:code, 1}\n\n$$a+b$$\n",
        "- a\n    - b\n\n        more b\n        - c\n- d\n",
        "> _Guest post by [Name], thanks._\n\nMore [Name].\n\n[name]: https://n.example\n",
        "- #7951 [fix][#7951]\n- [x] done\n- [ ] todo\n\n#tag line\n\n[#7951]:https://x.example/1\n",
        'Fixed ""not nil" and open\\("\\|x", "w"\\) ok\n',
        "- item\n\n    ```nim\n    code(x)\n      inner\n    ```\n\n```\na\tb\n  \nc\n```\n",
        "got <seq[char]> but <File:/dev/tty> and x</li>, <span>ok</span> <br> <div>d</div>\n",
        "Para\n| a | b |\n|---|---|\n\n<!-- c -->\n| x | y |\n\n| ok | t |\n|---|---|\n| 1 | 2 |\n",
        "## The $$x^2$$ case\n\nSo $$a < b$$ and\n$$E = mc^2$$\nhere.\n\n"
        "$$\n\\begin{pmatrix}1 & 2\\\\ 3 & 4\\end{pmatrix}\n$$\n\n"
        "$$\\frac{a$$\n\n- $$\\sqrt{2}$$ in a list\n",
        'An <word word> and *emph* "q".\n\nList<String> *x*\n\nA <foo>x</FOO> *y*\n\n'
        "A stray </a> and </i> *e*\n\nA <b>bold <i>it</b> *x*\n\n<u>a & b < c `c` *x*</u> *y*\n\n"
        'A <span markdown="0">*r*</span> <kbd markdown="span">*k*</kbd> <u markdown="1">*u*</u>\n\n'
        "[*x*{:.c}](u) and *y*{: .c #id}\n",
        "<b>open\n\nnext\n\n| <b>x | y</b> |\n|---|---|\n| 1 | 2 |\n\n"
        "- <a href='u'>item\n- <i>b\n\n## Title <em>open\n\n"
        'A <a href=http://x.example/>unquoted</a>\n\n<span class="x">\n\nT\n\n</span>\n',
        "Hi\n\n<ul>\n  <li>\n    <p>a</p>\n    <p<There b. </p>\n    <p>c</p>\n  </li>\n</ul>\n\n"
        '<div>\na < b & c\n<!-- c < -->\n<span>x</span></b>\n<img src=a.png> <i @click="x">z</i>\n'
        "</div>\n\n<table>\n  <tr><td>a & b</td></tr>\n</table>\n</div>\n\nafter\n",
        '{:ref: .ald title="T"}\nA *x*{:ref} b *y*{:none}.\n\n{:n: .note #n1}\n\nPara.\n{:n}\n\n'
        "* TOC\n{:toc}\n\n## Head\n{: n .extra}\n",
        '<section class="toc">\n  <header>\n    <h3>Overview</h3>\n  </header>\n'
        '<div markdown="1" class="toc-drawer">\n*  Auto generated table of contents\n{:toc}\n'
        "</div>\n</section>\n\n<div>\n{: .c}\ntext\n</div>\n\na <code>``X``</code> b\n\n"
        "## Main\n\ntext\n",
        '<link rel="alternate" href="/r.xml" title="R">\n<div class="download">\n'
        '  <h2>Latest</h2>\n</div>\n\nPara\n<link rel="x" href="y">\nmore\n\n'
        '<meta name="a" content="b">\n\nText\n',
    ],
    ids=[
        "code spans, strike, IAL-like code, one-line math",
        "outer item after a nested block",
        "a label whose definition differs in case",
        "#1234 and task lists",
        "quotes after quotes and escapes",
        "fences keep their indentation and tabs",
        "angle brackets that are no span tag are text",
        "a table only after a blank line",
        "math rendered to MathML, or kept as TeX",
        "span HTML: unclosed, stray, raw content, markdown attributes, span IALs",
        "a tag left open is closed at its paragraph's end",
        "HTML blocks: a malformed tag or an end tag closing nothing is text",
        "attribute list definitions",
        "a markdown element inside an HTML block, what raw HTML holds",
        "a <link> or <meta> line is block HTML",
    ],
)
def test_texts_render_as_jekyll_renders_them(text):
    assert structure(render_post(text)[0]) == structure(jekyll_render(text))


def test_excerpts_are_cut_as_jekyll_cuts_them(tmp_path):
    """Jekyll's excerpt: definitions only for labels the head names exactly; in a CRLF file
    the default separator is never found (the excerpt is the whole post); cut before the
    Liquid runs (a first paragraph that is an assign is an empty excerpt; a block the cut
    leaves open is closed); a file in _posts without front matter is a post; kramdown's
    definition lists."""
    texts = {
        "2024-01-01-labels.md": "---\n---\nSee [A] and [b].\n\nMore.\n\n[A]: /a\n[B]: /b\n",
        "2024-01-02-crlf.md": "---\r\ntitle: C\r\n---\r\nOne.\r\n\r\nTwo.\r\n",
        "2024-01-03-bare.md": "No front matter.\n\nSecond.\n",
        "2024-01-04-blank-lines.md": "---\ntitle: B\n---\n\n  \n\nFirst.\n\nSecond.\n",
        "2024-01-05-liquid-first.md": "---\n---\n{% assign v = 3 %}\n\nVersion {{ v }}.\n",
        "2024-01-06-open-block.md": "---\n---\n{% if true %}\nIn.\n\nStill in.\n{% endif %}\n",
        "2024-01-07-definitions.md": "---\n---\nIntro.\n\nTerm\n: Its definition.\n",
    }
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: t\n")
    for name, text in texts.items():
        (site / "_posts" / name).write_bytes(text.encode())
    result = compare_whole_site(site)
    assert result.total == 7
    assert result.alike == 7, result.details()


@pytest.mark.parametrize("kramdown_input", ["GFM", "kramdown"])
def test_block_rules_render_as_jekyll_builds_them(tmp_path, kramdown_input):
    """tests/kramdown_block_cases.py (setext headings and rules under a list item's or a
    paragraph's text, definition lists), one post each, built by Jekyll now: each body as
    Jekyll's, and Jekyll's still the HTML recorded there for the unit tests."""
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text(f"title: t\nkramdown:\n  input: {kramdown_input}\n")
    recorded = {}
    for number, case in enumerate(BLOCK_CASES):
        text, gfm_html, kramdown_html = case.values
        # one day each from 2024-01-01 (a 32nd case in January made Jekyll refuse the date)
        name = f"{date(2024, 1, 1) + timedelta(days=number)}-{case.id}.md"
        (site / "_posts" / name).write_text("---\n---\n" + text)
        html = gfm_html if kramdown_input == "GFM" or kramdown_html is SAME else kramdown_html
        recorded[f"_posts/{name}"] = structure(html)
    result = compare_whole_site(site)
    assert result.total == len(BLOCK_CASES)
    assert result.alike == result.total, result.details()
    assert {c.name: c.expected for c in result.bodies} == recorded


def test_math_in_a_heading_gives_jekylls_id_and_the_oracle_reads_the_tex():
    text = "## The $$x^2$$ case\n\n$$\\frac{1}{2}$$\n"
    ours, theirs = render_post(text)[0], jekyll_render(text)
    assert re.search(r'<h2 id="([^"]+)"', ours).group(1) == re.search(
        r'<h2 id="([^"]+)"', theirs
    ).group(1)
    assert "<math" in ours and "<math" not in theirs
    # the oracle compares the TeX the MathML was made from, not the MathML's own text
    assert (
        structure(ours)
        == structure(theirs)
        == [
            ("h2", "The \\(x^2\\) case"),
            ("text", "\\[\\frac{1}{2}\\]"),
        ]
    )


@pytest.mark.parametrize(("text", "recorded"), EMPHASIS_CASES)
def test_emphasis_runs_are_jekylls_html(text, recorded):
    """kramdown's emphasis rules (`___x___`, `a___b`, `**x*`, `__init__`): the very HTML
    Jekyll writes, with either input, and the HTML recorded for the unit tests."""
    theirs = jekyll_render(text)
    assert render_post(text)[0] == theirs.strip() == recorded
    assert render_post(text, gfm=False)[0] == jekyll_render(text, KRAMDOWN_INPUT).strip()
