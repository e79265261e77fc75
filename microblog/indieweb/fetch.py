"""Fetching a URL a stranger named, without letting them aim us at our own network.

- Only http and https, at most `MAX_REDIRECTS` redirects, each hop checked again.
- The guard is on the connection itself: every socket urllib3 opens is checked for the
  address it actually reached (`getpeername`), so a host name that resolves to a public
  address when first looked up and to 127.0.0.1 a moment later (DNS rebinding) is caught:
  the address checked is the address used. Private, loopback, link-local (cloud metadata at
  169.254.169.254), multicast, reserved and unspecified addresses are refused unless
  `allow_private` (tests, intranets).
- Timeouts on connect and read, a whole-fetch deadline, and a 1 MB cap on the body.
- No proxy from the environment: urllib3 reads none.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
DEADLINE_SECONDS = 20.0
USER_AGENT = "microblog-webmention/1 (+https://www.w3.org/TR/webmention/)"


class FetchRefused(Exception):
    """The URL may not be fetched (scheme, address, size, redirects): a permanent no."""


@dataclass(frozen=True)
class Fetched:
    """What a fetch got: the final URL (after redirects), status, headers, body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def address_refused(address: str) -> str | None:
    """Why an IP address may not be reached from here (None: it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return None
    return f"{address} is not a public address"


def _guarded(connection_class: type[HTTPConnection], allow_private: bool) -> type:
    class Guarded(connection_class):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> socket.socket:
            sock: socket.socket = super()._new_conn()
            reason = None if allow_private else address_refused(sock.getpeername()[0])
            if reason is not None:
                sock.close()
                raise FetchRefused(reason)
            return sock

    return Guarded


def _pool_manager(allow_private: bool) -> urllib3.PoolManager:
    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = _guarded(HTTPConnection, allow_private)

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _guarded(HTTPSConnection, allow_private)

    manager = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        retries=False,
    )
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


def fetch(url: str, *, allow_private: bool = False, accept: str = "text/html") -> Fetched:
    """GET `url` under the guard; raises FetchRefused (never retry) or OSError/urllib3
    errors (a network failure: worth a retry)."""
    manager = _pool_manager(allow_private)
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(url, allow_private)
            response = manager.request(
                "GET",
                url,
                headers={"User-Agent": USER_AGENT, "Accept": accept},
                redirect=False,
                preload_content=False,
            )
            try:
                location = response.headers.get("Location")
                if response.status in (301, 302, 303, 307, 308) and location:
                    url = urljoin(url, location)
                    continue
                body = bytearray()
                for chunk in response.stream(64 * 1024):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise FetchRefused(f"{url[:200]} is larger than {MAX_BYTES} bytes")
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{url[:200]} took over {DEADLINE_SECONDS} s")
                return Fetched(url, response.status, dict(response.headers), bytes(body))
            finally:
                response.release_conn()
        raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
    finally:
        manager.clear()


def post_form(url: str, fields: dict[str, str], *, allow_private: bool = False) -> int:
    """POST a form to `url` under the same guard (no redirect followed); the status."""
    check_url(url, allow_private)
    manager = _pool_manager(allow_private)
    try:
        response = manager.request(
            "POST",
            url,
            fields=fields,
            encode_multipart=False,
            headers={"User-Agent": USER_AGENT},
            redirect=False,
        )
        return int(response.status)
    finally:
        manager.clear()
