"""Slugs for tags and titles, by python-slugify."""

from __future__ import annotations

from slugify import slugify


def tag_slug(name: str) -> str:
    """The URL form of a tag's name: `Generative AI` → `generative-ai`."""
    return slugify(str(name)) or "tag"
