"""Uploads: what a good image becomes, and the table of bad files (clear 4xx, nothing
stored, nothing served), on both databases."""

from __future__ import annotations

import io
import os
import re

import pytest
from editor_helpers import create_post, signed_in
from media_helpers import (
    GPS_IFD,
    ORIENTATION,
    decompression_bomb,
    fetch,
    files_under,
    noise_png,
    photo,
    upload,
)
from PIL import Image, ImageOps
from sqlalchemy import func, select

from microblog import jobs
from microblog.extensions import db
from microblog.models import Media

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML_IN_JPEG_COMMENT = photo((64, 64), comment=b"<html><body><script>alert(1)</script>")
HTML_AFTER_JPEG = photo((64, 64)) + b"<!doctype html><script>alert(1)</script>"
GIF_HTML = b"GIF89a/*<html><script>alert(1)</script>*/"


def png_with_html_text() -> bytes:
    """A real PNG whose text chunk holds a page (a PNG/HTML polyglot)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<html><body><script>alert(document.cookie)</script>")
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 120, 0)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def big_jpeg_with_html_comment() -> bytes:
    """A JPEG whose comment (a page) lies beyond the first and last few kilobytes."""
    noise = Image.frombytes("RGB", (150, 150), os.urandom(150 * 150 * 3))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "x" * 9000  # a long description first: the comment comes after it
    noise.save(out, "JPEG", exif=exif.tobytes(), comment=b"<html><script>alert(1)</script>")
    return out.getvalue()


BAD_FILES = [
    ("text named .jpg", "notes.jpg", b"Just some text, not an image at all.\n" * 10, 422),
    ("HTML named .png", "page.png", b"<!doctype html><title>x</title><p>hello", 422),
    ("HTML in a JPEG comment", "polyglot.jpg", HTML_IN_JPEG_COMMENT, 422),
    ("HTML after a JPEG", "tail.jpg", HTML_AFTER_JPEG, 422),
    ("GIF/HTML polyglot", "poly.gif", GIF_HTML, 422),
    ("HTML in a PNG text chunk", "chunk.png", png_with_html_text(), 422),
    ("HTML in a comment past the edges", "deep.jpg", big_jpeg_with_html_comment(), 422),
    ("SVG with a script", "logo.svg", SVG, 415),
    ("decompression bomb", "bomb.png", decompression_bomb(), 413),
    ("empty file", "empty.jpg", b"", 400),
    ("over MEDIA_MAX_BYTES", "big.png", noise_png(200), 413),
    ("traversal", "../../etc/passwd.jpg", photo((32, 32)), 400),
    ("backslash traversal", "..\\..\\x.jpg", photo((32, 32)), 400),
    ("NUL in the name", "a\x00.jpg", photo((32, 32)), 400),
    ("300-character name", "a" * 296 + ".jpg", photo((32, 32)), 400),
    ("no extension", "photo", photo((32, 32)), 415),
    ("truncated JPEG", "cut.jpg", photo((400, 300))[:600], 422),
]


@pytest.fixture
def media_app(make_app, tmp_path):
    return make_app(MEDIA_FOLDER=str(tmp_path / "media"), MEDIA_MAX_BYTES=60_000)


@pytest.mark.parametrize(
    ("filename", "data", "status"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_files_are_refused_and_nothing_is_kept(media_app, filename, data, status):
    client = signed_in(media_app)
    answer = upload(client, filename, data)
    assert answer.status_code == status
    page = answer.get_data(as_text=True)
    assert "Not uploaded:" in page
    json_answer = upload(client, filename, data, Accept="application/json")
    assert json_answer.status_code == status
    assert json_answer.get_json()["error_description"]
    assert files_under(media_app.config["MEDIA_FOLDER"]) == []
    with media_app.app_context():
        assert db.session.execute(select(func.count(Media.id))).scalar_one() == 0
    assert client.get("/media/").status_code == 404


def test_an_upload_over_the_request_limit_is_413(media_app):
    client = signed_in(media_app)
    answer = upload(client, "huge.png", noise_png(400))  # ~480 KB, past limit + framing
    assert answer.status_code == 413
    assert files_under(media_app.config["MEDIA_FOLDER"]) == []


def test_a_photo_is_upright_without_metadata_and_served_safely(media_app):
    client = signed_in(media_app)
    original = photo((120, 80), orientation=6, gps=True, comment=b"secret place")
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    answer = upload(client, "Holiday Photo.JPG", original, Accept="application/json")
    assert answer.status_code == 201
    body = answer.get_json()
    assert answer.headers["Location"] == "http://blog.example" + body["path"]
    assert re.fullmatch(r"/media/\d{4}/\d{2}/holiday-photo\.jpg", body["path"])
    assert body["markdown"] == f"![Holiday Photo]({body['path']})"

    served = fetch(client, body["path"])
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "script-src" not in served.headers["Content-Security-Policy"]
    # At once (the answer must be quick): the pixels as sent, every piece of metadata gone
    # but the orientation, which shows it upright: 80 wide, 120 high, the red half on top.
    image = Image.open(io.BytesIO(served.data))
    assert dict(image.getexif()) == {ORIENTATION: 6} and not image.getexif().get_ifd(GPS_IFD)
    assert "comment" not in image.info
    assert b"secret place" not in served.data and b"Camera Maker" not in served.data
    shown = ImageOps.exif_transpose(image)
    assert shown.size == (80, 120) == (body["width"], body["height"])
    assert shown.getpixel((40, 10))[0] > 150 and shown.getpixel((40, 110))[0] < 100
    # Once the job ran: turned for good, no metadata at all.
    with media_app.app_context():
        jobs.run_due(media_app)
    image = Image.open(io.BytesIO(fetch(client, body["path"]).data))
    assert image.size == (80, 120) and len(image.getexif()) == 0
    assert image.getpixel((40, 10))[0] > 150 and image.getpixel((40, 110))[0] < 100
    assert "exif" not in image.info and "comment" not in image.info


def test_equal_names_never_overwrite(media_app):
    client = signed_in(media_app)
    first = upload(client, "same.png", photo((40, 40), fmt="PNG"), Accept="application/json")
    second = upload(client, "same.png", photo((50, 50), fmt="PNG"), Accept="application/json")
    assert first.status_code == second.status_code == 201
    a, b = first.get_json()["path"], second.get_json()["path"]
    assert a != b and b.endswith("/same-2.png")
    assert Image.open(io.BytesIO(fetch(client, a).data)).size == (40, 40)
    assert Image.open(io.BytesIO(fetch(client, b).data)).size == (50, 50)


def test_the_library_form_redirects_and_lists_the_upload(media_app):
    client = signed_in(media_app)
    answer = upload(client, "cat.webp", photo((300, 200), fmt="WEBP"))
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/admin/media")
    page = client.get("/admin/media").get_data(as_text=True)
    assert "cat.webp" in page and "300×200" in page and "nothing yet" in page
    assert re.search(r"!\[cat\]\(/media/\d{4}/\d{2}/cat\.webp\)", page)


def test_variants_are_made_by_the_job_and_given_to_the_post(media_app):
    client = signed_in(media_app)
    body = upload(client, "wide.jpg", photo((2000, 1000)), Accept="application/json").get_json()
    second = upload(client, "two.jpg", photo((600, 300)), Accept="application/json").get_json()
    assert (
        create_post(
            client, title="With images", body=f"{body['markdown']}\n\n{second['markdown']}"
        ).status_code
        == 303
    )
    with media_app.app_context():
        jobs.run_due(media_app)
        media = db.session.execute(select(Media).where(Media.path == body["path"])).scalar_one()
        assert [v["width"] for v in media.variants] == [480, 960, 1600]
    for variant in media.variants:
        served = fetch(client, variant["path"])
        assert served.headers["Content-Type"] == "image/webp"
        assert Image.open(io.BytesIO(served.data)).size == (variant["width"], variant["height"])
    page = client.get("/posts/2025/10/with-images/").get_data(as_text=True)
    first_img, second_img = re.findall(r"<img [^>]*>", page)[:2]
    assert 'width="2000"' in first_img and 'height="1000"' in first_img
    assert "-480w.webp 480w" in first_img and f"{body['path']} 2000w" in first_img
    assert "sizes=" in first_img and 'loading="lazy"' not in first_img
    assert 'width="600"' in second_img and 'loading="lazy"' in second_img
    feed = client.get("/feed.xml").get_data(as_text=True)
    assert "http://blog.example/media/" in feed and 'src="/media' not in feed


def test_delete_only_once_unused(media_app):
    client = signed_in(media_app)
    body = upload(client, "used.png", photo((40, 40), fmt="PNG"), Accept="application/json")
    body = body.get_json()
    create_post(client, title="Uses it", body=body["markdown"])
    token_page = client.get("/admin/media").get_data(as_text=True)
    assert "Uses it" in token_page
    from comment_helpers import csrf_from

    token = csrf_from(client, "/admin/media")
    refused = client.post(f"/admin/media/{body['id']}/delete", data={"csrf_token": token})
    assert refused.status_code == 409
    assert fetch(client, body["path"]).status_code == 200
    lone = upload(client, "lone.png", photo((40, 40), fmt="PNG"), Accept="application/json")
    lone = lone.get_json()
    done = client.post(f"/admin/media/{lone['id']}/delete", data={"csrf_token": token})
    assert done.status_code == 303
    assert fetch(client, lone["path"]).status_code == 404


def test_replace_keeps_the_address(media_app):
    client = signed_in(media_app)
    body = upload(client, "r.png", photo((40, 40), fmt="PNG"), Accept="application/json")
    body = body.get_json()
    from comment_helpers import csrf_from

    token = csrf_from(client, "/admin/media")
    answer = client.post(
        f"/admin/media/{body['id']}/replace",
        data={"csrf_token": token, "file": (io.BytesIO(photo((70, 30), fmt="PNG")), "n.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    assert Image.open(io.BytesIO(fetch(client, body["path"]).data)).size == (70, 30)
    wrong = client.post(
        f"/admin/media/{body['id']}/replace",
        data={"csrf_token": token, "file": (io.BytesIO(photo((70, 30))), "n.jpg")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422


def test_the_editor_uploads_without_script(media_app):
    client = signed_in(media_app)
    from comment_helpers import csrf_from

    token = csrf_from(client, "/admin/posts/new")
    answer = client.post(
        "/admin/posts",
        data={
            "csrf_token": token,
            "title": "Draft",
            "body": "Before the image.",
            "action": "upload",
            "file": (io.BytesIO(photo((64, 48))), "inline.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert re.search(r"Before the image.\n\n!\[inline\]\(/media/\d{4}/\d{2}/inline\.jpg\)", page)
    with media_app.app_context():
        assert db.session.execute(select(func.count(Media.id))).scalar_one() == 1


def test_strangers_cannot_upload(media_app):
    client = media_app.test_client()
    answer = client.post(
        "/admin/media",
        data={"file": (io.BytesIO(photo((10, 10))), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.status_code in (400, 401)
    assert files_under(media_app.config["MEDIA_FOLDER"]) == []


def test_export_copies_the_uploads_beside_the_posts(media_app, tmp_path):
    client = signed_in(media_app)
    body = upload(client, "kept.png", photo((40, 40), fmt="PNG"), Accept="application/json")
    path = body.get_json()["path"]
    create_post(client, title="Shows it", body=body.get_json()["markdown"])
    result = media_app.test_cli_runner().invoke(args=["posts", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    copied = tmp_path / "out" / path.lstrip("/")
    with Image.open(copied) as image:
        assert image.size == (40, 40)
    assert "media files" in result.output  # the summary counts what was copied


def test_an_image_picked_in_the_editor_goes_in_with_the_save(media_app):
    client = signed_in(media_app)
    from comment_helpers import csrf_from

    token = csrf_from(client, "/admin/posts/new")
    answer = client.post(
        "/admin/posts",
        data={
            "csrf_token": token,
            "title": "Saved with a picture",
            "body": "Words first.",
            "published_at": "2025-10-01T09:30:00",
            "action": "save",
            "file": (io.BytesIO(photo((64, 48))), "with-save.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    page = client.get("/posts/2025/10/saved-with-a-picture/").get_data(as_text=True)
    assert re.search(r'<img [^>]*src="/media/\d{4}/\d{2}/with-save\.jpg"[^>]*width="64"', page)
    # An empty file field (the browser sends one when nothing was picked) changes nothing.
    token = csrf_from(client, "/admin/posts/new")
    plain = client.post(
        "/admin/posts",
        data={
            "csrf_token": token,
            "title": "No picture",
            "body": "Only words.",
            "action": "save",
            "file": (io.BytesIO(b""), ""),
        },
        content_type="multipart/form-data",
    )
    assert plain.status_code == 303
