"""HTTP Signatures (draft-cavage-http-signatures-12) checked against the draft's own test
vectors (Appendix C) and the requests of Mastodon's documentation (spec/security)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from microblog.fediverse import signatures
from microblog.fediverse.signatures import SignatureError

# draft-cavage-http-signatures-12, Appendix C: the "Test" key and request.
CAVAGE_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----"""
CAVAGE_PRIVATE = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----"""
CAVAGE_PATH = "/foo?param=value&pet=dog"
CAVAGE_BODY = b'{"hello": "world"}'
CAVAGE_HEADERS = {
    "Host": "example.com",
    "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
CAVAGE_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
# C.1 (default: date only), C.2 (basic) and C.3 (all headers), as the draft prints them.
CAVAGE_VECTORS = [
    (
        'keyId="Test",algorithm="rsa-sha256",'
        'signature="SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEG'
        "KKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxE"
        'PXe5WozsbM="',
        "date: Sun, 05 Jan 2014 21:31:40 GMT",
    ),
    (
        'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",'
        'signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn'
        "7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn"
        '04swr2Os0="',
        "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT",
    ),
    (
        'keyId="Test",algorithm="rsa-sha256",'
        'headers="(request-target) host date content-type digest content-length",'
        'signature="vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2'
        "bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4z"
        'KH7s1dE="',
        "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\n"
        "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18",
    ),
]


@pytest.mark.parametrize(("header", "text"), CAVAGE_VECTORS)
def test_the_drafts_vectors_verify_and_sign_the_same(header, text):
    params = signatures.parse_signature(header)
    assert signatures.signing_string("POST", CAVAGE_PATH, CAVAGE_HEADERS, params.headers) == text
    signatures.verify(params, CAVAGE_PUBLIC, "POST", CAVAGE_PATH, CAVAGE_HEADERS)
    # PKCS#1 v1.5 is deterministic: our signer gives the draft's very bytes.
    assert signatures.sign_string(CAVAGE_PRIVATE, text) == params.signature


def test_the_drafts_body_digest_is_ours():
    assert signatures.digest_header(CAVAGE_BODY) == CAVAGE_HEADERS["Digest"]
    signatures.check_digest(CAVAGE_HEADERS, CAVAGE_BODY)


def test_the_drafts_all_headers_request_passes_every_inbox_check():
    params = signatures.parse_signature(CAVAGE_VECTORS[2][0])
    signatures.check_request(
        params, CAVAGE_PUBLIC, "POST", CAVAGE_PATH, CAVAGE_HEADERS, CAVAGE_BODY, CAVAGE_NOW
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"Host": "example.org"}, "does not match"),
        ({"Date": "Sun, 05 Jan 2014 21:31:41 GMT"}, "does not match"),
        ({"Digest": "SHA-256=" + base64.b64encode(b"x" * 32).decode()}, "Digest does not match"),
    ],
)
def test_a_changed_header_fails(change, why):
    params = signatures.parse_signature(CAVAGE_VECTORS[2][0])
    with pytest.raises(SignatureError, match=why):
        signatures.check_request(
            params,
            CAVAGE_PUBLIC,
            "POST",
            CAVAGE_PATH,
            {**CAVAGE_HEADERS, **change},
            CAVAGE_BODY,
            CAVAGE_NOW + timedelta(seconds=1),
        )


def test_a_changed_body_or_path_fails():
    params = signatures.parse_signature(CAVAGE_VECTORS[2][0])
    with pytest.raises(SignatureError, match="Digest"):
        signatures.check_request(
            params,
            CAVAGE_PUBLIC,
            "POST",
            CAVAGE_PATH,
            CAVAGE_HEADERS,
            b'{"hello": "there"}',
            CAVAGE_NOW,
        )
    with pytest.raises(SignatureError, match="does not match"):
        signatures.verify(params, CAVAGE_PUBLIC, "POST", "/foo", CAVAGE_HEADERS)


def test_the_basic_vector_is_not_enough_for_an_inbox():
    # Mastodon requires the digest to be signed on a POST; so do we.
    params = signatures.parse_signature(CAVAGE_VECTORS[1][0])
    with pytest.raises(SignatureError, match="does not cover digest"):
        signatures.check_request(
            params, CAVAGE_PUBLIC, "POST", CAVAGE_PATH, CAVAGE_HEADERS, CAVAGE_BODY, CAVAGE_NOW
        )


@pytest.mark.parametrize("hours", [12.5, -12.5, 48])
def test_a_date_more_than_12_hours_off_is_refused(hours):
    params = signatures.parse_signature(CAVAGE_VECTORS[2][0])
    with pytest.raises(SignatureError, match="12 hours"):
        signatures.check_request(
            params,
            CAVAGE_PUBLIC,
            "POST",
            CAVAGE_PATH,
            CAVAGE_HEADERS,
            CAVAGE_BODY,
            CAVAGE_NOW + timedelta(hours=hours),
        )


def test_a_date_within_12_hours_is_taken():
    params = signatures.parse_signature(CAVAGE_VECTORS[2][0])
    for hours in (11.9, -11.9):
        signatures.check_request(
            params,
            CAVAGE_PUBLIC,
            "POST",
            CAVAGE_PATH,
            CAVAGE_HEADERS,
            CAVAGE_BODY,
            CAVAGE_NOW + timedelta(hours=hours),
        )


# Mastodon's documentation (spec/security, "Creating HTTP signatures"): its GET and POST.
MASTODON_GET_TEXT = (
    "(request-target): get /users/username/outbox\n"
    "host: mastodon.example\n"
    "date: 18 Dec 2019 10:08:46 GMT"
)


def test_mastodons_documented_get_signing_string():
    headers = {
        "Host": "mastodon.example",
        "Date": "18 Dec 2019 10:08:46 GMT",
        "Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    }
    text = signatures.signing_string(
        "GET", "/users/username/outbox", headers, ("(request-target)", "host", "date")
    )
    assert text == MASTODON_GET_TEXT
    # Its date (no weekday) is read as the same instant.
    signatures.check_date(headers, datetime(2019, 12, 18, 10, 8, 46, tzinfo=UTC))


def test_mastodons_documented_post_is_signed_and_checked_as_mastodon_requires():
    body = (
        b'{"@context":"https://www.w3.org/ns/activitystreams","actor":"https://my.example.com/actor",'
        b'"type":"Create","object":{"type":"Note","content":"Hello!"},'
        b'"to":"https://mastodon.example/users/username"}'
    )
    private, public = signatures.new_key_pair()
    now = datetime(2019, 12, 18, 10, 8, 46, tzinfo=UTC)
    headers = signatures.signed_headers(
        private,
        "https://my.example.com/actor#main-key",
        "POST",
        "https://mastodon.example/users/username/inbox",
        body,
        now=now,
    )
    assert headers["Date"] == "Wed, 18 Dec 2019 10:08:46 GMT"
    assert headers["Host"] == "mastodon.example"
    params = signatures.parse_signature(headers["Signature"])
    assert params.key_id == "https://my.example.com/actor#main-key"
    assert params.headers == ("(request-target)", "host", "date", "digest")
    assert params.algorithm == "rsa-sha256"
    signatures.check_request(
        params, public, "POST", "/users/username/inbox", headers, body, now + timedelta(hours=1)
    )
    # Mastodon writes the digest's algorithm in lower case (`sha-256=`): the same digest.
    lower = {**headers, "Digest": headers["Digest"].replace("SHA-256", "sha-256")}
    signatures.check_digest(lower, body)


def test_another_key_does_not_verify():
    private, _public = signatures.new_key_pair()
    _other_private, other_public = signatures.new_key_pair()
    headers = signatures.signed_headers(private, "k", "POST", "https://a.example/inbox", b"{}")
    params = signatures.parse_signature(headers["Signature"])
    with pytest.raises(SignatureError, match="does not match"):
        signatures.check_request(params, other_public, "POST", "/inbox", headers, b"{}")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        'keyId="k"',
        'keyId="k",signature="not base64!"',
        'keyId="k",algorithm="hmac-sha256",signature="AAAA"',
    ],
)
def test_unreadable_signature_headers_are_refused(header):
    with pytest.raises(SignatureError):
        params = signatures.parse_signature(header)
        signatures.verify(params, CAVAGE_PUBLIC, "POST", "/", CAVAGE_HEADERS)
