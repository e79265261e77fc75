"""What the app still renders otherwise than Jekyll (kramdown 2.4 / Jekyll 4.3), found in a
post's Markdown so that the import names it in a warning line, with the file's line.

Each is a case measured on real blogs (tests/site_oracle.py) and left: HTML inside a
`markdown="1"` element (kramdown leaves it raw, the app applies typographic quotes in it).
"""

from __future__ import annotations

import re

CHECKS = [
    (
        re.compile(r"<(\w+)[^>]*markdown=[\"']?1[^>]*>(?:(?!</\1>).)*?\n[ \t]*<(?!/)", re.DOTALL),
        'HTML inside a markdown="1" element (kramdown leaves it raw: no typographic quotes)',
    ),
]
# Found in any text (a URL holds no '_' or HTML).
URL_CHECKS = [
    (
        re.compile(r"\]\([^()\s]*\([^()\s]*\\\)"),
        "an escaped ')' inside a link's URL (kramdown makes the link, keeping the backslash)",
    ),
]
FENCED = re.compile(r"^ *(```|~~~).*?^ *\1", re.MULTILINE | re.DOTALL)


def rendering_differences(body: str, first_line: int) -> list[str]:
    """A warning for each place in `body` the app is known to render otherwise."""
    checks = URL_CHECKS if "\\)" in body else []
    if "markdown=" in body:
        checks = CHECKS + checks
    if not checks:
        return []
    text = FENCED.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    warnings = []
    for pattern, what in checks:
        found = pattern.search(text)
        if found:
            line = first_line + text.count("\n", 0, found.start())
            warnings.append(f"line {line}: {what}: Jekyll may show it otherwise")
    return warnings
