"""webmention.rocks' sender tests, ported: a loopback server that serves each test page as
the suite describes it (https://webmention.rocks/, "Discovery Tests", "Update Tests",
"Delete Tests") and receives the Webmentions a sender sends, verifying each the way the
suite does (it fetches the source and looks for the link).

Discovery test N is at /test/N; its one right endpoint counts the Webmentions it gets;
every wrong endpoint the page also names (in a comment, escaped text, a `rel` that only
looks alike, a later link) counts as a failure when it is used.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

HTML = "text/html; charset=utf-8"


@dataclass
class Page:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""


@dataclass
class Received:
    """One Webmention an endpoint got, and what its source answered when checked."""

    endpoint: str  # path and query
    source: str
    target: str
    source_status: int
    source_links_target: bool
    source_body: str = ""


# (number, what webmention.rocks says the test checks)
DISCOVERY = {
    1: "HTTP Link header, unquoted rel, relative URL",
    2: "HTTP Link header, unquoted rel, absolute URL",
    3: "HTML <link> tag, relative URL",
    4: "HTML <link> tag, absolute URL",
    5: "HTML <a> tag, relative URL",
    6: "HTML <a> tag, absolute URL",
    7: "HTTP Link header with strange casing",
    8: "HTTP Link header, quoted rel",
    9: "Multiple rel values on a <link> tag",
    10: "Multiple rel values on a Link header",
    11: "Multiple Webmention endpoints advertised: Link, <link>, <a>",
    12: "Checking for exact match of rel=webmention",
    13: "False endpoint inside an HTML comment",
    14: "False endpoint in escaped HTML",
    15: "Webmention href is an empty string",
    16: "Multiple Webmention endpoints advertised: <a>, <link>",
    17: "Multiple Webmention endpoints advertised: <link>, <a>",
    18: "Multiple HTTP Link headers",
    19: "Single HTTP Link header with multiple values",
    20: "Link tag with no href attribute",
    21: "Webmention endpoint has query string parameters",
    22: "Webmention endpoint is relative to the path",
    23: "Webmention target is a redirect and the endpoint is relative",
}


def entry(number: int, head: str = "", body: str = "") -> str:
    """A test page as the suite writes them: an h-entry naming what it tests."""
    return (
        f"<!doctype html><html><head><title>Discovery Test #{number}</title>{head}</head>"
        f'<body><div class="h-entry"><h1 class="p-name">Discovery Test #{number}</h1>'
        f'<div class="e-content">{DISCOVERY.get(number, "")}. {body}</div></div></body></html>'
    )


class RocksSite:
    """The test pages and endpoints on 127.0.0.1; `right(n)` is test n's endpoint path."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.received: list[Received] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                page = site.pages.get(self.path, Page(404, [], "not here"))
                data = page.body.encode()
                self.send_response(page.status)
                for name, value in page.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                source = (form.get("source") or [""])[0]
                target = (form.get("target") or [""])[0]
                status, body = site.verify(source)
                with site.lock:
                    site.received.append(
                        Received(self.path, source, target, status, target in body, body)
                    )
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.build_discovery()

    # ------------------------------------------------------------------ receiving

    @staticmethod
    def verify(source: str) -> tuple[int, str]:
        """What the suite's receiver does: fetch the source (then look for the target)."""
        try:
            with urllib.request.urlopen(source, timeout=10) as answer:
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, ""
        except OSError:
            return 0, ""

    def add_update_and_delete_pages(self) -> None:
        """The pages of update tests 1 and 2 and delete test 1, each with its endpoint."""
        for path in ("/update/1", "/update/2/part/1", "/update/2/part/2", "/delete/1"):
            self.pages[path] = Page(
                headers=[
                    ("Content-Type", HTML),
                    ("Link", f'<{path}/webmention>; rel="webmention"'),
                ],
                body=f'<div class="h-entry"><p class="e-content">{path}</p></div>',
            )

    def at(self, endpoint: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.endpoint == endpoint]

    # ------------------------------------------------------------------ discovery pages

    def url(self, path: str) -> str:
        return self.base + path

    @staticmethod
    def right(number: int) -> str:
        """The endpoint test `number` must be sent to (path and query)."""
        if number == 15:
            return "/test/15"  # the page itself
        if number == 21:
            return "/test/21/webmention?head=true"
        if number == 22:
            return "/test/22/webmention"
        if number == 23:
            return "/test/23/page/webmention-endpoint"
        return f"/test/{number}/webmention"

    @staticmethod
    def wrong(number: int) -> str:
        return f"/test/{number}/wrong"

    def build_discovery(self) -> None:
        base = self.base
        html = ("Content-Type", HTML)

        def right(n: int) -> str:
            return f"/test/{n}/webmention"

        def wrong(n: int) -> str:
            return self.wrong(n)

        pages = {
            1: Page(headers=[html, ("Link", f"<{right(1)}>; rel=webmention")], body=entry(1)),
            2: Page(headers=[html, ("Link", f"<{base}{right(2)}>; rel=webmention")], body=entry(2)),
            3: Page(headers=[html], body=entry(3, f'<link rel="webmention" href="{right(3)}">')),
            4: Page(
                headers=[html], body=entry(4, f'<link rel="webmention" href="{base}{right(4)}">')
            ),
            5: Page(
                headers=[html], body=entry(5, "", f'<a rel="webmention" href="{right(5)}">e</a>')
            ),
            6: Page(
                headers=[html],
                body=entry(6, "", f'<a rel="webmention" href="{base}{right(6)}">e</a>'),
            ),
            7: Page(headers=[html, ("LinK", f'<{right(7)}>; rel="webmention"')], body=entry(7)),
            8: Page(headers=[html, ("Link", f'<{right(8)}>; rel="webmention"')], body=entry(8)),
            9: Page(
                headers=[html],
                body=entry(9, f'<link rel="webmention somethingelse" href="{right(9)}">'),
            ),
            10: Page(
                headers=[html, ("Link", f'<{right(10)}>; rel="webmention somethingelse"')],
                body=entry(10),
            ),
            11: Page(
                headers=[html, ("Link", f"<{right(11)}>; rel=webmention")],
                body=entry(
                    11,
                    f'<link rel="webmention" href="{wrong(11)}">',
                    f'<a rel="webmention" href="{wrong(11)}">e</a>',
                ),
            ),
            12: Page(
                headers=[html],
                body=entry(
                    12,
                    f'<link rel="not-webmention" href="{wrong(12)}">'
                    f'<link rel="webmention" href="{right(12)}">',
                ),
            ),
            13: Page(
                headers=[html],
                body=entry(
                    13,
                    f'<!-- <link rel="webmention" href="{wrong(13)}"> -->',
                    f'<a rel="webmention" href="{right(13)}">e</a>',
                ),
            ),
            14: Page(
                headers=[html],
                body=entry(
                    14,
                    "",
                    f"<code>&lt;a href=&quot;{wrong(14)}&quot; rel=&quot;webmention&quot;&gt;"
                    f'&lt;/a&gt;</code> <a rel="webmention" href="{right(14)}">e</a>',
                ),
            ),
            15: Page(headers=[html], body=entry(15, '<link rel="webmention" href="">')),
            16: Page(
                headers=[html],
                body=entry(
                    16,
                    "",
                    f'<a rel="webmention" href="{right(16)}">e</a>'
                    f'<link rel="webmention" href="{wrong(16)}">',
                ),
            ),
            17: Page(
                headers=[html],
                body=entry(
                    17,
                    "",
                    f'<link rel="webmention" href="{right(17)}">'
                    f'<a rel="webmention" href="{wrong(17)}">e</a>',
                ),
            ),
            18: Page(
                headers=[
                    html,
                    ("Link", f'<{wrong(18)}>; rel="other"'),
                    ("Link", f'<{right(18)}>; rel="webmention"'),
                ],
                body=entry(18),
            ),
            19: Page(
                headers=[
                    html,
                    ("Link", f'<{wrong(19)}>; rel="other", <{right(19)}>; rel="webmention"'),
                ],
                body=entry(19),
            ),
            20: Page(
                headers=[html],
                body=entry(
                    20, '<link rel="webmention">', f'<a rel="webmention" href="{right(20)}">e</a>'
                ),
            ),
            21: Page(
                headers=[html],
                body=entry(21, f'<link rel="webmention" href="{right(21)}?head=true">'),
            ),
            # Relative to the page's own path (/test/22 → /test/22/webmention is wrong).
            22: Page(
                headers=[html], body=entry(22, '<link rel="webmention" href="22/webmention">')
            ),
            23: Page(302, [("Location", "/test/23/page/final")], ""),
        }
        for number, page in pages.items():
            self.pages[f"/test/{number}"] = page
        # Test 22's page is /test/22, so "22/webmention" resolves to /test/22/webmention.
        self.pages["/test/22"] = pages[22]
        # Test 23: the redirect's final page names a relative endpoint, resolved against it.
        self.pages["/test/23/page/final"] = Page(
            headers=[("Content-Type", HTML), ("Link", '<webmention-endpoint>; rel="webmention"')],
            body=entry(23),
        )

    def __enter__(self) -> RocksSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
