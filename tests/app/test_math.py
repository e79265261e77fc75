"""A post's `$$` math as readers, feed readers and the author get it: MathML on the page and
in the feeds, the author's `$$` text back from an export, TeX that cannot be rendered kept
and named in a warning, and none of it for a reader's comment."""

from __future__ import annotations

import json
import re

from comment_helpers import post_comment
from editor_helpers import create_post, signed_in

MATH_POST = """---
title: Sums
---
The sum $$\\sum_{i=1}^n i$$ is

$$
\\sum_{i=1}^n i = \\frac{n(n+1)}{2}
$$

and $$a < b$$.
"""
PERMALINK = "/posts/2025/01/sums/"
BLOCK = '<math display="block"><semantics>'
TEX = '<annotation encoding="application/x-tex">\\sum_{i=1}^n i = \\frac{n(n+1)}{2}</annotation>'


def test_math_is_mathml_on_the_page_and_in_every_feed(client, write_post, import_posts):
    import_posts(write_post("2025-01-10-sums.md", MATH_POST))
    page = client.get(PERMALINK).get_data(as_text=True)
    assert BLOCK in page and TEX in page
    assert "The sum <math><semantics>" in page
    assert '<annotation encoding="application/x-tex">a &lt; b</annotation>' in page
    assert "$$" not in page and "\\[" not in page
    item = json.loads(client.get("/feed.json").data)["items"][0]
    assert BLOCK in item["content_html"] and TEX in item["content_html"]
    for path in ("/feed.xml", "/atom.xml"):
        escaped = client.get(path).get_data(as_text=True)
        assert "&lt;math display=&quot;block&quot;&gt;" in escaped or (
            '&lt;math display="block"&gt;' in escaped
        ), path


def test_an_export_gives_back_the_tex_the_author_wrote(app, write_post, import_posts, tmp_path):
    import_posts(write_post("2025-01-10-sums.md", MATH_POST))
    result = app.test_cli_runner().invoke(args=["posts", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (exported,) = (tmp_path / "out").rglob("*sums*.md")
    text = exported.read_text(encoding="utf-8")
    assert "$$\n\\sum_{i=1}^n i = \\frac{n(n+1)}{2}\n$$" in text
    assert "$$a < b$$" in text and "<math" not in text


def test_tex_that_cannot_be_rendered_is_imported_with_a_warning(client, write_post, import_posts):
    path = write_post("2025-01-10-broken.md", "---\ntitle: Broken\n---\nSee $$\\frac{a$$ here.\n")
    lines = import_posts(path).output.splitlines()
    assert lines[0] == f"imported: {path}"
    assert (
        f"warning: {path}: math kept as TeX, not rendered (\\frac lacks an argument): $$\\frac{{a$$"
        in lines
    )
    page = client.get("/posts/2025/01/broken/").get_data(as_text=True)
    assert "See <span " in page and "\\(\\frac{a\\)</span> here." in page


def test_the_editor_warns_of_tex_it_kept(app):
    author = signed_in(app)
    saved = create_post(author, title="Broken math", body="Take $$x^2^3$$ twice.")
    assert saved.status_code == 303
    page = author.get(saved.headers["Location"]).get_data(as_text=True)
    assert re.search(
        r"math kept as TeX, not rendered \(double superscripts\): \$\$x\^2\^3\$\$", page
    )


def test_a_readers_comment_gets_no_mathml(app, client, write_post, import_posts):
    import_posts(write_post("2025-01-10-sums.md", MATH_POST))
    body = "Nice: $$\\frac{1}{2}$$ and <math><mi>x</mi></math> <b>bold</b>"
    assert post_comment(client, PERMALINK, body=body).status_code == 303
    from microblog.extensions import db
    from microblog.models import Comment

    with app.app_context():
        (comment,) = db.session.scalars(db.select(Comment)).all()
        assert "<math" not in comment.body_html and "<mi>" not in comment.body_html
        assert "$$\\frac{1}{2}$$" in comment.body_html
