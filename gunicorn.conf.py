"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Production needs nginx (deploy/nginx.conf) in front; gunicorn alone must not face the
internet. Threaded workers (gthread) park idle keep-alive connections in the main thread's
poller, but a request's headers are read on a worker thread: a dozen clients that send their
headers one byte at a time (slowloris) hold every thread (workers × threads) until `timeout`,
and other readers wait. nginx reads whole requests before passing them on and buffers slow
readers, so gunicorn only ever sees complete, fast requests from 127.0.0.1.

Each request is a short lookup, so a few threads per process are plenty.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")


def own_control_socket(binds: list[str], folder: str) -> str:
    """A control socket path of this server's own. gunicorn's default,
    ~/.gunicorn/gunicorn.ctl, is one file for every gunicorn a user runs: a second server
    took it over from the first. Named after what no two running servers share, the checkout
    and the addresses they listen on; short, as a socket path must be (108 bytes)."""
    import hashlib

    key = "\0".join([folder, *sorted(binds)])
    digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    return os.path.join(os.path.expanduser("~"), ".gunicorn", f"microblog-{digest}.ctl")


# GUNICORN_CONTROL_SOCKET (or --control-socket) names it; else `on_starting` picks this
# server's own once the addresses it listens on are known (a --bind on the command line too).
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


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
# Standard output by default; files under systemd (deploy/microblog.service, rotated by
# deploy/microblog.logrotate: gunicorn reopens them on USR1).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Only nginx on this host is a trusted forwarder (X-Forwarded-Proto), and no header may set
# WSGI variables: gunicorn's default lets a forwarder send `SCRIPT_NAME`, which moves every
# link a page builds (and the response cache would keep that page for everyone).
forwarded_allow_ips = "127.0.0.1,::1"
forwarder_headers = ""
# Each worker builds its own app and database pool after the fork: connections are never
# shared between processes.
preload_app = False


def post_worker_init(worker):
    """Start the app's background job runner in each worker as soon as it boots, so mail
    queued before a restart goes out without waiting for a first request."""
    app = getattr(worker, "wsgi", None)
    if app is not None and "jobs_runner" in getattr(app, "extensions", {}):
        from microblog.jobs.runner import start_runner

        start_runner(app)


def on_starting(server):
    """Give this server its own control socket; refuse to start several blog workers whose
    rate limits would each count alone."""
    default = server.cfg.settings["control_socket"].default
    if server.cfg.control_socket == default:
        own = own_control_socket(list(server.cfg.bind), os.path.dirname(os.path.abspath(__file__)))
        server.cfg.set("control_socket", own)
    if getattr(server.app, "app_uri", None) != "wsgi:app":
        return  # another app served with these settings (the benchmarks' hello-world)
    from microblog.config import rate_limit_storage_problem

    problem = rate_limit_storage_problem(server.cfg.workers)
    if problem:
        server.log.error(problem)
        raise SystemExit(problem)
