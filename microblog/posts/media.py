"""The author's images: an upload checked, cleaned and stored; its variants made later.

- Checked before anything is written: a name without NUL, path parts or 255+ characters,
  a known image extension (SVG refused: it can carry script), 1 byte to MEDIA_MAX_BYTES,
  no HTML hidden in it (a polyglot), an image Pillow decodes whole, within Pillow's pixel
  limit (`Image.MAX_IMAGE_PIXELS`, the decompression-bomb guard) counted over every frame.
- Cleaned: orientation applied (`ImageOps.exif_transpose`), every piece of metadata dropped
  (EXIF with its GPS position, XMP, comments); only the colour profile is kept. What is
  served is this re-encoded copy, never the bytes that came in.
- Stored under MEDIA_FOLDER at `/media/YYYY/MM/<name>.<ext>`: written to a temporary file,
  then linked to its name, which fails if the name is taken (then `-2`, `-3`, …), so equal
  names never overwrite each other and no reader sees half a file.
- Variants: WebP copies at a few fixed widths, made by the job `media.variants` (see
  media_jobs.py), never on the request.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image, ImageOps, ImageSequence
from slugify import slugify
from sqlalchemy import or_, select

from microblog.models import Media, Page, Post
from microblog.posts import jpeg_segments
from microblog.posts.images import Finder, KnownImage, enhance_images
from microblog.posts.index import SessionLike

# The URL path under which uploads live (and the folder under MEDIA_FOLDER).
MEDIA_PREFIX = "/media"
# The widths of the WebP variants (WordPress's medium, large and a 1600 px "full" for
# high-density screens); only those narrower than the original are made.
VARIANT_WIDTHS = (480, 960, 1600)
# The width the layout shows an image at, for `sizes`.
CONTENT_WIDTH = 720
MAX_NAME = 255
# Pillow's formats we take, with their type and the extensions a file of that kind may have.
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "JPEG": ("image/jpeg", (".jpg", ".jpeg")),
    "PNG": ("image/png", (".png",)),
    "GIF": ("image/gif", (".gif",)),
    "WEBP": ("image/webp", (".webp",)),
}
EXTENSIONS = {ext for _, exts in FORMATS.values() for ext in exts}
# What a browser would take for a document if it ever sniffed the bytes: refused where a
# polyglot puts it (the first and last bytes, and the image's comments, text chunks and
# application segments, which can carry a whole HTML page). Pixel data is not searched: it
# is decoded and encoded again, so nothing of it is served as sent, and a 25 MB scan would
# cost half a second and refuse the odd honest photo whose compressed bytes spell `<svg `.
EDGE_BYTES = 4096
MARKUP = re.compile(
    rb"<(?:script|html|body|iframe|svg|object|embed|meta|!doctype)[\s/>]|javascript:",
    re.IGNORECASE,
)
# Keys of Pillow's `info` that would carry metadata into a saved copy.
ORIENTATION = 0x0112
# EXIF orientations that swap width and height (5–8: turned a quarter).
TURNED_SIDEWAYS = frozenset({5, 6, 7, 8})
METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "adobe", "dpi")


class MediaRejected(Exception):
    """An upload refused, with the HTTP status that says why (400, 413, 415 or 422)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CleanImage:
    """An image as it will be served: re-encoded without metadata, upright."""

    data: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1][0]


def check_name(filename: str) -> tuple[str, str]:
    """The stem (slugified) and lower-case extension of an uploaded file's name."""
    if "\x00" in filename:
        raise MediaRejected("The file name contains a NUL character.", 400)
    if len(filename) > MAX_NAME:
        raise MediaRejected(f"The file name is longer than {MAX_NAME} characters.", 400)
    if "/" in filename or "\\" in filename or ".." in filename:
        raise MediaRejected("The file name cannot contain '/', '\\' or '..'.", 400)
    name = filename.strip()
    if not name or name.startswith("."):
        raise MediaRejected("The file needs a name, such as photo.jpg.", 400)
    stem, dot, extension = name.rpartition(".")
    extension = ("." + extension).lower() if dot else ""
    if extension == ".svg" or extension == ".svgz":
        raise MediaRejected(
            "SVG images are not taken: they can carry scripts that would run on the blog's "
            "own address. Export it as PNG (or WebP) and upload that.",
            415,
        )
    if extension not in EXTENSIONS:
        raise MediaRejected(
            "Only images can be uploaded (JPEG, PNG, GIF or WebP), not "
            f"{extension or 'a file without an extension'}.",
            415,
        )
    return slugify(stem, max_length=80, word_boundary=True) or "image", extension


