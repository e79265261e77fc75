"""The look is the author's own: templates in the instance folder override the package's,
files in `<instance>/static/` are served at /theme/, and the author's bio and links show."""

from __future__ import annotations

import pytest


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    (folder / "templates" / "partials").mkdir(parents=True)
    (folder / "static").mkdir()
    monkeypatch.setenv("MICROBLOG_INSTANCE", str(folder))
    return folder


def test_a_template_in_the_instance_folder_changes_the_header(instance, make_app):
    (instance / "templates" / "partials" / "site_header.html").write_text(
        '<header class="site-header"><p class="site-title">My own header</p></header>\n'
    )
    app = make_app()
    page = app.test_client().get("/").get_data(as_text=True)
    assert "My own header" in page
    assert 'role="search"' not in page  # the package's header was replaced
    assert "<footer" in page  # the rest of the page is the package's


def test_custom_css_and_images_are_served_from_the_instance(instance, make_app):
    (instance / "static" / "custom.css").write_text("body { color: rebeccapurple; }\n")
    (instance / "static" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    app = make_app()
    client = app.test_client()
    assert '<link rel="stylesheet" href="/theme/custom.css">' in client.get("/").get_data(
        as_text=True
    )
    css = client.get("/theme/custom.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert b"rebeccapurple" in css.data
    css.close()
    logo = client.get("/theme/logo.png")
    assert logo.mimetype == "image/png"
    logo.close()
    assert client.get("/theme/../config.py").status_code == 404
    assert client.get("/theme/missing.css").status_code == 404


def test_without_custom_css_no_link(instance, make_app):
    page = make_app().test_client().get("/").get_data(as_text=True)
    assert "/theme/custom.css" not in page


def test_the_author_bio_and_links_show_under_posts(make_app):
    from conftest import EXAMPLE_PERMALINK, EXAMPLE_POST

    app = make_app(
        SITE_AUTHOR="Ada",
        SITE_AUTHOR_BIO="Writes about machines.",
        SITE_LINKS="Mastodon=https://social.example/@ada, bad=javascript:alert(1)",
    )
    result = app.test_cli_runner().invoke(args=["posts", "import", str(EXAMPLE_POST)])
    assert result.exit_code == 0, result.output
    page = app.test_client().get(EXAMPLE_PERMALINK).get_data(as_text=True)
    assert "Writes about machines." in page
    assert '<a rel="me" href="https://social.example/@ada">Mastodon</a>' in page
    assert "javascript:" not in page
