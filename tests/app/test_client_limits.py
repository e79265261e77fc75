"""The class "every per-client limit is keyed on something the client cannot choose freely,
and fails closed (503, never 500) when its storage is down", on SQLite and PostgreSQL:
Webmentions counted by client address (an IPv6 client by its /64), not by the source host
the sender writes; a share of the verification queue per client; Redis down answers 503."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from comment_helpers import comments_in_db, insert_post, post_comment
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Job
from microblog.web.ratelimits import network_of

# What the database stores and refuses matters here: PostgreSQL too.
pytestmark = pytest.mark.any_database(cleanup=True)


SITE = "http://blog.example"
DEAD_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing answers


def send(app, source: str, target: str, address: str = "203.0.113.5"):
    return app.test_client().post(
        "/webmention",
        data={"source": source, "target": target},
        environ_base={"REMOTE_ADDR": address},
    )


def queued(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Job)).scalar_one()


@pytest.mark.parametrize(
    "sources",
    [
        [f"http://host{i}.example/p" for i in range(4)],  # a new host each time
        [f"http://{i}.flood.example/p" for i in range(4)],  # subdomains of one
        [f"http://flood.example/{i}" for i in range(4)],  # one host, many pages
    ],
)
def test_webmentions_are_limited_per_client_whatever_source_it_names(make_app, sources):
    blog = make_app(RATELIMIT_ENABLED=True, WEBMENTION_RATE_LIMIT="2 per day")
    target = SITE + insert_post(blog)
    codes = [send(blog, source, target).status_code for source in sources]
    assert codes == [202, 202, 429, 429]
    assert send(blog, sources[0], target, address="198.51.100.7").status_code == 202
    assert queued(blog) == 3


@pytest.mark.parametrize(
    ("first", "second", "together"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", True),  # one /64
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),  # the next /64
        ("::ffff:203.0.113.9", "203.0.113.9", True),  # one IPv4 client, two spellings
        ("203.0.113.9", "203.0.113.10", False),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64_and_a_mapped_ipv4_as_itself(
    make_app, first, second, together
):
    assert (network_of(first) == network_of(second)) is together
    blog = make_app(RATELIMIT_ENABLED=True, WEBMENTION_RATE_LIMIT="1 per day")
    target = SITE + insert_post(blog)
    assert send(blog, "http://a.example/1", target, address=first).status_code == 202
    expected = 429 if together else 202
    assert send(blog, "http://b.example/2", target, address=second).status_code == expected


def test_one_client_holds_only_its_share_of_the_verification_queue(make_app):
    blog = make_app(WEBMENTION_MAX_QUEUED=10, WEBMENTION_MAX_QUEUED_PER_CLIENT=2)
    target = SITE + insert_post(blog)
    codes = [send(blog, f"http://s{i}.example/p", target).status_code for i in range(3)]
    assert codes == [202, 202, 503]
    assert send(blog, "http://calm.example/p", target, address="198.51.100.7").status_code == 202


def test_with_the_limit_storage_down_a_webmention_gets_503_never_500(make_app):
    blog = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=DEAD_REDIS)
    target = SITE + insert_post(blog)
    answer = send(blog, "http://a.example/p", target)
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    assert queued(blog) == 0


def test_with_the_limit_storage_down_no_stranger_write_answers_500(make_app):
    blog = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=DEAD_REDIS)
    path = insert_post(blog)
    client = blog.test_client()
    answers = {
        "comment": post_comment(client, path, body="Kept words.").status_code,
        "webmention": send(blog, "http://a.example/p", SITE + path).status_code,
        "sign-in": client.post("/admin/login", data={"username": "x", "password": "y"}).status_code,
    }
    assert all(code < 500 or code == 503 for code in answers.values()), answers
    assert answers["comment"] == 503 and answers["webmention"] == 503
    assert comments_in_db(blog) == []


def test_every_limit_goes_through_the_counted_fail_closed_path():
    """No Flask-Limiter decorator: its check-then-count lets bursts through and its storage
    errors end in 500; `ratelimits.count_attempt` counts first and says when it is down."""
    package = Path(__file__).resolve().parents[2] / "microblog"
    decorated = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"limit", "shared_limit"}:
                if isinstance(node.value, ast.Name) and node.value.id == "limiter":
                    decorated.append(str(path.relative_to(package)))
    assert decorated == []
