"""Micropub from a client's side: every request form of the W3C Recommendation's examples,
sent over HTTP with a token from `flask author token`, then checked on the site."""

from __future__ import annotations

import json

import feedparser
import pytest
from comment_helpers import create_author
from editor_helpers import posts_in_db

SITE = "http://blog.example"


@pytest.fixture
def token(app) -> str:
    """A token for the author, made by the command an author runs."""
    create_author(app)
    result = app.test_cli_runner().invoke(args=["author", "token", "author"])
    assert result.exit_code == 0
    return result.stdout.strip()


def bearer(token: str) -> dict[str, str]:
    """The Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def form_post(client, token: str, body: str):
    """A form-encoded request as the spec prints it (its line breaks are for reading only)."""
    return client.post(
        "/micropub",
        data=body.replace("\n", ""),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        headers=bearer(token),
    )


def json_post(client, token: str, body):
    """A JSON request."""
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        "/micropub", data=raw, content_type="application/json", headers=bearer(token)
    )


def created(response) -> str:
    """The path of a created post, from the 201's Location."""
    assert response.status_code == 201, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(SITE + "/")
    return location[len(SITE) :]


def test_form_encoded_create(client, token, app):
    path = created(
        form_post(client, token, "h=entry&content=hello+world&category[]=foo&category[]=bar")
    )
    page = client.get(path)
    assert page.status_code == 200 and "<p>hello world</p>" in page.get_data(as_text=True)
    assert "<title>hello world" in page.get_data(as_text=True)  # a note: its first words
    [post] = posts_in_db(app)
    assert post.title == "" and post.tag_names == ["foo", "bar"]
    assert feedparser.parse(client.get("/feed.xml").data).entries[0].link.endswith(path)


def test_the_spec_s_other_form_creates(client, token, app):
    body = (
        "h=entry\n&content=My+favorite+of+the+%23quantifiedself+trackers%2C+finally+released"
        "+their+official+API\n&category[]=quantifiedself&category[]=api"
        "\n&mp-syndicate-to=https://myfavoritesocialnetwork.example/aaronpk"
    )
    path = created(form_post(client, token, body))
    assert "#quantifiedself trackers, finally" in client.get(path).get_data(as_text=True)
    path = created(form_post(client, token, "h=entry\n&content=Hello+World"))
    reply = (
        "h=entry\n&content=%40BarnabyWalters+My+favorite+for+that+use+case+is+Redis."
        "\n&in-reply-to=https://waterpigs.example/notes/4S0LMw/"
        "\n&mp-syndicate-to=https://myfavoritesocialnetwork.example/aaronpk"
    )
    reply_path = created(form_post(client, token, reply))
    source = client.get(f"/micropub?q=source&url={SITE}{reply_path}", headers=bearer(token))
    assert source.json["properties"]["in-reply-to"] == ["https://waterpigs.example/notes/4S0LMw/"]
    photo = "h=entry&content=hello+world&photo=https%3A%2F%2Fphotos.example.com%2F592829482876343254.jpg"
    photo_path = created(form_post(client, token, photo))
    assert 'src="https://photos.example.com/592829482876343254.jpg"' in client.get(
        photo_path
    ).get_data(as_text=True)
    assert path and len(posts_in_db(app)) == 4


def test_access_token_in_the_body(client, token):
    response = client.post(
        "/micropub",
        data={"h": "entry", "content": "from the body", "access_token": token},
    )
    assert response.status_code == 201
    both = client.post(
        "/micropub",
        data={"h": "entry", "content": "x", "access_token": token},
        headers=bearer(token),
    )
    assert both.status_code == 400 and both.json["error"] == "invalid_request"


