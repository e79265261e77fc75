"""Every page template, the stylesheet and the icon through the Nu HTML checker (`vnu-jar`
from npm, on the installed Java). Pages are fetched with the test client and checked in one
JVM run, since the JVM is slow to start. Skips, saying why, when Java or
`node_modules/vnu-jar` is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from comment_helpers import csrf_from, insert_post, log_in, post_comment
from flask import render_template
from servers import PROJECT_ROOT

from microblog.jekyll.markdown import render_post

VNU_JAR = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
STATIC = PROJECT_ROOT / "microblog" / "static"
AUTHOR = ("author", "a long enough password for the test")
MATH_TEXT = (
    "Inline $$\\frac{a}{b} < \\sqrt{x^2}$$ and $$\\mathbb{R}^n$$.\n\n"
    "$$\n\\sum_{i=1}^n i = \\frac{n(n+1)}{2}\n$$\n\n"
    "$$\\begin{pmatrix}1 & 2\\\\ 3 & 4\\end{pmatrix} \\color{red}{x}"
    " \\hspace{1em} \\binom{n}{k}$$\n\n"
    "Kept: $$\\frac{a$$\n"
)


# Rendering does not depend on the database, so one backend is enough here.
def java() -> str | None:
    """The `java` command, when installed."""
    return shutil.which("java")


def run_vnu(paths: list[Path]) -> list[dict]:
    """The Nu checker's error messages for these files, in one run."""
    result = subprocess.run(
        [
            *(java(), "-jar", str(VNU_JAR), "--errors-only", "--format", "json"),
            *("--also-check-css", "--also-check-svg", *map(str, paths)),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    # vnu writes its JSON report to stderr and exits 1 when it found errors.
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    return report["messages"]


def collect_pages(app, client, runner, example_post: str) -> dict[str, tuple[int, str]]:
    """Every page template in the states worth checking: {name: (status, html)}."""
    pages: dict[str, tuple[int, str]] = {}

    def keep(name, response, status=200):
        assert response.status_code == status, (name, response.status_code)
        pages[name] = (response.status_code, response.get_data(as_text=True))

    # A second post and one post per page, so that the listings show their pagination.
    insert_post(app, title="A second post", slug="second-post", tag_names=["Generative AI"])
    app.config["POSTS_PER_PAGE"] = 1

    keep("home", client.get("/"))
    keep("home-page-2", client.get("/?page=2"))
    keep("post", client.get(example_post))
    keep("tag-index", client.get("/tags/"))
    keep("tag", client.get("/tags/generative-ai/"))
    keep("not-found", client.get("/no/such/page/"), 404)
    keep("tag-not-found", client.get("/tags/no-such-tag/"), 404)

    # Math rendered to MathML (block, inline, a matrix), and TeX kept where it could not be.
    math_html, _ = render_post(MATH_TEXT)
    math_post = insert_post(
        app,
        title="Math",
        slug="math",
        body_html=math_html,
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    keep("post-with-math", client.get(math_post))

    # The comment form refused, with a message per field and the reader's text kept.
    refused = post_comment(client, example_post, name="", email="not-an-address", body="Kept.")
    assert refused.status_code in (400, 422)
    keep("comment-form-errors", refused, refused.status_code)

    # A reader's own pending comment, shown back to them.
    reader = app.test_client()
    assert post_comment(reader, example_post, body="Pending *for now*.").status_code == 303
    keep("post-with-own-pending-comment", reader.get(example_post))

    # The author's pages.
    result = runner.invoke(
        args=["author", "create", AUTHOR[0], "--password-stdin"], input=AUTHOR[1] + "\n"
    )
    assert result.exit_code == 0, result.output
    author = app.test_client()
    keep("login", author.get("/admin/login"))
    wrong = log_in(author, AUTHOR[0], "not the password")
    keep("login-error", wrong, wrong.status_code)
    assert log_in(author, *AUTHOR).status_code == 303
    keep("moderation-queue", author.get("/admin/comments?status=pending"))
    keep("moderation-queue-empty", author.get("/admin/comments?status=spam"))
    token = csrf_from(author, "/admin/comments")
    # Deleting a comment that is not in the trash is refused with a page that says why.
    denied = author.post("/admin/comments/1/delete", data={"csrf_token": token})
    keep("moderation-refused", denied, denied.status_code)
    approve = author.post("/admin/comments/1/approve", data={"csrf_token": token})
    assert approve.status_code == 303
    keep("moderation-approved", author.get("/admin/comments?status=approved"))
    keep("post-with-approved-comment", app.test_client().get(example_post))

    # The editor: the list, a new post, a refused one, an edit, a 409, a preview, a delete.
    keep("editor-list", author.get("/admin/posts"))
    keep("editor-new", author.get("/admin/posts/new"))
    fields = {"csrf_token": token, "title": "", "body": "A *note*.", "tags": "a, b"}
    refused = author.post("/admin/posts", data={**fields, "body": "", "permalink": "http://x/"})
    keep("editor-refused", refused, 400)
    keep(
        "editor-preview-no-script",
        author.post("/admin/posts", data={**fields, "action": "preview"}),
    )
    saved = author.post("/admin/posts", data=fields)
    assert saved.status_code == 303, saved.get_data(as_text=True)
    edit_url = saved.headers["Location"]
    keep("editor-edit", author.get(edit_url))
    post_url = edit_url.removesuffix("/edit")
    author.post(post_url, data={**fields, "version": "1", "body": "Newer."})
    keep("editor-conflict", author.post(post_url, data={**fields, "version": "1"}), 409)
    keep("editor-delete", author.get(post_url + "/delete"))
    keep("note", app.test_client().get("/"))

    with app.test_request_context("/"):
        pages["server-error"] = (500, render_template("errors/500.html"))
    return pages


def test_every_page_template_is_valid_html(app, client, runner, example_post, tmp_path):
    if java() is None:
        pytest.skip("java not installed: Nu HTML checker skipped (apt-get install default-jre)")
    if not VNU_JAR.exists():
        pytest.skip("node_modules/vnu-jar missing: Nu HTML checker skipped (run `npm ci`)")
    pages = collect_pages(app, client, runner, example_post)
    files = {}
    for name, (_status, html) in pages.items():
        files[name] = tmp_path / f"{name}.html"
        files[name].write_text(html, encoding="utf-8")
    # The stylesheet and the icon go through the same run (CSS and SVG checks).
    files.update({path.name: path for path in sorted(STATIC.glob("*.css"))})
    files.update({path.name: path for path in sorted(STATIC.glob("*.svg"))})
    messages = run_vnu(list(files.values()))

    by_page: dict[str, list[str]] = {}
    names = {path.resolve(): name for name, path in files.items()}
    for message in messages:
        url = message.get("url", "?")  # file:/tmp/…/home.html
        name = names.get(Path(url.removeprefix("file:")).resolve(), url)
        where = f"line {message.get('lastLine', '?')}"
        by_page.setdefault(name, []).append(
            f"{where}: {message['message']} [{message.get('extract', '').strip()}]"
        )
    report = "\n".join(
        f"{name}:\n    " + "\n    ".join(errors) for name, errors in sorted(by_page.items())
    )
    assert not by_page, "Nu HTML checker errors:\n" + report
