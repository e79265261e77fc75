"""A fresh clone's first run: `/admin` leads somewhere, `make run PORT=…` moves SITE_URL
unless it is set, and the example post is a demo that the author's own import takes out."""

from __future__ import annotations

import pytest
from conftest import EXAMPLE_PERMALINK, SAMPLE_POSTS
from editor_helpers import signed_in

from microblog import create_app
from microblog.extensions import db


def test_admin_leads_to_the_sign_in_page_or_the_dashboard(app, client):
    for path in ("/admin", "/admin/"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith("/admin/login")
    author = signed_in(app)
    answer = author.get("/admin")
    assert answer.status_code == 302 and "/admin/comments" in answer.headers["Location"]
    assert author.get(answer.headers["Location"]).status_code == 200


@pytest.fixture
def fresh_checkout(tmp_path, monkeypatch):
    """create_app() as `make run` calls it: settings from an instance folder and the
    environment only."""
    instance = tmp_path / "instance"
    instance.mkdir()
    for name in ("SITE_URL", "MICROBLOG_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MICROBLOG_INSTANCE", str(instance))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'blog.sqlite'}")
    monkeypatch.setenv("JOBS_RUNNER", "0")
    apps = []

    def build():
        app = create_app()
        apps.append(app)
        return app

    yield instance, build
    for app in apps:
        app.extensions["generation_reader"].close()
        with app.app_context():
            db.engine.dispose()


def test_site_url_follows_make_run_s_port_unless_it_is_set(fresh_checkout, monkeypatch):
    instance, build = fresh_checkout
    assert build().config["SITE_URL"] == "http://127.0.0.1:5000"
    monkeypatch.setenv("MICROBLOG_SERVER_URL", "http://127.0.0.1:8080")
    assert build().config["SITE_URL"] == "http://127.0.0.1:8080"
    (instance / "config.py").write_text('SITE_URL = "https://from-config.example"\n')
    assert build().config["SITE_URL"] == "https://from-config.example"
    monkeypatch.setenv("SITE_URL", "https://from-env.example/")
    assert build().config["SITE_URL"] == "https://from-env.example"


def test_the_example_post_is_a_demo_the_author_s_own_import_takes_out(fresh_checkout, write_post):
    _, build = fresh_checkout
    app = build()
    cli = app.test_cli_runner()
    first = cli.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    demo = cli.invoke(args=["posts", "import", "--if-empty", "--example", str(SAMPLE_POSTS)])
    assert demo.exit_code == 0 and "imported" in demo.output
    assert app.test_client().get(EXAMPLE_PERMALINK).status_code == 200

    mine = write_post("2025-10-01-mine.md", "---\ntitle: Mine\n---\n\nMy own words.\n")
    own = cli.invoke(args=["posts", "import", str(mine)])
    assert own.exit_code == 0, own.output
    assert f"removed: {EXAMPLE_PERMALINK} (the example post" in own.output
    assert app.test_client().get(EXAMPLE_PERMALINK).status_code in (404, 410)
    again = cli.invoke(args=["posts", "import", "--if-empty", "--example", str(SAMPLE_POSTS)])
    assert "nothing imported" in again.output
    assert app.test_client().get(EXAMPLE_PERMALINK).status_code in (404, 410)


def test_an_edited_example_post_stays_and_other_databases_keep_theirs(
    fresh_checkout, write_post, import_posts, app
):
    # Another database (the test's own `app`) that imported the example as a file: kept.
    import_posts(SAMPLE_POSTS)
    _, build = fresh_checkout
    demo_app = build()
    cli = demo_app.test_cli_runner()
    assert cli.invoke(args=["db", "upgrade"]).exit_code == 0
    cli.invoke(args=["posts", "import", "--if-empty", "--example", str(SAMPLE_POSTS)])
    with demo_app.app_context():
        from sqlalchemy import update

        from microblog.models import Post

        db.session.execute(update(Post).values(version=Post.version + 1))
        db.session.commit()
    mine = write_post("2025-10-01-mine.md", "---\ntitle: Mine\n---\n\nMy own words.\n")
    own = cli.invoke(args=["posts", "import", str(mine)])
    assert own.exit_code == 0 and "removed" not in own.output
    assert demo_app.test_client().get(EXAMPLE_PERMALINK).status_code == 200
    import_posts(mine)
    assert app.test_client().get(EXAMPLE_PERMALINK).status_code == 200
