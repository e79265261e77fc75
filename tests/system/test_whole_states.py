"""Readers never see a half-made site: while the author re-imports, edits, renames and deletes
posts and comments arrive, every page and feed answers with the whole site as it was before
a change or as it is after it, never a mix, never a 5xx.

The blog runs under a real gunicorn (2 workers) with nginx in front of it, on SQLite and on
PostgreSQL. Readers loop over every page and feed, half of them through nginx and half
straight to the app. The author works in this process, through the app's own views and
commands (test client and CLI runner) on the same database, one transaction per change.

Every post title, body and approved comment carries a marker (`T3r2`: post 3, revision 2;
`B3r2` its body; `C7` comment 7). The test keeps the history of states the site went
through; an answer is right when the markers it shows are exactly what that page shows in
one state of the history, none newer than the one being committed when the answer arrived.
How old a state a cache may still show is not this test's matter (nginx serves its stale
copy while the refreshing request waits for a busy app): tests/system/test_nginx.py bounds
it.
"""

from __future__ import annotations

import copy
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from comment_helpers import CSRF_RE, TOKEN_RE, create_author, log_in
from nginx_server import nginx_binary, nginx_front
from servers import Browser, GunicornSettings, gunicorn_server

from microblog import create_app

# How long readers go on after the last change (nginx keeps an entry up to 2 s).
SETTLE = 3.0
TAGS = ("alpha", "beta")
MARKER = re.compile(r"zq([TBC])(\d+)(?:r(\d+))?\b")

POST_FILE = """---
title: zqT{n}r{rev} {words}
date: 2025-03-{day:02d} 10:00:00 +0000
permalink: {permalink}
tags: [{tags}]
---

zqB{n}r{rev} is the body of this post.
"""


@dataclass
class PostState:
    """One post as a state of the site has it."""

    n: int
    rev: int
    permalink: str
    tags: tuple[str, ...]
    day: int
    old_permalinks: tuple[str, ...] = ()
    comments: tuple[int, ...] = ()


@dataclass
class Site:
    """The history of states, with when each became current."""

    states: list[dict[int, PostState]] = field(default_factory=list)
    since: list[float] = field(default_factory=list)
    # The state being made (it may be visible from the moment its transaction commits).
    pending: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, state: dict[int, PostState]) -> None:
        with self.lock:
            self.states.append(copy.deepcopy(state))
            self.pending = len(self.states) - 1

    def committed(self) -> None:
        with self.lock:
            self.since.append(time.monotonic())

    def newest_possible(self) -> int:
        with self.lock:
            return self.pending


@dataclass
class Answer:
    front: str
    path: str
    sent: float
    received: float
    newest: int
    status: int
    location: str
    body: str


def markers(body: str) -> set[tuple[str, int, int]]:
    """Every (kind, number, revision) marker in a body (revision 0 for comments)."""
    return {(kind, int(n), int(rev or 0)) for kind, n, rev in MARKER.findall(body)}


def published_in(state: dict[int, PostState], tag: str | None = None) -> list[PostState]:
    return [p for p in state.values() if tag is None or tag in p.tags]


