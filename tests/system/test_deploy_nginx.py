"""deploy/nginx.conf as an operator installs it: the body limits follow the app's per path,
and the TLS lines, turned on as the file says, serve https, the ACME challenge and a redirect.

A real nginx from the deploy file (tests/nginx_server.py: its four literals replaced and
nothing else) in front of the blog under gunicorn. Whether a request reached the app is read
from gunicorn's access log: nginx's own 413 never gets there.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

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
)

pytestmark = pytest.mark.skipif(
    nginx_binary() is None,
    reason="nginx is not installed (apt-get install nginx): deploy/nginx.conf is not tested",
)

POST = """---
title: Limits
date: 2025-04-01 12:00:00 +0000
permalink: /posts/2025/04/limits/
---

A post to comment on.
"""
PERMALINK = "/posts/2025/04/limits/"
# A long Chinese post: about 28 KB of UTF-8, about 84 KB once the editor's form encodes it.
CHINESE_POST = "长文测试。" * 1860


@dataclass
class Blog:
    env: dict[str, str]
    app: Server
    front: Nginx
    token: str

    def url(self, path: str) -> str:
        return self.front.url(path)

    def app_saw(self, method: str, path: str) -> int:
        """How many `method path` requests reached the app (its access log, caught up)."""
        log = caught_up_log(self.app)
        return len(re.findall(rf'"{method} {re.escape(path)} HTTP', log))


@pytest.fixture(scope="module")
def blog(tmp_path_factory, sqlite_template):
    folder = tmp_path_factory.mktemp("limits")
    (folder / "blog.sqlite").write_bytes(sqlite_template.read_bytes())
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'blog.sqlite'}",
        "SECRET_KEY": "limits-test-secret",
        "SITE_URL": "http://blog.example",
        "COMMENTS_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
        "PROXY_FIX": "1",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "MEDIA_FOLDER": str(folder / "media"),
    }
    (folder / "limits.md").write_text(POST)
    flask_cli(env, "posts", "import", str(folder / "limits.md"))
    flask_cli(env, "author", "create", AUTHOR[0], "--password-stdin", stdin=AUTHOR[1] + "\n")
    token = flask_cli(env, "author", "token", AUTHOR[0]).strip().split()[-1]
    settings = GunicornSettings(workers=1, worker_class="gthread", threads=2)
    with (
        gunicorn_server("wsgi:app", env=env, settings=settings, log_dir=folder) as app,
        nginx_front(folder / "nginx", [app.port]) as front,
    ):
        yield Blog(env, app, front, token)


def signed_in(blog: Blog) -> Browser:
    author = Browser()
    _, login, _ = author.send(blog.url("/admin/login"))
    form = {"username": AUTHOR[0], "password": AUTHOR[1]}
    form["csrf_token"] = CSRF_RE.search(login).group(1)
    assert author.send(blog.url("/admin/login"), form)[0] == 303
    return author


def is_nginx_refusal(status: int, body: str) -> bool:
    return status == 413 and "<center>nginx" in body


def test_an_84_kb_save_from_the_editor_passes_nginx(blog):
    author = signed_in(blog)
    _, page, _ = author.send(blog.url("/admin/posts/new"))
    form = {
        "title": "一篇长文",
        "body": CHINESE_POST,
        "tags": "",
        "csrf_token": CSRF_RE.search(page).group(1),
    }
    assert 80_000 < len(urlencode(form)) < 90_000
    status, body, headers = author.send(blog.url("/admin/posts"), form)
    assert status == 303, (body[:500], blog.app.log()[-3000:])
    _, edit, _ = author.send(blog.url(headers["Location"]))
    assert CHINESE_POST[:50] in edit


def test_a_100_kb_micropub_post_passes_nginx(blog):
    content = "A long note from a Micropub app. " * 3100
    data = urlencode({"h": "entry", "content": content}).encode()
    assert len(data) > 100_000
    request = urllib.request.Request(
        blog.url("/micropub"), data=data, headers={"Authorization": f"Bearer {blog.token}"}
    )
    with urllib.request.build_opener(Browser.NoRedirect()).open(request, timeout=30) as answer:
        assert answer.status == 201
        assert answer.headers["Location"].startswith("http://blog.example/")


def test_a_reader_s_100_kb_comment_gets_nginx_s_413_and_a_short_one_goes_through(blog):
    reader = Browser()
    _, page, _ = reader.send(blog.url(PERMALINK))
    form = {
        "name": "Reader",
        "comment_token": TOKEN_RE.search(page).group(1),
    }
    path = PERMALINK + "comments"
    status, body, _ = reader.send(blog.url(path), {**form, "body": "word " * 20_000})
    assert is_nginx_refusal(status, body)
    assert blog.app_saw("POST", path) == 0
    status, body, _ = reader.send(blog.url(path), {**form, "body": "A short, kind word."})
    assert status == 303, (body[:500], blog.app.log()[-3000:])
    assert blog.app_saw("POST", path) == 1


@pytest.mark.parametrize("path", ["/admin/media", "/micropub/media"])
def test_a_5_mb_upload_reaches_the_app_and_a_30_mb_one_does_not(blog, path):
    """Media paths take MEDIA_MAX_BYTES (25 MB), past the author's 4 MB for writing."""
    for size, reaches in ((5 * 1024 * 1024, True), (30 * 1024 * 1024, False)):
        before = blog.app_saw("POST", path)
        request = urllib.request.Request(
            blog.url(path),
            data=b"\0" * size,
            headers={"Content-Type": "application/octet-stream"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, body = answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            with error:
                status, body = error.code, error.read().decode(errors="replace")
        except urllib.error.URLError:  # nginx may close while the body is still being sent
            status, body = 413, "<center>nginx"
        assert is_nginx_refusal(status, body) is not reaches, (size, status)
        assert blog.app_saw("POST", path) - before == (1 if reaches else 0), size


# ---------------------------------------------------------------------------- TLS


TURN_TLS_ON = re.compile(r"sed -i (-e '[^']+' -e '[^']+') microblog\.conf")


def self_signed(folder: Path) -> tuple[Path, Path]:
    key, cert = folder / "privkey.pem", folder / "fullchain.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=blog.example"]
        + ["-addext", "subjectAltName=DNS:blog.example"],
        check=True,
        capture_output=True,
    )
    return key, cert


