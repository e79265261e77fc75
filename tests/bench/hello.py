"""The baseline for every benchmark: the smallest Flask app, `gunicorn hello:app`.

Served with the same gunicorn settings as the app under test, it shows what the server,
the WSGI layer and the machine cost on their own, so an app's figure can be read as a
ratio to it rather than as a number that only means something on one machine.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Hello, World!"""
    return "Hello, World!"
