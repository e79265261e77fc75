"""The class "nothing an imported site brought runs on the blog's origin", on SQLite and
PostgreSQL: every served site file carries a sandboxing CSP and nosniff, so an HTML or SVG
file opens scriptless in an opaque origin; a script file is served as a download of no
runnable type, so a `<script src>` in an imported post cannot run it with the blog's
cookies; ordinary images and styles keep their types."""

from __future__ import annotations

import pytest

SCRIPT = "<script>fetch('/admin/posts')</script>"
FILES = {
    "old/demo.html": f"<html><body>{SCRIPT}</body></html>",
    "old/page.htm": f"<p>{SCRIPT}</p>",
    "img/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "assets/js/app.js": "document.cookie",
    "assets/js/mod.mjs": "export default 1",
    "assets/app.wasm": "\0asm",
    "data/feed.xml": "<?xml version='1.0'?><x/>",
    "assets/site.css": "body { color: red }",
    "data/list.json": "[1]",
}


@pytest.fixture
def served(make_app, tmp_path):
    site = tmp_path / "site"
    for name, text in FILES.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (site / "_config.yml").write_text("title: Old site\n")
    app = make_app(MEDIA_FOLDER=str(tmp_path / "media"))
    result = app.test_cli_runner().invoke(args=["posts", "import", str(site)])
    assert "site files: 9 copied" in result.output, result.output
    return app.test_client()


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_served_site_file_is_sandboxed_and_never_sniffed(served, name):
    answer = served.get("/" + name)
    answer.close()  # the file is streamed
    assert answer.status_code == 200
    policy = answer.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize("name", ["assets/js/app.js", "assets/js/mod.mjs", "assets/app.wasm"])
def test_a_script_file_is_served_as_a_download_no_page_can_run(served, name):
    answer = served.get("/" + name)
    answer.close()  # the file is streamed
    assert answer.mimetype == "application/octet-stream"
    assert answer.headers["Content-Disposition"] == "attachment"


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("assets/site.css", "text/css"),
        ("img/logo.svg", "image/svg+xml"),
        ("data/list.json", "application/json"),
    ],
)
def test_ordinary_files_keep_their_types(served, name, mimetype):
    answer = served.get("/" + name)
    answer.close()  # the file is streamed
    assert answer.mimetype == mimetype
    assert not answer.headers.get("Content-Disposition", "").startswith("attachment")
