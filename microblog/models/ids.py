"""Whole numbers read from URLs and forms: ids and page numbers, one strict reading.

`str.isdigit()` and `int()` take far more than ASCII digits: `²` passes `isdigit()` and then
fails `int()`, fullwidth `１２` is read as 12, and `9223372036854775808` overflows a BIGINT
(a 500 from the database). Everything here accepts only ASCII digits, no sign, no leading
zero, in 1…2⁶³−1 (the range of every id column on SQLite and PostgreSQL); anything else is
"no such thing", which the views answer with 404.

`IdConverter` is registered as the app's `int` converter (and as `id`), so every route
written `<int:…>` gets the same reading without its author having to remember it.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, has_app_context
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

ID_MAX = 2**63 - 1
# PostgreSQL's INTEGER id columns end here; a larger id names no row, and asking for one
# is an "integer out of range" error (a 500), so it is answered 404 without asking.
POSTGRES_ID_MAX = 2**31 - 1
# Canonical: no leading zero, at most 19 digits (ID_MAX has 19).
CANONICAL_NUMBER = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)


def id_max() -> int:
    """The largest id a row of this app's database can have."""
    if has_app_context():
        return int(current_app.extensions.get("id_max", ID_MAX))
    return ID_MAX


def parse_id(raw: str | None, maximum: int | None = None) -> int | None:
    """The number `raw` spells in canonical ASCII digits within 1…maximum (by default the
    largest id the database holds), else None."""
    if raw is None or not CANONICAL_NUMBER.fullmatch(raw):
        return None
    number = int(raw)
    return number if number <= (id_max() if maximum is None else maximum) else None


class IdConverter(BaseConverter):
    """A URL segment that is an id: ASCII digits, no leading zero, 1…2⁶³−1; else 404.

    It takes any segment and answers 404 itself for one that is not an id: left unmatched,
    `POST /admin/comments/１２/approve` would fall through to the GET-only permalink route
    and answer 405.
    """

    regex = r"[^/]+"
    part_isolating = True
    weight = 50  # as werkzeug's own number converters: static segments still win

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise NotFound()
        return number

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


def init_app(app: Flask) -> None:
    """Make `<int:…>` and `<id:…>` the strict id reading (before any route is added)."""
    from microblog.extensions import db

    with app.app_context():
        dialect = db.engine.dialect.name
    app.extensions["id_max"] = POSTGRES_ID_MAX if dialect == "postgresql" else ID_MAX
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["id"] = IdConverter
