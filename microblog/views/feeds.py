"""Feed routes: site and per-tag RSS and Atom, with HTTP caching."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feeds", __name__)
