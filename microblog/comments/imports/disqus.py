"""A Disqus export (Disqus admin → Export): `<category>`s, then `<thread>`s (a page: its
`link`, the site's `id` for it, the `disqus_identifier`), then `<post>`s (a comment: its
`message` in HTML, `createdAt`, `isDeleted`, `isSpam`, `author`, `ipAddress`, the
`thread` it is on and the `parent` it answers, each by `dsq:id`)."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from microblog.comments.imports.dates import parse_date
from microblog.comments.imports.records import (
    ImportFileError,
    SourceComment,
    SourceExport,
    SourceThread,
)
from microblog.comments.imports.safe_xml import attribute, child, local_name, text_of
from microblog.models import CommentStatus

NAMESPACE = "http://disqus.com"


def is_disqus(root: Element) -> bool:
    """Whether an XML root is a Disqus export's."""
    return root.tag == f"{{{NAMESPACE}}}disqus" or local_name(root) == "disqus"


def _flag(element: Element, name: str) -> bool:
    return text_of(element, name).lower() == "true"


def _status(post: Element) -> CommentStatus:
    if _flag(post, "isSpam"):
        return CommentStatus.SPAM
    if _flag(post, "isDeleted"):
        return CommentStatus.TRASH
    if text_of(post, "isApproved").lower() == "false":
        return CommentStatus.PENDING
    return CommentStatus.APPROVED


def _message(post: Element) -> str:
    """The comment's HTML as written (not stripped: its line breaks are its own)."""
    message = child(post, "message")
    return (message.text or "") if message is not None else ""


def read_disqus(root: Element, path: Path) -> SourceExport:
    """Every thread and comment of a Disqus export."""
    export = SourceExport(format="Disqus")
    for element in root:
        name = local_name(element)
        if name == "thread":
            key = attribute(element, "id")
            if not key:
                continue
            identifier = text_of(element, "id")
            export.threads[key] = SourceThread(
                key=key,
                links=[link] if (link := text_of(element, "link")) else [],
                identifiers=identifier.split() if identifier else [],
                title=text_of(element, "title"),
            )
        elif name == "post":
            key = attribute(element, "id")
            thread = attribute(child(element, "thread"), "id")
            if not key or not thread:
                export.notes.append(f"{path}: a post without dsq:id or thread left out")
                continue
            author = child(element, "author")
            export.comments.append(
                SourceComment(
                    key=f"disqus:{key}",
                    thread=thread,
                    parent=(
                        f"disqus:{parent}"
                        if (parent := attribute(child(element, "parent"), "id"))
                        else None
                    ),
                    name=text_of(author, "name") if author is not None else "",
                    email=text_of(author, "email") if author is not None else "",
                    url=text_of(author, "link") if author is not None else "",
                    remote_addr=text_of(element, "ipAddress"),
                    created_at=parse_date(text_of(element, "createdAt")),
                    status=_status(element),
                    text=_message(element),
                    markup="html",
                )
            )
    if not export.threads and not export.comments:
        raise ImportFileError(f"{path}: a Disqus file with no thread and no post in it")
    return export