def check_size(size: int, max_bytes: int) -> None:
    """Not empty, not over the limit."""
    if size == 0:
        raise MediaRejected("The file is empty (0 bytes).", 400)
    if size > max_bytes:
        raise MediaRejected(
            f"The file is {size:,} bytes; the largest upload is {max_bytes:,} bytes.", 413
        )


def polyglot() -> MediaRejected:
    return MediaRejected(
        "The file holds HTML or script beside the image (a polyglot); it is refused.", 422
    )


def metadata_blobs(image: Image.Image) -> list[bytes]:
    """The parts of an image file that are not pixels: JPEG application segments and
    comments, PNG text chunks, GIF comments, EXIF and XMP."""
    blobs: list[bytes] = [blob for _, blob in getattr(image, "applist", [])]
    for value in image.info.values():
        if isinstance(value, bytes):
            blobs.append(value)
        elif isinstance(value, str):
            blobs.append(value.encode("utf-8", "replace"))
    text = getattr(image, "text", None)  # PNG tEXt/iTXt/zTXt chunks (read to the end)
    if isinstance(text, dict):
        blobs.extend(str(value).encode("utf-8", "replace") for value in text.values())
    return blobs


def _pixels(image: Image.Image) -> int:
    frames = int(getattr(image, "n_frames", 1))
    return int(image.width * image.height) * max(1, frames)


def _strip(image: Image.Image) -> None:
    for key in METADATA_KEYS:
        image.info.pop(key, None)


def clean_image(data: bytes) -> CleanImage:
    """Decode, check and re-encode an image; MediaRejected when it is not a safe one."""
    if MARKUP.search(data[:EDGE_BYTES]) or MARKUP.search(data[-EDGE_BYTES:]):
        raise polyglot()
    limit = Image.MAX_IMAGE_PIXELS or 89_478_485
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                if _pixels(image) > limit:
                    frames = int(getattr(image, "n_frames", 1))
                    raise MediaRejected(
                        f"The image is {image.width}×{image.height} pixels"
                        f"{f' in {frames} frames' if frames > 1 else ''}"
                        f": over the {limit:,}-pixel limit (a decompression bomb?).",
                        413,
                    )
                if any(MARKUP.search(blob) for blob in metadata_blobs(image)):
                    raise polyglot()
                if image.format == "JPEG":
                    return _clean_jpeg(image, data)
                return _reencode(image)
    except MediaRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRejected(f"The image is over the {limit:,}-pixel limit.", 413) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # UnidentifiedImageError is an OSError: not an image at all, or a damaged one.
        raise MediaRejected(
            f"This is not an image that can be read (JPEG, PNG, GIF or WebP): {exc}", 422
        ) from None


def _clean_jpeg(image: Image.Image, data: bytes) -> CleanImage:
    """A JPEG proven whole by decoding it (at an eighth of its size: every coefficient is
    still read, in a fraction of the time) and served with its metadata cut out, pixels
    untouched. A turned photo keeps only its orientation until the variants job turns it
    for good (`turn_upright`); its width and height are already the upright ones."""
    orientation = int(image.getexif().get(ORIENTATION, 1))
    if orientation not in range(1, 9):
        orientation = 1
    width, height = image.size
    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
    image.load()
    try:
        stripped = jpeg_segments.strip(data, orientation)
    except jpeg_segments.NotAJpeg as exc:
        raise MediaRejected(f"This JPEG's structure is damaged: {exc}", 422) from None
    if orientation in TURNED_SIDEWAYS:
        width, height = height, width
    return CleanImage(stripped, "JPEG", width, height)


def turn_upright(folder: str | Path, media: Media) -> bool:
    """Turn a photo stored with an EXIF orientation into an upright one without metadata
    (the variants job does it, off the request); whether the file changed."""
    path = file_for(folder, media.path)
    with Image.open(path) as image:
        if image.format != "JPEG" or int(image.getexif().get(ORIENTATION, 1)) == 1:
            return False
        image.load()
        upright = ImageOps.exif_transpose(image)
        _strip(upright)
        out = io.BytesIO()
        options: dict[str, Any] = {"format": "JPEG", "quality": 92}
        if image.info.get("icc_profile"):
            options["icc_profile"] = image.info["icc_profile"]
        upright.save(out, **options)
    data = out.getvalue()
    _replace_file(path, data)
    media.size_bytes = len(data)
    media.sha256 = hashlib.sha256(data).hexdigest()
    media.width, media.height = upright.size
    return True