def test_json_creates_from_the_spec(client, token, app):
    path = created(
        json_post(
            client,
            token,
            """{
  "type": ["h-entry"],
  "properties": {
    "name": ["Itching: h-event to iCal converter"],
    "content": [
      {"html": "Now that I've been <a href=\\"https://aaronparecki.com/events\\">creating a list of events</a> on my site using <a href=\\"https://p3k.io\\">p3k</a>, it would be great if I could get a more calendar-like view of that list..."}
    ],
    "category": [
      "indieweb", "p3k"
    ]
  }
}""",
        )
    )
    html = client.get(path).get_data(as_text=True)
    assert ">Itching: h-event to iCal converter</h1>" in html
    assert '<a href="https://p3k.io">p3k</a>' in html
    globe = {
        "type": ["h-entry"],
        "properties": {
            "content": ["hello world"],
            "category": ["foo", "bar"],
            "photo": [
                {"value": "https://photos.example.com/globe.gif", "alt": "Spinning globe animation"}
            ],
        },
    }
    globe_path = created(json_post(client, token, globe))
    assert 'alt="Spinning globe animation"' in client.get(globe_path).get_data(as_text=True)
    html_only = {
        "type": ["h-entry"],
        "properties": {
            "content": [
                {
                    "html": '<p>Hello World</p><p><img src="https://media.example.com/file/ff176c461dd111e6b6ba3e1d05defe78.jpg"></p>'
                }
            ]
        },
    }
    created(json_post(client, token, html_only))
    weight = {
        "type": ["h-entry"],
        "properties": {
            "summary": ["Weighed 70.64 kg"],
            "weight": [{"type": ["h-measure"], "properties": {"num": ["70.64"], "unit": ["kg"]}}],
            "bodyfat": [{"type": ["h-measure"], "properties": {"num": ["19.83"], "unit": ["%"]}}],
        },
    }
    weight_path = created(json_post(client, token, weight))
    source = client.get(
        f"/micropub?q=source&properties[]=weight&url={SITE}{weight_path}", headers=bearer(token)
    )
    assert source.json == {"properties": {"weight": weight["properties"]["weight"]}}
    assert len(posts_in_db(app)) == 4


def test_draft_slug_and_published_date(client, token, app):
    body = {
        "type": ["h-entry"],
        "properties": {
            "name": ["Later"],
            "content": ["Not yet."],
            "post-status": ["draft"],
            "mp-slug": ["my-own-slug"],
            "published": ["2016-02-21T12:50:53-08:00"],
        },
    }
    path = created(json_post(client, token, body))
    assert path == "/posts/2016/02/my-own-slug/"
    assert client.get(path).status_code == 404  # a draft is not on the site
    [post] = posts_in_db(app)
    assert post.is_draft and post.published_at.isoformat() == "2016-02-21T20:50:53+00:00"


def test_updates_from_the_spec(client, token, app):
    path = created(
        json_post(
            client,
            token,
            {
                "type": ["h-entry"],
                "properties": {
                    "name": ["IndieWeb"],
                    "content": ["hello world"],
                    "category": ["indieweb"],
                },
            },
        )
    )
    url = SITE + path
    examples = [
        {"action": "update", "url": url, "replace": {"content": ["hello moon"]}},
        {
            "action": "update",
            "url": url,
            "add": {
                "syndication": [
                    "http://web.archive.org/web/20040104110725/https://aaronpk.example/2014/06/01/9/indieweb"
                ]
            },
        },
        {"action": "update", "url": url, "add": {"category": ["micropub", "indieweb"]}},
        {"action": "update", "url": url, "delete": {"category": ["indieweb"]}},
    ]
    for example in examples:
        assert json_post(client, token, example).status_code == 204
    source = client.get(f"/micropub?q=source&url={url}", headers=bearer(token)).json
    assert source["type"] == ["h-entry"]
    properties = source["properties"]
    assert properties["content"] == ["hello moon"] and properties["category"] == ["micropub"]
    assert properties["syndication"][0].startswith("http://web.archive.org/")
    assert properties["name"] == ["IndieWeb"] and properties["post-status"] == ["published"]
    assert "hello moon" in client.get(path).get_data(as_text=True)
    assert (
        json_post(
            client, token, {"action": "update", "url": url, "delete": ["category"]}
        ).status_code
        == 204
    )
    assert posts_in_db(app)[0].tag_names == [] and posts_in_db(app)[0].version == 6


def test_deletes_from_the_spec(client, token, app):
    first = created(form_post(client, token, "h=entry&content=one"))
    second = created(
        json_post(
            client,
            token,
            {"type": ["h-entry"], "properties": {"name": ["Two"], "content": ["two"]}},
        )
    )
    assert form_post(client, token, f"action=delete\n&url={SITE}{first}").status_code == 204
    assert json_post(client, token, {"action": "delete", "url": SITE + second}).status_code == 204
    # Gone, not missing: the addresses keep a tombstone.
    assert client.get(first).status_code == 410 and client.get(second).status_code == 410
    assert posts_in_db(app) == []
    undelete = form_post(client, token, f"action=undelete\n&url={SITE}{first}")
    assert undelete.status_code in (200, 201, 204)
    assert client.get(first).status_code == 200 and "one" in client.get(first).text
    again = json_post(client, token, {"action": "undelete", "url": SITE + second})
    assert again.status_code in (200, 201, 204) and "two" in client.get(second).text
    never = form_post(client, token, f"action=undelete\n&url={SITE}/posts/never/")
    assert never.status_code == 400 and never.json["error"] == "invalid_request"
    assert sorted(post.title for post in posts_in_db(app)) == ["", "Two"]