def matches(answer: Answer, state: dict[int, PostState]) -> bool:
    """Whether `answer` is exactly what its page shows in `state`."""
    path, found = answer.path, markers(answer.body)
    titles = {(k, n, r) for k, n, r in found if k == "T"}
    bodies = {(k, n, r) for k, n, r in found if k == "B"}
    comments = {n for k, n, _ in found if k == "C"}
    live = {p.n: p for p in state.values()}

    def consistent_bodies() -> bool:
        return all(n in live and live[n].rev == r for _, n, r in bodies)

    for post in state.values():
        if path == post.permalink:
            if answer.status != 200 or ("T", post.n, post.rev) not in titles:
                return False
            # Its neighbours' titles may show too (previous / next): as this state has them.
            others = all(n in live and live[n].rev == r for _, n, r in titles)
            mine = {(k, n, r) for k, n, r in bodies if n == post.n}
            return others and mine <= {("B", post.n, post.rev)} and comments == set(post.comments)
        if path == post.permalink + "comments/feed.xml":
            return answer.status == 200 and comments == set(post.comments)
        if path in post.old_permalinks:
            return answer.status == 301 and answer.location.endswith(post.permalink)
        if any(path.startswith(old) for old in post.old_permalinks):
            return answer.status in (404, 410) or (
                answer.status == 301 and post.permalink in answer.location
            )
    if path.startswith("/p/"):
        # No post there in this state: never one (404), or a deleted one's (410 Gone).
        return answer.status in (404, 410)
    tag = None
    if path.startswith("/tags/") and path != "/tags/":
        tag = path.split("/")[2]
    if path == "/sitemap.xml":
        locs = set(re.findall(r"http://blog\.example(/p/[^<]*)</loc>", answer.body))
        return answer.status == 200 and locs == {p.permalink for p in state.values()}
    if path == "/tags/":
        counts = dict(
            re.findall(r'href="/tags/(\w+)/">\w+</a> <span class="count">\((\d+)', answer.body)
        )
        wanted = {t: str(len(published_in(state, t))) for t in TAGS}
        return answer.status == 200 and counts == wanted
    expected = {("T", p.n, p.rev) for p in published_in(state, tag)}
    return (
        answer.status == 200
        and titles == expected
        and consistent_bodies()
        and not comments  # listings and site feeds show no comment
    )


def fetch(base: str, path: str) -> tuple[int, str, str]:
    request = urllib.request.Request(base + path)
    opener = urllib.request.build_opener(Browser.NoRedirect())
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, "", response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode()


class Author:
    """The author at work in this process: files to import, the editor, the moderation queue."""

    def __init__(self, app, folder: Path, site: Site) -> None:
        self.app, self.folder, self.site = app, folder, site
        self.state: dict[int, PostState] = {}
        self.ids: dict[int, int] = {}  # post number -> database id (editor posts)
        self.client = app.test_client()
        assert log_in(self.client).status_code == 303
        self.reader = app.test_client()
        self.comment_count = 0

    # -- changes, one transaction each -------------------------------------------------------

    def change(self, plan) -> None:
        """`plan` changes the model and returns what does it (one commit): the new state
        is announced before that commit and marked current after it."""
        do = plan()
        self.site.begin(self.state)
        do()
        self.site.committed()

    def write_file(self, post: PostState, words: str = "a post") -> None:
        text = POST_FILE.format(
            n=post.n,
            rev=post.rev,
            words=words,
            day=post.day,
            permalink=post.permalink,
            tags=", ".join(post.tags),
        )
        (self.folder / f"2025-03-{post.day:02d}-post-{post.n}.md").write_text(text)

    def import_files(self) -> None:
        result = self.app.test_cli_runner().invoke(args=["posts", "import", str(self.folder)])
        assert result.exit_code == 0, result.output

    def edit(self, n: int, **fields: str) -> None:
        post_id = self.ids[n]
        page = self.client.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
        version = re.search(r'name="version"[^>]*value="(\d+)"', page) or re.search(
            r'value="(\d+)"[^>]*name="version"', page
        )
        post = self.state[n]
        data = {
            "csrf_token": CSRF_RE.search(page).group(1),
            "version": version.group(1),
            "title": f"zqT{n}r{post.rev} an edited post",
            "body": f"zqB{n}r{post.rev} is the body of this post.",
            "tags": ", ".join(post.tags),
            "permalink": post.permalink,
            "published_at": f"2025-03-{post.day:02d}T10:00:00",
            "action": "save",
            **fields,
        }
        answer = self.client.post(f"/admin/posts/{post_id}", data=data)
        assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]

    def create(self, post: PostState) -> None:
        page = self.client.get("/admin/posts/new").get_data(as_text=True)
        data = {
            "csrf_token": CSRF_RE.search(page).group(1),
            "title": f"zqT{post.n}r{post.rev} a post from the editor",
            "body": f"zqB{post.n}r{post.rev} is the body of this post.",
            "tags": ", ".join(post.tags),
            "permalink": post.permalink,
            "published_at": f"2025-03-{post.day:02d}T10:00:00",
            "action": "save",
        }
        answer = self.client.post("/admin/posts", data=data)
        assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
        self.ids[post.n] = int(answer.headers["Location"].rstrip("/").split("/")[-2])

    def comment(self, n: int) -> tuple[int, int]:
        """A reader's comment on post n (held for moderation): its marker number and id."""
        self.comment_count += 1
        number = self.comment_count
        who = self.reader
        permalink = self.state[n].permalink
        page = who.get(permalink).get_data(as_text=True)
        form = {
            "name": "Ada",
            "email": "",
            "url": "",
            "body": f"zqC{number} says hello.",
            "comment_token": TOKEN_RE.search(page).group(1),
        }
        answer = who.post(permalink + "comments", data=form)
        assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
        return number, int(answer.headers["Location"].rsplit("-", 1)[1])

    def approve(self, comment_id: int) -> None:
        page = self.client.get("/admin/comments?status=pending").get_data(as_text=True)
        answer = self.client.post(
            f"/admin/comments/{comment_id}/approve",
            data={"csrf_token": CSRF_RE.search(page).group(1), "status": "pending"},
        )
        assert answer.status_code == 303

    def approve_all(self) -> None:
        page = self.client.get("/admin/comments?status=pending").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        ids = re.findall(r'name="ids" value="(\d+)"', page)
        assert ids, page[:2000]
        answer = self.client.post(
            "/admin/comments/bulk",
            data={"csrf_token": token, "action": "approve", "ids": ids, "status": "pending"},
        )
        assert answer.status_code == 303


