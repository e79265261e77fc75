"""The blog on a real loopback HTTP port, in a thread of the test process (werkzeug's
server), for tests whose other side is real client software that speaks HTTP: a WebSub
hub that fetches the feeds, an OAuth client, a Webmention tool.

    with LiveApp(make_app, WEBSUB_HUB=...) as live:
        live.url("/feed.xml")   # http://127.0.0.1:<port>/feed.xml; SITE_URL is live.url("")
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from servers import free_port
from werkzeug.serving import make_server


class LiveApp:
    """An app built by `make_app` with SITE_URL set to the port it is served on."""

    def __init__(self, make_app: Callable[..., Flask], **config: Any) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.app = make_app(SITE_URL=self.base, **config)
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/") -> str:
        return self.base + path

    def __enter__(self) -> LiveApp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        # A job runner left going would take the next test's jobs (same database) with
        # this app's settings.
        self.app.extensions["jobs_runner"].stop()
