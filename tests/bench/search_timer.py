"""The search function alone, timed in a process of its own (bench_search.py runs it).

    python tests/bench/search_timer.py CALLS QUERIES_JSON

reads DATABASE_URL and the rest from the environment as the app does (`wsgi:app`), then
for each query calls `microblog.search.query.search` CALLS times, alternating with the same
number of `SELECT 1` through the same session (the reference: one round trip to the
database), and prints one JSON object: for each query and for the reference, the wall-clock
and CPU milliseconds of every call, and the query's total matches.
"""

from __future__ import annotations

import json
import sys
import time

from sqlalchemy import text


def timed(call) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def main() -> None:
    calls = int(sys.argv[1])
    queries: list[list] = json.loads(sys.argv[2])  # [name, q, page], ...
    from microblog.extensions import db
    from microblog.search.query import search
    from microblog.timeutil import now_utc
    from microblog.web.search import PER_PAGE
    from wsgi import app

    report: dict[str, dict] = {}
    with app.app_context():

        def reference() -> object:
            value = db.session.execute(text("SELECT 1")).scalar_one()
            db.session.rollback()
            return value

        def one_search(q: str, page: int) -> int:
            found = search(
                db.session, q, now=now_utc(), offset=(page - 1) * PER_PAGE, limit=PER_PAGE
            )
            db.session.rollback()  # as a request ends its transaction
            return found.total

        for _name, q, page in queries:  # warm-up: the first call of each pays for its plan
            one_search(q, page)
        samples: dict[str, dict[str, list[float]]] = {}
        for _ in range(calls):
            for name, q, page in [["SELECT 1 (reference)", "", 0], *queries]:
                if page == 0:
                    wall, cpu, _ = timed(reference)
                else:
                    wall, cpu, total = timed(lambda q=q, page=page: one_search(q, page))
                    report.setdefault(name, {})["total"] = total
                entry = samples.setdefault(name, {"wall": [], "cpu": []})
                entry["wall"].append(wall)
                entry["cpu"].append(cpu)
        for name, entry in samples.items():
            report.setdefault(name, {}).update(entry)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
