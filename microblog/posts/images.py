"""`<img>` tags of a rendered body made ready for readers, at write time (never on a view).

Each image the blog holds gets `width` and `height` (nothing shifts while it loads); an
upload with WebP variants gets `srcset`/`sizes`, and its `src` becomes the largest variant
(feeds then carry a sensible size, made absolute by the feed builder); every image after
the first is `loading="lazy"` (the first is usually above the fold). Running it again on
its own output gives the same HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape, unescape
from typing import Any

IMG_TAG = re.compile(r"""<img\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
ATTRIBUTE = re.compile(
    r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""", re.DOTALL
)


@dataclass(frozen=True)
class KnownImage:
    """What the blog knows of an image it serves: its size, and its variants if any."""

    path: str
    width: int
    height: int
    # [{"width": 480, "height": 320, "path": "…-480w.webp"}, …], smallest first.
    variants: list[dict[str, Any]] = field(default_factory=list)


Finder = Callable[[str], KnownImage | None]


def parse_attributes(tag: str) -> list[tuple[str, str | None]]:
    """The attributes of one start tag, in order, values unescaped (None: no value)."""
    inner = tag[4:-1].rstrip("/")
    found: list[tuple[str, str | None]] = []
    for match in ATTRIBUTE.finditer(inner):
        name = match.group(1).lower()
        raw = next((g for g in match.groups()[1:] if g is not None), None)
        found.append((name, unescape(raw) if raw is not None else None))
    return found


def build_tag(attributes: list[tuple[str, str | None]]) -> str:
    parts = ["<img"]
    for name, value in attributes:
        parts.append(f" {name}" if value is None else f' {name}="{escape(value, quote=True)}"')
    return "".join(parts) + ">"


def local_path(src: str, site_url: str) -> str | None:
    """The site path an image URL names on this blog, None for another site's image."""
    src = src.strip()
    if site_url and src.startswith(site_url + "/"):
        src = src[len(site_url) :]
    if not src.startswith("/") or src.startswith("//"):
        return None
    return src.split("?", 1)[0].split("#", 1)[0]


def _set(attributes: list[tuple[str, str | None]], name: str, value: str) -> None:
    for index, (existing, _) in enumerate(attributes):
        if existing == name:
            attributes[index] = (name, value)
            return
    attributes.append((name, value))


def _get(attributes: list[tuple[str, str | None]], name: str) -> str | None:
    return next((value for existing, value in attributes if existing == name), None)


def enhance_images(html: str, find: Finder, site_url: str = "", content_width: int = 720) -> str:
    """`html` with its images sized, given their variants and lazy below the first."""
    if "<img" not in html and "<IMG" not in html:
        return html
    position = 0

    def rewrite(match: re.Match[str]) -> str:
        nonlocal position
        position += 1
        attributes = parse_attributes(match.group(0))
        src = _get(attributes, "src") or ""
        path = local_path(src, site_url)
        known = find(path) if path else None
        if known is None and path:
            # Our own earlier output: its src is a variant of the original.
            original = re.sub(r"-\d+w\.webp$", "", path)
            if original != path:
                known = next(
                    (
                        found
                        for ext in (".jpg", ".jpeg", ".png", ".gif", ".webp")
                        if (found := find(original + ext)) is not None
                    ),
                    None,
                )
        if known is not None:
            size_image(attributes, known, content_width)
        if position > 1 and _get(attributes, "loading") is None:
            _set(attributes, "loading", "lazy")
        if _get(attributes, "decoding") is None:
            _set(attributes, "decoding", "async")
        return build_tag(attributes)

    return IMG_TAG.sub(rewrite, html)


def size_image(
    attributes: list[tuple[str, str | None]], known: KnownImage, content_width: int
) -> None:
    """Width, height, srcset and sizes of one image the blog holds."""
    width = _get(attributes, "width")
    height = _get(attributes, "height")
    if width and width.isascii() and width.isdigit() and not height and known.width:
        _set(attributes, "height", str(max(1, round(int(width) * known.height / known.width))))
    elif not (width and height):
        _set(attributes, "width", str(known.width))
        _set(attributes, "height", str(known.height))
    if not known.variants:
        return
    candidates = [f"{v['path']} {v['width']}w" for v in known.variants]
    largest = known.variants[-1]
    if known.width > int(largest["width"]):
        candidates.append(f"{known.path} {known.width}w")
    _set(attributes, "src", str(largest["path"]))
    _set(attributes, "srcset", ", ".join(candidates))
    _set(attributes, "sizes", f"(max-width: {content_width}px) 100vw, {content_width}px")
