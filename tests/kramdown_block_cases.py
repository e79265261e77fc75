"""kramdown's block-level rules, each case a text and the HTML Jekyll 4.3 + kramdown 2.4
wrote for it (its indentation and Rouge's wrappers around code aside): with `input: GFM`
(Jekyll's default), and with `input: kramdown` (SAME when Jekyll wrote the same).
tests/unit/test_kramdown_blocks.py renders them against the recorded HTML;
tests/system/test_jekyll_oracle.py builds them with Jekyll at test time."""

from __future__ import annotations

import pytest

SAME = None

BLOCK_CASES = [
    pytest.param(
        "  2. Run-time:\n    * allow\n    * introduce\n\n"
        "  5. Unlimit:\n    - explore\n    6. same\n",
        (
            "<ol>\n<li>\n<p>Run-time:\n* allow\n* introduce</p>\n</li>\n"
            "<li>\n<p>Unlimit:\n- explore\n6. same</p>\n</li>\n</ol>"
        ),
        SAME,
        id="marker-four-spaces-in-short-of-the-item-is-text",
    ),
    pytest.param(
        "- [#6657](/x) handling for ||= on class\n\n[a](/b) x || y\n",
        (
            '<ul>\n<li>\n<table>\n<tbody>\n<tr>\n<td><a href="/x">#6657</a> handling for</td>\n'
            "<td></td>\n<td>= on class</td>\n</tr>\n</tbody>\n</table>\n</li>\n</ul>\n"
            '<table>\n<tbody>\n<tr>\n<td><a href="/b">a</a> x</td>\n<td></td>\n<td>y</td>\n'
            "</tr>\n</tbody>\n</table>"
        ),
        SAME,
        id="a-row-may-start-with-a-link",
    ),
    pytest.param(
        "* [a][1]\n  SIZE\n  : 81 bytes\n\n  MD5\n  : 09\n\n* b\n  T\n  : d\n\n[1]: /u\n",
        (
            '<ul>\n<li>\n<dl>\n<dt><a href="/u">a</a></dt>\n<dt>SIZE</dt>\n<dd>81 bytes</dd>\n'
            "<dt>MD5</dt>\n<dd>09</dd>\n</dl>\n</li>\n"
            "<li>\n<dl>\n<dt>b</dt>\n<dt>T</dt>\n<dd>d</dd>\n</dl>\n</li>\n</ul>"
        ),
        SAME,
        id="definition-list-whose-terms-start-an-item",
    ),
    pytest.param(
        "* a\n* b\n^\n* c\n\npara one\n^\npara two\n",
        (
            "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<ul>\n<li>c</li>\n</ul>\n"
            "<p>para one</p>\n<p>para two</p>"
        ),
        SAME,
        id="end-of-block-marker",
    ),
    pytest.param(
        '3. three\n4. four\n\npara\n\n2. x\n{: start="5"}\n',
        (
            "<ol>\n<li>three</li>\n<li>four</li>\n</ol>\n<p>para</p>\n"
            '<ol start="5">\n<li>x</li>\n</ol>'
        ),
        SAME,
        id="ordered-lists-count-from-one",
    ),
    pytest.param(
        "- item\n---\n",
        '<ul>\n<li>\n<h2 id="item">item</h2>\n</li>\n</ul>',
        SAME,
        id="setext-in-item",
    ),
    pytest.param(
        "1. one\n   ===\n\n- a\n  - b\n---\n",
        (
            '<ol>\n<li>\n<h1 id="one">one</h1>\n</li>\n</ol>\n<ul>\n<li>a\n<ul>\n<li>\n'
            '<h2 id="b">b</h2>\n</li>\n</ul>\n</li>\n</ul>'
        ),
        SAME,
        id="setext-nested-and-ordered",
    ),
    pytest.param(
        "- item\n-----\nmore\nlines\n- next\n",
        ('<ul>\n<li>\n<h2 id="item">item</h2>\n<p>more\nlines</p>\n</li>\n<li>next</li>\n</ul>'),
        SAME,
        id="heading-item-then-text",
    ),
    pytest.param(
        "> - a\n> ---\n",
        '<blockquote>\n<ul>\n<li>\n<h2 id="a">a</h2>\n</li>\n</ul>\n</blockquote>',
        SAME,
        id="setext-in-quoted-item",
    ),
    pytest.param(
        "a\nb\n---\n\nc\n***\n\nTitle\n---\nText\n---\n",
        '<p>a\nb\n—</p>\n<p>c\n***</p>\n<h2 id="title">Title</h2>\n<p>Text\n—</p>',
        SAME,
        id="rules-under-text-are-text",
    ),
    pytest.param(
        "- item\nlazy\n---\n\n- item\n ---\n",
        "<ul>\n<li>\n<p>item\nlazy\n—</p>\n</li>\n<li>\n<p>item\n—</p>\n</li>\n</ul>",
        SAME,
        id="underline-after-lazy-or-indented",
    ),
    pytest.param(
        "term\n: definition\n\nIntro.\n\nterm one\nterm two\n: def one\n: def two\n",
        (
            "<dl>\n<dt>term</dt>\n<dd>definition</dd>\n</dl>\n<p>Intro.</p>\n<dl>\n"
            "<dt>term one</dt>\n<dt>term two</dt>\n<dd>def one</dd>\n<dd>def two</dd>\n"
            "</dl>"
        ),
        SAME,
        id="definitions",
    ),
    pytest.param(
        "term\n\n: loose\n\nterm\n: a\n\n: b\n",
        (
            "<dl>\n<dt>term</dt>\n<dd>\n<p>loose</p>\n</dd>\n<dt>term</dt>\n<dd>a</dd>\n"
            "<dd>\n<p>b</p>\n</dd>\n</dl>"
        ),
        SAME,
        id="loose-definitions",
    ),
    pytest.param(
        "term\n\n  \n: spaced blank\n\nterm\n\n\n: two blanks\n\n# H\n\n: not one\n",
        (
            "<p>term</p>\n<p>: spaced blank</p>\n<p>term</p>\n<p>: two blanks</p>\n"
            '<h1 id="h">H</h1>\n<p>: not one</p>'
        ),
        SAME,
        id="no-definition-after-other-blanks",
    ),
    pytest.param(
        "term\n: def para one\n\n    def para two\n\n    ```\n    code\n    ```\n",
        (
            "<dl>\n  <dt>term</dt>\n  <dd>def para one\n\n    <p>def para two</p>\n\n"
            "    <pre><code>  code\n</code></pre>\n  </dd>\n</dl>"
        ),
        (
            "<dl>\n<dt>term</dt>\n<dd>def para one\n<p>def para two</p>\n"
            '<p><code class="language-plaintext highlighter-rouge">\ncode\n'
            "</code></p>\n</dd>\n</dl>"
        ),
        id="definition-with-blocks",
    ),
    pytest.param(
        "term\n: def\n  - item one\n  - item two\n\nterm\n:  > quote\n",
        (
            "<dl>\n<dt>term</dt>\n<dd>def\n<ul>\n<li>item one</li>\n<li>item two</li>\n"
            "</ul>\n</dd>\n<dt>term</dt>\n<dd>\n<blockquote>\n<p>quote</p>\n"
            "</blockquote>\n</dd>\n</dl>"
        ),
        (
            "<dl>\n<dt>term</dt>\n<dd>def\n- item one\n- item two</dd>\n<dt>term</dt>\n"
            "<dd>\n<blockquote>\n<p>quote</p>\n</blockquote>\n</dd>\n</dl>"
        ),
        id="definition-list-and-quote",
    ),
    pytest.param(
        "6. Findable_**x**\n    \n     : definition,\n\n     more\n",
        (
            "<ol>\n<li>\n<p>Findable_<strong>x</strong></p>\n<p>: definition,</p>\n"
            "<p>more</p>\n</li>\n</ol>"
        ),
        SAME,
        id="definition-after-spaced-blank-in-item",
    ),
    pytest.param(
        "- item\n\n  term\n  : in item\n",
        ("<ul>\n<li>\n<p>item</p>\n<dl>\n<dt>term</dt>\n<dd>in item</dd>\n</dl>\n</li>\n</ul>"),
        SAME,
        id="definition-in-item",
    ),
    pytest.param(
        "Text\n\n\tcode\tx\n\t\tindented\n    \tspace-tab\n\nafter\n",
        (
            "<p>Text</p>\n\n<pre><code>code\tx\n\tindented\n\tspace-tab\n</code></pre>\n\n"
            "<p>after</p>"
        ),
        SAME,
        id="tabs-in-indented-code",
    ),
    pytest.param(
        "    a\n   b\n\tc\n  \td\n\n    code\n# Heading\n",
        "<pre><code>a    b\nc\n  \td\n\ncode # Heading\n</code></pre>",
        SAME,
        id="lines-right-after-indented-code",
    ),
    pytest.param(
        "```\n\ta\n\t\tb\n```\n\n~~~\n\tc\n~~~\n",
        "<pre><code>\ta\n\t\tb\n</code></pre>\n\n<pre><code>\tc\n</code></pre>",
        (
            '<p><code class="language-plaintext highlighter-rouge">\n\ta\n\t\tb\n'
            "</code></p>\n\n<pre><code>\tc\n</code></pre>"
        ),
        id="tabs-in-fenced-code",
    ),
    pytest.param(
        "- item\n\n\t\tcode in item\n\t\t\tdeeper\n\n- item\n\n  ~~~\n\tx\n\t\ty\n  ~~~\n",
        (
            "<ul>\n  <li>\n    <p>item</p>\n\n    <pre><code>  code in item\n"
            "      deeper\n</code></pre>\n  </li>\n  <li>\n    <p>item</p>\n\n"
            "    <pre><code>  x\n      y\n</code></pre>\n  </li>\n</ul>"
        ),
        SAME,
        id="tabs-in-list-item-code",
    ),
    pytest.param(
        "> \tquoted code\n> \t\tmore\n",
        ("<blockquote>\n  <pre><code>quoted code\n\tmore\n</code></pre>\n</blockquote>"),
        SAME,
        id="tabs-in-quoted-code",
    ),
    pytest.param(
        "    a\r\n\r\n    b\r\n    \r\n    c\r\n\r\n~~~\r\nd\r\n\r\ne\r\n~~~\r\n",
        "<pre><code>a\n\nb\n\nc\n</code></pre>\n\n<pre><code>d\n\ne\n</code></pre>",
        SAME,
        id="crlf-blank-lines-in-code",
    ),
    pytest.param(
        '```\n-#import "m.h"\n````\n\n#### Odd\n\n```\nx\n```\n\nend\n',
        (
            '<pre><code>-#import "m.h"\n</code></pre>\n\n<h4 id="odd">Odd</h4>\n\n'
            "<pre><code>x\n</code></pre>\n\n<p>end</p>"
        ),
        (
            '<p><code class="language-plaintext highlighter-rouge">\n-#import "m.h"\n'
            '</code>`</p>\n<h4 id="odd">Odd</h4>\n'
            '<p><code class="language-plaintext highlighter-rouge">\nx\n</code></p>\n'
            "<p>end</p>"
        ),
        id="fence-closed-by-a-longer-run",
    ),
    pytest.param(
        "a [Bug][1] b\n\n[1]:\thttp://x.org/\n",
        '<p>a <a href="http://x.org/">Bug</a> b</p>',
        SAME,
        id="link-definition-with-a-tab",
    ),
    # scala-lang.org's release notes: raw content has no code spans to kramdown
    pytest.param(
        "a <notextile>x `a&#124;b` & `a<b` `*c*`</notextile> z\n\n"
        "I | J\n--|--\nk | <notextile>`(class&#124;object)`</notextile>\n",
        (
            "<p>a <notextile>x `a&#124;b` &amp; `a&lt;b` `*c*`</notextile> z</p>\n"
            "<table><thead><tr><th>I</th><th>J</th></tr></thead><tbody><tr><td>k</td>"
            "<td><notextile>`(class&#124;object)`</notextile></td></tr></tbody></table>"
        ),
        SAME,
        id="entity-in-backticks-inside-raw-span",
    ),
    # scala-lang.org: a URL with pipes in the line after an HTML comment
    pytest.param(
        "<!-- c -->\na | b\n\n# H\n| a | b |\n|---|---|\n| c | d |\n\n~~~\ncode\n~~~\n"
        "x | y\n\n{: .t}\na | b\n--|--\nc | d\n",
        (
            '<!-- c -->\n<p>a | b</p>\n<h1 id="h">H</h1>\n<p>| a | b |\n|\u2014|\u2014|\n'
            "| c | d |</p>\n<pre><code>code\n</code></pre>\n<p>x | y</p>\n"
            '<table class="t"><thead><tr><th>a</th><th>b</th></tr></thead>'
            "<tbody><tr><td>c</td><td>d</td></tr></tbody></table>"
        ),
        SAME,
        id="table-only-after-a-blank-line",
    ),
    # scala-lang.org's Scalafix notes: a reference id holding a code span
    pytest.param(
        "The first [`NoInfer`][] and [`Sbt1`] and [x][`Y  z`].\n\n[`Sbt1`]: https://x/#Sbt1\n"
        "[`NoInfer`]: https://x/#NoInfer\n[`y z`]: https://x/y\n",
        (
            '<p>The first <a href="https://x/#NoInfer"><code>NoInfer</code></a> and '
            '<a href="https://x/#Sbt1"><code>Sbt1</code></a> and <a href="https://x/y">x</a>.</p>'
        ),
        SAME,
        id="reference-id-with-code",
    ),
    # scala-lang.org's "Sustainable Scala": a footnote referred to three times
    pytest.param(
        "A[^1] b[^1] c[^1] d[^2].\n\n[^1]: Note one.\n[^2]: Note two.\n",
        (
            '<p>A<sup id="fnref:1"><a href="#fn:1">1</a></sup> b<sup id="fnref:1:1">'
            '<a href="#fn:1">1</a></sup> c<sup id="fnref:1:2"><a href="#fn:1">1</a></sup> d'
            '<sup id="fnref:2"><a href="#fn:2">2</a></sup>.</p>\n<div class="footnotes"><ol>'
            '<li id="fn:1"><p>Note one. <a href="#fnref:1">&#8617;</a> <a href="#fnref:1:1">'
            '&#8617;<sup>2</sup></a> <a href="#fnref:1:2">&#8617;<sup>3</sup></a></p></li>'
            '<li id="fn:2"><p>Note two. <a href="#fnref:2">&#8617;</a></p></li></ol></div>'
        ),
        SAME,
        id="footnote-referred-to-thrice",
    ),
    # scala-lang.org's 3.8.0 post-mortem: a fence right under an item's text (GFM: the
    # item's code; its lines' leading tabs four spaces each, less the item's column)
    pytest.param(
        "- Scala 3.8.0:\n```scala\nException\n\tat one\n  \tat two\n```\nafter\n- next\n\n"
        "- item\n\n  ~~~\n  code\n  \tat x\n  ~~~\n",
        (
            "<ul>\n<li>Scala 3.8.0:\n<pre><code>Exception\n  at one\n\tat two\n</code></pre>\n"
            "<p>after</p>\n</li>\n<li>\n<p>next</p>\n</li>\n<li>\n<p>item</p>\n"
            "<pre><code>code\n\tat x\n</code></pre>\n</li>\n</ul>"
        ),
        (
            "<ul>\n<li>Scala 3.8.0:\n<code>scala\nException\n  at one\n\tat two\n</code>\n"
            "after</li>\n<li>\n<p>next</p>\n</li>\n<li>\n<p>item</p>\n"
            "<pre><code>code\n\tat x\n</code></pre>\n</li>\n</ul>"
        ),
        id="fence-right-under-an-item",
    ),
    # scala-lang.org's Scala 3 specification post: a quote in an item (GFM: also right
    # under the item's text) is Markdown of its own
    pytest.param(
        "* Section:\n  > If `m` is an alias, then\n  >  * [its] `U` is `= V`,\n"
        "  >  * `U` is otherwise.\n* next\n  > quote\n  > - a\n  > - b\n- more\n\n"
        "  > q\n  lazy\n- last\n",
        (
            "<ul>\n<li>Section:\n<blockquote>\n<p>If <code>m</code> is an alias, then</p>\n"
            "<ul>\n<li>[its] <code>U</code> is <code>= V</code>,</li>\n"
            "<li><code>U</code> is otherwise.</li>\n</ul>\n</blockquote>\n</li>\n"
            "<li>next\n<blockquote>\n<p>quote</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
            "</blockquote>\n</li>\n<li>\n<p>more</p>\n<blockquote>\n<p>q\nlazy</p>\n"
            "</blockquote>\n</li>\n<li>last</li>\n</ul>"
        ),
        (
            "<ul>\n<li>Section:\n&gt; If <code>m</code> is an alias, then\n"
            "&gt;  * [its] <code>U</code> is <code>= V</code>,\n"
            "&gt;  * <code>U</code> is otherwise.</li>\n<li>next\n&gt; quote\n&gt; - a\n"
            "&gt; - b</li>\n<li>\n<p>more</p>\n<blockquote>\n<p>q\nlazy</p>\n</blockquote>\n"
            "</li>\n<li>last</li>\n</ul>"
        ),
        id="quote-in-an-item",
    ),
    pytest.param(
        "ABI stability in Swift\n5.\n\nNext.\n\n- a\n- \n- c\n\n-\n",
        (
            "<p>ABI stability in Swift\n5.</p>\n<p>Next.</p>\n<ul>\n<li>a</li>\n"
            "<li></li>\n<li>c</li>\n</ul>\n<p>-</p>"
        ),
        SAME,
        id="marker-alone-starts-no-item",
    ),
    pytest.param(
        "~~~ xml\n<dict>\n\t<key>A</key>\n</dict>\n~~~\n",
        (
            '<pre><code><span class="nt">&lt;dict&gt;</span>\n'
            '\t<span class="nt">&lt;key&gt;</span>A<span class="nt">&lt;/key&gt;</span>\n'
            '<span class="nt">&lt;/dict&gt;</span>\n</code></pre>'
        ),
        SAME,
        id="tab-in-highlighted-fenced-code",
    ),
    pytest.param(
        "a\n\n####\n\nb\n\n## \n\n## ##\n\n# C#\n\n# x #\n",
        '<p>a</p>\n<p>####</p>\n<p>b</p>\n<p>##</p>\n<h2>##</h2>\n<h1 id="c">C#</h1>\n'
        '<h1 id="x">x</h1>',
        '<p>a</p>\n<p>####</p>\n<p>b</p>\n<p>##</p>\n<p>## ##</p>\n<h1 id="c">C</h1>\n'
        '<h1 id="x">x</h1>',
        id="heading-needs-text",
    ),
    pytest.param(
        "<pre>\n####\n#foo\n## ##\n# C#\n</pre>\n",
        "<pre>\n####\n#foo\n## ##\n# C#\n</pre>",
        SAME,
        id="hashes-in-raw-html-stay-as-written",
    ),
    pytest.param(
        "* TOC\n{:toc}\n\nno headings\n",
        "<p>no headings</p>",
        SAME,
        id="toc-with-no-headings-is-nothing",
    ),
    pytest.param(
        '<section>\n<div markdown="1">\n* TOC\n{:toc}\n</div>\n</section>\n',
        "<section>\n<div>\n</div>\n</section>",
        SAME,
        id="toc-with-no-headings-in-html",
    ),
    # bitcoincore.org's zh_CN `-\t[DEFINED] -> …`: a tab may follow a list marker
    pytest.param(
        "-\tone\n-\ttwo\n\n1.\tthree\n2.\tfour\n",
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>three</li>\n<li>four</li>\n</ol>",
        SAME,
        id="tab-after-list-marker",
    ),
    # bitcoincore.org's segwit page: `as <code>nVersion|txins|…</code>` is no table row
    pytest.param(
        "See <code>a|b|c</code>.\n\n* as <code>a|b</code>.\n* also <code>x|y|z</code>\n\n"
        "| <code>a|b</code> | c |\n|---|---|\n| d | e |\n",
        (
            "<p>See <code>a|b|c</code>.</p>\n<ul>\n<li>as <code>a|b</code>.</li>\n"
            "<li>also <code>x|y|z</code></li>\n</ul>\n<table>\n<thead>\n<tr>\n"
            "<th><code>a|b</code></th>\n<th>c</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
            "<td>d</td>\n<td>e</td>\n</tr>\n</tbody>\n</table>"
        ),
        SAME,
        id="pipes-inside-code-elements-make-no-table",
    ),
    # bitcoincore.org's meeting notes: `[`addr`\nmessage][]` and `[`addr` message]: url`
    pytest.param(
        "uses an [`addr`\nmessage][] to [`b`][] and [`c` d]\n\n[`addr` message]: https://x/\n"
        "[`b`]: https://b/\n[`c` d]: https://c/\n",
        (
            '<p>uses an <a href="https://x/"><code class="language-plaintext highlighter-rouge">'
            'addr</code>\nmessage</a> to <a href="https://b/"><code class="language-plaintext '
            'highlighter-rouge">b</code></a> and <a href="https://c/"><code '
            'class="language-plaintext highlighter-rouge">c</code> d</a></p>'
        ),
        SAME,
        id="reference-text-with-code-span",
    ),
    pytest.param(
        "- ####\n- ## ##\n- # x\n- #1234 fixed\n",
        (
            "<ul>\n<li>####</li>\n<li>\n<h2>##</h2>\n</li>\n<li>\n"
            '<h1 id="x">x</h1>\n</li>\n<li>#1234 fixed</li>\n</ul>'
        ),
        (
            "<ul>\n<li>####</li>\n<li>## ##</li>\n<li>\n"
            '<h1 id="x">x</h1>\n</li>\n<li>\n<h1 id="fixed">1234 fixed</h1>\n</li>\n</ul>'
        ),
        id="item-of-hashes-only",
    ),
    # bitcoincore.org's release notes: `- #11335 `8d13b42` Replace save|restore…` (GFM)
    pytest.param(
        "- #11 `c` a|b\n- x\n",
        (
            '<ul>\n<li>\n<table>\n<tbody>\n<tr>\n<td>#11 <code class="language-plaintext '
            'highlighter-rouge">c</code> a</td>\n<td>b</td>\n</tr>\n</tbody>\n</table>\n'
            "</li>\n<li>x</li>\n</ul>"
        ),
        (
            '<ul>\n<li>\n<h1 id="c-ab">11 <code class="language-plaintext highlighter-rouge">'
            "c</code> a|b</h1>\n</li>\n<li>x</li>\n</ul>"
        ),
        id="hash-number-item-holding-a-pipe",
    ),
    pytest.param(
        "- item\n- - -\n\npara\n\n* a\n* * *\n",
        (
            "<ul>\n<li>item</li>\n<li>\n<ul>\n<li>-</li>\n</ul>\n</li>\n</ul>\n<p>para</p>\n"
            "<ul>\n<li>a</li>\n<li>\n<ul>\n<li>*</li>\n</ul>\n</li>\n</ul>"
        ),
        SAME,
        id="rule-right-under-an-item-is-an-item",
    ),
    pytest.param(
        "- item\n# heading\nmore text\n\nafter\n\n- item\n## heading\n- next\n",
        (
            '<ul>\n<li>item\n<h1 id="heading">heading</h1>\n<p>more text</p>\n</li>\n</ul>\n'
            '<p>after</p>\n<ul>\n<li>item\n<h2 id="heading-1">heading</h2>\n</li>\n'
            "<li>next</li>\n</ul>"
        ),
        (
            "<ul>\n<li>item\n# heading\nmore text</li>\n</ul>\n<p>after</p>\n<ul>\n"
            "<li>item\n## heading</li>\n<li>next</li>\n</ul>"
        ),
        id="heading-right-under-item-text",
    ),
    pytest.param(
        "a\n\n  \tb\n\n \tc\nd\n\n# T\n  \t<b>x</b> & y\n  \tz\n",
        '<p>a</p>\n  \tb\n \tc\n<p>d</p>\n<h1 id="t">T</h1>\n  \t<b>x</b> &amp; y\n  \tz',
        SAME,
        id="spaces-then-tab-start-no-block",
    ),
    pytest.param(  # rubyonrails.org's changelogs
        "* a\n\n  This has two\n  problems:\n    * one &\n      more\n    * two\n",
        (
            "<ul>\n<li>\n<p>a</p>\n<p>This has two\nproblems:</p>\n<ul>\n<li>one &amp;\nmore"
            "</li>\n<li>two</li>\n</ul>\n</li>\n</ul>"
        ),
        (
            "<ul>\n<li>\n<p>a</p>\n<p>This has two\nproblems:\n  * one &amp;\n    more\n"
            "  * two</p>\n</li>\n</ul>"
        ),
        id="gfm-list-after-an-items-second-paragraph",
    ),
    # rubyonrails.org's early posts: an HTML block is raw to its element's own end tag, its
    # lines as written (a line of spaces, then less indented lines, is no indented code)
    pytest.param(
        "Intro:\n<pre><code>\nclass A\n  def x\n \n    y\n  end\nend\n</code></pre>\n",
        "<p>Intro:</p>\n<pre><code>\nclass A\n  def x\n \n    y\n  end\nend\n</code></pre>",
        SAME,
        id="html-block-lines-as-written",
    ),
    pytest.param(  # an excerpt cut inside the <pre>: nothing closes it
        "Intro:\n<pre><code>\nclass A\n  def x\n \n    y\n  end\nend",
        "<p>Intro:</p>\n<pre><code>\nclass A\n  def x\n \n    y\n  end\nend\n</code></pre>",
        SAME,
        id="html-block-unclosed-to-the-end",
    ),
    pytest.param(
        "<pre><code>class Order\n\tbelongs_to :c\n\n\t  - a\nend\n</code></pre>\n",
        "<pre><code>class Order\n\tbelongs_to :c\n\n\t  - a\nend\n</code></pre>",
        SAME,
        id="html-block-keeps-tabs",
    ),
    # an end tag that does not close the innermost open element is text to kramdown, and
    # the rest of the post stays inside (rubyonrails.org's early posts)
    pytest.param(
        "<p>See:<br />\n<pre><code></p>\n<ol>\n\t<li>x\n</code></pre></li>\n</ol>\n"
        "<p>After *this*.</p>\n\n- not a list\n",
        (
            "<p>See:<br />\n<pre><code>&lt;/p&gt;\n<ol>\n\t<li>x\n&lt;/code&gt;&lt;/pre&gt;</li>\n"
            "</ol>\n<p>After *this*.</p>\n\n- not a list\n</code></pre></p>"
        ),
        SAME,
        id="html-block-stray-end-tag-in-pre",
    ),
    pytest.param(
        "Steps:\n\n<ol><li>a\n<li>b</ol>\n\nnext *para*\n",
        "<p>Steps:</p>\n<ol><li>a\n<li>b&lt;/ol&gt;\n\nnext *para*\n</li></li></ol>",
        SAME,
        id="html-block-unclosed-items",
    ),
    pytest.param(  # what follows an HTML block's end tag on its line is a block of its own
        '<div>a</div><div>b *c*</div>\n\n<object><embed src="a"></embed></object><br />'
        '<a href="/v">V</a> on *x*.\n\ny\n',
        (
            '<div>a</div>\n<div>b *c*</div>\n<object><embed src="a" />&lt;/embed&gt;</object>\n'
            '<p><br /><a href="/v">V</a> on <em>x</em>.</p>\n<p>y</p>'
        ),
        SAME,
        id="html-block-then-a-tag-on-its-line",
    ),
    pytest.param(  # kramdown: any tag but a span element's opens an HTML block
        "Intro.\n<macro:code>\n<p>a<br />\nb</p>\n</macro:code>\n"
        '<typo:code lang="ruby">\nx[:y] = 2\n</typo:code>\n',
        (
            "<p>Intro.</p>\n<macro:code>\n<p>a<br />\nb</p>\n</macro:code>\n"
            '<typo:code lang="ruby">\nx[:y] = 2\n</typo:code>'
        ),
        SAME,
        id="html-block-of-a-namespaced-tag",
    ),
]

