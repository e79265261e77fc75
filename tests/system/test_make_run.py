"""`make run PORT=…` on a fresh instance folder: the database is made, the example post goes
in, the blog serves on that port, and its links (feeds, canonical links) point there too.

The real Makefile (its install step taken as done: `make -o install`), with MICROBLOG_INSTANCE
pointing at a temporary folder so the checkout's own instance/ is left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

from conftest import EXAMPLE_PERMALINK
from servers import PROJECT_ROOT, Browser, free_port


def test_make_run_serves_the_example_at_its_port_with_links_to_it(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SITE_URL", "DATABASE_URL", "SECRET_KEY") and not key.startswith("FLASK_")
    }
    env["MICROBLOG_INSTANCE"] = str(tmp_path / "instance")
    make = subprocess.Popen(
        ["make", "-o", "install", "run", f"PORT={port}"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/feed.xml", timeout=5) as answer:
                    feed = answer.read().decode()
                break
            except OSError:
                assert make.poll() is None, make.stdout.read() if make.stdout else ""
                assert time.monotonic() < deadline, "make run did not serve in 120 s"
                time.sleep(0.5)
        assert f"{base}{EXAMPLE_PERMALINK}" in feed
        with urllib.request.urlopen(base + EXAMPLE_PERMALINK, timeout=5) as answer:
            page = answer.read().decode()
        assert f'<link rel="canonical" href="{base}{EXAMPLE_PERMALINK}">' in page
        status, _, headers = Browser().send(base + "/admin")
        assert status == 302 and headers["Location"].endswith("/admin/login")
        assert (tmp_path / "instance" / "secret_key").is_file()
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
        if make.stdout:
            make.stdout.close()
