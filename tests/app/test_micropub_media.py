"""Micropub with images: the media endpoint (scope `media`, advertised in q=config), photo
files on a multipart create, and photo URLs kept through the guarded fetch in a job."""

from __future__ import annotations

import io
import re

import pytest
from comment_helpers import create_author
from local_site import LocalSite
from media_helpers import fetch, files_under, photo
from PIL import Image
from sqlalchemy import select

from microblog import jobs
from microblog.extensions import db
from microblog.models import Author, Media, Post
from microblog.models import tokens as access_tokens

SITE = "http://blog.example"


@pytest.fixture
def media_app(make_app, tmp_path):
    return make_app(MEDIA_FOLDER=str(tmp_path / "media"), MEDIA_FETCH_ALLOW_PRIVATE=True)


def token_with(app, *scopes: str) -> str:
    create_author(app)
    with app.app_context():
        author = db.session.scalars(select(Author)).one()
        token = access_tokens.issue(author, scopes)
        db.session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_config_names_the_media_endpoint(media_app):
    token = token_with(media_app, "create", "media")
    config = media_app.test_client().get("/micropub?q=config", headers=bearer(token))
    assert config.get_json()["media-endpoint"] == SITE + "/micropub/media"


def test_media_endpoint_stores_a_clean_image(media_app):
    token = token_with(media_app, "create", "media")
    client = media_app.test_client()
    answer = client.post(
        "/micropub/media",
        data={"file": (io.BytesIO(photo((90, 60), gps=True)), "IMG_0001.JPG")},
        content_type="multipart/form-data",
        headers=bearer(token),
    )
    assert answer.status_code == 201
    location = answer.headers["Location"]
    assert re.fullmatch(SITE + r"/media/\d{4}/\d{2}/img-0001\.jpg", location)
    served = fetch(client, location.removeprefix(SITE))
    image = Image.open(io.BytesIO(served.data))
    assert image.size == (90, 60) and len(image.getexif()) == 0


@pytest.mark.parametrize(
    ("scopes", "headers", "status", "error"),
    [
        (("create",), True, 401, "insufficient_scope"),
        (("create", "media"), False, 401, "unauthorized"),
    ],
)
def test_media_endpoint_needs_the_media_scope(media_app, scopes, headers, status, error):
    token = token_with(media_app, *scopes)
    answer = media_app.test_client().post(
        "/micropub/media",
        data={"file": (io.BytesIO(photo((20, 20))), "a.jpg")},
        content_type="multipart/form-data",
        headers=bearer(token) if headers else {},
    )
    assert answer.status_code == status and answer.get_json()["error"] == error
    assert files_under(media_app.config["MEDIA_FOLDER"]) == []


def test_media_endpoint_refuses_a_bad_file_with_the_specs_error(media_app):
    token = token_with(media_app, "media")
    answer = media_app.test_client().post(
        "/micropub/media",
        data={"file": (io.BytesIO(b"<svg onload=alert(1)>"), "x.svg")},
        content_type="multipart/form-data",
        headers=bearer(token),
    )
    assert answer.status_code == 415
    assert answer.get_json()["error"] == "invalid_request"
    assert files_under(media_app.config["MEDIA_FOLDER"]) == []


def test_create_with_photo_files(media_app):
    token = token_with(media_app, "create", "media")
    client = media_app.test_client()
    answer = client.post(
        "/micropub",
        data={
            "h": "entry",
            "content": "Two pictures",
            "photo[]": [
                (io.BytesIO(photo((300, 200))), "one.jpg"),
                (io.BytesIO(photo((200, 300), fmt="PNG")), "two.png"),
            ],
        },
        content_type="multipart/form-data",
        headers=bearer(token),
    )
    assert answer.status_code == 201
    page = client.get(answer.headers["Location"].removeprefix(SITE)).get_data(as_text=True)
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 2
    assert "one.jpg" in images[0] and 'width="300"' in images[0]
    assert "two.png" in images[1] and 'height="300"' in images[1]


def test_create_with_a_bad_photo_file_stores_nothing(media_app):
    token = token_with(media_app, "create", "media")
    answer = media_app.test_client().post(
        "/micropub",
        data={
            "h": "entry",
            "content": "Nope",
            "photo": [
                (io.BytesIO(photo((30, 30))), "good.jpg"),
                (io.BytesIO(b"not an image"), "bad.jpg"),
            ],
        },
        content_type="multipart/form-data",
        headers=bearer(token),
    )
    assert answer.status_code == 422
    assert files_under(media_app.config["MEDIA_FOLDER"]) == []
    with media_app.app_context():
        assert db.session.scalars(select(Post)).all() == []
        assert db.session.scalars(select(Media)).all() == []


def test_photo_urls_are_fetched_by_a_job_and_kept(media_app):
    token = token_with(media_app, "create")
    with LocalSite() as site:
        site.pages["/pics/sunset.jpg"] = (
            200,
            {"Content-Type": "image/jpeg"},
            photo((160, 120), gps=True),
        )
        site.pages["/pics/fake.jpg"] = (200, {"Content-Type": "image/jpeg"}, b"<html>")
        client = media_app.test_client()
        answer = client.post(
            "/micropub",
            json={
                "type": ["h-entry"],
                "properties": {
                    "content": ["Sunset"],
                    "photo": [site.url("/pics/sunset.jpg"), site.url("/pics/fake.jpg")],
                },
            },
            headers=bearer(token),
        )
        assert answer.status_code == 201
        path = answer.headers["Location"].removeprefix(SITE)
        assert site.url("/pics/sunset.jpg") in client.get(path).get_data(as_text=True)
        with media_app.app_context():
            jobs.run_due(media_app)
            jobs.run_due(media_app)
        assert "/pics/sunset.jpg" in site.gets and "/pics/fake.jpg" in site.gets
    page = client.get(path).get_data(as_text=True)
    kept = re.search(r'<img [^>]*src="(/media/\d{4}/\d{2}/sunset\.jpg)"[^>]*>', page)
    assert kept and 'width="160"' in kept.group(0)
    # The fake one stays where it was: nothing unsafe was stored.
    assert site.url("/pics/fake.jpg") in page
    image = Image.open(io.BytesIO(fetch(client, kept.group(1)).data))
    assert image.size == (160, 120) and len(image.getexif()) == 0
