"""micropub.rocks' server tests, ported: each numbered test sends the request the suite
sends (its bodies, verbatim where the suite gives one) and checks what the suite checks,
by reading the post back as a client would (its page, and `q=source`).

Tokens come from `flask author token --scope`, as an author makes them.
"""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from comment_helpers import create_author
from media_helpers import fetch, photo
from PIL import Image

SITE = "http://blog.example"
SUNSET = "https://micropub.rocks/media/sunset.jpg"


@pytest.fixture
def rocks(make_app, tmp_path):
    """The blog with its author; `token(scopes)` makes a token the way the author does."""
    app = make_app(SITE_URL=SITE, MEDIA_FOLDER=str(tmp_path / "media"))
    create_author(app)

    def token(scope: str = "create update delete media") -> str:
        result = app.test_cli_runner().invoke(args=["author", "token", "author", "--scope", scope])
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    app.token = token
    return app


@pytest.fixture
def client(rocks):
    return rocks.test_client()


@pytest.fixture
def token(rocks):
    return rocks.token()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def form(client, token: str, body: str, **headers):
    return client.post(
        "/micropub",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={**auth(token), **headers} if token else headers,
    )


def as_json(client, token: str, body: dict):
    return client.post("/micropub", json=body, headers=auth(token))


def created(answer) -> str:
    """The new post's URL (201 or 202 with Location, as the suite accepts)."""
    assert answer.status_code in (201, 202), answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert location.startswith(SITE + "/")
    return location


def page(client, url: str) -> str:
    answer = client.get(url.removeprefix(SITE))
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def source(client, token: str, url: str, *names: str) -> dict:
    query = f"/micropub?q=source&url={quote(url, safe='')}"
    query += "".join(f"&properties[]={name}" for name in names)
    answer = client.get(query, headers=auth(token))
    assert answer.status_code == 200
    return answer.get_json()


# ---------------------------------------------------------------------------- 1xx: form-encoded


def test_100_create_an_h_entry_form_encoded(client, token):
    url = created(form(client, token, "h=entry&content=Hello+World"))
    assert "Hello World" in page(client, url)


def test_101_create_with_multiple_categories_form_encoded(client, token):
    url = created(
        form(
            client,
            token,
            "h=entry&content=This+post+has+tags.&category%5B%5D=tag1&category%5B%5D=tag2",
        )
    )
    assert source(client, token, url)["properties"]["category"] == ["tag1", "tag2"]
    html = page(client, url)
    assert "tag1" in html and "tag2" in html


def test_104_create_with_a_photo_referenced_by_url_form_encoded(client, token):
    url = created(
        form(
            client,
            token,
            "h=entry&content=Nice+sunset+tonight+%23nofilter&photo=" + quote(SUNSET, safe=""),
        )
    )
    html = page(client, url)
    assert "Nice sunset tonight" in html and "<img" in html and "sunset" in html


def test_107_create_with_one_category_form_encoded(client, token):
    url = created(form(client, token, "h=entry&content=This+post+has+one+category&category=tag1"))
    assert source(client, token, url)["properties"]["category"] == ["tag1"]


# ---------------------------------------------------------------------------- 2xx: JSON


def test_200_create_an_h_entry_json(client, token):
    url = created(
        as_json(client, token, {"type": ["h-entry"], "properties": {"content": ["Hello World"]}})
    )
    assert "Hello World" in page(client, url)


def test_201_create_with_multiple_categories_json(client, token):
    body = {
        "type": ["h-entry"],
        "properties": {"content": ["This post has tags."], "category": ["test1", "test2"]},
    }
    url = created(as_json(client, token, body))
    assert source(client, token, url)["properties"]["category"] == ["test1", "test2"]


def test_202_create_with_html_content_json(client, token):
    html = "<p>This post has <b>bold</b> and <i>italic</i> text.</p>"
    url = created(
        as_json(client, token, {"type": ["h-entry"], "properties": {"content": [{"html": html}]}})
    )
    shown = page(client, url)
    assert "<b>bold</b>" in shown and "<i>italic</i>" in shown


def test_203_create_with_a_photo_referenced_by_url_json(client, token):
    body = {
        "type": ["h-entry"],
        "properties": {"content": ["Nice sunset tonight #nofilter"], "photo": [SUNSET]},
    }
    url = created(as_json(client, token, body))
    assert "<img" in page(client, url)


