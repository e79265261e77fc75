"""Upload speed: a 24-megapixel JPEG (6000×4000, ~9–10 MB, EXIF orientation and GPS) sent to
`POST /admin/media` of a real gunicorn over HTTP by a signed-in author, ROUNDS times; the
answer's time (the check, the decode, the turn, the re-encode without metadata, the write
and the commit) against the target of one second. The WebP variants follow from the job
queue (timed apart: from the answer until the runner wrote them).

    .venv/bin/python -m pytest -q -s tests/bench/bench_media.py

Environment: BENCH_MEDIA_ROUNDS (7). Nothing asserts a time: the figures are printed.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import statistics
import time
from pathlib import Path

import requests
from harness import GunicornSettings, gunicorn_server
from PIL import Image, ImageOps
from servers import flask_cli

ROUNDS = int(os.environ.get("BENCH_MEDIA_ROUNDS", "7"))
TARGET_SECONDS = 1.0


def photo_24mp() -> bytes:
    """A photo-like 6000×4000 JPEG (noise over a gradient compresses like a real one)."""
    noise = Image.effect_noise((6000, 4000), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    picture = Image.blend(noise, gradient, 0.7)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def signed_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(
        base + "/admin/login",
        data={"username": username, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.status_code
    return session


def test_a_24_megapixel_upload(tmp_path: Path):
    data = photo_24mp()
    password = secrets.token_urlsafe(12)
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite'}",
        "SECRET_KEY": secrets.token_hex(16),
        "MEDIA_FOLDER": str(tmp_path / "media"),
        "RATELIMIT_ENABLED": "0",
    }
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "author", "create", "author", "--password-stdin", stdin=password + "\n")
    settings = GunicornSettings(workers=1, worker_class="gthread", threads=2)
    with gunicorn_server("wsgi:app", env=env, settings=settings, ready_path="/robots.txt") as app:
        base = app.url("").rstrip("/")
        session = signed_in(base, "author", password)
        token = re.search(
            r'name="csrf_token" value="([^"]+)"', session.get(base + "/admin/media").text
        ).group(1)
        answers: list[float] = []
        variants: list[float] = []
        for number in range(ROUNDS):
            started = time.perf_counter()
            answer = session.post(
                base + "/admin/media",
                data={"csrf_token": token},
                files={"file": (f"photo-{number}.jpg", data, "image/jpeg")},
                headers={"Accept": "application/json"},
            )
            answers.append(time.perf_counter() - started)
            assert answer.status_code == 201, answer.text
            body = answer.json()
            served = Image.open(io.BytesIO(session.get(base + body["path"]).content))
            # Served at once without GPS, shown upright by its orientation (turned for good
            # by the job, before it makes the variants).
            assert ImageOps.exif_transpose(served).size == (4000, 6000)
            assert not served.getexif().get_ifd(0x8825)
            # The variants: the runner thread in the worker writes them after the commit.
            widest = Path(
                tmp_path / "media" / body["path"].lstrip("/").replace(".jpg", "-1600w.webp")
            )
            while not widest.exists() and time.perf_counter() - started < 60:
                time.sleep(0.05)
            variants.append(time.perf_counter() - started)
    print()
    print(
        f"24-megapixel JPEG upload ({len(data) / 1e6:.1f} MB), {ROUNDS} rounds, gunicorn 1 worker"
    )
    print(
        f"  answer   p50 {statistics.median(answers):.3f} s   max {max(answers):.3f} s"
        f"   target {TARGET_SECONDS:.1f} s: {'met' if max(answers) <= TARGET_SECONDS else 'MISSED'}"
    )
    print(
        f"  upright + variants p50 {statistics.median(variants):.3f} s   max {max(variants):.3f} s"
        "   (from the request until the 1600 px WebP exists)"
    )
    print(f"  load average {os.getloadavg()}")
