"""Another fediverse server on 127.0.0.1 for the ActivityPub tests, built on bovine (an
independent ActivityPub implementation): bovine signs what this peer sends to the blog's
inbox and checks the signatures of what the blog delivers to the peer's inbox.

    with Peer() as peer:
        peer.actor_url                       # http://127.0.0.1:<port>/users/bea
        headers = peer.signed_post(url, body)   # bovine's draft-cavage signature
        peer.wait_for(1)                      # [(path, headers, body)] the blog delivered
        peer.verify(delivery, public_pem)     # the signer bovine found, or None
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from bovine.utils import get_gmt_now

Delivery = tuple[str, dict[str, str], bytes]


class Peer:
    """A remote actor `bea` with its own key, its actor document and inboxes."""

    def __init__(self, username: str = "bea") -> None:
        self.public_pem, self.private_pem = generate_rsa_public_private_key()
        self.username = username
        self.deliveries: list[Delivery] = []
        self.answer = 202
        self.serve_actor = True
        self.lock = threading.Condition()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == peer.actor_path and peer.serve_actor:
                    data = json.dumps(peer.actor_document()).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/activity+json")
                else:
                    data = b"not here"
                    self.send_response(404)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with peer.lock:
                    peer.deliveries.append((self.path, headers, body))
                    peer.lock.notify_all()
                self.send_response(peer.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def actor_path(self) -> str:
        return f"/users/{self.username}"

    @property
    def actor_url(self) -> str:
        return self.base + self.actor_path

    @property
    def key_id(self) -> str:
        return self.actor_url + "#main-key"

    def actor_document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.actor_url,
            "type": "Person",
            "preferredUsername": self.username,
            "name": "Bea Remote",
            "url": self.base + f"/@{self.username}",
            "inbox": self.actor_url + "/inbox",
            "endpoints": {"sharedInbox": self.base + "/inbox"},
            "publicKey": {
                "id": self.key_id,
                "owner": self.actor_url,
                "publicKeyPem": self.public_pem,
            },
        }

    def signed_post(self, url: str, body: bytes, host: str | None = None) -> dict[str, str]:
        """The headers bovine sends with `body` to `url` (signed with this peer's key)."""
        parts = urlsplit(url)
        date = get_gmt_now()
        digest = content_digest_sha256(body)
        signature = (
            build_signature(host or parts.netloc, "post", parts.path)
            .with_field("date", date)
            .with_field("digest", digest)
            .with_field("content-type", "application/activity+json")
        )
        header = signature.sign_for_http_draft(
            CryptographicSecret.from_pem(self.key_id, self.private_pem)
        )
        return {
            "Date": date,
            "Digest": digest,
            "Content-Type": "application/activity+json",
            "Signature": header,
        }

    def wait_for(self, count: int, timeout: float = 10) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.deliveries) < count and time.monotonic() < deadline:
                self.lock.wait(0.1)
            return list(self.deliveries)

    def activities(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for _path, _headers, body in self.deliveries]

    @staticmethod
    def verify(delivery: Delivery, public_pem: str, owner: str) -> str | None:
        """Who signed `delivery`, as bovine's signature checker finds it (None: nobody)."""
        path, headers, body = delivery

        async def retrieve(key_id: str) -> CryptographicIdentifier | None:
            return CryptographicIdentifier.from_pem(public_pem, owner)

        async def read_body() -> bytes:
            return body

        check = build_validate_http_signature_raw(retrieve)
        url = f"http://{headers['host']}{path}"
        result: str | None = asyncio.run(check("post", url, headers, read_body))
        return result

    def __enter__(self) -> Peer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
