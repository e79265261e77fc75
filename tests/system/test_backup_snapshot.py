"""`flask backup` of a live blog is one snapshot: writers commit while it runs, and the
archive holds each of their transactions whole or not at all, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import tarfile
import threading
from pathlib import Path

import pytest
from conftest import BASE_CONFIG
from sqlalchemy import select

from microblog import create_app
from microblog.extensions import db
from microblog.models import Comment, CommentStatus, Job, Post

# Writers commit while the backup reads: each database's snapshot.
pytestmark = pytest.mark.any_database(cleanup=True)


class Writer(threading.Thread):
    """Commits, again and again, a comment and a job naming it, in one transaction (as
    intake stores a comment with its "mail the author" job)."""

    def __init__(self, url: str, post_id: int) -> None:
        super().__init__(daemon=True)
        self.app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        self.post_id = post_id
        self.stop = threading.Event()
        self.commits = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    comment = Comment(
                        post_id=self.post_id,
                        author_name="Writer",
                        body_source="Written during the backup.",
                        body_html="<p>Written during the backup.</p>",
                        status=CommentStatus.APPROVED,
                    )
                    db.session.add(comment)
                    db.session.flush()
                    db.session.add(Job(kind="mail.author", args={"comment_id": comment.id}))
                    db.session.commit()
                    self.commits += 1
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
            self.app.extensions["generation_reader"].close()


def archived_rows(archive: Path, table: str) -> list[dict]:
    with tarfile.open(archive, "r:gz") as opened:
        data = opened.extractfile(f"tables/{table}.jsonl").read().decode("utf-8")
    return [json.loads(line) for line in data.splitlines()]


def test_backup_is_one_snapshot_while_writers_commit(app, database_url, tmp_path):
    runner = app.test_cli_runner()
    # Enough posts that reading them takes a while: the jobs table is read before them and
    # the comments after, so without one snapshot the two would disagree.
    seeded = runner.invoke(args=["dev", "seed", "--posts", "3000", "--comments", "2000"])
    assert seeded.exit_code == 0, seeded.output
    with app.app_context():
        post_id = db.session.execute(select(Post.id).limit(1)).scalar_one()

    writers = [Writer(database_url, post_id) for _ in range(2)]
    for writer in writers:
        writer.start()
    try:
        while sum(writer.commits for writer in writers) < 5:
            threading.Event().wait(0.01)
        archives = []
        for number in range(3):
            before = sum(writer.commits for writer in writers)
            archive = tmp_path / f"live-{number}.tar.gz"
            made = runner.invoke(args=["backup", str(archive)])
            assert made.exit_code == 0, made.output + made.stderr
            # The writers did commit while this backup ran (else the test proves nothing).
            assert sum(writer.commits for writer in writers) > before
            archives.append(archive)
    finally:
        for writer in writers:
            writer.stop.set()
        for writer in writers:
            writer.join(timeout=30)
    for writer in writers:
        assert writer.error is None, repr(writer.error)

    for archive in archives:
        written = {
            row["id"]
            for row in archived_rows(archive, "comments")
            if row["author_name"] == "Writer"
        }
        named = {row["args"]["comment_id"] for row in archived_rows(archive, "jobs")}
        assert written, "the backup began before any writer committed"
        assert named == written
