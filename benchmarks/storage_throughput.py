"""Submissions per second through ``components.storage`` with 1, 8 and 32 writer threads, on SQLite
and PostgreSQL, and how many responses were lost (must be 0).

Baseline, measured in the same run on the same engine and threads: a plain single-statement INSERT
of the same row (no withdrawal check, no ON CONFLICT, no audit row). The ratio shows what the
exactly-once machinery costs. Every submission is then sent a second time (a double tap): nothing
may be stored twice.

    .venv/bin/python benchmarks/storage_throughput.py [--n 600] [--pg-url URL] [--no-pg]

PostgreSQL uses ``--pg-url``, else ``ATLAS_TEST_POSTGRES_URL``, else the local test server, in a
private schema that is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components import storage
from components.storage import NewResponse, SubmitStatus

THREADS = (1, 8, 32)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def make_responses(n: int) -> list[NewResponse]:
    now = datetime.now(UTC)
    answers = {f"q{i:02d}": 1 + i % 5 for i in range(24)}
    answers.update({"role": "ml-engineer", "comment": "Útil e claro. " * 20, "tools": ["a", "b"]})
    return [NewResponse(
        response_id=str(uuid.uuid4()), survey_version="bench0000001", content_version="bench0000001",
        lang="pt-BR", session_code="BENCH1", started_at=now, submitted_at=now, answers=answers,
        receipt_hash=storage.receipt_hash(storage.new_receipt_code()), synthetic=True,
    ) for _ in range(n)]


def run(threads: int, items: list, fn: Callable) -> tuple[float, list]:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(fn, items))
    return time.perf_counter() - start, results


def reset(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in (storage.responses, storage.audit_log, storage.withdrawals, storage.drafts):
            conn.execute(table.delete())


def bench_backend(name: str, engine: sa.Engine, n: int) -> list[dict]:
    storage.ensure_schema(engine)
    rows = []
    for threads in THREADS:
        # Baseline: a bare INSERT of the same row.
        reset(engine)
        base_items = make_responses(n)

        def plain(r: NewResponse) -> None:
            with engine.begin() as conn:
                conn.execute(storage.responses.insert().values(**storage._row_values(r)))

        base_s, _ = run(threads, base_items, plain)

        # The real path: submit_response (withdrawal check, ON CONFLICT, audit row).
        reset(engine)
        items = make_responses(n)

        def submit(r: NewResponse) -> SubmitStatus:
            return storage.submit_response(engine, r).status

        real_s, first = run(threads, items, submit)
        stored = storage.count_responses(engine)
        _, second = run(threads, items, submit)  # every submission again: a double tap
        statuses = Counter(first + second)
        after_dupes = storage.count_responses(engine)
        ids = {r["response_id"] for r in storage.fetch_responses(engine)}
        rows.append({
            "backend": name, "threads": threads, "n": n,
            "baseline_per_s": n / base_s, "submit_per_s": n / real_s,
            "lost": n - len(ids & {r.response_id for r in items}),
            "duplicates_stored": after_dupes - stored,
            "ok": statuses[SubmitStatus.STORED] == n and statuses[SubmitStatus.DUPLICATE] == n,
        })
    reset(engine)
    return rows


def print_table(rows: list[dict]) -> None:
    head = (f"{'backend':<10} {'threads':>7} {'n':>6} {'baseline/s':>11} {'submit/s':>9} {'ratio':>6} "
            f"{'lost':>5} {'dup stored':>10}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['backend']:<10} {r['threads']:>7} {r['n']:>6} {r['baseline_per_s']:>11.0f} "
              f"{r['submit_per_s']:>9.0f} {r['submit_per_s'] / r['baseline_per_s']:>6.2f} "
              f"{r['lost']:>5} {r['duplicates_stored']:>10}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="submissions per configuration")
    parser.add_argument("--pg-url", default=os.environ.get("ATLAS_TEST_POSTGRES_URL") or DEFAULT_PG)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()

    rows: list[dict] = []
    tmp = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    try:
        engine = storage.make_engine(f"sqlite:///{tmp / storage.DB_FILE}")
        rows += bench_backend("sqlite", engine, args.n)
        engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if not args.no_pg:
        schema = f"atlas_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(args.pg_url)
        try:
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as exc:
            print(f"PostgreSQL skipped: cannot connect to {args.pg_url} ({type(exc).__name__})")
        else:
            engine = storage.make_engine(args.pg_url, search_path=schema)
            try:
                rows += bench_backend("postgresql", engine, args.n)
            finally:
                engine.dispose()
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    print_table(rows)
    bad = [r for r in rows if r["lost"] or r["duplicates_stored"] or not r["ok"]]
    if bad:
        print(f"FAILED: {len(bad)} configuration(s) lost or duplicated responses")
        return 1
    print("0 responses lost, 0 stored twice.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
