"""A tiny real HTTP server on 127.0.0.1 for the open-web tests: it plays a WebSub hub
(recording every POST) and other people's sites (serving the pages a test gives it).

    with LocalSite() as site:
        site.pages["/reply"] = (200, {"Content-Type": "text/html"}, "<p>…</p>")
        site.url("/reply")            # http://127.0.0.1:<port>/reply
        site.posts                     # [(path, {field: [values]}), …] in arrival order
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

Page = tuple[int, dict[str, str], str | bytes]


class LocalSite:
    """The server; `pages` maps a path to (status, headers, body); `answer` is the status
    every POST gets."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.posts: list[tuple[str, dict[str, list[str]]]] = []
        self.gets: list[str] = []
        self.answer = 202
        self.lock = threading.Condition()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with site.lock:
                    site.gets.append(self.path)
                status, headers, body = site.pages.get(self.path, (404, {}, "not here"))
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                with site.lock:
                    site.posts.append((self.path, form))
                    site.lock.notify_all()
                self.send_response(site.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for_posts(self, count: int, timeout: float = 20) -> list:
        """The POSTs received, once there are `count` (or the timeout)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.posts) < count and time.monotonic() < deadline:
                self.lock.wait(0.1)
            return list(self.posts)

    def __enter__(self) -> LocalSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