def test_tls_turned_on_as_the_file_says(blog, tmp_path):
    """The documented sed turns the `#tls` lines on; plain http then serves the ACME
    challenge from the webroot and moves everything else to https, which serves the blog."""
    deploy_text = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    expressions = TURN_TLS_ON.search(deploy_text)
    assert expressions, "deploy/nginx.conf no longer says how to turn TLS on"
    key, cert = self_signed(tmp_path)
    webroot = tmp_path / "acme"
    (webroot / ".well-known" / "acme-challenge").mkdir(parents=True)
    (webroot / ".well-known" / "acme-challenge" / "t0ken").write_text("t0ken.thumbprint")
    from servers import free_port

    tls_port = free_port()

    def turn_tls_on(conf: Path) -> None:
        command = f"sed -i {expressions.group(1)} {conf}"
        subprocess.run(command, shell=True, check=True)
        text = conf.read_text()
        assert not re.search(r"^ *#tls ", text, re.MULTILINE)
        for literal, value in (
            ("listen 443 ssl", f"listen 127.0.0.1:{tls_port} ssl"),
            ("/etc/letsencrypt/live/blog.example.org/fullchain.pem", str(cert)),
            ("/etc/letsencrypt/live/blog.example.org/privkey.pem", str(key)),
            ("/var/www/acme", str(webroot)),
        ):
            assert literal in text, literal
            text = text.replace(literal, value)
        conf.write_text(text)

    with nginx_front(tmp_path / "nginx", [blog.app.port], edit=turn_tls_on) as front:
        plain = urllib.request.build_opener(Browser.NoRedirect())
        with plain.open(front.url("/.well-known/acme-challenge/t0ken"), timeout=10) as answer:
            assert answer.read() == b"t0ken.thumbprint"
        request = urllib.request.Request(
            front.url(PERMALINK + "?page=2"), headers={"Host": "blog.example"}
        )
        with pytest.raises(urllib.error.HTTPError) as moved:
            plain.open(request, timeout=10)
        moved.value.close()
        assert moved.value.code == 301
        assert moved.value.headers["Location"] == f"https://blog.example{PERMALINK}?page=2"

        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        secure = urllib.request.Request(
            f"https://127.0.0.1:{tls_port}{PERMALINK}", headers={"Host": "blog.example"}
        )
        with urllib.request.urlopen(secure, context=context, timeout=10) as answer:
            assert answer.status == 200 and b"A post to comment on." in answer.read()
            assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
