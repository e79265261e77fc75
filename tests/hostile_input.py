"""Reader input for the sanitiser's tests in every tier: a table of hostile input that must
come out inert, the check that it did, and the Markdown subset a reader may use."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from microblog.comments.sanitize import ALLOWED_TAGS, LINK_REL

# Reader input that must never come out as markup a browser would run or load.
HOSTILE = {
    "script": "<script>alert(1)</script>",
    "script-upper": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "event-handler": '<p onclick="alert(1)" onmouseover=alert(1)>hi</p>',
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-javascript-mixed-case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "a-javascript-entities": '<a href="&#106;&#97;vascript&#58;alert(1)">x</a>',
    "a-javascript-hex-entities": '<a href="&#x6A;avascript:alert(1)">x</a>',
    "a-javascript-tab": '<a href="jav\tascript:alert(1)">x</a>',
    "a-javascript-newline": '<a href="java\nscript:alert(1)">x</a>',
    "a-javascript-leading-space": '<a href="  javascript:alert(1)">x</a>',
    "a-javascript-null": '<a href="java\x00script:alert(1)">x</a>',
    "a-vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "a-data": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "md-javascript": "[x](javascript:alert(1))",
    "md-javascript-encoded": "[x](javascript&#58;alert(1))",
    "md-javascript-spaced": "[x]( javascript:alert(1) )",
    "md-data": "[x](data:text/html,<script>alert(1)</script>)",
    "md-image": "![x](javascript:alert(1))",
    "md-autolink-js": "<javascript:alert(1)>",
    "md-title-breakout": '[x](https://ok.example "a\\" onmouseover=\\"alert(1))',
    "svg-onload": "<svg onload=alert(1)><circle r=1></svg>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-a-xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "math-href": '<math><mtext><a href="javascript:alert(1)">x</a></mtext></math>',
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "style-tag": "<style>body{background:url(javascript:alert(1))}</style>",
    "style-attr": '<p style="background:url(javascript:alert(1))">x</p>',
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "object": '<object data="x.swf"></object><embed src="x.swf">',
    "form": '<form action="https://evil.example"><button>go</button></form>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": '<base href="https://evil.example/">',
    "comment": "<!--<script>alert(1)</script>-->x",
    "conditional-comment": "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "broken-tag": '<img src="x" onerror="alert(1)"',
    "unclosed-attr": '<a href="https://ok.example onclick=alert(1)>x',
    "nested-broken": "<<script>script>alert(1)<</script>/script>",
    "cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "template": "<template><script>alert(1)</script></template>",
    "link-stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "a-target": '<a href="https://ok.example" target="_blank" rel="opener">x</a>',
    "a-relative": '<a href="/admin/comments/1/delete">x</a>',
    "a-protocol-relative": '<a href="//evil.example/">x</a>',
}

ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}}


class Collector(HTMLParser):
    """Every start tag with its attributes, and every comment, in a fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)


def assert_inert(html: str) -> None:
    """No element, attribute or URL in `html` that could run, load or style anything."""
    parsed = Collector()
    parsed.feed(html)
    parsed.close()
    assert not parsed.comments, html
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()), (tag, attrs, html)
        if "href" in attrs:
            href = (attrs["href"] or "").strip()
            assert urlsplit(href).scheme in {"http", "https", "mailto"}, html
        if tag == "a":
            assert attrs.get("rel") == LINK_REL, html
    # Belt and braces over the parser: no raw tag of the dangerous families at all.
    # (Escaped text such as &lt;script&gt; is fine: it is shown, not run.)
    lowered = html.lower()
    for needle in ("<script", "<svg", "<math", "<style", "<noscript", "<iframe", "<img"):
        assert needle not in lowered, html


REL = f'rel="{LINK_REL}"'

# Markdown the reader may use, and what both backends must make of it.
GOOD = [
    ("Hello *world* and **you**", "<p>Hello <em>world</em> and <strong>you</strong></p>"),
    ("Use `x < y` here", "<p>Use <code>x &lt; y</code> here</p>"),
    ("```\n<b>code</b>\n```", "<pre><code>&lt;b&gt;code&lt;/b&gt;\n</code></pre>"),
    ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
    ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
    (
        "[site](https://example.com/a?b=1&c=2)",
        f'<p><a href="https://example.com/a?b=1&amp;c=2" {REL}>site</a></p>',
    ),
    (
        "see https://example.com/path.",
        f'<p>see <a href="https://example.com/path" {REL}>https://example.com/path</a>.</p>',
    ),
    (
        "(http://example.com/wiki/A_(b))",
        f'<p>(<a href="http://example.com/wiki/A_(b)" {REL}>http://example.com/wiki/A_(b)</a>)</p>',
    ),
    ("`https://not.a.link`", "<p><code>https://not.a.link</code></p>"),
    ("[mail](mailto:a@example.com)", f'<p><a href="mailto:a@example.com" {REL}>mail</a></p>'),
    ("# not a heading", "<p># not a heading</p>"),
    ("<b>raw html</b> is text", "<p>&lt;b&gt;raw html&lt;/b&gt; is text</p>"),
    ("line one\nline two", "<p>line one\nline two</p>"),
]
