"""The JPEG segment rewriter against Pillow: what it keeps decodes to the very same pixels,
and what it drops (EXIF with GPS, XMP, comments, trailing bytes) is gone."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from microblog.posts import jpeg_segments

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><GPSLatitude>48,51N</GPSLatitude></x:xmpmeta>'


def photo(progressive: bool = False, restart: bool = False) -> bytes:
    image = Image.linear_gradient("L").resize((320, 200)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0)})
    out = io.BytesIO()
    options = {"exif": exif.tobytes(), "comment": b"a comment", "xmp": XMP, "quality": 85}
    if progressive:
        options["progressive"] = True
    if restart:
        options["restart_marker_blocks"] = 4
    image.save(out, "JPEG", **options)
    return out.getvalue() + b"<html>trailing</html>"


@pytest.mark.parametrize("kind", ["baseline", "progressive", "restart markers"])
def test_same_pixels_no_metadata(kind):
    data = photo(progressive=kind == "progressive", restart=kind == "restart markers")
    stripped = jpeg_segments.strip(data)
    before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(stripped))
    assert ImageChops.difference(before.convert("RGB"), after.convert("RGB")).getbbox() is None
    assert len(after.getexif()) == 0 and "comment" not in after.info and "xmp" not in after.info
    for secret in (b"Camera Maker", b"a comment", b"GPSLatitude", b"trailing"):
        assert secret not in stripped


def test_an_orientation_is_all_that_stays():
    stripped = jpeg_segments.strip(photo(), orientation=6)
    image = Image.open(io.BytesIO(stripped))
    assert dict(image.getexif()) == {0x0112: 6}


@pytest.mark.parametrize(
    "data", [b"", b"\xff\xd8", b"\xff\xd8\xff\xe1\xff\xff", b"GIF89a", photo()[:400]]
)
def test_broken_structures_are_refused(data):
    with pytest.raises(jpeg_segments.NotAJpeg):
        jpeg_segments.strip(data)
