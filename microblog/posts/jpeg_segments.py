"""A JPEG's metadata removed without touching its pixels: the file's segments rewritten,
keeping only what decoding and colour need (JFIF, the ICC profile, Adobe's colour transform,
tables, frame, scans) and dropping EXIF (with its GPS position), XMP, comments, every other
application segment and anything after the end of the image.

Hand-written because Pillow can only drop metadata by encoding the picture again, which for
a 24-megapixel photo costs more than the upload's whole time budget; piexif removes EXIF
only (XMP, comments and trailing bytes would stay). The layout is ITU T.81, Annex B.
"""

from __future__ import annotations

import struct

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
APP0, APP2, APP14 = 0xE0, 0xE2, 0xEE
# Markers without a length: SOI, EOI, RST0–7, TEM.
STANDALONE = {SOI, EOI, 0x01, *range(0xD0, 0xD8)}


class NotAJpeg(ValueError):
    """The bytes are not a JPEG's segment structure."""


def keeps(marker: int, payload: bytes) -> bool:
    """Whether a segment is needed to show the picture as it is."""
    if marker == APP0:
        return payload.startswith((b"JFIF\x00", b"JFXX\x00"))
    if marker == APP2:
        return payload.startswith(b"ICC_PROFILE\x00")
    if marker == APP14:
        return payload.startswith(b"Adobe")
    return not (0xE0 <= marker <= 0xEF or marker == 0xFE)  # APPn, COM


def orientation_segment(orientation: int) -> bytes:
    """An APP1 segment holding only an EXIF orientation (big-endian TIFF, one IFD entry)."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    tiff += struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def strip(data: bytes, orientation: int = 1) -> bytes:
    """The JPEG without its metadata; `orientation` other than 1 is kept as the only EXIF
    entry (so the picture still shows upright until it is turned for good)."""
    if not data.startswith(b"\xff\xd8"):
        raise NotAJpeg("no start-of-image marker")
    out = bytearray(b"\xff\xd8")
    if orientation != 1:
        out += orientation_segment(orientation)
    position = 2
    size = len(data)
    while position < size:
        if data[position] != 0xFF:
            raise NotAJpeg(f"a marker was expected at byte {position}")
        while position < size and data[position] == 0xFF:  # fill bytes
            position += 1
        if position >= size:
            break
        marker = data[position]
        position += 1
        if marker == EOI:
            out += b"\xff\xd9"
            return bytes(out)  # anything after the end of the image is dropped
        if marker in STANDALONE:
            out += bytes((0xFF, marker))
            continue
        if position + 2 > size:
            raise NotAJpeg("a segment is cut short")
        (length,) = struct.unpack(">H", data[position : position + 2])
        end = position + length
        if length < 2 or end > size:
            raise NotAJpeg("a segment runs past the end of the file")
        payload = data[position + 2 : end]
        if keeps(marker, payload):
            out += bytes((0xFF, marker)) + data[position:end]
        position = end
        if marker == SOS:
            # Entropy-coded data: up to the next marker that is not a stuffed 0xFF00 or a
            # restart marker.
            scan = position
            while True:
                scan = data.find(b"\xff", scan)
                if scan < 0 or scan + 1 >= size:
                    raise NotAJpeg("the image data has no end")
                following = data[scan + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    scan += 1 if following == 0xFF else 2
                    continue
                break
            out += data[position:scan]
            position = scan
    raise NotAJpeg("no end-of-image marker")
