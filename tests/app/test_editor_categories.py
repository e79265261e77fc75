"""The editor as an imported site's author uses it: a categories field, and new posts at the
site's own permalink style, which a whole-site import stores from `_config.yml`."""

from __future__ import annotations

from pathlib import Path

from editor_helpers import create_post, posts_in_db, signed_in, update_post

SITE_ROOT = Path(__file__).resolve().parent.parent / "data" / "jekyll-site"


def test_categories_are_saved_shown_and_shape_the_address(make_app):
    app = make_app(PERMALINK="/:categories/:year/:title/")
    client = signed_in(app)
    answer = create_post(client, title="Trip notes", categories="Travel, Food, travel")
    assert answer.status_code == 303
    [post] = posts_in_db(app)
    assert post.categories == ["Travel", "Food"]
    assert post.permalink == "/travel/food/2025/trip-notes/"
    edit = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'name="categories"' in edit and 'value="Travel, Food"' in edit
    assert update_post(client, post.id, categories="Food").status_code == 303
    [post] = posts_in_db(app)
    # As in Jekyll, the address follows the categories; the old one leads to the new.
    assert post.categories == ["Food"] and post.permalink == "/food/2025/trip-notes/"
    old = app.test_client().get("/travel/food/2025/trip-notes/")
    assert old.status_code == 301 and old.headers["Location"].endswith("/food/2025/trip-notes/")


def test_a_whole_site_import_sets_the_permalink_of_new_posts(make_app, tmp_path):
    app = make_app(PERMALINK="/posts/:year/:month/:title/", MEDIA_FOLDER=str(tmp_path / "media"))
    result = app.test_cli_runner().invoke(args=["posts", "import", str(SITE_ROOT)])
    assert result.exit_code == 0, result.output
    client = signed_in(app)
    answer = create_post(client, title="Written in the app", published_at="2025-10-01T09:30:00")
    assert answer.status_code == 303
    made = [p for p in posts_in_db(app) if p.title == "Written in the app"]
    # _config.yml: permalink: /:year/:month/:day/:title/
    assert made[0].permalink == "/2025/10/01/written-in-the-app/"
