"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Behind a reverse proxy (nginx, Caddy) that buffers slow clients, so plain sync workers are
the right model: each request is a short lookup, never a long wait.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The usual rule for sync workers: two per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so that a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Each worker builds its own app and database pool after the fork: connections are never
# shared between processes.
preload_app = False