def test_queries(client, token):
    config = client.get("/micropub?q=config", headers=bearer(token))
    assert config.status_code == 200 and config.json["syndicate-to"] == []
    assert config.json["media-endpoint"] == SITE + "/micropub/media"
    assert client.get("/micropub?q=syndicate-to", headers=bearer(token)).json == {
        "syndicate-to": []
    }
    missing = client.get(f"/micropub?q=source&url={SITE}/post/404", headers=bearer(token))
    assert missing.status_code == 400
    assert missing.json == {
        "error": "invalid_request",
        "error_description": "The post with the requested URL was not found",
    }
    assert client.get("/micropub?q=nonsense", headers=bearer(token)).status_code == 400


def test_the_endpoint_is_advertised(client, app):
    html = client.get("/tags/").get_data(as_text=True)
    assert f'<link rel="micropub" href="{SITE}/micropub">' in html


def test_tokens_missing_revoked_and_unknown(client, token, app):
    body = "h=entry&content=nope"
    none = client.post("/micropub", data=body, content_type="application/x-www-form-urlencoded")
    assert none.status_code == 401 and none.json["error"] == "unauthorized"
    assert client.get("/micropub?q=config").status_code == 401
    unknown = form_post(client, "mbt_not-a-token", body)
    assert unknown.status_code == 403 and unknown.json["error"] == "forbidden"
    app.test_cli_runner().invoke(args=["author", "token", "author", "--revoke-all"])
    revoked = form_post(client, token, body)
    assert revoked.status_code == 403 and revoked.json["error"] == "forbidden"
    assert posts_in_db(app) == []


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("[1, 2]", "application/json", "must be an object"),
        ('"just text"', "application/json", "must be an object"),
        ("{not json", "application/json", "not valid UTF-8 JSON"),
        (
            '{"type": ["h-entry"], "properties": {"content": "hello"}}',
            "application/json",
            "must be an array",
        ),
        (
            '{"type": ["h-entry"], "properties": {"content": [{"nope": 1}]}}',
            "application/json",
            "content must be",
        ),
        (
            '{"type": ["h-entry"], "properties": {"content": ["x"], "category": [1]}}',
            "application/json",
            "category values must be text",
        ),
        (
            '{"type": ["h-entry"], "properties": {"content": ["x"], "published": ["2025-13-01T00:00:00Z"]}}',
            "application/json",
            "not an ISO 8601",
        ),
        ("h=entry&content=", "application/x-www-form-urlencoded", "needs content"),
        ("hello", "text/plain", "send application/x-www-form-urlencoded"),
    ],
)
def test_bad_requests_are_invalid_request_and_change_nothing(
    client, token, app, body, content_type, message
):
    response = client.post("/micropub", data=body, content_type=content_type, headers=bearer(token))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert (
        response.json["error"] == "invalid_request"
        and message in response.json["error_description"]
    )
    assert posts_in_db(app) == []


def test_a_multipart_upload_is_refused_clearly(client, token, app):
    from io import BytesIO

    response = client.post(
        "/micropub",
        data={
            "h": "entry",
            "content": "Hello World!",
            "video": (BytesIO(b"\x00\x00\x00\x18ftypmp42"), "clip.mp4"),
        },
        content_type="multipart/form-data",
        headers=bearer(token),
    )
    assert response.status_code == 400 and "only photo" in response.json["error_description"]
    assert posts_in_db(app) == []


def test_a_second_post_with_the_same_title_in_a_month_gets_its_own_address(client, token, app):
    body = {
        "type": ["h-entry"],
        "properties": {"name": ["Same"], "content": ["x"], "published": ["2025-01-01T10:00:00Z"]},
    }
    first = created(json_post(client, token, body))
    second = created(json_post(client, token, body))
    assert second == first.rstrip("/") + "-2/"
    assert client.get(first).status_code == 200 and client.get(second).status_code == 200
    assert len(posts_in_db(app)) == 2


def test_a_permalink_clash_names_the_other_post(client, token, app):
    body = {
        "type": ["h-entry"],
        "properties": {"name": ["Same"], "content": ["x"], "mp-slug": ["chosen"]},
    }
    created(json_post(client, token, body))
    clash = json_post(client, token, body)
    assert clash.status_code == 400 and "already the address of" in clash.json["error_description"]
    assert len(posts_in_db(app)) == 1


def test_a_500_kb_post_through_micropub(client, token, app):
    body = "Long text. " * 50_000
    path = created(
        json_post(client, token, {"type": ["h-entry"], "properties": {"content": [body]}})
    )
    assert len(posts_in_db(app)[0].body_source) == len(body) and client.get(path).status_code == 200
    anonymous = client.post(
        "/micropub", data=json.dumps({"x": body}), content_type="application/json"
    )
    assert anonymous.status_code == 401  # refused before its body is read at all
