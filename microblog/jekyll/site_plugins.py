"""What a site's own `_plugins/*.rb` do to its posts that the import cannot do: Ruby is
never run here, so a plugin that rewrites each post's text or HTML (a Markdown converter of
its own, a generator or hook that changes a document's content) is found by reading it,
and each post of that site names it (crystal-lang.org's heading anchors and callouts); a
plugin that redefines kramdown's `convert_header` (swift.org's heading anchors) is named in
the posts whose headings it changes visibly (differences.heading_plugin_differences).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

# A Markdown converter of the site's own: a subclass of Jekyll's, or Jekyll's reopened
CONVERTER = re.compile(r"(?:<|\bclass)\s*(?:::)?(?:Jekyll::)?Converters::Markdown\b")
# A generator or hook that reaches the posts (their collection, `site.posts`, a hook on
# :posts or :documents) and writes a document's content or output
REACHES_POSTS = re.compile(
    r"site\.posts|\.collections\b|\.docs\b|Hooks\.register\s*\(?\s*\[?\s*:(?:posts|documents)"
)
REWRITES = re.compile(
    r"\.(?:content|output)\s*=(?!=)|\.(?:content|output)\.(?:g?sub|replace|insert|prepend)!"
)


def _plugin_texts(root: Path) -> Iterator[tuple[str, str]]:
    """Each of the site's own `_plugins/*.rb` (no symbolic link followed): its name, its text."""
    folder = root / "_plugins"
    if not folder.is_dir() or folder.is_symlink():
        return
    for path in sorted(folder.glob("*.rb")):
        if path.is_symlink():
            continue
        try:
            yield path.name, path.read_text(errors="replace")
        except OSError:
            continue


def rewriting_plugins(root: Path) -> tuple[str, ...]:
    """The site's own `_plugins/*.rb` that rewrite each post's text or converted HTML."""
    return tuple(
        name
        for name, text in _plugin_texts(root)
        if CONVERTER.search(text) or (REACHES_POSTS.search(text) and REWRITES.search(text))
    )


# A Ruby plugin that redefines how kramdown writes a heading (swift.org's convert-header.rb)
CONVERT_HEADER = re.compile(r"^\s*def\s+convert_header\b", re.MULTILINE)


def header_plugins(root: Path) -> tuple[str, ...]:
    """The site's own `_plugins/*.rb` that redefine kramdown's `convert_header`."""
    return tuple(name for name, text in _plugin_texts(root) if CONVERT_HEADER.search(text))
