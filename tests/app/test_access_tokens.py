"""`flask author token`: a Micropub token shown once, kept only as a hash, revocable."""

from __future__ import annotations

import hashlib

from comment_helpers import create_author
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import tokens as access_tokens
from microblog.models.tokens import AccessToken


def make_token(app, username: str = "author") -> str:
    """Run `flask author token` and return the token it printed."""
    result = app.test_cli_runner().invoke(args=["author", "token", username])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_token_is_printed_once_and_stored_hashed(app):
    create_author(app)
    token = make_token(app)
    assert token.startswith("mbt_") and len(token) > 40
    with app.app_context():
        rows = db.session.execute(select(AccessToken)).scalars().all()
        assert len(rows) == 1
        assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr(rows[0].__dict__)
        assert access_tokens.verify(token).author.username == "author"
        assert access_tokens.verify(token + "x") is None
    assert make_token(app) != token  # a new one each time


def test_revoke_all_voids_every_token(app):
    create_author(app)
    create_author(app, username="other")
    first, second, others = make_token(app), make_token(app), make_token(app, "other")
    result = app.test_cli_runner().invoke(args=["author", "token", "author", "--revoke-all"])
    assert result.exit_code == 0 and "revoked 2 tokens of author" in result.output
    with app.app_context():
        assert access_tokens.verify(first) is None and access_tokens.verify(second) is None
        assert access_tokens.verify(others) is not None
    again = app.test_cli_runner().invoke(args=["author", "token", "author", "--revoke-all"])
    assert "revoked 0 tokens" in again.output


def test_unknown_author_is_a_usage_error(app):
    result = app.test_cli_runner().invoke(args=["author", "token", "nobody"])
    assert result.exit_code != 0 and "No author is named 'nobody'" in result.output


def test_strange_tokens_are_simply_unknown(app):
    create_author(app)
    with app.app_context():
        for token in ["", "x" * 5000, "mbt_\x00", "mbt_é"]:
            assert access_tokens.verify(token) is None
