"""deploy/nginx.conf in a real nginx, in front of a real gunicorn: the page cache is fast and
never wrong.

nginx is started from the deploy file with only its four machine-specific literals replaced
(tests/nginx_server.py). Two apps stand behind it: the blog itself (on SQLite and on
PostgreSQL), and a probe (tests/nginx_probe.py) that counts its requests and echoes the
headers it received, to test the file's own rules one by one. Whether an answer came from
nginx's cache is read from `X-Cache-Status` and checked against the app's access log.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from comment_helpers import AUTHOR, CSRF_RE, TOKEN_RE
from nginx_server import Nginx, nginx_binary, nginx_front
from servers import (
    PROJECT_ROOT,
    Browser,
    GunicornSettings,
    Server,
    caught_up_log,
    flask_cli,
    gunicorn_server,
    http_get,
)

pytestmark = pytest.mark.skipif(
    nginx_binary() is None,
    reason="nginx is not installed (apt-get install nginx): deploy/nginx.conf is not tested",
)

TESTS = Path(__file__).resolve().parent.parent
POST = """---
title: {title}
date: {date}
permalink: {permalink}
tags: [{tag}]
---

{body}
"""
# How long a test waits for a change to show at all, past any machine's load. How late a
# change shows is a speed figure, printed, not asserted: nginx keeps an entry 1 to 2 s (it
# counts whole seconds), and a reader arriving while one request refreshes it gets the old
# copy until the app has answered that request.
CHANGE_DEADLINE = 30.0
# Scheduling noise between a test's clock reading and nginx's own.
SLACK = 0.1


# ---------------------------------------------------------------------------- the probe


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """nginx in front of the probe app (one process, one thread: one request counter)."""
    folder = tmp_path_factory.mktemp("probe")
    settings = GunicornSettings(workers=1, worker_class="gthread", threads=1)
    with (
        gunicorn_server(
            "nginx_probe:app",
            settings=settings,
            pythonpath=TESTS,
            ready_path="/public/ready",
            log_dir=folder,
        ) as app,
        nginx_front(folder / "nginx", [app.port]) as front,
    ):
        yield front


def get(
    url: str, headers: dict | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed: status, headers, body."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with NO_REDIRECTS.open(request, timeout=30) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


NO_REDIRECTS = urllib.request.build_opener(Browser.NoRedirect())


def probe_get(front: Nginx, path: str, headers: dict | None = None) -> tuple[int, dict, dict]:
    """GET through nginx; the probe's JSON (empty for an answer without a body)."""
    status, answer_headers, body = get(front.url(path), headers)
    if answer_headers.get("Content-Encoding") == "gzip":  # asked for by a test's headers
        body = gzip.decompress(body)
    return status, answer_headers, json.loads(body) if body else {}


@pytest.mark.parametrize(
    ("kind", "stored"),
    [("public", True), ("private", False), ("no-cache", False), ("set-cookie", False)],
)
def test_only_answers_the_app_lets_shared_caches_keep_are_stored(probe, kind, stored):
    path = f"/{kind}/answer"
    _, first_headers, first = probe_get(probe, path)
    _, second_headers, second = probe_get(probe, path)
    assert (second["served"] == first["served"]) is stored, (first, second)
    assert second_headers["X-Cache-Status"] == ("HIT" if stored else "MISS")
    if kind == "set-cookie":
        # Each reader gets their own cookie, never another's.
        assert first_headers["Set-Cookie"] != second_headers["Set-Cookie"]


def test_the_cache_keeps_an_answer_a_second_at_least_and_then_asks_again(probe):
    _, _, first = probe_get(probe, "/public/lifetime")
    deadline = time.monotonic() + CHANGE_DEADLINE
    while True:
        _, headers, again = probe_get(probe, "/public/lifetime")
        if again["served"] != first["served"]:
            break
        assert time.monotonic() < deadline, "the entry never expired"
        time.sleep(0.02)
    # By the app's clock: the next request reached it a second or more after it answered
    # the first (a busy machine only lengthens that); the 1-2 s is nginx's `1s`.
    kept = again["at"] - first["at"]
    assert kept >= 1.0, f"kept {kept:.2f} s: hardly a cache"


