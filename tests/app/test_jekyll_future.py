"""`future: true` in a site's `_config.yml`: Jekyll then publishes a post dated later than
now at once, at its own address; so does the import (the app dates it now, and says so).
Without it the post waits for its date, as Jekyll leaves it out until then."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Post

AHEAD = "---\ntitle: Ahead\n---\nWritten for later.\n"
ADDRESS = "/2999/01/01/ahead.html"  # Jekyll's default permalink, from the written date


def write_site(root, config: str) -> None:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(config)
    (root / "_posts" / "2999-01-01-ahead.md").write_text(AHEAD)
    (root / "_posts" / "2024-01-01-before.md").write_text("---\ntitle: Before\n---\nOld.\n")


def test_future_true_publishes_a_later_post_now_at_its_address(app, client, tmp_path):
    write_site(tmp_path / "site", "future: true\n")
    started = datetime.now(UTC).replace(microsecond=0)
    result = app.test_cli_runner().invoke(args=["posts", "import", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "future: true" not in result.output.split("imported:")[0]  # no "not followed" note
    assert "published now, as _config.yml's future: true has Jekyll do" in result.output
    page = client.get(ADDRESS)
    assert page.status_code == 200 and "Written for later." in page.get_data(as_text=True)
    assert "Ahead" in client.get("/").get_data(as_text=True)
    with app.app_context():
        post = db.session.execute(select(Post).where(Post.permalink == ADDRESS)).scalar_one()
        assert started <= post.published_at.replace(tzinfo=UTC) <= datetime.now(UTC)
    again = app.test_cli_runner().invoke(args=["posts", "import", str(tmp_path / "site")])
    assert f"unchanged: {tmp_path / 'site' / '_posts' / '2999-01-01-ahead.md'}" in again.output


@pytest.mark.parametrize("config", ["title: t\n", "future: false\n"])
def test_without_future_a_later_post_waits_for_its_date(app, client, tmp_path, config):
    write_site(tmp_path / "site", config)
    result = app.test_cli_runner().invoke(args=["posts", "import", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert client.get(ADDRESS).status_code == 404
    assert "Ahead" not in client.get("/").get_data(as_text=True)
