"""The classes "every request body is parsed only after authentication" and "what a client
sends that a database cannot keep is a 4xx, never a 500", on SQLite and PostgreSQL: Micropub
answers a stranger 401 without reading the body; with a token, odd numbers, far dates, lone
surrogates and NUL in any field are refused with the spec's error; a token in the URL is
refused. The writer refuses the same text whichever way it comes (editor, Micropub)."""

from __future__ import annotations

import json

import pytest
from comment_helpers import create_author
from editor_helpers import create_post, posts_in_db, signed_in

# What PostgreSQL refuses to store (NUL, out-of-range numbers) must be a 4xx there too.
pytestmark = pytest.mark.any_database

BIG = "9" * 5000  # Python refuses to read integers over 4,300 digits


@pytest.fixture
def token(app) -> str:
    create_author(app)
    result = app.test_cli_runner().invoke(args=["author", "token", "author"])
    assert result.exit_code == 0
    return result.stdout.strip()


def send_json(client, raw: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/micropub", data=raw, content_type="application/json", headers=headers)


STRANGER_BODIES = {
    "huge-integer": '{"type": ["h-entry"], "properties": {"content": [' + BIG + "]}}",
    "deep-nesting": "[" * 100_000 + "]" * 100_000,
    "not-json": "{{{{",
    "not-utf8": b"\xff\xfe{}".decode("latin-1"),
    "lone-surrogate": '{"type": ["h-entry"], "properties": {"content": ["\\ud800"]}}',
}


@pytest.mark.parametrize("kind", sorted(STRANGER_BODIES))
def test_a_stranger_gets_401_whatever_the_body_holds(client, kind):
    answer = send_json(client, STRANGER_BODIES[kind])
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "unauthorized"


@pytest.mark.parametrize("kind", sorted(STRANGER_BODIES))
def test_a_wrong_token_gets_403_whatever_the_body_holds(client, kind):
    answer = send_json(client, STRANGER_BODIES[kind], token="not-a-token")
    assert answer.status_code == 403


def test_a_strangers_form_is_refused_before_it_becomes_a_post(client):
    answer = client.post("/micropub", data={"h": "entry", "content": "x" * 1000})
    assert answer.status_code == 401


BAD_JSON = {
    "huge-integer": {"type": ["h-entry"], "properties": {"content": [int(BIG[:4000])]}},
    "year-1-with-offset": {
        "type": ["h-entry"],
        "properties": {"content": ["x"], "published": ["0001-01-01T00:00:00+05:00"]},
    },
    "year-9999-with-offset": {
        "type": ["h-entry"],
        "properties": {"content": ["x"], "published": ["9999-12-31T23:00:00-05:00"]},
    },
    "year-1-in-utc": {
        "type": ["h-entry"],
        "properties": {"content": ["x"], "published": ["0001-01-01T00:00:00Z"]},
    },
    "lone-surrogate-content": {"type": ["h-entry"], "properties": {"content": ["a\ud800b"]}},
    "lone-surrogate-name": {
        "type": ["h-entry"],
        "properties": {"name": ["\udfff"], "content": ["x"]},
    },
    "lone-surrogate-tag": {
        "type": ["h-entry"],
        "properties": {"content": ["x"], "category": ["\ud83d"]},
    },
    "lone-surrogate-extra": {
        "type": ["h-entry"],
        "properties": {"content": ["x"], "x-y": ["\ud800"]},
    },
    "nul-content": {"type": ["h-entry"], "properties": {"content": ["a\x00b"]}},
    "nul-name": {"type": ["h-entry"], "properties": {"name": ["t\x00"], "content": ["x"]}},
    "nul-tag": {"type": ["h-entry"], "properties": {"content": ["x"], "category": ["a\x00"]}},
    "nul-extra": {"type": ["h-entry"], "properties": {"content": ["x"], "x-y": ["\x00"]}},
}


@pytest.mark.parametrize("kind", sorted(BAD_JSON))
def test_with_a_token_what_cannot_be_stored_is_a_400_and_nothing_is_stored(
    app, client, token, kind
):
    raw = json.dumps(BAD_JSON[kind])  # lone surrogates travel as \\udxxx escapes, as JSON has them
    answer = send_json(client, raw, token)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["error"] == "invalid_request"
    assert posts_in_db(app) == []


@pytest.mark.parametrize(
    "body",
    ["h=entry&content=a%00b", "h=entry&content=x&name=%00", "h=entry&content=x&category=a%00"],
)
def test_a_form_with_nul_is_a_400_too(app, client, token, body):
    answer = client.post(
        "/micropub",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400 and posts_in_db(app) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/micropub?q=config&access_token={t}"), ("POST", "/micropub?access_token={t}")],
)
def test_a_token_in_the_url_is_refused(client, token, method, path):
    answer = client.open(path.format(t=token), method=method, data={"h": "entry", "content": "x"})
    assert answer.status_code == 400
    assert "Authorization header" in answer.get_json()["error_description"]


@pytest.mark.parametrize(
    "published",
    ["0001-01-01T00:00", "0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00", "9999-12-31T23:59"],
)
def test_the_editor_refuses_dates_no_zone_can_show(make_app, published):
    app = make_app(TIMEZONE="America/New_York")
    answer = create_post(signed_in(app), title="Far", published_at=published)
    assert 400 <= answer.status_code < 500
    assert "years" in answer.get_data(as_text=True)
    assert posts_in_db(app) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("body", "a\x00b"), ("title", "t\x00"), ("tags", "a\x00"), ("permalink", "/a\x00b/")],
)
def test_the_editor_refuses_nul_in_any_field(app, field, value):
    answer = create_post(signed_in(app), **{field: value})
    assert 400 <= answer.status_code < 500
    assert posts_in_db(app) == []


@pytest.mark.parametrize("value", ["²", "١", "１", "0", "01", "-1"])
def test_a_number_in_any_other_spelling_is_a_4xx(app, value):
    """Same class as the big integers: `str.isdigit()` takes `²`, which `int()` refuses."""
    client = signed_in(app)
    assert client.get(f"/admin/posts?page={value}").status_code == 404
    answer = create_post(client, version=value)
    assert answer.status_code < 500
