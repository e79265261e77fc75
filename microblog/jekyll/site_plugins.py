"""What a site's own `_plugins/*.rb` do to its posts that the import cannot do: Ruby is
never run here, so a plugin that rewrites each post's text or HTML (a Markdown converter of
its own, a generator or hook that changes a document's content) is found by reading it,
and each post of that site names it (crystal-lang.org's heading anchors and callouts); a
plugin that redefines kramdown's `convert_header` (swift.org's heading anchors) is named in
the posts whose headings it changes visibly (differences.heading_plugin_differences).
"""

from __future__ import annotations

import re
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


def rewriting_plugins(root: Path) -> tuple[str, ...]:
    """The site's own `_plugins/*.rb` that rewrite each post's text or converted HTML."""
    folder = root / "_plugins"
    if not folder.is_dir() or folder.is_symlink():
        return ()
    found = []
    for path in sorted(folder.glob("*.rb")):
        if path.is_symlink():
            continue
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if CONVERTER.search(text) or (REACHES_POSTS.search(text) and REWRITES.search(text)):
            found.append(path.name)
    return tuple(found)


# A Ruby plugin that redefines how kramdown writes a heading (swift.org's convert-header.rb)
CONVERT_HEADER = re.compile(r"^\s*def\s+convert_header\b", re.MULTILINE)


def header_plugins(root: Path) -> tuple[str, ...]:
    """The site's own `_plugins/*.rb` that redefine kramdown's `convert_header`."""
    folder = root / "_plugins"
    if not folder.is_dir() or folder.is_symlink():
        return ()
    found = []
    for path in sorted(folder.glob("*.rb")):
        try:
            text = path.read_text(errors="replace") if not path.is_symlink() else ""
        except OSError:
            continue
        if CONVERT_HEADER.search(text):
            found.append(path.name)
    return tuple(found)
