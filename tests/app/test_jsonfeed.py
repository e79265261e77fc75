"""JSON Feed 1.1 for the site and each tag, as a JSON Feed reader fetches and re-checks it."""

from __future__ import annotations

import json
import re

import pytest
from feed_validator import json_feed_problems

SITE = "http://blog.example"
JSON_FEED = "application/feed+json; charset=utf-8"
EXAMPLE_TITLE = "ALG Blog 2: How Generative AI Works and How It Fails"
PATHS = ["/feed.json", "/tags/generative-ai/feed.json"]


def read(client, path: str) -> dict:
    """GET a JSON Feed, check it answers 200 as JSON Feed and passes the schema; parse it."""
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"] == JSON_FEED
    assert json_feed_problems(response.data) == []
    return json.loads(response.data)


@pytest.mark.parametrize("path", PATHS)
def test_json_feed_has_the_example_post(client, example_post, path):
    feed = read(client, path)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == SITE + path
    (item,) = feed["items"]
    url = SITE + example_post
    assert (item["id"], item["url"], item["title"]) == (url, url, EXAMPLE_TITLE)
    assert item["date_published"] == "2025-09-30T00:00:00+00:00"
    assert item["tags"][:3] == ["Generative AI", "Langauge Models", "Deep learning"]
    assert item["authors"] == [{"name": "The author"}]
    assert "Why I chose it" in item["content_html"]
    assert 'href="https://mit-serc.pubpub.org/pub/f3o5mpn6/release/1?' in item["content_html"]


def test_tag_json_feed_names_the_tag(client, example_post):
    feed = read(client, "/tags/langauge-models/feed.json")
    assert feed["title"] == "Test Blog — Langauge Models"
    assert feed["home_page_url"] == SITE + "/tags/langauge-models/"


def test_json_feed_of_an_empty_site_is_valid(client):
    feed = read(client, "/feed.json")
    assert feed["items"] == []


def test_excerpt_only_when_full_text_is_off(make_app, example_post):
    app = make_app(FEED_FULL_TEXT=False)
    (item,) = read(app.test_client(), "/feed.json")["items"]
    assert "Why I chose it" not in item["content_html"]
    assert "Generative AI and the Question of Fairness" in item["content_html"]


@pytest.mark.parametrize("path", PATHS)
def test_json_feed_validators_and_304(client, example_post, path):
    first = client.get(path)
    assert re.fullmatch(r'"[0-9a-f]+"', first.headers["ETag"])
    assert first.cache_control.public and first.cache_control.max_age == 300
    etag, since = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": since}).status_code == 304
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(first.data))


def test_unknown_tag_is_404_not_an_empty_feed(client, example_post):
    response = client.get("/tags/no-such-tag/feed.json")
    assert response.status_code == 404
    assert not response.headers["Content-Type"].startswith("application/feed+json")


def test_a_typed_tag_name_redirects_to_the_slug(client, example_post):
    response = client.get("/tags/Generative%20AI/feed.json")
    assert response.status_code == 301
    assert response.headers["Location"] == "/tags/generative-ai/feed.json"


def test_hub_named_when_websub_is_configured(make_app, example_post):
    app = make_app(WEBSUB_HUB="https://hub.example/")
    feed = read(app.test_client(), "/feed.json")
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    assert "hubs" not in read(make_app().test_client(), "/feed.json")


def test_pages_advertise_the_json_feeds(client, example_post):
    pattern = r'<link rel="alternate" type="application/feed\+json"[^>]* href="([^"]+)"'
    assert re.findall(pattern, client.get("/").get_data(as_text=True)) == ["/feed.json"]
    tag_page = client.get("/tags/generative-ai/").get_data(as_text=True)
    assert re.findall(pattern, tag_page) == ["/feed.json", "/tags/generative-ai/feed.json"]
    post_page = client.get(example_post).get_data(as_text=True)
    assert "/tags/deep-learning/feed.json" in re.findall(pattern, post_page)


@pytest.mark.parametrize(
    "path", ["/feed.xml", "/atom.xml", "/feed.json", "/tags/deep-learning/feed.xml"]
)
def test_feeds_name_the_hub_and_themselves_in_a_link_header(make_app, example_post, path):
    client = make_app(WEBSUB_HUB="https://hub.example/").test_client()
    for attempt in ("fill", "hit"):
        response = client.get(path)
        hub_links = f'<https://hub.example/>; rel="hub", <{SITE}{path}>; rel="self"'
        assert hub_links in response.headers.getlist("Link"), attempt
    without = make_app().test_client().get(path).headers.getlist("Link")
    assert not any('rel="hub"' in value for value in without)