def test_204_create_with_a_nested_object_json(client, token):
    checkin = {
        "type": ["h-card"],
        "properties": {
            "name": ["Los Gorditos"],
            "url": ["https://foursquare.com/v/502c4bbde4b06e61e06d1ebf"],
            "latitude": [45.524330801154],
            "longitude": [-122.68068808051],
            "street-address": ["922 NW Everett St"],
            "locality": ["Portland"],
            "region": ["OR"],
            "country-name": ["United States"],
            "postal-code": ["97209"],
        },
    }
    body = {
        "type": ["h-entry"],
        "properties": {
            "published": ["2017-05-31T12:03:36-07:00"],
            "content": ["Lunch meeting"],
            "checkin": [checkin],
        },
    }
    url = created(as_json(client, token, body))
    properties = source(client, token, url)["properties"]
    assert properties["checkin"] == [checkin] and properties["content"] == ["Lunch meeting"]


def test_205_create_with_a_photo_with_alt_text_json(client, token):
    body = {
        "type": ["h-entry"],
        "properties": {
            "content": ["Nice sunset tonight #nofilter"],
            "photo": [{"value": SUNSET, "alt": "Photo of a sunset"}],
        },
    }
    url = created(as_json(client, token, body))
    assert 'alt="Photo of a sunset"' in page(client, url)


def test_206_create_with_multiple_photos_referenced_by_url_json(client, token):
    second = "https://micropub.rocks/media/city-at-night.jpg"
    body = {
        "type": ["h-entry"],
        "properties": {"content": ["Two photos"], "photo": [SUNSET, second]},
    }
    url = created(as_json(client, token, body))
    assert page(client, url).count("<img") >= 2


# ---------------------------------------------------------------------------- 3xx: multipart


def multipart(client, token, fields: list[tuple[str, object]]):
    data: dict[str, object] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)  # type: ignore[union-attr]
    return client.post(
        "/micropub", data=data, content_type="multipart/form-data", headers=auth(token)
    )


def test_300_create_with_a_photo_multipart(client, token):
    url = created(
        multipart(
            client,
            token,
            [
                ("h", "entry"),
                ("content", "Nice sunset tonight"),
                ("photo", (io.BytesIO(photo((80, 60))), "sunset.jpg")),
            ],
        )
    )
    html = page(client, url)
    assert "Nice sunset tonight" in html and "<img" in html


def test_301_create_with_two_photos_multipart(client, token):
    url = created(
        multipart(
            client,
            token,
            [
                ("h", "entry"),
                ("content", "Two photos"),
                ("photo[]", (io.BytesIO(photo((80, 60))), "one.jpg")),
                ("photo[]", (io.BytesIO(photo((60, 80))), "two.jpg")),
            ],
        )
    )
    assert page(client, url).count("<img") >= 2


# ---------------------------------------------------------------------------- 4xx: updates


def make(client, token, **properties) -> str:
    return created(as_json(client, token, {"type": ["h-entry"], "properties": properties}))


def update(client, token, body: dict):
    answer = as_json(client, token, {"action": "update", **body})
    assert answer.status_code in (200, 201, 204), answer.get_data(as_text=True)
    return answer


def test_400_replace_a_property(client, token):
    url = make(client, token, content=["Micropub update test."])
    update(client, token, {"url": url, "replace": {"content": ["This is the updated text."]}})
    assert source(client, token, url)["properties"]["content"] == ["This is the updated text."]
    assert "This is the updated text." in page(client, url)


def test_401_add_a_value_to_an_existing_property(client, token):
    url = make(client, token, content=["Add a category"], category=["test1"])
    update(client, token, {"url": url, "add": {"category": ["test2"]}})
    assert source(client, token, url)["properties"]["category"] == ["test1", "test2"]


def test_402_add_a_value_to_a_non_existent_property(client, token):
    url = make(client, token, content=["No category yet"])
    update(client, token, {"url": url, "add": {"category": ["test1"]}})
    assert source(client, token, url)["properties"]["category"] == ["test1"]


def test_403_remove_a_value_from_a_property(client, token):
    url = make(client, token, content=["Two categories"], category=["test1", "test2"])
    update(client, token, {"url": url, "delete": {"category": ["test2"]}})
    assert source(client, token, url)["properties"]["category"] == ["test1"]


def test_404_remove_a_property(client, token):
    url = make(client, token, content=["Two categories"], category=["test1", "test2"])
    update(client, token, {"url": url, "delete": ["category"]})
    assert "category" not in source(client, token, url)["properties"]


def test_405_reject_an_operation_that_is_not_an_array(client, token):
    url = make(client, token, content=["Keep me"])
    answer = as_json(client, token, {"action": "update", "url": url, "replace": "not an array"})
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"
    assert source(client, token, url)["properties"]["content"] == ["Keep me"]