@pytest.fixture(params=["sqlite", "postgresql"])
def running_blog(request, tmp_path):
    """The blog under gunicorn with nginx in front, and the author's app on its database."""
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    from conftest import BASE_CONFIG, TEST_DATABASE_URL, empty_postgres

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'blog.sqlite'}"
        (tmp_path / "blog.sqlite").write_bytes(
            request.getfixturevalue("sqlite_template").read_bytes()
        )
    elif not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    else:
        url = request.getfixturevalue("postgres_migrated")
        empty_postgres(url)
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": BASE_CONFIG["SECRET_KEY"],
        "SITE_URL": BASE_CONFIG["SITE_URL"],
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
        "PROXY_FIX": "1",
    }
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "JOBS_RUNNER": False, "PROXY_FIX": 0}
    )
    create_author(app)
    settings = GunicornSettings(workers=2, worker_class="gthread", threads=4)
    try:
        with (
            gunicorn_server("wsgi:app", env=env, settings=settings, log_dir=tmp_path) as server,
            nginx_front(tmp_path / "nginx", [server.port]) as front,
        ):
            yield app, {"app": server.base_url, "nginx": front.base_url}
            logs = server.log()
        assert "Traceback" not in logs, logs[-5000:]
    finally:
        app.extensions["generation_reader"].close()
        with app.app_context():
            from microblog.extensions import db

            db.session.remove()
            db.engine.dispose()


