"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Threaded workers (gthread): a browser that opens idle keep-alive connections cannot tie
up a whole worker, as it would with sync workers when nothing buffers in front. Each request
is a short lookup, so a few threads per process are plenty.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One process per core (plus one, for the moments a process waits on the database).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so that a slow leak can never grow without bound. Not often:
# a new worker starts with an empty page cache and takes a second to import the app, and at
# 5,000 requests (a few seconds of load) that made the p99 of cached pages 100-700 ms instead
# of under 15 ms (tests/bench/RESULTS.md).
max_requests = 200_000
max_requests_jitter = 20_000
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Each worker builds its own app and database pool after the fork: connections are never
# shared between processes.
preload_app = False


def post_worker_init(worker):
    """Start the app's background job runner in each worker as soon as it boots, so mail
    queued before a restart goes out without waiting for a first request."""
    app = getattr(worker, "wsgi", None)
    if app is not None and "jobs_runner" in getattr(app, "extensions", {}):
        from microblog.job_runner import start_runner

        start_runner(app)
