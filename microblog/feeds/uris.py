"""URLs as they may be written into a document: percent-encoded wherever RFC 3986 says so.

A permalink is stored as the author wrote it (`/posts/my trip to Zürich/`); feeds, the
sitemap and HTML must carry `/posts/my%20trip%20to%20Z%C3%BCrich/` ("Invalid character in a
URI" is the first thing a feed validator reports). Pure: no request, no app.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# What may stand unencoded in a URI: RFC 3986's reserved and unreserved characters. `%` is
# kept too so that an already-encoded URL is not encoded twice; a `%` that starts no escape
# is encoded below.
URI_SAFE = ":/?#[]@!$&'()*+,;=-._~%"
STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def uri(url: str) -> str:
    """`url` with every character a URI cannot hold percent-encoded (UTF-8); idempotent."""
    return STRAY_PERCENT.sub("%25", quote(url, safe=URI_SAFE))
