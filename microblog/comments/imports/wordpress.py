"""A WordPress export (WXR, "WordPress eXtended RSS", versions 1.0 to 1.2, as
`wp-admin/includes/export.php` writes it): an RSS `<channel>` whose `<item>`s are posts and
pages (`link`, `wp:post_name`), each holding its `<wp:comment>`s (`comment_id`,
`comment_author…`, `comment_date_gmt`, `comment_content`, `comment_approved` = 1, 0, spam or
trash, `comment_type`, `comment_parent`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from microblog.comments.imports.dates import parse_date
from microblog.comments.imports.records import (
    ImportFileError,
    SourceComment,
    SourceExport,
    SourceThread,
)
from microblog.comments.imports.safe_xml import child, local_name, text_of
from microblog.models import CommentStatus

STATUSES = {
    "1": CommentStatus.APPROVED,
    "approve": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.TRASH,
    "post-trashed": CommentStatus.TRASH,
}


def is_wxr(root: Element) -> bool:
    """Whether an XML root is a WordPress export's (RSS with the `wp:` namespace)."""
    if local_name(root) != "rss":
        return False
    channel = child(root, "channel")
    return channel is not None and any(
        isinstance(element.tag, str) and "wordpress.org/export/" in element.tag
        for element in channel.iter()
    )


def paragraphs(text: str) -> str:
    """WordPress's own display of a comment (`wpautop`), reduced: blank lines make
    paragraphs and single line breaks `<br>`. The sanitiser judges the result."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(f"<p>{block.replace(chr(10), '<br>')}</p>" for block in blocks if block)


def read_wxr(root: Element, path: Path) -> SourceExport:
    """Every post (as a thread) and comment of a WXR file."""
    export = SourceExport(format="WordPress")
    channel = child(root, "channel")
    assert channel is not None
    site = urlsplit(text_of(channel, "link")).hostname or text_of(channel, "link")
    for item in channel:
        if local_name(item) != "item":
            continue
        post_id = text_of(item, "post_id") or text_of(item, "guid") or text_of(item, "link")
        key = f"{site}:{post_id}"
        comments = [element for element in item if local_name(element) == "comment"]
        if not comments:
            continue
        export.threads[key] = SourceThread(
            key=key,
            links=[link] if (link := text_of(item, "link")) else [],
            identifiers=[],
            title=text_of(item, "title"),
        )
        for comment in comments:
            number = text_of(comment, "comment_id")
            if not number:
                export.notes.append(f"{path}: a comment without comment_id left out")
                continue
            parent = text_of(comment, "comment_parent")
            approved = text_of(comment, "comment_approved").lower()
            kind = text_of(comment, "comment_type") or "comment"
            export.comments.append(
                SourceComment(
                    key=f"wordpress:{site}:{number}",
                    thread=key,
                    parent=f"wordpress:{site}:{parent}" if parent not in ("", "0") else None,
                    name=text_of(comment, "comment_author"),
                    email=text_of(comment, "comment_author_email"),
                    url=text_of(comment, "comment_author_url"),
                    remote_addr=text_of(comment, "comment_author_IP"),
                    created_at=parse_date(text_of(comment, "comment_date_gmt"))
                    or parse_date(text_of(comment, "comment_date")),
                    status=STATUSES.get(approved, CommentStatus.PENDING),
                    text=paragraphs(content.text or "")
                    if (content := child(comment, "comment_content")) is not None
                    else "",
                    markup="html",
                    kind=kind,
                )
            )
    if channel is None or not export.threads:
        raise ImportFileError(f"{path}: a WordPress export with no comments in it")
    return export
