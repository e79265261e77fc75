"""Fetching a URL a stranger named, without letting them aim us at our own network, or hold
us for as long as they like.

- Only http and https, at most `MAX_REDIRECTS` redirects, each hop checked again.
- The guard is on the connection itself: every socket urllib3 opens is checked for the
  address it actually reached (`getpeername`), so a host name that resolves to a public
  address when first looked up and to 127.0.0.1 a moment later (DNS rebinding) is caught:
  the address checked is the address used. Private, loopback, link-local (cloud metadata at
  169.254.169.254), multicast, reserved and unspecified addresses are refused unless
  `allow_private` (tests, intranets), and so is an IPv6 address that carries one of those
  IPv4 addresses inside it (IPv4-mapped, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4
  `2002::/16`, Teredo), since a NAT64 or 6to4 gateway would take us there.
- One total deadline per fetch (`DEADLINE_SECONDS`, or less when the job that fetches has
  less time left), enforced *while* reading, not between chunks: each connect and each read
  waits at most the time left, and a watchdog shuts the connection's socket down when the
  deadline passes, so a server that sends one byte (or one header line) every few seconds
  is cut off at the deadline wherever it is, in the TLS handshake, the headers or the body.
  Running out of time raises `FetchTimedOut`, a `FetchRefused`: such a source would only
  hold the next attempt just as long, so it is not worth a retry.
- A 1 MB cap on the body. A connection whose body was not read to its end is closed, never
  handed back to the pool (a redirect's body left unread would be read as the next answer).
- No proxy from the environment: urllib3 reads none.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from microblog import jobs

MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
DEADLINE_SECONDS = 20.0
USER_AGENT = "microblog-webmention/1 (+https://www.w3.org/TR/webmention/)"

# IPv6 ranges that reach an IPv4 address through a gateway: the IPv4 address they carry is
# the one that counts. (IPv4-mapped `::ffff:0:0/96` is read by `ipv4_mapped`; Teredo by
# `teredo`.)
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class FetchRefused(Exception):
    """The URL may not be fetched (scheme, address, size, redirects, time): a permanent no."""


class FetchTimedOut(FetchRefused):
    """The fetch ran past its total deadline (a server too slow, or holding us on purpose)."""


@dataclass(frozen=True)
class Fetched:
    """What a fetch got: the final URL (after redirects), status, headers, body.

    Header names are matched without regard to case (`header("content-type")`), as HTTP
    has them; `headers` keeps them as the server wrote them.
    """

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str, default: str = "") -> str:
        """A header's value (every value of a repeated header, joined by commas)."""
        wanted = name.lower()
        values = [value for key, value in self.headers.items() if key.lower() == wanted]
        return ", ".join(values) if values else default


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through a gateway or a mapping, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in NAT64) or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refused(address: str) -> str | None:
    """Why an IP address may not be reached from here (None: it may)."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            if inner.is_global and not inner.is_multicast:
                return None
            return f"{address} reaches {inner}, which is not a public address"
    if ip.is_global and not ip.is_multicast:
        return None
    return f"{address} is not a public address"


class Deadline:
    """One fetch's total time: how much is left, and a watchdog that shuts down the sockets
    still open when it passes (a read blocked in another frame then returns at once)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.expired = False
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def __enter__(self) -> Deadline:
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.timer.cancel()
        with self.lock:
            for sock in self.sockets:
                sock.close()
            self.sockets.clear()

    def left(self) -> float:
        """Seconds left; raises FetchTimedOut when none are."""
        remaining = self.ends - time.monotonic()
        if remaining <= 0 or self.expired:
            raise FetchTimedOut(f"the fetch took over {self.seconds:g} s")
        return remaining

    def timeout(self) -> urllib3.Timeout:
        """Connect and read timeouts for the next request: never past the deadline."""
        remaining = self.left()
        return urllib3.Timeout(
            connect=min(CONNECT_TIMEOUT, remaining), read=min(READ_TIMEOUT, remaining)
        )

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes (a duplicate of it is kept: a TLS
        wrapper takes the original over, and a shutdown reaches the connection either way)."""
        with self.lock:
            if self.expired:
                raise FetchTimedOut(f"the fetch took over {self.seconds:g} s")
            self.sockets.append(sock.dup())

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed


def _guarded(
    connection_class: type[HTTPConnection], allow_private: bool, deadline: Deadline
) -> type:
    class Guarded(connection_class):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> socket.socket:
            deadline.left()
            sock: socket.socket = super()._new_conn()
            reason = None if allow_private else address_refused(sock.getpeername()[0])
            if reason is not None:
                sock.close()
                raise FetchRefused(reason)
            deadline.watch(sock)
            return sock

    return Guarded


def _pool_manager(allow_private: bool, deadline: Deadline) -> urllib3.PoolManager:
    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = _guarded(HTTPConnection, allow_private, deadline)

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _guarded(HTTPSConnection, allow_private, deadline)

    manager = urllib3.PoolManager(retries=False)
    manager.pool_classes_by_scheme = {
        "http": GuardedHTTPPool,
        "https": GuardedHTTPSPool,
    }
    return manager


def check_url(url: str, allow_private: bool) -> None:
    """Refuse a URL by its text: scheme, host, and (for a clear message early) the
    addresses its host resolves to now; the connection is checked again regardless."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused(f"only http and https URLs are fetched, not {url[:200]!r}")
    if allow_private:
        return
    try:
        answers = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OSError(f"cannot resolve {parts.hostname}: {error}") from error
    for answer in answers:
        reason = address_refused(str(answer[4][0]))
        if reason is not None:
            raise FetchRefused(f"{parts.hostname}: {reason}")


