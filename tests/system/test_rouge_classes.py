"""Code as Jekyll 4.3 writes it with Rouge, checked against `jekyll build` on the same text:
for each form (a fence, an indented block, a code span with and without a language, a
language Rouge does not know, `{% highlight %}` with and without `linenos`, kramdown's line
numbers, a block IAL on a fence) the wrapper elements, their classes, ids and `data-lang`,
and the line-number gutters are Jekyll's, so that an old theme's CSS applies.

Token spans are left out of the comparison (Pygments marks whitespace that Rouge leaves
bare), but their class names are checked to be the ones Rouge gives the same tokens.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import lxml.html
import pytest
from jekyll_oracle import JEKYLL, jekyll_render, structure

from microblog.jekyll.markdown import render_post
from microblog.jekyll.post_file import SiteSettings, parse_post
from microblog.jekyll.settings import MarkdownOptions

pytestmark = pytest.mark.skipif(JEKYLL is None, reason="jekyll is not installed")

LINE_NUMBERS = "kramdown:\n  syntax_highlighter_opts:\n    block:\n      line_numbers: true\n"
RUBY = "def foo\n  puts 'foo'\nend\n"
FORMS = {
    "fenced code": "```python\ndef f(x):\n    return x + 1\n```\n",
    "a fence without a language": "~~~\nno language\n~~~\n",
    "an indented block": "Text.\n\n    indented code\n    more\n",
    "a language Rouge does not know": "```Python\nx = 1\n```\n\n```python3\ny\n```\n",
    "a language Rouge names as Pygments does not": (
        "```Dockerfile\nFROM x\n```\n\n```mkd\n# y\n```\n"
    ),
    "code spans": "A `plain` span, `x = 1`{: .language-python}, `b`{: .foo} and "
    "`c`{: .language-nosuch}; [`in a link`](/x).\n",
    "highlight tag": f"{{% highlight ruby %}}\n{RUBY}{{% endhighlight %}}\n",
    "highlight tag, upper-case language": "{% highlight Ruby %}\nx = 1\n{% endhighlight %}\n",
    "highlight tag with linenos": f"{{% highlight ruby linenos %}}\n{RUBY}{{% endhighlight %}}\n",
    "a block IAL on a fence": "```ruby\nputs 1\n```\n{: #here .extra}\n",
    "an empty fence": "```\n```\n",
}
LINE_NUMBER_FORMS = {
    "kramdown's line numbers": "```python\ndef f(x):\n    return x + 1\n```\n\n    indented\n",
}


def ours(text: str, options: MarkdownOptions | None = None) -> str:
    """The body microblog renders from a post file whose body is `text` (Liquid and all)."""
    options = options or MarkdownOptions()
    settings = SiteSettings(markdown=options)
    path = PurePath("_posts/2024-01-01-post.md")
    source = parse_post(f"---\n---\n{text}".encode(), path, settings)
    return render_post(source.body, options=options)[0]


def skeleton(fragment: str) -> list[str]:
    """Every element but the token spans inside code, with the attributes CSS selects on,
    and a line-number gutter's text."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    out = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element is root:
            continue
        if element.tag == "span" and element.xpath("ancestor::code or ancestor::pre"):
            continue
        attributes = " ".join(
            f'{name}="{element.get(name)}"'
            for name in ("class", "id", "data-lang")
            if element.get(name) is not None
        )
        entry = f"<{element.tag} {attributes}>".replace(" >", ">")
        if "lineno" in (element.get("class") or ""):
            entry += element.text_content().replace("\n", "|")
        out.append(entry)
    return out


def token_classes(fragment: str) -> dict[str, str]:
    """Token text → its class, for the spans inside code (whitespace tokens aside)."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return {
        span.text_content(): span.get("class")
        for span in root.xpath("//code//span[@class]")
        if span.text_content().strip()
    }


@pytest.mark.parametrize("text", FORMS.values(), ids=FORMS.keys())
def test_code_has_jekylls_wrappers_and_classes(text):
    theirs, mine = jekyll_render(text), ours(text)
    assert skeleton(mine) == skeleton(theirs), f"\njekyll:    {theirs}\nmicroblog: {mine}"
    assert structure(mine) == structure(theirs)


@pytest.mark.parametrize("text", LINE_NUMBER_FORMS.values(), ids=LINE_NUMBER_FORMS.keys())
def test_line_numbers_have_jekylls_table(text):
    theirs = jekyll_render(text, LINE_NUMBERS)
    mine = ours(text, MarkdownOptions(line_numbers=True))
    assert skeleton(mine) == skeleton(theirs), f"\njekyll:    {theirs}\nmicroblog: {mine}"
    assert structure(mine) == structure(theirs)


def test_tokens_carry_the_class_names_rouge_gives_them():
    text = FORMS["fenced code"] + "\n" + FORMS["highlight tag"] + "\n" + FORMS["code spans"]
    theirs, mine = token_classes(jekyll_render(text)), token_classes(ours(text))
    assert theirs and mine == theirs
    assert re.search(r'<span class="k">def</span>', ours(text))
