"""Images made with Pillow for the media tests, and the upload request."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from comment_helpers import csrf_from
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(
    size: tuple[int, int] = (1200, 800),
    fmt: str = "JPEG",
    orientation: int | None = None,
    gps: bool = False,
    comment: bytes | None = None,
) -> bytes:
    """A small picture (a red left half, so that orientation can be seen) with metadata."""
    image = Image.new("RGB", size, (30, 90, 200))
    image.paste((220, 30, 30), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    out = io.BytesIO()
    options: dict[str, Any] = {"exif": exif.tobytes()}
    if fmt == "JPEG" and comment is not None:
        options["comment"] = comment
    image.save(out, fmt, **options)
    return out.getvalue()


def decompression_bomb() -> bytes:
    """A PNG of 20,000×20,000 one-bit pixels: a few dozen kilobytes, 400 megapixels."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG that does not compress (random pixels)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def upload(client, filename: str, data: bytes, path: str = "/admin/media", **headers: str):
    """POST one file to the library's upload form, as the browser sends it."""
    token = csrf_from(client, "/admin/media")
    return client.post(
        path,
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=headers,
    )


def files_under(folder: str | Path) -> list[Path]:
    """Every file under a folder (hidden ones too)."""
    root = Path(folder)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def fetch(client, path: str):
    """GET a file and close it (a file's answer holds it open until closed)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response