def _reencode(image: Image.Image) -> CleanImage:
    """The image saved again in its own format: upright, without metadata."""
    fmt = str(image.format)
    icc = image.info.get("icc_profile")
    out = io.BytesIO()
    animated = int(getattr(image, "n_frames", 1)) > 1
    options: dict[str, Any] = {"format": fmt}
    if icc:
        options["icc_profile"] = icc
    if animated:
        frames = []
        for frame in ImageSequence.Iterator(image):
            copy = frame.copy()
            _strip(copy)
            frames.append(copy)
        first = frames[0]
        first.save(
            out,
            save_all=True,
            append_images=frames[1:],
            loop=image.info.get("loop", 0),
            duration=image.info.get("duration", 100),
            **options,
        )
        width, height = first.size
    else:
        image.load()
        orientation = image.getexif().get(0x0112, 1)
        upright = ImageOps.exif_transpose(image) if orientation != 1 else image
        _strip(upright)
        if fmt == "JPEG":
            # "keep": the original's quantisation tables, so an upright photo loses nothing
            # visible; a turned one is a new picture and is saved at high quality.
            if upright is image:
                options["quality"] = "keep"
            else:
                options["quality"] = 92
        elif fmt == "WEBP":
            options.update(quality=90, lossless=bool(image.info.get("lossless")))
        elif fmt == "PNG":
            options.update(compress_level=6)
        if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, **options)
        width, height = upright.size
    return CleanImage(out.getvalue(), fmt, width, height)


# ---------------------------------------------------------------------------- storage


def media_root(folder: str | Path) -> Path:
    return Path(folder)


def file_for(folder: str | Path, url_path: str) -> Path:
    """Where under MEDIA_FOLDER the file served at `url_path` is."""
    relative = PurePosixPath(url_path.lstrip("/"))
    if ".." in relative.parts:
        raise ValueError(url_path)
    return Path(folder) / relative


def _write_new(target_dir: Path, stem: str, extension: str, data: bytes) -> Path:
    """Write `data` as `<stem><ext>` in `target_dir`, or `<stem>-2<ext>`, … when taken.

    Written to a temporary file first, then hard-linked to its name: the link fails if the
    name exists, so nothing is ever overwritten and no one sees a half-written file.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target_dir, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        for number in range(1, 10_000):
            name = f"{stem}{extension}" if number == 1 else f"{stem}-{number}{extension}"
            try:
                os.link(temporary, target_dir / name)
            except FileExistsError:
                continue
            return target_dir / name
        raise MediaRejected("Too many files with this name this month; rename it.", 409)
    finally:
        os.unlink(temporary)


def _replace_file(path: Path, data: bytes) -> None:
    """Put `data` at `path` in one step (a reader sees the old file or the new, never half)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def dated_folder(now: datetime) -> str:
    """The URL folder of an upload made at `now`: /media/2026/12."""
    return f"{MEDIA_PREFIX}/{now:%Y}/{now:%m}"


def store_upload(
    session: SessionLike,
    filename: str,
    data: bytes,
    *,
    folder: str | Path,
    max_bytes: int,
    now: datetime,
) -> Media:
    """Check, clean and store an upload; its row is added to `session` (the caller commits,
    or calls `discard` if it cannot) and its variants job is queued there."""
    from microblog import jobs

    stem, _ = check_name(filename)
    check_size(len(data), max_bytes)
    clean = clean_image(data)
    url_folder = dated_folder(now)
    written = _write_new(file_for(folder, url_folder), stem, clean.extension, clean.data)
    media = Media(
        path=f"{url_folder}/{written.name}",
        original_name=filename.strip()[:MAX_NAME],
        content_type=clean.content_type,
        size_bytes=len(clean.data),
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(clean.data).hexdigest(),
        variants=[],
        created_at=now,
        updated_at=now,
    )
    session.add(media)
    session.flush()
    jobs.enqueue("media.variants", session=session, media_id=media.id)
    return media


