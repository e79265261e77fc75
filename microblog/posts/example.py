"""The example post of a fresh clone (`content/_posts`): `make run` imports it into a
database that holds no post, as a demo (`flask posts import --example`), and the author's
own first import into that database takes it out again, unless it was edited or commented
on since. Which database got the demo is written in the instance folder, so that nothing
else (another database, a test, a production install) ever loses a post this way."""

from __future__ import annotations

import json
from pathlib import Path

from microblog.jekyll.files import source_key_for
from microblog.posts.deletion import remove_posts, writer
from microblog.posts.pruning import comment_counts

RECORD_NAME = "example_posts.json"


def example_keys(folder: Path) -> list[str]:
    """The source keys the example files are imported under."""
    return sorted(source_key_for(path) for path in folder.rglob("*") if path.is_file())


def remember_demo(instance: Path, database: str, folder: Path) -> None:
    """Note that `database` holds the example posts from `folder`."""
    record = {"database": database, "keys": example_keys(folder)}
    (instance / RECORD_NAME).write_text(json.dumps(record))


def remove_demo(instance: Path, database: str) -> list[str]:
    """The author imports their own posts: delete the example posts of this database that
    nobody edited or commented on (the caller commits), once; their permalinks."""
    path = instance / RECORD_NAME
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if record.get("database") != database:
        return []
    path.unlink()
    posts_writer = writer()
    found = [posts_writer.index.with_key(str(key)) for key in record.get("keys", [])]
    candidates = [post for post in found if post is not None and not post.edited_since_import]
    counts = comment_counts(posts_writer, [post.id for post in candidates])
    untouched = [post for post in candidates if not counts.get(post.id)]
    return [post.permalink for post, _ in remove_posts(untouched)] if untouched else []
