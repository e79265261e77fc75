"""Micropub request bodies → actions (microblog/micropub.py), from the W3C spec's examples
(Micropub, W3C Recommendation 23 May 2017) and from what clients get wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest

from microblog.indieweb import micropub as mp

ZONE = ZoneInfo("Europe/Paris")


def form(body: str) -> dict:
    """A form-encoded body as the spec prints it (its line breaks are only for reading)."""
    return mp.from_form(parse_qsl(body.replace("\n", ""), keep_blank_values=True))


def test_form_create_with_a_list():
    request = mp.parse(form("h=entry&content=hello+world&category[]=foo&category[]=bar"))
    assert request == mp.Create({"content": ["hello world"], "category": ["foo", "bar"]})
    fields = mp.entry_fields(request.properties, ZONE)
    assert (fields.title, fields.body, fields.tags) == (None, "hello world", ["foo", "bar"])
    assert not fields.is_draft and fields.published_at is None


def test_form_create_with_a_photo_url_shows_the_photo():
    body = "h=entry&content=hello+world&photo=https%3A%2F%2Fphotos.example.com%2F592829482876343254.jpg"
    fields = mp.entry_fields(mp.parse(form(body)).properties, ZONE)
    assert fields.body == "hello world\n\n![](<https://photos.example.com/592829482876343254.jpg>)"


def test_json_create_with_photo_and_alt():
    body = {
        "type": ["h-entry"],
        "properties": {
            "content": ["hello world"],
            "category": ["foo", "bar"],
            "photo": [
                {"value": "https://photos.example.com/globe.gif", "alt": "Spinning globe animation"}
            ],
        },
    }
    fields = mp.entry_fields(mp.parse(body).properties, ZONE)
    assert fields.body.endswith(
        "![Spinning globe animation](<https://photos.example.com/globe.gif>)"
    )


def test_json_create_with_html_content_and_a_name():
    body = {
        "type": ["h-entry"],
        "properties": {
            "name": ["Itching: h-event to iCal converter"],
            "content": [
                {
                    "html": 'Now that I\'ve been <a href="https://aaronparecki.com/events">creating a '
                    'list of events</a> on my site using <a href="https://p3k.io">p3k</a>, it would '
                    "be great if I could get a more calendar-like view of that list..."
                }
            ],
            "category": ["indieweb", "p3k"],
        },
    }
    fields = mp.entry_fields(mp.parse(body).properties, ZONE)
    assert fields.title == "Itching: h-event to iCal converter"
    assert fields.body_is_html and fields.body.startswith("Now that I've been <a href=")
    assert fields.tags == ["indieweb", "p3k"]


def test_nested_objects_are_kept_as_extra_properties():
    body = {
        "type": ["h-entry"],
        "properties": {
            "summary": ["Weighed 70.64 kg"],
            "weight": [{"type": ["h-measure"], "properties": {"num": ["70.64"], "unit": ["kg"]}}],
        },
    }
    fields = mp.entry_fields(mp.parse(body).properties, ZONE)
    assert fields.body == "Weighed 70.64 kg"
    assert fields.extra == {"weight": body["properties"]["weight"]}


def test_in_reply_to_and_syndicate_to():
    body = (
        "h=entry\n&content=%40BarnabyWalters+My+favorite+for+that+use+case+is+Redis."
        "\n&in-reply-to=https://waterpigs.example/notes/4S0LMw/"
        "\n&mp-syndicate-to=https://myfavoritesocialnetwork.example/aaronpk"
    )
    fields = mp.entry_fields(mp.parse(form(body)).properties, ZONE)
    assert fields.body == "@BarnabyWalters My favorite for that use case is Redis."
    assert fields.extra == {"in-reply-to": ["https://waterpigs.example/notes/4S0LMw/"]}


def test_draft_slug_and_published():
    body = {
        "type": ["h-entry"],
        "properties": {
            "content": ["x"],
            "post-status": ["draft"],
            "mp-slug": ["My slug/../ here"],
            "published": ["2016-02-21T12:50:53-08:00"],
        },
    }
    fields = mp.entry_fields(mp.parse(body).properties, ZONE)
    assert fields.is_draft and fields.slug == "My-slug-here"
    assert fields.published_at == datetime(2016, 2, 21, 20, 50, 53, tzinfo=UTC)
    local = mp.entry_fields({"content": ["x"], "published": ["2016-02-21T12:00:00"]}, ZONE)
    assert local.published_at == datetime(2016, 2, 21, 11, tzinfo=UTC)  # Paris, winter


def test_updates_from_the_spec():
    url = "https://aaronpk.example/2014/06/01/9/indieweb"
    replace = mp.parse(
        {
            "action": "update",
            "url": "https://aaronpk.example/post/100",
            "replace": {"content": ["hello moon"]},
        }
    )
    assert replace == mp.Update(
        "https://aaronpk.example/post/100", replace={"content": ["hello moon"]}
    )
    add = mp.parse({"action": "update", "url": url, "add": {"category": ["micropub", "indieweb"]}})
    delete_all = mp.parse({"action": "update", "url": url, "delete": ["category"]})
    delete_one = mp.parse({"action": "update", "url": url, "delete": {"category": ["indieweb"]}})
    entry = {"content": ["hello"], "category": ["indieweb", "p3k"]}
    assert mp.apply_update(entry, add)["category"] == ["indieweb", "p3k", "micropub"]
    assert "category" not in mp.apply_update(entry, delete_all)
    assert mp.apply_update(entry, delete_one)["category"] == ["p3k"]
    assert mp.apply_update(entry, replace)["content"] == ["hello moon"]
    assert entry == {"content": ["hello"], "category": ["indieweb", "p3k"]}  # untouched


def test_deletes_from_the_spec():
    url = "https://aaronpk.example/2014/06/01/9/indieweb"
    assert mp.parse(form(f"action=delete\n&url={url}")) == mp.Delete(url)
    assert mp.parse({"action": "delete", "url": url}) == mp.Delete(url)
    for body in (form(f"action=undelete\n&url={url}"), {"action": "undelete", "url": url}):
        assert mp.parse(body) == mp.Undelete(url)


BAD = [
    ([1, 2], "must be an object, not an array"),
    ("hello", "must be an object, not a string"),
    ({"type": "h-entry", "properties": {}}, "type must be an array"),
    ({"type": ["h-event"], "properties": {"name": ["x"]}}, "h-entry posts only"),
    ({"type": ["h-entry"], "properties": []}, "properties must be an object"),
    ({"type": ["h-entry"], "properties": {"content": "hello"}}, "content must be an array"),
    ({"action": "update", "url": "https://x/", "replace": {"content": "x"}}, "must be an array"),
    ({"action": "update", "url": "https://x/"}, "needs replace, add or delete"),
    ({"action": "update", "url": "https://x/", "delete": [1]}, "property names as strings"),
    ({"action": "delete"}, "needs the url"),
    ({"action": 3, "url": "x"}, "action must be a string"),
    ({"action": "explode", "url": "x"}, "unknown action"),
]


@pytest.mark.parametrize(("body", "message"), BAD)
def test_malformed_requests_are_invalid_request(body, message):
    with pytest.raises(mp.MicropubError, match=message) as caught:
        mp.parse(body)
    assert caught.value.status == 400 and caught.value.error == "invalid_request"


BAD_PROPERTIES = [
    ({"content": [{"nope": 1}]}, "content must be text"),
    ({"content": [5]}, "content must be text or an object"),
    ({"content": []}, "needs content"),
    ({"content": ["   "]}, "needs content"),
    ({"content": ["x"], "name": [["nested"]]}, "name must be text"),
    ({"content": ["x"], "category": [{"a": 1}]}, "category values must be text"),
    ({"content": ["x"], "category": ["one, two"]}, "holds a comma"),
    ({"content": ["x"], "category": ["x" * 201]}, "longer than 200"),
    ({"content": ["x"], "published": ["2025-02-30T10:00:00Z"]}, "not an ISO 8601 date-time"),
    ({"content": ["x"], "published": [20250101]}, "published must be text"),
    ({"content": ["x"], "post-status": ["private"]}, "must be draft or published"),
    ({"content": ["x"], "photo": ["javascript:alert(1)"]}, "not an http"),
]


@pytest.mark.parametrize(("properties", "message"), BAD_PROPERTIES)
def test_properties_of_the_wrong_type_are_invalid_request(properties, message):
    with pytest.raises(mp.MicropubError, match=message):
        mp.entry_fields(properties, ZONE)


def test_forms_refuse_uploads_nested_keys_and_json_only_actions():
    with pytest.raises(mp.MicropubError, match="only photo files"):
        mp.from_form([("h", "entry"), ("content", "Hello World!")], has_files=True)
    with pytest.raises(mp.MicropubError, match="send JSON"):
        mp.from_form([("content[html]", "<b>x</b>")])
    with pytest.raises(mp.MicropubError, match="must be sent as JSON"):
        mp.from_form([("action", "update"), ("url", "https://x/")])


def test_unicode_categories_are_kept_as_written():
    fields = mp.entry_fields(
        {"content": ["x"], "category": ["Café", "日本語", "café", " a  b "]}, ZONE
    )
    assert fields.tags == ["Café", "日本語", "café", "a b"]