# ---------------------------------------------------------------------------- 5xx: deletes


def test_500_delete_a_post_form_encoded(client, token):
    url = make(client, token, content=["Delete me"])
    assert form(client, token, f"action=delete&url={quote(url, safe='')}").status_code in (
        200,
        204,
    )
    assert client.get(url.removeprefix(SITE)).status_code in (404, 410)


def test_501_delete_a_post_json(client, token):
    url = make(client, token, content=["Delete me"])
    assert as_json(client, token, {"action": "delete", "url": url}).status_code in (200, 204)
    assert client.get(url.removeprefix(SITE)).status_code in (404, 410)


def test_502_undelete_a_post_form_encoded(client, token):
    url = make(client, token, content=["Bring me back"])
    form(client, token, f"action=delete&url={quote(url, safe='')}")
    answer = form(client, token, f"action=undelete&url={quote(url, safe='')}")
    assert answer.status_code in (200, 201, 204)
    assert "Bring me back" in page(client, url)


def test_503_undelete_a_post_json(client, token):
    url = make(client, token, content=["Bring me back"])
    as_json(client, token, {"action": "delete", "url": url})
    assert as_json(client, token, {"action": "undelete", "url": url}).status_code in (200, 201, 204)
    assert "Bring me back" in page(client, url)


# ---------------------------------------------------------------------------- 6xx: queries


def test_600_configuration_query(client, token):
    answer = client.get("/micropub?q=config", headers=auth(token))
    assert answer.status_code == 200 and isinstance(answer.get_json(), dict)
    assert answer.get_json()["media-endpoint"] == SITE + "/micropub/media"


def test_601_syndication_endpoint_query(client, token):
    answer = client.get("/micropub?q=syndicate-to", headers=auth(token))
    assert answer.status_code == 200 and isinstance(answer.get_json()["syndicate-to"], list)


def test_602_source_query_all_properties(client, token):
    url = make(client, token, content=["Source query"], category=["test1", "test2"])
    found = source(client, token, url)
    assert found["type"] == ["h-entry"]
    assert found["properties"]["content"] == ["Source query"]
    assert found["properties"]["category"] == ["test1", "test2"]


def test_603_source_query_specific_properties(client, token):
    url = make(client, token, content=["Source query"], category=["test1", "test2"])
    found = source(client, token, url, "content", "category")
    assert found == {"properties": {"content": ["Source query"], "category": ["test1", "test2"]}}


# ---------------------------------------------------------------------------- 7xx: media endpoint


@pytest.mark.parametrize(
    ("number", "fmt", "name"),
    [(700, "JPEG", "a.jpg"), (701, "PNG", "a.png"), (702, "GIF", "a.gif")],
)
def test_70x_upload_to_the_media_endpoint(client, token, number, fmt, name):
    answer = client.post(
        "/micropub/media",
        data={"file": (io.BytesIO(photo((40, 30), fmt=fmt)), name)},
        content_type="multipart/form-data",
        headers=auth(token),
    )
    assert answer.status_code == 201, f"#{number}: {answer.get_data(as_text=True)}"
    served = fetch(client, answer.headers["Location"].removeprefix(SITE))
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.data)).format == fmt


# ---------------------------------------------------------------------------- 8xx: authentication


def test_800_accept_access_token_in_http_header(client, token):
    created(form(client, token, "h=entry&content=Testing+accepting+access+token+in+HTTP+header"))


def test_801_accept_access_token_in_post_body(client, token):
    body = f"h=entry&content=Testing+accepting+access+token+in+post+body&access_token={token}"
    created(form(client, "", body))


def test_802_does_not_store_access_token_property(client, token):
    body = f"h=entry&content=Testing+access+token+not+stored&access_token={token}"
    url = created(form(client, "", body))
    assert "access_token" not in source(client, token, url)["properties"]
    assert token not in page(client, url)


def test_803_rejects_unauthenticated_requests(client):
    answer = form(client, "", "h=entry&content=Testing+unauthenticated+request")
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"


def test_804_rejects_unauthorized_access_tokens(client, rocks):
    limited = rocks.token("update delete")  # no `create`
    answer = form(client, limited, "h=entry&content=Testing+insufficient+scope")
    assert answer.status_code in (401, 403)
    assert answer.get_json()["error"] == "insufficient_scope"


def test_805_rejects_multiple_authentication_methods(client, token):
    answer = form(client, token, f"h=entry&content=Two+tokens&access_token={token}")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"
