"""Sign-in time for a name that exists and one that does not, side by side (interleaved,
ROUNDS rounds, the fastest of each: other processes only add time). Target: the ratio
between 0.5 and 2, so timing does not tell who has an account. The suite checks the cause
by counting key derivations (tests/app/test_hardening.py); this measures the effect.

    .venv/bin/python -m pytest -q -s tests/bench/bench_sign_in.py

Environment: BENCH_SIGN_IN_ROUNDS (7).
"""

from __future__ import annotations

import os
import time

import pytest
from comment_helpers import AUTHOR, create_author, csrf_from

ROUNDS = int(os.environ.get("BENCH_SIGN_IN_ROUNDS", "7"))


@pytest.mark.parametrize("method", ["pbkdf2:sha256:150000", "scrypt"])
def test_sign_in_time_known_against_unknown(make_app, method):
    app = make_app(PASSWORD_HASH_METHOD=method)
    create_author(app)
    client = app.test_client()

    def timed(username: str) -> float:
        token = csrf_from(client, "/admin/login")
        start = time.perf_counter()
        response = client.post(
            "/admin/login",
            data={"username": username, "password": "wrong guess", "csrf_token": token},
        )
        elapsed = time.perf_counter() - start
        assert response.status_code == 401
        return elapsed

    timed("nobody-warm-up")
    known, unknown = [], []
    for _ in range(ROUNDS):
        known.append(timed(AUTHOR[0]))
        unknown.append(timed("nobody-at-all"))
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"\n{method}: known {min(known) * 1000:.1f} ms, unknown {min(unknown) * 1000:.1f} ms,"
        f" ratio {min(unknown) / min(known):.2f} (target 0.5-2; load {load})"
    )
