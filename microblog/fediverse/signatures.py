"""HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures-12, `rsa-sha256`),
with the `Digest: SHA-256=…` header Mastodon requires on a POST.

Pure: bytes and headers in, headers or a verdict out; no app, no database, no network.
Hand-written on `cryptography` (about a hundred lines): the Python libraries for it are
either RFC 9421 only (http-message-signatures, requests-http-signature) or bring a whole
async server with them (bovine); bovine is used in the tests as the other side.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# What a POST to an inbox signs, as Mastodon signs and requires it.
POST_HEADERS = ("(request-target)", "host", "date", "digest")
GET_HEADERS = ("(request-target)", "host", "date")
# How far a request's Date may be from our clock (Mastodon allows 12 hours, and so do we).
MAX_SKEW = timedelta(hours=12)
PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


class SignatureError(Exception):
    """Why a request's signature is not accepted (the inbox answers 401 with it)."""


@dataclass(frozen=True)
class SignatureParams:
    """A `Signature` header's parameters."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes


def digest_header(body: bytes) -> str:
    """The `Digest` header of a body: `SHA-256=<base64>`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def http_date(moment: datetime) -> str:
    """An HTTP date (`Sun, 05 Jan 2014 21:31:40 GMT`)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def signing_string(method: str, path: str, headers: Mapping[str, str], names: Sequence[str]) -> str:
    """The text that is signed: one `name: value` line per signed header, in order.

    `path` is the request target with its query; header names are matched without regard
    to case. A signed header the request lacks is an error.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    lines = []
    for name in names:
        name = name.lower()
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name in lowered:
            lines.append(f"{name}: {lowered[name].strip()}")
        else:
            raise SignatureError(f"the signed header {name!r} is missing")
    return "\n".join(lines)


@functools.lru_cache(maxsize=4)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """The key from its PEM text, read once per process: reading checks the RSA key, which
    takes tens of milliseconds, and every delivery signs with the same key."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise SignatureError("the actor's public key cannot be read") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the actor's key is not an RSA key")
    return key


def new_key_pair(bits: int = 2048) -> tuple[str, str]:
    """A new RSA key pair as PEM text: (private PKCS#8, public SubjectPublicKeyInfo)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private, public


def sign_string(private_pem: str, text: str) -> bytes:
    """RSASSA-PKCS1-v1_5 over SHA-256 of `text`."""
    return load_private_key(private_pem).sign(
        text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
    )


def signed_headers(
    private_pem: str,
    key_id: str,
    method: str,
    url: str,
    body: bytes | None = None,
    now: datetime | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of a signed request to `url`: Host, Date, Digest (with a body) and
    Signature, plus `extra` (not signed)."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc, "Date": http_date(now or datetime.now(UTC))}
    names: tuple[str, ...] = GET_HEADERS
    if body is not None:
        headers["Digest"] = digest_header(body)
        names = POST_HEADERS
    text = signing_string(method, path, headers, names)
    signature = base64.b64encode(sign_string(private_pem, text)).decode("ascii")
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(names)}",signature="{signature}"'
    )
    return {**(extra or {}), **headers}


def parse_signature(header: str) -> SignatureParams:
    """Read a `Signature` header (or an `Authorization: Signature …` value)."""
    if header[:10].lower() == "signature ":
        header = header[10:]
    params: dict[str, str] = {}
    position = 0
    header = header.strip()
    while position < len(header):
        found = PARAM.match(header, position)
        if found is None:
            raise SignatureError("the Signature header cannot be read")
        params[found.group(1)] = found.group(2)
        position = found.end()
    if "keyId" not in params or "signature" not in params:
        raise SignatureError("the Signature header lacks keyId or signature")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError as error:
        raise SignatureError("the signature is not base64") from error
    names = tuple(params.get("headers", "date").lower().split())
    return SignatureParams(params["keyId"], params.get("algorithm", "rsa-sha256"), names, signature)


def check_date(headers: Mapping[str, str], now: datetime | None = None) -> None:
    """Refuse a Date missing, unreadable or further than MAX_SKEW from now."""
    value = next((v for k, v in headers.items() if k.lower() == "date"), None)
    if value is None:
        raise SignatureError("the request has no Date header")
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError) as error:
        raise SignatureError("the Date header cannot be read") from error
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs((now or datetime.now(UTC)) - sent) > MAX_SKEW:
        raise SignatureError("the Date header is more than 12 hours from our clock")


def check_digest(headers: Mapping[str, str], body: bytes) -> None:
    """Refuse a body whose `Digest` (SHA-256) is missing or does not match it."""
    value = next((v for k, v in headers.items() if k.lower() == "digest"), None)
    if value is None:
        raise SignatureError("the request has no Digest header")
    for part in value.split(","):
        algorithm, _, encoded = part.strip().partition("=")
        if algorithm.lower() == "sha-256":
            if encoded != digest_header(body)[len("SHA-256=") :]:
                raise SignatureError("the Digest does not match the body")
            return
    raise SignatureError("the Digest has no SHA-256 value")


def verify(
    params: SignatureParams,
    public_pem: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
) -> None:
    """Check the signature over the headers it names; raise SignatureError if it fails."""
    if params.algorithm.lower() not in ("rsa-sha256", "hs2019"):
        raise SignatureError(f"the algorithm {params.algorithm!r} is not supported")
    text = signing_string(method, path, headers, params.headers)
    try:
        load_public_key(public_pem).verify(
            params.signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as error:
        raise SignatureError("the signature does not match") from error


def check_request(
    params: SignatureParams,
    public_pem: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes | None,
    now: datetime | None = None,
) -> None:
    """All an inbox checks: the signed headers include what must be signed, the Date is
    near, the Digest matches the body, and the signature verifies."""
    required = POST_HEADERS if body is not None else GET_HEADERS
    missing = [name for name in required if name not in params.headers]
    if missing:
        raise SignatureError(f"the signature does not cover {', '.join(missing)}")
    check_date(headers, now)
    if body is not None:
        check_digest(headers, body)
    verify(params, public_pem, method, path, headers)