def replace_upload(
    session: SessionLike,
    media: Media,
    filename: str,
    data: bytes,
    *,
    folder: str | Path,
    max_bytes: int,
) -> Media:
    """New content at the same address (every post showing it shows the new one)."""
    from microblog import jobs

    check_name(filename)
    check_size(len(data), max_bytes)
    clean = clean_image(data)
    if clean.content_type != media.content_type:
        raise MediaRejected(
            f"Replace a {media.content_type} with a file of the same type (this one is "
            f"{clean.content_type}); or upload it as a new file.",
            422,
        )
    _replace_file(file_for(folder, media.path), clean.data)
    remove_variants(folder, media)
    media.size_bytes = len(clean.data)
    media.width, media.height = clean.width, clean.height
    media.sha256 = hashlib.sha256(clean.data).hexdigest()
    media.variants = []
    jobs.enqueue("media.variants", session=session, media_id=media.id)
    return media


def remove_variants(folder: str | Path, media: Media) -> None:
    """Delete the variant files of `media` (they are made again from the original)."""
    for variant in media.variants or []:
        file_for(folder, str(variant["path"])).unlink(missing_ok=True)


def discard(folder: str | Path, media: Media) -> None:
    """Remove an upload's files (a delete, or a row that could not be committed)."""
    remove_variants(folder, media)
    file_for(folder, media.path).unlink(missing_ok=True)


# ---------------------------------------------------------------------------- use


def used_by(session: SessionLike, media: Media) -> tuple[list[Post], list[Page]]:
    """The posts and pages whose text names the file (its original or a variant)."""
    stem = media.path.rsplit(".", 1)[0]
    post_hits = (
        session.execute(
            select(Post)
            .where(or_(Post.body_source.contains(media.path), Post.body_html.contains(stem)))
            .order_by(Post.published_at.desc())
        )
        .scalars()
        .all()
    )
    page_hits = (
        session.execute(
            select(Page).where(
                or_(Page.body_source.contains(media.path), Page.body_html.contains(stem))
            )
        )
        .scalars()
        .all()
    )
    return list(post_hits), list(page_hits)


def markdown_for(media: Media) -> str:
    """What the editor inserts: an image with its name as the alt text."""
    alt = media.original_name.rsplit(".", 1)[0].replace("[", "").replace("]", "")
    return f"![{alt}]({media.path})"


# ---------------------------------------------------------------------------- variants


def variant_path(media_path: str, width: int) -> str:
    """The URL path of the WebP copy `width` pixels wide."""
    return f"{media_path.rsplit('.', 1)[0]}-{width}w.webp"


def make_variants(folder: str | Path, media: Media) -> list[dict[str, Any]]:
    """Write the WebP copies narrower than the original; what they are (smallest first)."""
    made: list[dict[str, Any]] = []
    with Image.open(file_for(folder, media.path)) as image:
        if int(getattr(image, "n_frames", 1)) > 1:
            return made  # an animation stays whole: a still copy would stop it
        widths = [w for w in VARIANT_WIDTHS if w < image.width]
        if not widths:
            return made
        if image.format == "JPEG":
            # Decode at a smaller scale straight away (libjpeg's DCT scaling): much faster.
            image.draft("RGB", (widths[-1], widths[-1] * image.height // image.width))
        image.load()
        base = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        for width in widths:
            height = max(1, round(media.height * width / media.width))
            copy = base.resize((width, height), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            copy.save(out, format="WEBP", quality=80, method=4)
            path = variant_path(media.path, width)
            _replace_file(file_for(folder, path), out.getvalue())
            made.append({"width": width, "height": height, "path": path})
    return made


# ---------------------------------------------------------------------------- at write time


def image_finder(session: SessionLike, folder: str | Path | None) -> Finder:
    """What the blog knows of the image at a path: an upload's row, else the size of a site
    file under MEDIA_FOLDER (read from its header only); remembered for one body."""
    seen: dict[str, KnownImage | None] = {}

    def find(path: str) -> KnownImage | None:
        if path in seen:
            return seen[path]
        known: KnownImage | None = None
        media = session.execute(Media.at_path(path)).scalar_one_or_none()
        if media is not None:
            known = KnownImage(media.path, media.width, media.height, list(media.variants or []))
        elif folder is not None and PurePosixPath(path).suffix.lower() in EXTENSIONS:
            try:
                with Image.open(file_for(folder, path)) as image:
                    known = KnownImage(path, image.width, image.height)
            except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
                known = None
        seen[path] = known
        return known

    return find


def enhance_body(session: SessionLike, html: str, site_url: str) -> str:
    """A rendered body's images sized and given their variants (see images.py)."""
    if "<img" not in html and "<IMG" not in html:
        return html
    from flask import current_app, has_app_context

    folder = current_app.config.get("MEDIA_FOLDER") if has_app_context() else None
    return enhance_images(html, image_finder(session, folder), site_url, CONTENT_WIDTH)
