"""A Jekyll file → PostSource: a table of front-matter cases, permalinks, Liquid, Markdown."""

from __future__ import annotations

from pathlib import PurePath

import pytest

from microblog.jekyll.liquid import LiquidContext
from microblog.jekyll.markdown import balance_html, render_markdown, render_post
from microblog.jekyll.post_file import (
    NotAPost,
    PostError,
    PostSource,
    SiteSettings,
    parse_post,
    render_liquid,
    site_context_for,
)

SITE = SiteSettings(site_url="http://blog.example", permalink="/posts/:year/:month/:title/")


def parse(name: str, text: str | bytes, settings: SiteSettings = SITE) -> PostSource:
    """Parse `text` as though it were the file `_posts/<name>` of a Jekyll site."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return parse_post(data, PurePath("/site/_posts") / name, settings)


def fm(front: str, body: str = "\nBody text.\n") -> str:
    """A post with this front matter (the lines between the `---` lines) and body."""
    return f"---\n{front.strip()}\n---\n{body}"


# Each row: an id, the file name, its text (or bytes), and either the PostSource fields
# expected (published_at as an ISO string) or ("skipped" | "failed", words of the reason).
CASES = [
    (
        "example post: quoted title, date, permalink, block list of tags",
        "2025-09-30-alg-blog-post-2.md",
        fm(
            "title: 'ALG Blog 2: How Generative AI Works and How It Fails'\n"
            "date: 2025-09-30\npermalink: /posts/2025/09/alg-blog-post-2/\n"
            "tags: \n    - Generative AI\n    - Langauge Models\n    - Deep learning"
        ),
        {
            "title": "ALG Blog 2: How Generative AI Works and How It Fails",
            "published_at": "2025-09-30T00:00:00+00:00",
            "permalink": "/posts/2025/09/alg-blog-post-2/",
            "tag_names": ["Generative AI", "Langauge Models", "Deep learning"],
            "is_draft": False,
            "source_key": "2025-09-30-alg-blog-post-2.md",
        },
    ),
    (
        "date with an offset written without a space",
        "2015-10-20-math.md",
        fm("title: a post with math\ndate: 2015-10-20 11:12:00-0400"),
        {"published_at": "2015-10-20T15:12:00+00:00", "permalink": "/posts/2015/10/math/"},
    ),
    (
        "date with a spaced offset, double-quoted",
        "2013-05-06-released.markdown",
        fm('title: Released\ndate: "2013-05-06 02:12:52 +0200"'),
        {"published_at": "2013-05-06T00:12:52+00:00"},
    ),
    (
        "date with time and no zone is UTC",
        "2015-07-15-code.md",
        fm("title: code\ndate: 2015-07-15 15:09:00"),
        {"published_at": "2015-07-15T15:09:00+00:00"},
    ),
    (
        "ISO 8601 date with T and a colon offset",
        "2010-01-07-post-modified.md",
        fm(
            "title: x\ndate: 2010-01-07T13:10:00-05:00\nlast_modified_at: 2016-03-09T16:20:02-05:00"
        ),
        {
            "published_at": "2010-01-07T18:10:00+00:00",
            "last_modified_at": "2016-03-09T21:20:02+00:00",
        },
    ),
    (
        "no date key: the file name's date",
        "2020-08-05-jekyll-3-9-0-released.markdown",
        fm("title: Jekyll 3.9.0 Released"),
        {"published_at": "2020-08-05T00:00:00+00:00"},
    ),
    (
        "unpadded month and day in the file name",
        "2017-2-5-i-dont-like-zeroes.md",
        fm("title: I Dont Like Zeroes"),
        {
            "published_at": "2017-02-05T00:00:00+00:00",
            "permalink": "/posts/2017/02/i-dont-like-zeroes/",
        },
    ),
    (
        "front matter date overrides the file name's",
        "2010-01-09-date-override.markdown",
        fm("title: Date Override\ndate: 2010-01-10"),
        {"published_at": "2010-01-10T00:00:00+00:00", "permalink": "/posts/2010/01/date-override/"},
    ),
    (
        "tags and categories as space-separated strings split as Jekyll does",
        "2013-12-20-properties.md",
        fm("title: Properties\ntags: ay bee cee\ncategories: foo bar baz MixedCase"),
        {"tag_names": ["ay", "bee", "cee"], "categories": ["foo", "bar", "baz", "MixedCase"]},
    ),
    (
        "tags as a flow list, categories as a YAML list",
        "2021-09-14-goodbye.markdown",
        fm("title: Goodbye\ntags: [team, community]\ncategories:\n- team\n- community"),
        {"tag_names": ["team", "community"], "categories": ["team", "community"]},
    ),
    (
        "singular tag and category are not split",
        "2009-05-18-tag.markdown",
        fm("title: A Tag\ntag: code review\ncategory: 2013"),
        {"tag_names": ["code review"], "categories": ["2013"]},
    ),
    (
        "a single string with a space is two tags (Jekyll splits it)",
        "2010-01-16-override-data.markdown",
        fm("date: 2010-01-10 13:07:09\ntags: A string"),
        {"tag_names": ["A", "string"], "title": "Override Data"},
    ),
    (
        "empty tags and an empty list item are dropped",
        "2009-05-18-empty-tags.markdown",
        fm("title: Some Tags\ntags:\n  - \n  - real\ncategories:"),
        {"tag_names": ["real"], "categories": []},
    ),
    (
        "tags deduplicated by slug, the first spelling kept, misspellings kept",
        "2010-03-07-post-link.md",
        fm(
            "title: x\ntags:\n - Deep learning\n - deep-learning\n"
            " - Langauge Models\n - DEEP LEARNING"
        ),
        {"tag_names": ["Deep learning", "Langauge Models"]},
    ),
    (
        "published: false is a draft",
        "2008-02-02-not-published.markdown",
        fm("title: Not published!\npublished: false"),
        {"is_draft": True},
    ),
    (
        "published: true is not",
        "2008-02-02-published.markdown",
        fm("title: Publish\npublished: true"),
        {"is_draft": False},
    ),
    (
        "comments: false turns comments off",
        "2016-01-01-quiet.md",
        fm("title: Quiet\ncomments: false"),
        {"comments_enabled": False},
    ),
    (
        "excerpt and excerpt_separator from the front matter",
        "2012-03-14-layout-excerpt-defined.md",
        fm("title: x\nexcerpt: 'I can set a custom excerpt'\nexcerpt_separator: '<!--more-->'"),
        {"excerpt": "I can set a custom excerpt", "excerpt_separator": "<!--more-->"},
    ),
    (
        "redirect_from as one string",
        "2019-08-04-beta.markdown",
        fm("title: Beta\nredirect_from: /news/2019/07/20/beta/"),
        {"redirect_from": ["/news/2019/07/20/beta/"]},
    ),
    (
        "redirect_from as a list, made site paths",
        "2019-08-04-beta.markdown",
        fm("title: Beta\nredirect_from:\n  - old/one\n  - /old/two/"),
        {"redirect_from": ["/old/one", "/old/two/"]},
    ),
    (
        "unknown keys kept, dates in them as ISO strings",
        "2016-02-24-welcome-to-jekyll.md",
        fm("title: Welcome\nheader:\n  teaser: x.png\nupdated: 2020-01-01\nfeatured: true"),
        {
            "front_matter": {
                "title": "Welcome",
                "header": {"teaser": "x.png"},
                "updated": "2020-01-01",
                "featured": True,
            }
        },
    ),
    (
        "no title: made from the file name's slug",
        "2009-09-05-edge-case-no-yaml-title.md",
        fm("categories:\n  - Edge Case"),
        {"title": "Edge Case No Yaml Title"},
    ),
    (
        "empty front matter",
        "2009-06-22-empty-yaml.markdown",
        "---\n---\nEmpty YAML.",
        {"title": "Empty Yaml", "front_matter": {}},
    ),
    (
        "front matter closed with '...'",
        "2014-03-03-yaml-with-dots.md",
        "---\ntitle: Test Post Where YAML Ends in Dots\n...\n\n# Test\n",
        {"title": "Test Post Where YAML Ends in Dots", "body": "\n# Test\n"},
    ),
    (
        "opening --- with trailing spaces",
        "2015-12-27-extra-spaces.markdown",
        "---   \ntitle: Extra Spaces\n---\nBody",
        {"title": "Extra Spaces"},
    ),
    (
        "unquoted title containing ---",
        "2010-01-08-triple-dash.markdown",
        fm("title: Foo --- Bar"),
        {"title": "Foo --- Bar"},
    ),
    (
        "a --- line in the body is not front matter",
        "2015-01-08-post-excerpt-separator.markdown",
        fm('title: Sep\nexcerpt_separator: "\\n---\\n"', "\nFirst.\n\n---\n\nThird.\n"),
        {"excerpt_separator": "\n---\n", "body": "\nFirst.\n\n---\n\nThird.\n"},
    ),
    (
        "CRLF line endings",
        "2009-05-24-yaml-linebreak.markdown",
        b"---\r\ntitle: Test title\r\ntag: Ruby\r\n---\r\n\r\nBody\r\n",
        {"title": "Test title", "tag_names": ["Ruby"], "body": "\nBody\n"},
    ),
    (
        "UTF-8 with a BOM and CRLF",
        "2017-04-05-UTF8CRLFandBOM.md",
        b'\xef\xbb\xbf---\r\ntitle:  "UTF8CRLFandBOM"\r\n'
        b"date: 2017-04-05 16:16:01 -0800\r\n---\r\nYou\xe2\x80\x99ll\r\n",
        {"title": "UTF8CRLFandBOM", "published_at": "2017-04-06T00:16:01+00:00"},
    ),
    (
        "UTF-16LE with a BOM",
        "2017-04-05-utf16.md",
        "\ufeff---\r\ntitle: Unicode16\r\n---\r\nHi \u00e9\r\n".encode("utf-16-le"),
        {"title": "Unicode16", "body": "Hi \u00e9\n"},
    ),
    (
        "a .html post keeps its body as HTML",
        "2014-08-14-blog-post-3.html",
        fm("title: Blog Post number 3", "\n<p>Raw <b>HTML</b></p>\n"),
        {"is_markdown": False, "body": "\n<p>Raw <b>HTML</b></p>\n"},
    ),
    (
        "a .mkdn file with front matter is Markdown",
        "2013-08-01-mkdn-extension.mkdn",
        fm("title: mkdn"),
        {"is_markdown": True, "title": "mkdn"},
    ),
    (
        "percent-encoded ../ traversal stays inside the site",
        "2014-01-06-permalink-traversal.md",
        fm("permalink: /%2e%2e/%2e%2e/%2e%2e/baddie.html"),
        {"permalink": "/baddie.html", "title": "Permalink Traversal"},
    ),
    (
        "plain ../ traversal stays inside the site",
        "2014-01-06-dots.md",
        fm("title: Dots\npermalink: ../../etc/passwd"),
        {"permalink": "/etc/passwd"},
    ),
    (
        "a relative permalink gets its leading slash",
        "2008-12-03-permalinked-post.markdown",
        fm("title: Post with Permalink\npermalink: my_category/permalinked-post"),
        {"permalink": "/my_category/permalinked-post"},
    ),
    (
        "placeholders in a front matter permalink",
        "2015-02-20-extensionless-permalink.markdown",
        fm("title: Extensionless Permalink\npermalink: /:title"),
        {"permalink": "/extensionless-permalink"},
    ),
    (
        "the front matter slug is the :title",
        "2016-05-17-01.md",
        fm("title: Force\nslug: Cummulating force"),
        {"permalink": "/posts/2016/05/Cummulating-force/", "slug": "Cummulating force"},
    ),
    (
        "URL-unsafe characters of the file name leave :title",
        "2009-03-12-hash-#1.markdown",
        fm("title: Hash"),
        {"permalink": "/posts/2009/03/hash-1/"},
    ),
    (
        "trailing dots of the slug go",
        "2018-10-12-trailing-dots...markdown",
        fm("title: Ellipsis Path"),
        {"permalink": "/posts/2018/10/trailing-dots/", "slug": "trailing-dots"},
    ),
    (
        "a year written twice in the date: ignored with a warning, as Ruby does",
        "2023-01-29-jekyll-3-9-3-released.markdown",
        fm("title: x\ndate: 2023-01-29 18:30:22 2023 -0800"),
        {"published_at": "2023-01-30T02:30:22+00:00"},
    ),
    (
        "far-future date",
        "2010-10-25-post-future-date.md",
        fm("title: Future\ndate: 9999-12-31"),
        {"published_at": "9999-12-31T00:00:00+00:00"},
    ),
    (
        "no front matter",
        "2009-06-22-no-yaml.markdown",
        "No YAML.\n",
        {"title": "No Yaml", "body": "No YAML.\n"},  # Jekyll 4.3 publishes it, as all this
    ),
    (
        "a blank line before the opening ---",
        "2015-8-15-blog-post-5.md",
        "\n---\ntitle: x\n---\nBody",
        {"title": "Blog Post 5", "body": "\n---\ntitle: x\n---\nBody"},
    ),
    (
        "text before the opening ---",
        "2020-01-01-template.md",
        "Some text\n---\ntitle: x\n---\nBody",
        {"title": "Template", "body": "Some text\n---\ntitle: x\n---\nBody"},
    ),
    (
        "in _posts, a name without YYYY-MM-DD-",
        "01-01-2020-blog-post-1.md",
        fm("title: x\ndate: 2020-01-01"),
        ("skipped", "YYYY-MM-DD-title"),
    ),
    (
        "in _posts, a date but no slug",
        "2024-02-15.markdown",
        fm("title: x"),
        ("skipped", "YYYY-MM-DD-title"),
    ),
    ("a .text file", "2011-04-12-text-extension.text", fm("title: x"), ("skipped", "'.text'")),
    ("a .yml file", "2008-02-03-wrong-extension.yml", fm("title: x"), ("skipped", "'.yml'")),
    ("no extension", "1-22-2019", fm("title: x"), ("skipped", "no extension")),
    ("a dotfile", ".template.md", fm("title: x"), ("skipped", "start with '.'")),
    (
        "broken YAML: an apostrophe inside a single-quoted title",
        "2014-08-14-blog-post-0.md",
        fm("title: 'Privacy papers in Neurips '20'\ndate: 2014-08-14"),
        ("failed", "not valid YAML at line 2"),
    ),
    (
        "front matter that is a list, not keys",
        "2014-08-14-list.md",
        fm("- a\n- b"),
        ("failed", "not a mapping"),
    ),
    (
        "front matter never closed",
        "2014-08-14-open.md",
        "---\ntitle: x\nBody",
        ("failed", "never closed"),
    ),
    (
        "impossible date 1000-00-00 in the front matter",
        "1000-00-00-future-post.md",
        fm("title: 'Future Blog Post'\ndate: 1000-00-00"),
        ("failed", "'1000-00-00' does not exist"),
    ),
    (
        "impossible date in the file name only",
        "2019-02-30-no-such-day.md",
        fm("title: x"),
        ("failed", "'2019-02-30' does not exist"),
    ),
    (
        "a date Ruby's Time.parse would not read either",
        "2020-01-01-blog-post-1.md",
        fm("title: x\ndate: sometime soon"),
        ("failed", "'sometime soon' is not a date"),
    ),
    (
        "a date pushed past year 9999 by its offset",
        "2010-10-25-overflow.md",
        fm("title: x\ndate: 9999-12-31 23:00:00 -0500"),
        ("failed", "out of range"),
    ),
    (
        "a permalink that is an absolute URL",
        "2012-08-09-blog-post.md",
        fm("title: x\npermalink: https://other.example/posts/x/#top"),
        ("failed", "absolute URL"),
    ),
    (
        "a permalink on a path the blog uses",
        "2012-08-09-tags.md",
        fm("title: x\npermalink: /tags/python/"),
        ("failed", "the blog itself uses"),
    ),
    (
        "no title and no slug to make one from",
        "2012-08-09-.md",
        fm("date: 2012-08-09"),
        ("failed", "no title"),
    ),
    (
        "a title longer than the column",
        "2012-08-09-long.md",
        fm("title: " + "x" * 501),
        ("failed", "longer than 500"),
    ),
    (
        "empty front matter, a --- line in the body (Jekyll's front matter ends at the first)",
        "2012-08-09-empty-front.md",
        "---\n---\n- item\n---\n",
        {"title": "Empty Front", "body": "- item\n---\n"},
    ),
    ("not UTF-8", "2012-08-09-latin1.md", b"---\ntitle: caf\xe9\n---\n", ("failed", "not UTF-8")),
    (
        "an unclosed {% raw %}",
        "2012-08-09-raw.md",
        fm("title: x", "\n{% raw %} forever\n"),
        ("failed", "never closed"),
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_front_matter_cases(name, text, expected):
    if isinstance(expected, tuple):
        status, words = expected
        error = NotAPost if status == "skipped" else PostError
        with pytest.raises(error) as caught:
            parse(name, text)
        assert words in str(caught.value)
        return
    source = parse(name, text)
    for field_name, value in expected.items():
        actual = getattr(source, field_name)
        if field_name in {"published_at", "last_modified_at"}:
            actual = actual.isoformat()
        assert actual == value, field_name


def test_repeated_year_is_reported_as_a_warning():
    source = parse("2023-01-29-x.md", fm("title: x\ndate: 2023-01-29 18:30:22 2023 -0800"))
    assert source.warnings == ["ignored '2023' in the date '2023-01-29 18:30:22 2023 -0800'"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # Quoted, or without seconds: a string Time.parse reads in the site's zone.
        ('"2015-07-15 23:30:00"', "2015-07-16T03:30:00+00:00"),
        ("2015-07-15 23:30", "2015-07-16T03:30:00+00:00"),
        # Unquoted with seconds: YAML's own timestamp, which Ruby's YAML reads as UTC.
        ("2015-07-15 23:30:00", "2015-07-15T23:30:00+00:00"),
        ("2015-07-15T23:30:00", "2015-07-15T23:30:00+00:00"),
        # A date alone is midnight in the site's zone, quoted or not.
        ("2015-07-15", "2015-07-15T04:00:00+00:00"),
        ('"2015-07-15"', "2015-07-15T04:00:00+00:00"),
    ],
)
def test_dates_without_a_zone_are_read_as_jekyll_reads_them(written, expected):
    settings = SiteSettings(timezone="America/New_York")
    source = parse("2015-07-15-code.md", fm(f"title: x\ndate: {written}"), settings)
    assert source.published_at.isoformat() == expected
    # The permalink's :day is the day in the site's zone.
    local_day = source.published_at.astimezone(settings.zone).strftime("%Y/%m")
    assert source.permalink == f"/posts/{local_day}/code/"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("4 March 2019", "2019-03-04T00:00:00+00:00"),
        ("March 4, 2019 10:00", "2019-03-04T10:00:00+00:00"),
        ("04/03/2019", "2019-03-04T00:00:00+00:00"),
        ("2019/03/04 08:00", "2019-03-04T08:00:00+00:00"),
        ("Mon, 4 Mar 2019 10:00:00 +0100", "2019-03-04T09:00:00+00:00"),
    ],
)
def test_dates_in_the_forms_ruby_time_parse_takes(written, expected):
    source = parse("2019-03-04-x.md", fm(f"title: x\ndate: {written}"))
    assert source.published_at.isoformat() == expected
    assert source.warnings == []


def test_the_source_key_is_relative_to_the_posts_folder():
    data = fm("title: Nested").encode()
    nested = parse_post(data, PurePath("/site/_posts/es/2008-11-21-nested.md"), SITE)
    loose = parse_post(data, PurePath("/elsewhere/2008-11-21-nested.md"), SITE)
    assert nested.source_key == "es/2008-11-21-nested.md"
    assert loose.source_key == "2008-11-21-nested.md"


def test_outside_posts_a_dateless_name_takes_the_front_matter_date():
    data = fm("title: Clear Goals\ndate: 2022-09-20").encode()
    source = parse_post(data, PurePath("/notes/001_clear_goals.md"), SITE)
    assert source.published_at.isoformat() == "2022-09-20T00:00:00+00:00"
    # `:title` keeps the file's slug as written, underscores included (as Jekyll does).
    assert source.permalink == "/posts/2022/09/001_clear_goals/"
    with pytest.raises(NotAPost, match="no date"):
        parse_post(fm("title: x").encode(), PurePath("/notes/undated.md"), SITE)


POST = "2024-05-29-welcome-to-jekyll.markdown"
POST_TEXT = fm("title: Welcome\ndate: 2024-05-29 17:32:25 +0000\ncategories: Jekyll update")


@pytest.mark.parametrize(
    ("style", "permalink"),
    [
        ("/posts/:year/:month/:title/", "/posts/2024/05/welcome-to-jekyll/"),
        ("date", "/jekyll/update/2024/05/29/welcome-to-jekyll.html"),
        ("pretty", "/jekyll/update/2024/05/29/welcome-to-jekyll/"),
        ("ordinal", "/jekyll/update/2024/150/welcome-to-jekyll.html"),
        ("weekdate", "/jekyll/update/2024/W22/Wed/welcome-to-jekyll.html"),
        ("none", "/jekyll/update/welcome-to-jekyll.html"),
        ("/:short_year/:i_month/:i_day/:slug", "/24/5/29/welcome-to-jekyll"),
        ("/:year/:title:output_ext", "/2024/welcome-to-jekyll.html"),
    ],
)
def test_permalink_styles_and_placeholders(style, permalink):
    settings = SiteSettings(permalink=style)
    assert parse(POST, POST_TEXT, settings).permalink == permalink


def test_no_categories_leave_no_empty_segment():
    source = parse("2024-05-29-plain.md", fm("title: Plain"), SiteSettings(permalink="pretty"))
    assert source.permalink == "/2024/05/29/plain/"


def liquid(text: str, site_url: str, page: dict | None = None) -> tuple[str, list[str]]:
    """`text` with its Liquid run for a folder imported on its own (no site around it)."""
    site = site_context_for(SiteSettings(site_url=site_url.rstrip("/")))
    result = render_liquid(text, LiquidContext(site=site, page=page or {}))
    return result.text, result.warnings


@pytest.mark.parametrize(
    ("site_url", "text", "expected", "warned"),
    [
        ("http://blog.example", "{{ site.url }}/x", "http://blog.example/x", ""),
        ("http://blog.example", "{{ site.baseurl }}/img.png", "/img.png", ""),
        ("https://ex.org/blog/", "{{site.baseurl}}/img.png", "/blog/img.png", ""),
        ("https://ex.org/blog", "{{ base_path }}/a", "/blog/a", ""),
        ("https://ex.org/blog", "{{ '/a.css' | relative_url }}", "/blog/a.css", ""),
        ("https://ex.org/blog", '{{ "a.css" | absolute_url }}', "https://ex.org/blog/a.css", ""),
        ("http://b", "{% raw %}{{ page.title }}{% endraw %}", "{{ page.title }}", ""),
        ("http://b", "a{% comment %} hidden {% endcomment %}b", "ab", ""),
        ("http://b", "a {% include footer.html %}b", "a b", "{% include footer.html %}"),
        ("http://b", "{{ page.nothing | date: '%c' }}", "", ""),
        ("http://b", "a  {%- if x -%}  b{% endif %}", "a", ""),
        ("http://b", "{% post_url 2024-05-29-hello %}", "/posts/2024/05/hello/", ""),
        ("http://b", "[x]({% post_url nodate %})", "[x]()", "{% post_url nodate %}"),
        ("http://b", "{% aside %}kept{% endaside %}", "kept", "{% aside %} is from a plugin"),
        (
            "http://b",
            "Text\n{% highlight ruby linenos %}\nputs 1\n{% endhighlight %}\n",
            'Text\n\n```ruby jekyll_figure="1" linenums="1"\nputs 1\n```\n\n',
            "",
        ),
        (
            "http://b",
            "{% highlight md %}\n```\ncode\n```\n{% endhighlight %}",
            '\n````md jekyll_figure="1"\n```\ncode\n```\n````\n',
            "",
        ),
    ],
)
def test_liquid(site_url, text, expected, warned):
    rendered, warnings = liquid(text, site_url)
    assert rendered == expected
    assert (warned in warnings[0]) if warned else warnings == []


def test_page_variables_and_liquid_warnings_name_the_file_line():
    text = "\n{{ page.title }} at {{ page.url }} on {{ page.date | date: '%-d %B %Y' }}\n\n"
    source = parse("2013-06-07-x.markdown", fm("title: x", text + "{% gist 123 %}\n"))
    assert source.body.strip().startswith("x at /posts/2013/06/x/ on 7 June 2013")
    assert source.warnings == [
        "line 7: Liquid tag {% gist %} is from a plugin the app does not have: left out"
        " (a block's content is kept)"
    ]


def test_setext_headings_after_front_matter_are_h2():
    source = parse(
        "2025-09-30-x.md",
        fm(
            "title: x\ntags:\n  - a",
            "\nIntro\n\nCase Study Summary\n---\nText.\n\nReflection:\n---\nMore.\n",
        ),
    )
    body_html, _ = render_post(source.body)
    assert body_html.count("<h2") == 2
    assert '<h2 id="case-study-summary">Case Study Summary</h2>' in body_html
    assert "title:" not in body_html and "<hr" not in body_html


def test_markdown_extensions():
    html = render_markdown(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```\n\nNote[^1]\n\n"
        "[^1]: The note.\n\nPara\n{: .notice--info}\n"
    )
    assert "<table>" in html
    # Highlighted by Pygments, the language named on the block as Jekyll's Rouge does
    assert '<div class="language-python highlighter-rouge"><div class="highlight">' in html
    assert '<span class="n">x</span>' in html
    assert 'class="footnote"' in html
    assert '<p class="notice--info">Para</p>' in html


@pytest.mark.parametrize(
    ("body", "kwargs", "excerpt"),
    [
        ("\nFirst para.\n\nSecond.\n", {}, "<p>First para.</p>"),
        ("One\n<!--more-->\nTwo\n", {}, "<p>One\n<!--more-->\nTwo</p>"),
        ("One\n<!--more-->\nTwo\n", {"excerpt_separator": "<!--more-->"}, "<p>One</p>"),
        ("One\ntwo\n<!-- more -->\n\nThree\n", {}, "<p>One\ntwo\n<!-- more --></p>"),
        ("A\n\nB\n---\nC\n", {"excerpt_separator": "\n---\n"}, "<p>A</p>\n<p>B</p>"),
        ("Body.\n", {"excerpt": "Custom *one*"}, "Custom *one*"),
        (
            "See [link ref][link].\n\nMore\n\n[link]: https://jekyllrb.com/\n",
            {},
            '<p>See <a href="https://jekyllrb.com/">link ref</a>.</p>',
        ),
        ("<div><p>Open\n\n</p></div>", {"is_markdown": False}, "<div><p>Open</p></div>"),
    ],
)
def test_excerpts(body, kwargs, excerpt):
    assert render_post(body, **kwargs)[1] == excerpt


def test_html_body_is_kept_and_its_excerpt_closed():
    body = (
        "<html><head><style>p{}</style></head><body><div><p>Hello\n\nrest</p></div></body></html>"
    )
    body_html, excerpt_html = render_post(body, is_markdown=False)
    assert body_html == body
    assert excerpt_html == "<div><p>Hello</p></div>"


@pytest.mark.parametrize(
    ("fragment", "balanced"),
    [
        ("<p>a <em>b</p>", "<p>a <em>b</em></p>"),
        ("a</div>b", "ab"),
        ("<img src=x><br>t", "<img src=x><br>t"),
        ("&amp; &#169; <!-- c -->", "&amp; &#169; <!-- c -->"),
    ],
)
def test_balance_html(fragment, balanced):
    assert balance_html(fragment) == balanced
