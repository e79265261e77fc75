"""A Jekyll site's pages, imported and compared with what real `jekyll build` makes of the
same site: every page at the URL Jekyll gives it, with the same text (its Liquid run, with
`site.posts`), the site's navigation, and its own 404 page as the blog's 404 answer."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from jekyll_oracle import JEKYLL, structure

pytestmark = pytest.mark.skipif(not JEKYLL, reason="jekyll is not installed")

FILES = {
    "_config.yml": "title: Paged\npermalink: /:year/:month/:day/:title/\nexclude: [README.md]\n",
    "_data/navigation.yml": (
        "- title: About us\n  url: /about/\n- title: Everything\n  url: /list/\n"
    ),
    "_posts/2024-01-02-first.md": "---\ntitle: First steps\n---\nThe *first* post.\n",
    "_posts/2024-02-03-second.md": "---\ntitle: Second thoughts\n---\nThe second post.\n",
    "about.md": "---\ntitle: About\n---\nWe write about **gardens**.\n\n- one\n- two\n",
    "list.html": (
        "---\ntitle: All posts\npermalink: /list/\n---\n<ul>\n"
        '{% for post in site.posts %}<li><a href="{{ post.url }}">{{ post.title }}</a></li>\n'
        "{% endfor %}</ul>\n"
    ),
    "docs/index.md": "---\ntitle: Docs\n---\nThe manual starts here.\n",
    "notes/reading.markdown": "---\ntitle: Reading\n---\nBooks I read: {{ site.title }}.\n",
    "404.md": "---\ntitle: Lost?\npermalink: /404.html\n---\nNothing lives here, sorry.\n",
    "README.md": "---\ntitle: Not published\n---\nexcluded\n",
    "assets/style.scss": "---\n---\nbody { color: red; }\n",
    "legacy/widget.html": "<p>An old widget</p><script>fetch('/admin/')</script>\n",
}
HOOK = """
require "json"
Jekyll::Hooks.register :site, :post_render do |site|
  out = site.pages.map { |p| {"path" => p.relative_path, "url" => p.url, "content" => p.content} }
  File.write(ENV.fetch("PAGES_OUT"), JSON.dump(out))
end
"""


def write_site(root: Path) -> None:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def jekyll_pages(root: Path, work: Path) -> dict[str, dict[str, str]]:
    """What Jekyll made of each page file: {path: {url, content}}."""
    build = work / "build"
    shutil_copy = work / "source"
    subprocess.run(["cp", "-r", str(root), str(shutil_copy)], check=True)
    (shutil_copy / "_plugins").mkdir(exist_ok=True)
    (shutil_copy / "_plugins" / "pages_out.rb").write_text(HOOK)
    out = work / "pages.json"
    subprocess.run(
        [
            JEKYLL,
            "build",
            "--quiet",
            "--disable-disk-cache",
            "-s",
            str(shutil_copy),
            "-d",
            str(build),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "PAGES_OUT": str(out)},
    )
    return {page["path"]: page for page in json.loads(out.read_text())}


def page_body(html: str) -> str:
    """What follows the page's body element (its class list names `post-body` among others)."""
    match = re.search(r'<div class="[^"]*\bpost-body\b[^"]*">', html)
    assert match, "no post-body element on the page"
    return html[match.end() :]


def test_pages_are_served_where_jekyll_puts_them_with_the_same_text(make_app, tmp_path):
    site = tmp_path / "site"
    write_site(site)
    built = jekyll_pages(site, tmp_path)
    app = make_app(MEDIA_FOLDER=str(tmp_path / "media"))
    result = app.test_cli_runner().invoke(args=["posts", "import", str(site)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    page_files = [p for p in built if p.endswith((".md", ".markdown", ".html"))]
    assert sorted(page_files) == sorted(
        ["about.md", "list.html", "docs/index.md", "notes/reading.markdown", "404.md"]
    )
    for path in page_files:
        assert f"imported: {path}" in result.output
        url, content = built[path]["url"], built[path]["content"]
        if path == "404.md":
            continue
        answer = client.get(url)
        assert answer.status_code == 200, (path, url)
        html = answer.get_data(as_text=True)
        body = page_body(html).split("</div>\n</article>", 1)[0]
        assert structure(body) == structure(content), path
    # site.posts, newest first, as Jekyll lists them.
    listing = client.get("/list/").get_data(as_text=True)
    assert listing.index("Second thoughts") < listing.index("First steps")
    # The site's 404 page is the blog's 404 answer; the navigation is the site's own.
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    assert structure(page_body(missing.get_data(as_text=True)).split("</div>")[0]) == structure(
        built["404.md"]["content"]
    )
    home = client.get("/").get_data(as_text=True)
    nav = home.split('<nav aria-label="Site">', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/about/">About us</a>' in nav and '<a href="/list/">Everything</a>' in nav
    # No page in any feed.
    for feed in ("/feed.xml", "/atom.xml", "/feed.json"):
        text = client.get(feed).get_data(as_text=True)
        assert "gardens" not in text and "/about/" not in text
    # An old site's own HTML file: served, but sandboxed, and the import said so.
    assert "refused to run scripts: legacy/widget.html" in result.output
    widget = client.get("/legacy/widget.html")
    assert widget.status_code == 200 and widget.mimetype == "text/html"
    assert "sandbox" in widget.headers["Content-Security-Policy"]
    widget.close()
    # Importing again changes nothing.
    again = app.test_cli_runner().invoke(args=["posts", "import", str(site)])
    assert "unchanged: about.md" in again.output