@pytest.mark.parametrize("status", [301, 404])
def test_redirects_and_not_found_are_cached_too_but_errors_are_not(probe, status):
    path = f"/status/{status}/x"
    assert probe_get(probe, path)[0] == status
    assert probe_get(probe, path)[1]["X-Cache-Status"] == "HIT"
    assert probe_get(probe, "/status/500/x")[0] == 500
    assert probe_get(probe, "/status/500/x")[1]["X-Cache-Status"] == "MISS"


def test_the_app_is_told_what_nginx_knows_and_nothing_a_client_made_up(probe):
    forged = {
        "Host": "evil.example",
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Port": "666",
        "X-Forwarded-Prefix": "/evil",
        "X-Forwarded-Ssl": "on",
        "Forwarded": "for=6.6.6.6;host=evil.example;proto=https",
        "SCRIPT_NAME": "/evil",
        "Accept-Encoding": "gzip",
    }
    _, _, seen = probe_get(probe, "/private/echo", forged)
    assert seen["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert seen["HTTP_X_FORWARDED_PROTO"] == "http"
    assert seen["wsgi.url_scheme"] == "http"
    assert seen["SCRIPT_NAME"] == ""
    for absent in (
        "HTTP_X_FORWARDED_PORT",
        "HTTP_X_FORWARDED_PREFIX",
        "HTTP_X_FORWARDED_SSL",
        "HTTP_FORWARDED",
        "HTTP_ACCEPT_ENCODING",  # the cache keeps plain bytes; nginx compresses
    ):
        assert seen[absent] is None, absent
    # The Host a client asked for reaches the app (its comment form checks the Origin
    # against it), but it is not part of the cache key: see the poisoning tests below.
    assert seen["HTTP_HOST"] == "evil.example" == seen["HTTP_X_FORWARDED_HOST"]


def test_nginx_keeps_its_connections_to_the_app_open(probe):
    ports = {probe_get(probe, f"/private/keepalive-{n}")[2]["REMOTE_PORT"] for n in range(5)}
    _, _, seen = probe_get(probe, "/private/keepalive")
    assert seen["SERVER_PROTOCOL"] == "HTTP/1.1" and seen["HTTP_CONNECTION"] is None
    assert len(ports) == 1, f"a new connection per request: {ports}"


def test_query_strings_other_than_one_page_number_go_to_the_app(probe):
    for path in ("/public/q?page=2", "/public/q?page=2&x=1", "/public/q?PAGE=2", "/public/q?x=1"):
        probe_get(probe, path)
        _, headers, _ = probe_get(probe, path)
        expected = "HIT" if path.endswith("?page=2") else "BYPASS"
        assert headers["X-Cache-Status"] == expected, path


@pytest.mark.parametrize(
    "personal",
    [
        {"Cookie": "session=abc"},
        {"Cookie": "theme=dark; pending_comments=xyz"},
        {"Cookie": "remember_token=1|abc"},
        {"Authorization": "Bearer abc"},
    ],
)
def test_a_personal_request_is_neither_served_from_the_cache_nor_stored(probe, personal):
    path = "/public/personal-" + re.sub(r"\W", "", str(personal))
    _, _, shared = probe_get(probe, path)  # in the cache now
    _, headers, mine = probe_get(probe, path, personal)
    assert headers["X-Cache-Status"] == "BYPASS" and mine["served"] != shared["served"]
    _, headers, again = probe_get(probe, path)
    assert headers["X-Cache-Status"] == "HIT" and again["served"] == shared["served"]


def test_head_does_not_store_an_empty_body(probe):
    status, _, body = get(probe.url("/public/head-first"), method="HEAD")
    assert status == 200 and body == b""
    status, headers, body = get(probe.url("/public/head-first"))
    assert headers["X-Cache-Status"] == "HIT" and json.loads(body)["REQUEST_METHOD"] == "GET"


# ---------------------------------------------------------------------------- the blog


@dataclass
class Blog:
    """The blog under gunicorn behind nginx, and how to change it as the author would."""

    env: dict[str, str]
    app: Server
    front: Nginx
    folder: Path

    def url(self, path: str) -> str:
        return self.front.url(path)

    def publish(
        self,
        name: str,
        title: str,
        *,
        tag: str = "Cache",
        body: str = "Words.",
        date: datetime | None = None,
    ) -> str:
        """Import (or re-import) a post through the CLI; returns its permalink."""
        permalink = f"/posts/2025/04/{name}/"
        date = date or datetime(2025, 4, 1, 12, tzinfo=UTC)
        path = self.folder / f"2025-04-01-{name}.md"
        stamp = date.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
        path.write_text(
            POST.format(title=title, date=stamp, permalink=permalink, tag=tag, body=body)
        )
        output = flask_cli(self.env, "posts", "import", str(path))
        assert "imported" in output or "updated" in output, output
        return permalink

    def app_hits(self, path: str) -> int:
        """How many requests for exactly `path` reached the app (its access log, caught up)."""
        log = caught_up_log(self.app)
        return len(re.findall(rf'"(?:GET|HEAD) {re.escape(path)} HTTP', log))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def blog(request, tmp_path_factory):
    """The blog, its author and a post, under gunicorn (2 workers) behind nginx."""
    from conftest import TEST_DATABASE_URL, empty_postgres

    folder = tmp_path_factory.mktemp(f"blog-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'blog.sqlite'}"
        (folder / "blog.sqlite").write_bytes(
            request.getfixturevalue("sqlite_template").read_bytes()
        )
    elif not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    else:
        url = request.getfixturevalue("postgres_migrated")
        empty_postgres(url)
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "nginx-test-secret",
        "SITE_URL": "http://blog.example",
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
        "PROXY_FIX": "1",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    posts = folder / "_posts"
    posts.mkdir()
    flask_cli(env, "author", "create", AUTHOR[0], "--password-stdin", stdin=AUTHOR[1] + "\n")
    settings = GunicornSettings(workers=2, worker_class="gthread", threads=2)
    with (
        gunicorn_server("wsgi:app", env=env, settings=settings, log_dir=folder) as app,
        nginx_front(folder / "nginx", [app.port]) as front,
    ):
        yield Blog(env, app, front, posts)
        logs = app.log()
    assert "Traceback" not in logs, logs


def fetch(blog: Blog, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
    """GET through nginx, redirects not followed; the body as text."""
    status, answer_headers, body = get(blog.url(path), headers)
    return status, answer_headers, body.decode(errors="replace")


def test_pages_and_feeds_come_from_the_cache_and_304s_from_nginx(blog):
    permalink = blog.publish("fast", "Served fast", tag="Speed")
    paths = [permalink, "/", "/tags/speed/", "/tags/speed/feed.xml", "/feed.xml", "/atom.xml"]
    for path in paths + ["/sitemap.xml", "/tags/"]:
        fetch(blog, path)
        status, headers, body = fetch(blog, path)
        assert status == 200 and headers["X-Cache-Status"] == "HIT", path
    for path in paths:
        _, headers, _ = fetch(blog, path)
        before = blog.app_hits(path)
        for validator in 3 * [
            {"If-None-Match": headers["ETag"]},
            {"If-Modified-Since": headers["Last-Modified"]},
        ]:
            status, _, body = fetch(blog, path, validator)
            assert status == 304 and body == "", (path, validator)
        # Six 304s; the app saw at most the one request that refreshed the entry meanwhile.
        assert blog.app_hits(path) - before <= 1, f"{path}: the app answered the 304s"


def test_static_files_and_compression_are_nginx_s(blog):
    style = PROJECT_ROOT / "microblog" / "static" / "style.css"
    status, headers, body = http_get(blog.url("/static/style.css"))
    assert status == 200 and body == style.read_bytes()
    assert "X-Cache-Status" not in headers and blog.app_hits("/static/style.css") == 0
    plain = http_get(blog.url("/feed.xml"))[2]
    status, headers, packed = http_get(blog.url("/feed.xml"), {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(packed) == plain


def test_a_change_shows_to_every_reader_and_never_goes_back(blog):
    """Every reader sees the change; none is ever given a broken page, and none is given the
    old version once any reader has had the new one. How soon it shows is a speed figure
    (nginx keeps an entry 1 to 2 s, deploy/nginx.conf's `proxy_cache_valid`): the delays are
    printed here, and the test waits for the change with a deadline a busy machine meets."""
    permalink = blog.publish("change", "Before the change", tag="Change")
    paths = [permalink, "/", "/tags/change/", "/tags/change/feed.xml", "/feed.xml"]
    # The first version itself reaches every cache the same way: a worker hears of the
    # import's commit from its LISTEN thread (PostgreSQL), and nginx keeps what the worker
    # answered before that. Readers start once every path shows it (an entry in the cache
    # proves nothing about what it holds).
    deadline = time.monotonic() + CHANGE_DEADLINE
    for path in paths:
        while "Before the change" not in fetch(blog, path)[2]:
            assert time.monotonic() < deadline, f"{path}: the first version never showed"
            time.sleep(0.05)
        assert fetch(blog, path)[1]["X-Cache-Status"] == "HIT", path

    stop = threading.Event()
    seen: dict[str, list[tuple[float, float, bool]]] = {path: [] for path in paths}
    broken: list[tuple[str, int, str | None, list[str] | str]] = []

    def reader(path: str) -> None:
        while not stop.is_set():
            asked = time.monotonic()
            status, headers, body = fetch(blog, path)
            new, old = "After the change" in body, "Before the change" in body
            if new == old or status != 200:
                titles = re.findall(r"<title>([^<]*)</title>", body)
                broken.append((path, status, headers.get("X-Cache-Status"), titles or body[:300]))
            seen[path].append((asked, time.monotonic(), new))
            time.sleep(0.01)

    def new_answers(path: str) -> int:
        return sum(1 for _, _, new in list(seen[path]) if new)

    readers = [threading.Thread(target=reader, args=(p,)) for p in paths for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        time.sleep(0.3)
        blog.publish("change", "After the change", tag="Change")
        changed = time.monotonic()  # the import has committed by now
        # Until each path has given the new version a few times (the readers go on asking).
        deadline = changed + CHANGE_DEADLINE
        while not all(new_answers(path) >= 5 for path in paths):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in readers:
            thread.join()

    assert not broken, broken[:3]
    delays = {}
    for path, answers in seen.items():
        first_new = min((a for a in answers if a[2]), default=None)
        assert first_new is not None, f"{path}: the change never showed"
        delays[path] = round(first_new[0] - changed, 2)
        # Readers arriving while the request that refreshes the entry waits for the app get
        # the old copy, and nobody does once the app has answered it.
        late = [asked for asked, _, new in answers if not new and asked > first_new[1] + SLACK]
        assert not late, (path, [round(a - changed, 2) for a in late])
    print(f"change shown after (s): {delays}; load {os.getloadavg()}")


def test_a_scheduled_post_appears_on_time_and_not_before(blog):
    """Never shown before its time; shown on every page after it, and from then on to
    every request. How soon after is a speed figure (printed): the cache's 1-2 s."""
    fetch(blog, "/")
    # Far enough ahead that the import (a new process, slow on a busy machine) is done by then.
    goes_live = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    permalink = blog.publish("scheduled", "Scheduled for later", tag="Later", date=goes_live)
    paths = (permalink, "/", "/tags/later/", "/feed.xml")
    answers: list[tuple[str, datetime, datetime, bool]] = []

    def shown_after_first(path: str) -> int:
        found = [seen for p, _, _, seen in answers if p == path]
        return len(found) - found.index(True) if True in found else 0

    deadline = goes_live + timedelta(seconds=CHANGE_DEADLINE)
    while datetime.now(UTC) < deadline and not all(shown_after_first(p) >= 5 for p in paths):
        for path in paths:
            asked = datetime.now(UTC)
            body = fetch(blog, path)[2]
            answers.append((path, asked, datetime.now(UTC), "Scheduled for later" in body))
        time.sleep(0.05)
    delays = {}
    for path in paths:
        shown = [(asked, answered) for p, asked, answered, seen in answers if p == path and seen]
        assert shown, f"{path}: the scheduled post never appeared"
        assert min(answered for _, answered in shown) >= goes_live, f"{path}: shown too soon"
        first_answered = min(answered for _, answered in shown)
        delays[path] = round((min(asked for asked, _ in shown) - goes_live).total_seconds(), 2)
        # Once one request has found it, every request sent after that finds it too.
        missing = [a for p, a, _, seen in answers if p == path and not seen and a > first_answered]
        assert not missing, (path, [(a - goes_live).total_seconds() for a in missing])
    print(f"scheduled post shown after (s): {delays}; load {os.getloadavg()}")


def test_a_reader_s_pending_comment_is_never_shown_to_another(blog):
    permalink = blog.publish("talk", "Let us talk", tag="Talk")
    writer, stranger = Browser(), Browser()
    for _ in range(2):
        stranger.send(blog.url(permalink))  # the shared page is in the cache
    _, page, _ = writer.send(blog.url(permalink))
    form = {
        "name": "Ada",
        "email": "",
        "url": "",
        "body": "My words, mine alone.",
        "comment_token": TOKEN_RE.search(page).group(1),
    }
    status, _, headers = writer.send(blog.url(permalink + "comments"), form)
    assert status == 303 and "pending_comments" in headers["Set-Cookie"]

    status, mine, headers = writer.send(blog.url(permalink))
    assert "My words, mine alone." in mine and "Awaiting moderation" in mine
    assert headers["X-Cache-Status"] == "BYPASS" and "private" in headers["Cache-Control"]
    for _ in range(3):
        status, page, headers = stranger.send(blog.url(permalink))
        assert status == 200 and "My words, mine alone." not in page
        assert headers["X-Cache-Status"] in ("HIT", "MISS", "UPDATING", "REVALIDATED", "EXPIRED")

    # A refusal (no form token): the writer's text comes back to the writer alone.
    refused = {**form, "body": "Refused words.", "comment_token": "forged"}
    status, page, headers = stranger.send(blog.url(permalink + "comments"), refused)
    assert status == 400 and "Refused words." in page
    assert headers.get("X-Cache-Status") in (None, "", "MISS", "BYPASS")
    for browser in (stranger, Browser()):
        assert "Refused words." not in browser.send(blog.url(permalink))[1]


def test_the_author_s_pages_are_never_cached(blog):
    author, stranger = Browser(), Browser()
    _, login, headers = author.send(blog.url("/admin/login"))
    assert "X-Cache-Status" not in headers
    credentials = {
        "username": AUTHOR[0],
        "password": AUTHOR[1],
        "csrf_token": CSRF_RE.search(login).group(1),
    }
    assert author.send(blog.url("/admin/login"), credentials)[0] == 303
    before = blog.app_hits("/admin/comments?status=pending")
    for _ in range(2):
        status, queue, headers = author.send(blog.url("/admin/comments?status=pending"))
        assert status == 200 and "X-Cache-Status" not in headers
        assert "no-store" in headers["Cache-Control"]
    assert blog.app_hits("/admin/comments?status=pending") - before == 2
    status, _, headers = author.send(blog.url("/"))
    assert headers["X-Cache-Status"] == "BYPASS"
    assert stranger.send(blog.url("/admin/comments?status=pending"))[0] in (302, 401)
    for path in ("/moderate/some-token", "/micropub", "/webmention"):
        before = blog.app_hits(path)
        for _ in range(2):
            assert "X-Cache-Status" not in fetch(blog, path)[1], path
        assert blog.app_hits(path) - before == 2, path


FORGED = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Prefix": "/evil",
    "X-Forwarded-For": "6.6.6.6",
    "SCRIPT_NAME": "/evil",
}


def test_host_forwarded_headers_queries_and_head_cannot_poison_the_cache(blog):
    permalink = blog.publish("poison", "Clean page", tag="Clean")
    paths = [
        permalink,
        permalink.rstrip("/"),
        "/",
        "/tags/clean/",
        "/tags/Clean/",
        "/tags/clean/feed.xml",
        "/feed.xml",
        "/sitemap.xml",
        "/no/such/page/",
    ]
    time.sleep(2.1)  # let every entry from other tests expire: the forged requests fill them
    for path in paths:
        get(blog.url(path), FORGED, method="HEAD")
        fetch(blog, path, FORGED)
        fetch(blog, path + "?page=1", FORGED)
        fetch(blog, path + "?page=1&_external=1&_anchor=x", FORGED)
    for path in paths:
        for variant in (path, path + "?page=1"):
            status, headers, body = fetch(blog, variant)
            assert "evil" not in body and "/evil" not in headers.get("Location", ""), variant
            assert "evil" not in json.dumps(headers), variant
            if status == 200:
                assert len(body) > 100, f"{variant}: an empty body was stored"
