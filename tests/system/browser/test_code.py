"""Code as Jekyll's Rouge marks it (microblog/jekyll/highlight.py), in Chromium with the
site's stylesheet: tokens coloured, `{% highlight %}`'s figure in line with the text, line
numbers in a gutter beside their lines, and axe content with the page in both schemes."""

from __future__ import annotations

from .test_accessibility import BLOCKING_IMPACTS, describe
from .test_math import serve_post

CODE_POST = """---
title: Code
---
Some `inline` code and `x = 1`{: .language-python}.

```python
def f(x):
    return x + 1  # one more
```

{% highlight ruby linenos %}
def foo
  puts 'foo'
end
{% endhighlight %}
"""
NAME = "2025-01-11-code.md"


def test_code_is_styled_and_numbered(reader, live_site, client, write_post, import_posts):
    serve_post(reader, live_site, client, write_post, import_posts, NAME, CODE_POST)
    found = reader.page.evaluate(
        """() => {
          const box = (el) => el.getBoundingClientRect();
          const style = (sel) => getComputedStyle(document.querySelector(sel));
          const figure = document.querySelector('figure.highlight');
          const p = document.querySelector('.post-body p, article p');
          const gutter = figure.querySelector('td.gutter pre.lineno');
          const code = figure.querySelector('td.code pre');
          return {
            keyword: style('div.highlighter-rouge .k').color,
            text: style('div.highlighter-rouge pre').color,
            comment: style('div.highlighter-rouge .c1').color,
            inlineNumber: style('code.highlighter-rouge .mi').color,
            inlineText: style('code.highlighter-rouge').color,
            figureLeft: box(figure).left, paragraphLeft: box(p).left,
            gutterRight: box(gutter).right, codeLeft: box(code).left,
            gutterTop: box(gutter).top, codeTop: box(code).top,
            gutterLines: gutter.textContent, cellBorder: style('td.gutter').borderTopWidth,
          };
        }"""
    )
    assert found["keyword"] != found["text"] and found["comment"] != found["text"]
    assert found["inlineNumber"] != found["inlineText"]
    assert abs(found["figureLeft"] - found["paragraphLeft"]) < 1  # no figure indent
    assert found["gutterRight"] <= found["codeLeft"]  # the numbers beside the code
    assert abs(found["gutterTop"] - found["codeTop"]) < 1
    assert found["gutterLines"] == "1\n2\n3\n" and found["cellBorder"] == "0px"
    assert reader.csp_violations() == [] and reader.console_errors == []


def test_a_code_page_has_no_serious_axe_violation(
    new_page, axe, live_site, client, write_post, import_posts
):
    watched = new_page(bypass_csp=True, viewport={"width": 1280, "height": 900})
    serve_post(watched, live_site, client, write_post, import_posts, NAME, CODE_POST)
    for scheme in ("light", "dark"):
        watched.page.emulate_media(color_scheme=scheme)
        violations = axe(watched.page)["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        contrast = [v for v in violations if v["id"] == "color-contrast"]
        assert not blocking and not contrast, f"{scheme}: {describe(blocking + contrast)}"
