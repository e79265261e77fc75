"""The guarded fetch, the class "every outbound fetch ends by its total deadline, wherever the
server stalls", "every address is judged by where it really leads" and "a connection is
reused only after its answer was read": real sockets on 127.0.0.1, servers that drip."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from microblog import jobs
from microblog.indieweb import fetch as guarded
from microblog.indieweb.fetch import FetchTimedOut, address_refused, fetch, post_form

# Long enough that, without a total deadline, a fetch would still be reading when the test
# gives up on it (a server drips for DRIP_FOR seconds, the fetch's deadline is 1 s).
DRIP_FOR = 30.0


class Dripper:
    """A TCP server on 127.0.0.1 that answers every connection with `script(connection)`."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stop = threading.Event()
        # Set when a script ran to its end: the client waited out the whole stall.
        self.stall_outwaited = threading.Event()
        self.requests: list[bytes] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def accept(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                self.script(connection)
            except OSError:
                return  # the client hung up: what the deadline is for
            if not self.stop.is_set():
                self.stall_outwaited.set()

    def drip(self, connection: socket.socket, data: bytes, every: float = 0.2) -> None:
        """Send `data` a byte at a time, then keep dripping spaces, for DRIP_FOR seconds."""
        ends = time.monotonic() + DRIP_FOR
        stream = iter(data)
        while time.monotonic() < ends and not self.stop.is_set():
            byte = next(stream, 0x20)
            connection.sendall(bytes([byte]))
            time.sleep(every)

    def close(self) -> None:
        self.stop.set()
        self.server.close()


def read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


STALLS = {
    # Nothing at all after the connection is accepted.
    "silent": lambda server, c: (read_request(c), time.sleep(DRIP_FOR)),
    # The status line a byte at a time, each byte well within the read timeout.
    "status-line-drip": lambda server, c: (read_request(c), server.drip(c, b"HTTP/1.1 200 OK")),
    # Header lines, one every 0.2 s, never ending.
    "header-drip": lambda server, c: (
        read_request(c),
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"),
        server.drip(c, b"X-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: 4\r\nX-E: 5\r\n" * 50),
    ),
    # Whole headers, then a body one byte at a time (a small total: under the size cap).
    "body-drip": lambda server, c: (
        read_request(c),
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 900\r\n\r\n"),
        server.drip(c, b"<p>" + b"x" * 890),
    ),
    # A chunked body whose chunks come slowly.
    "chunked-drip": lambda server, c: (
        read_request(c),
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
        server.drip(c, b"1\r\nx\r\n" * 200),
    ),
}


@pytest.fixture
def stalling() -> Iterator[Callable[[str], Dripper]]:
    servers: list[Dripper] = []

    def start(kind: str) -> Dripper:
        server = Dripper(lambda c: STALLS[kind](server, c))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize("kind", sorted(STALLS))
def test_every_fetch_ends_by_its_total_deadline_wherever_the_server_stalls(stalling, kind):
    server = stalling(kind)
    with pytest.raises(FetchTimedOut):
        fetch(server.url(), allow_private=True, seconds=1.0)
    # Ended by its own deadline, not by the server's: the stall (DRIP_FOR) is still going.
    assert not server.stall_outwaited.is_set()


@pytest.mark.parametrize("kind", ["silent", "status-line-drip", "header-drip"])
def test_every_post_ends_by_its_total_deadline_too(stalling, kind):
    server = stalling(kind)
    with pytest.raises(FetchTimedOut):
        post_form(
            server.url("/hook"), {"source": "a", "target": "b"}, allow_private=True, seconds=1.0
        )


def test_a_fetch_inside_a_job_gets_no_more_than_the_job_has_left(stalling):
    server = stalling("header-drip")
    token = jobs.current_deadline.set(time.monotonic() + 1.0)
    try:
        assert guarded.deadline_seconds() <= 1.0
        with pytest.raises(FetchTimedOut):
            fetch(server.url(), allow_private=True)  # DEADLINE_SECONDS is 20: the job's 1 s wins
    finally:
        jobs.current_deadline.reset(token)


def test_a_timeout_is_a_refusal_never_worth_a_retry():
    assert issubclass(FetchTimedOut, guarded.FetchRefused)


def keep_alive_site(connection: socket.socket) -> None:
    """One keep-alive connection: a redirect with a body, then the page."""
    for _ in range(3):
        request = read_request(connection)
        if not request:
            return
        if request.startswith(b"GET /from"):
            body = b"<p>moved: this body is left unread by a client that follows the redirect</p>"
            head = f"HTTP/1.1 302 Found\r\nLocation: /to\r\nContent-Length: {len(body)}\r\n\r\n"
            connection.sendall(head.encode() + body)
        else:
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhere")


@pytest.mark.parametrize("hops", ["/from", "/to"])
def test_a_redirect_on_the_same_host_leaves_no_unread_answer_for_the_next_request(hops):
    server = Dripper(keep_alive_site)
    try:
        page = fetch(server.url(hops), allow_private=True, seconds=5)
        assert (page.status, page.body, page.url) == (200, b"here", server.url("/to"))
    finally:
        server.close()


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254, the cloud metadata address
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 prefix
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:c0a8:1::1",  # 6to4 of 192.168.0.1
        "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
        "::127.0.0.1",  # IPv4-compatible loopback
        "::ffff:a9fe:a9fe",  # IPv4-mapped metadata
        "::ffff:10.0.0.1",  # IPv4-mapped private
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo to 127.0.0.1 (the client part)
    ],
)
def test_every_ipv6_address_that_carries_a_private_ipv4_address_is_refused(address):
    assert address_refused(address) is not None


@pytest.mark.parametrize(
    "address", ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "::ffff:93.184.216.34"]
)
def test_an_ipv6_address_that_carries_a_public_ipv4_address_is_allowed(address):
    assert address_refused(address) is None


def test_headers_are_read_whatever_their_case():
    page = guarded.Fetched("http://x/", 200, {"content-type": "text/html", "LINK": "<a>"}, b"")
    assert page.header("Content-Type") == "text/html" and page.header("link") == "<a>"
    assert page.header("Missing", "none") == "none"