def test_readers_see_the_whole_old_or_the_whole_new_site(running_blog, tmp_path):
    app, fronts = running_blog
    folder = tmp_path / "_posts"
    folder.mkdir()
    site = Site()
    author = Author(app, folder, site)

    # The first state: four imported posts and two from the editor.
    for n in range(1, 5):
        author.state[n] = PostState(n, 0, f"/p/post-{n}/", (TAGS[n % 2],), day=n)
        author.write_file(author.state[n])
    author.import_files()
    for n in (5, 6):
        author.state[n] = PostState(n, 0, f"/p/post-{n}/", TAGS, day=n)
        author.create(author.state[n])
    site.begin(author.state)
    site.committed()

    paths = ["/", "/feed.xml", "/atom.xml", "/feed.json", "/tags/", "/sitemap.xml"]
    for tag in TAGS:
        paths += [f"/tags/{tag}/", f"/tags/{tag}/feed.xml", f"/tags/{tag}/feed.json"]
    for n in range(1, 8):
        paths += [f"/p/post-{n}/", f"/p/post-{n}/comments/feed.xml", f"/p/moved-{n}/"]
    answers: list[Answer] = []
    stop = threading.Event()

    def reader(front: str, offset: int) -> None:
        base = fronts[front]
        mine = paths[offset:] + paths[:offset]
        while not stop.is_set():
            for path in mine:
                sent = time.monotonic()
                status, location, body = fetch(base, path)
                received = time.monotonic()
                answers.append(
                    Answer(
                        front, path, sent, received, site.newest_possible(), status, location, body
                    )
                )
                if stop.is_set():
                    return

    readers = [
        threading.Thread(target=reader, args=(front, i * 5)) for front in fronts for i in range(3)
    ]
    for thread in readers:
        thread.start()

    def bump(n: int) -> PostState:
        post = author.state[n]
        post.rev += 1
        return post

    def reimport_two():
        author.write_file(bump(1))
        author.write_file(bump(2))
        return author.import_files

    def rename_by_file():
        post = bump(3)
        post.old_permalinks += (post.permalink,)
        post.permalink = "/p/moved-3/"
        author.write_file(post)
        return author.import_files

    def edit_title():
        bump(5)
        return lambda: author.edit(5)

    def rename_in_editor():
        post = bump(6)
        post.old_permalinks += (post.permalink,)
        post.permalink = "/p/moved-6/"
        return lambda: author.edit(6, permalink=post.permalink)

    def delete_post():
        del author.state[4]

        def do() -> None:
            runner = author.app.test_cli_runner()
            answer = runner.invoke(args=["posts", "delete", "--yes", "/p/post-4/"])
            assert answer.exit_code == 0, answer.output
            (folder / "2025-03-04-post-4.md").unlink()

        return do

    def bring_back():
        author.state[4] = PostState(4, 7, "/p/post-4/", (TAGS[0],), day=4)
        author.write_file(author.state[4])
        return author.import_files

    def approve_one():
        number, comment_id = author.comment(2)  # held: no page shows it yet
        author.state[2].comments += (number,)
        return lambda: author.approve(comment_id)

    def approve():
        author.state[1].comments += tuple(waiting)
        waiting.clear()
        return author.approve_all

    waiting: list[int] = []
    changes = [
        reimport_two,
        edit_title,
        approve_one,
        rename_by_file,
        delete_post,
        rename_in_editor,
        reimport_two,
        approve,
        bring_back,
        edit_title,
        approve_one,
        reimport_two,
        approve,
    ]

    def read_meanwhile(passes: float = 1.0) -> None:
        """Wait until the readers have given `passes` x every path more answers: each
        state is read as often on a machine at load 19 as on an idle one."""
        target = len(answers) + int(passes * len(paths))
        deadline = time.monotonic() + 120
        while len(answers) < target and time.monotonic() < deadline:
            time.sleep(0.05)

    try:
        read_meanwhile()
        for step, action in enumerate(changes):
            # A reader's comment arrives between changes: held, so no page may show it.
            waiting.append(author.comment(1)[0])
            author.change(action)
            time.sleep(0.1 * (step % 3))  # changes land at different moments of a pass
            read_meanwhile()
        time.sleep(SETTLE)
        read_meanwhile()
    finally:
        stop.set()
        for thread in readers:
            thread.join()

    wrong = []
    for answer in answers:
        states = site.states[: answer.newest + 1]
        if answer.status >= 500 or not any(matches(answer, state) for state in states):
            wrong.append(answer)
    by_front = {f: sum(a.front == f for a in answers) for f in fronts}
    print(f"{len(answers)} answers {by_front}, {len(site.states)} states, {len(wrong)} wrong")
    fronts_seen = {a.front for a in answers}
    assert fronts_seen == set(fronts)
    assert len(answers) > 10 * len(paths), len(answers)
    report = [
        (a.front, a.path, a.status, round(a.sent - site.since[0], 2), sorted(markers(a.body)))
        for a in wrong[:10]
    ]
    history = [
        (round(t - site.since[0], 2), {n: (p.rev, p.permalink, p.comments) for n, p in st.items()})
        for t, st in zip(site.since, site.states, strict=True)
    ]
    assert not wrong, (
        f"{len(wrong)} of {len(answers)} answers show no whole state: {report}; "
        f"the states: {history}"
    )
