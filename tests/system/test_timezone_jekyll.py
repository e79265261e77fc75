"""A post's day is the day Jekyll gives it, in the site's `timezone:`, and the blog shows that
day with its URL: checked against `jekyll build` for posts dated by their file name only, by
a date alone, by YAML's own timestamp without an offset (UTC to Ruby's YAML), by a quoted or
second-less time (the site's zone to Time.parse), and with an explicit offset."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from jekyll_oracle import JEKYLL, jekyll_build

pytestmark = pytest.mark.skipif(JEKYLL is None, reason="jekyll is not installed")

POSTS = {
    # file name: the front matter's date line ("" for none)
    "2019-01-03-file-name-only.md": "",
    "2019-01-01-date-alone.md": "date: 2019-01-03",
    "2019-01-01-yaml-timestamp.md": "date: 2019-01-03 00:30:00",
    "2019-01-01-late-yaml-timestamp.md": "date: 2019-01-03 23:30:00",
    "2019-01-01-quoted-time.md": 'date: "2019-01-03 00:30:00"',
    "2019-01-01-no-seconds.md": "date: 2019-01-03 23:30",
    "2019-01-01-t-form.md": "date: 2019-01-03T00:30:00",
    "2019-01-01-with-offset.md": "date: 2019-07-03 23:30:00 -0700",
}
# What Jekyll writes into each built page: the post's date in the site's zone.
LAYOUT = '<p class="jekyll-date">{{ page.date | date: "%Y-%m-%dT%H:%M:%S%z" }}</p>\n'


def write_site(root, zone: str) -> None:
    (root / "_posts").mkdir(parents=True)
    (root / "_layouts").mkdir()
    (root / "_layouts" / "default.html").write_text(LAYOUT)
    (root / "_config.yml").write_text(
        f"timezone: {zone}\npermalink: /:year/:month/:day/:title/\n"
        "defaults:\n  - scope: {path: ''}\n    values: {layout: default}\n"
    )
    for name, date_line in POSTS.items():
        front = f"title: {name[11:-3]}\n" + (date_line + "\n" if date_line else "")
        (root / "_posts" / name).write_text(f"---\n{front}---\nSome words.\n")


def jekyll_dates(built) -> dict[str, datetime]:
    """URL → the date Jekyll gave the post (aware, in the site's zone)."""
    found = {}
    for page in built.rglob("index.html"):
        match = re.search(r'class="jekyll-date">([^<]+)<', page.read_text())
        if match:
            url = "/" + str(page.parent.relative_to(built)) + "/"
            found[url] = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S%z")
    return found


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Los_Angeles"])
def test_each_post_lives_on_jekyll_s_day_and_says_so(make_app, tmp_path, zone):
    site = tmp_path / "site"
    write_site(site, zone)
    built = tmp_path / "built"
    jekyll_build(site, built)
    expected = jekyll_dates(built)
    assert len(expected) == len(POSTS), expected

    app = make_app(TIMEZONE=zone, MEDIA_FOLDER=str(tmp_path / "media"))
    result = app.test_cli_runner().invoke(args=["posts", "import", str(site)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    for url, moment in expected.items():
        page = client.get(url)
        assert page.status_code == 200, (url, result.output)
        html = page.get_data(as_text=True)
        shown = re.search(r'class="dt-published" datetime="([^"]+)">([^<]+)<', html)
        assert shown, url
        # The instant with the site's offset, as Jekyll has it, and the day it names.
        assert datetime.fromisoformat(shown.group(1)) == moment, url
        assert shown.group(1).endswith(moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:])
        assert shown.group(2) == f"{moment.day} {moment:%B %Y}", url
        # The URL's day is the day shown.
        assert url.startswith(moment.strftime("/%Y/%m/%d/")), url