# kramdown's emphasis (microblog/jekyll/kramdown_emphasis.py): Jekyll's HTML exactly, the same
# with either input
EMPHASIS_CASES = [
    pytest.param(
        'x </b>"b1 and a\'"<b>y</b> and \'\'<b>z</b> and \\"pretty\\" "s"\n',
        '<p>x &lt;/b&gt;“b1 and a’“<b>y</b> and ‘‘<b>z</b> and "pretty" “s”</p>',
        id="quotes-beside-inline-html-and-escapes",
    ),
    pytest.param(
        (
            "Fixed \"''nil' statement is deprecated' in macro\"\n"
            "*'b and ['! and (.'\"'s, and s[\" and (['  end\n"
            'a *\'*"x* and "*em*" and "[link](/x)" and \'`code`\' end\n'
            "it''s '' a ''b \"''\" ('') ''. \"'Quoted' words\" '\"hi\"' the '80s\n"
        ),
        (
            "<p>Fixed “'’nil’ statement is deprecated’ in macro”\n"
            "<em>‘b and [’! and (.’“‘s, and s[” and ([’  end\n"
            'a *‘</em>“x* and “<em>em</em>” and “<a href="/x">link</a>” and '
            '‘<code class="language-plaintext highlighter-rouge">code</code>’ end\n'
            "it’’s ‘’ a ‘‘b “’’” (‘’) ‘’. “‘Quoted’ words” ‘“hi”’ the ’80s</p>"
        ),
        id="quotes-in-kramdowns-span-order",
    ),
    pytest.param(
        "___bold italic___ and ***both***, a___b and a___b___c, foo___bar___baz\n",
        (
            "<p><strong><em>bold italic</em></strong> and "
            "<strong><em>both</em></strong>, a__<em>b and "
            "a</em><strong>b</strong><em>c, "
            "foo</em><strong>bar</strong>_baz</p>"
        ),
        id="underscore-and-star-runs",
    ),
    pytest.param(
        "**x* and *y**, ***x** y*, *x **y***, Fill in: ___ here.\n",
        (
            "<p><strong>x* and <em>y**, **</em>x</strong> y<em>, *x "
            "<strong>y</strong></em>, Fill in: ___ here.</p>"
        ),
        id="unclosed-and-uneven-runs",
    ),
    pytest.param(
        "__init__, __FILE__, \\__x, snake_case, _a_b_, x_y_z, pre-_em_, 1_em_, __a__b, x__y__\n",
        (
            "<p><strong>init</strong>, <strong>FILE</strong>, _<em>x, "
            "snake_case, _a_b</em>, x_y_z, pre-_em_, 1<em>em</em>, "
            "<strong>a__b, x__y</strong></p>"
        ),
        id="underscores-inside-words",
    ),
    pytest.param(
        "*a **b** c* and **a *b* c** and _em with __strong__ inside_ and un*frig*ging\n",
        (
            "<p><em>a <strong>b</strong> c</em> and <strong>a <em>b</em> "
            "c</strong> and <em>em with <strong>strong</strong> "
            "inside</em> and un<em>frig</em>ging</p>"
        ),
        id="nested-emphasis",
    ),
]