def deadline_seconds(wanted: float | None = None) -> float:
    """The time a fetch may take: `DEADLINE_SECONDS` (or `wanted`), and never more than the
    running job has left of its budget."""
    seconds = DEADLINE_SECONDS if wanted is None else wanted
    left = jobs.time_left()
    return seconds if left is None else max(0.0, min(seconds, left))


def _request(
    manager: urllib3.PoolManager, deadline: Deadline, method: str, url: str, **kw: Any
) -> urllib3.BaseHTTPResponse:
    """One request under the deadline: a failure after it passed is a timeout, whatever
    broke (the watchdog's shutdown shows up as a reset or a protocol error)."""
    try:
        return manager.request(
            method, url, redirect=False, timeout=deadline.timeout(), preload_content=False, **kw
        )
    except FetchRefused:
        raise
    except Exception:
        deadline.left()  # raises FetchTimedOut when that is what happened
        raise


def fetch(
    url: str,
    *,
    allow_private: bool = False,
    accept: str = "text/html",
    seconds: float | None = None,
    max_bytes: int = MAX_BYTES,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET `url` under the guard, within `seconds` in all (`DEADLINE_SECONDS`); raises
    FetchRefused (never retry: FetchTimedOut too) or OSError/urllib3 errors (a network
    failure: worth a retry). `headers`: more request headers (an ActivityPub signature)."""
    with Deadline(deadline_seconds(seconds)) as deadline:
        manager = _pool_manager(allow_private, deadline)
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                check_url(url, allow_private)
                response = _request(
                    manager,
                    deadline,
                    "GET",
                    url,
                    headers={"User-Agent": USER_AGENT, "Accept": accept, **(headers or {})},
                )
                try:
                    location = response.headers.get("Location")
                    if response.status in (301, 302, 303, 307, 308) and location:
                        url = urljoin(url, location)
                        continue
                    body = _read_body(response, deadline, url, max_bytes)
                    return Fetched(url, response.status, dict(response.headers), body)
                finally:
                    # Never hand back a connection with an unread body: close it.
                    response.close()
                    response.release_conn()
            raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
        finally:
            manager.clear()


def _read_body(
    response: urllib3.BaseHTTPResponse, deadline: Deadline, url: str, max_bytes: int = MAX_BYTES
) -> bytes:
    body = bytearray()
    try:
        while True:
            deadline.left()
            chunk = response.read1(64 * 1024)
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                raise FetchRefused(f"{url[:200]} is larger than {max_bytes} bytes")
    except FetchRefused:
        raise
    except Exception:
        deadline.left()
        raise
    deadline.left()  # a body cut short by the watchdog is not a whole body
    return bytes(body)


def post_form(
    url: str, fields: dict[str, str], *, allow_private: bool = False, seconds: float | None = None
) -> int:
    """POST a form to `url` under the same guard and deadline (no redirect followed); the
    status."""
    return _post(
        url,
        allow_private,
        seconds,
        fields=fields,
        encode_multipart=False,
        headers={"User-Agent": USER_AGENT},
    )


def post_bytes(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool = False,
    seconds: float | None = None,
) -> int:
    """POST `body` with `headers` to `url` under the same guard and deadline (no redirect
    followed: a signature names its target); the status."""
    return _post(
        url, allow_private, seconds, body=body, headers={"User-Agent": USER_AGENT, **headers}
    )


def _post(url: str, allow_private: bool, seconds: float | None, **request: Any) -> int:
    """One POST under the guard and the deadline, its answer's body read (bounded) and
    dropped; the status."""
    check_url(url, allow_private)
    with Deadline(deadline_seconds(seconds)) as deadline:
        manager = _pool_manager(allow_private, deadline)
        try:
            response = _request(manager, deadline, "POST", url, **request)
            try:
                _read_body(response, deadline, url)  # bounded: the answer's body is not used
            except FetchTimedOut:
                raise
            except FetchRefused:
                pass  # a big answer body: its status is what counts
            finally:
                response.close()
                response.release_conn()
            return int(response.status)
        finally:
            manager.clear()
