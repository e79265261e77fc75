"""Rate limits on the writes strangers can make: signing in, commenting, Webmentions.

Flask-Limiter's decorator checks a limit before the view runs and (with `deduct_when`)
counts afterwards, so a burst of parallel wrong passwords all pass the check before any is
counted. Here an attempt is counted first, atomically in the shared storage, and refused
when that count is over the limit: N parallel attempts let at most the limit through.

The storage is Flask-Limiter's (`RATELIMIT_STORAGE_URI`); with several gunicorn workers it
must be shared (Redis), or each worker counts alone (see gunicorn.conf.py). When the
storage does not answer, the caller decides: sign-in falls back to this process's own
memory (the author must always get in; a warning is logged), a comment is answered 503
with the reader's text kept (no limit cannot be checked and no limit is not an option).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

from flask import current_app, request
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from microblog.extensions import limiter

log = logging.getLogger(__name__)

# Used only while the shared storage is down (sign-in's fallback).
_local_limiter = FixedWindowRateLimiter(MemoryStorage())


class StorageDown(RuntimeError):
    """The shared rate-limit storage did not answer."""


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go on, and if not, when to come back."""

    allowed: bool
    retry_after: int = 0


def _limits(text: str) -> list[RateLimitItem]:
    return list(parse_many(text))


def _hit(strategy: RateLimiter, items: list[RateLimitItem], scope: str, key: str) -> Verdict:
    for item in items:
        if not strategy.hit(item, scope, key):
            reset_at = strategy.get_window_stats(item, scope, key).reset_time
            return Verdict(False, max(1, int(reset_at - time.time())))
    return Verdict(True)


def _strategy() -> RateLimiter:
    return limiter.limiter


def enabled() -> bool:
    """Whether limits apply at all (RATELIMIT_ENABLED)."""
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def client_key() -> str:
    """Who is counted: the client address (as ProxyFix reports it behind the proxy), never
    anything the request itself says. An IPv6 client is counted by its /64: one host is
    usually given a whole /64 and may pick any address in it."""
    return network_of(get_remote_address() or "unknown")


def network_of(address: str) -> str:
    """The address a limit counts: IPv4 as it is, IPv6 as its /64 (an IPv4-mapped IPv6
    address as the IPv4 address it maps)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def count_attempt(scope: str, limit_text: str, *, fallback: bool = False) -> Verdict:
    """Count one attempt of `scope` by this client, then say whether it is over the limit.

    Raises StorageDown when the shared storage fails and `fallback` is off; with it on, the
    attempt is counted in this process's memory instead and a warning is logged.
    """
    if not enabled():
        return Verdict(True)
    items = _limits(limit_text)
    key = client_key()
    try:
        return _hit(_strategy(), items, scope, key)
    except Exception as error:
        if not fallback:
            log.error("rate-limit storage failed for %s: %r", scope, error)
            raise StorageDown(str(error)) from error
        log.warning(
            "rate-limit storage failed (%r); counting %s attempts in this process only",
            error,
            scope,
        )
        return _hit(_local_limiter, items, scope, key)


def forget_attempts(scope: str, limit_text: str) -> None:
    """Clear this client's count for `scope` (after a successful sign-in)."""
    if not enabled():
        return
    key = client_key()
    for item in _limits(limit_text):
        for strategy in (_strategy(), _local_limiter):
            try:
                strategy.clear(item, scope, key)
            except Exception as error:  # noqa: BLE001 - best effort: a count may stay
                log.warning("could not clear the %s count: %r", scope, error)


@limiter.request_filter
def reading_is_not_limited() -> bool:
    """Rate limits guard writes (comments, sign-in); reads are cached and cheap."""
    return request.method in {"GET", "HEAD", "OPTIONS"}
