"""The process-wide memo: one make per key, even when many sessions ask at once; bounded."""

from __future__ import annotations

import threading
import time

from components.memo import Memo


def test_make_runs_once_per_key_under_concurrent_callers() -> None:
    memo: Memo[object] = Memo()
    calls: list[str] = []
    start = threading.Barrier(16)

    def make() -> object:
        calls.append("made")
        time.sleep(0.01)  # a slow build: the others must wait for it, not build their own
        return object()

    results: list[object] = []

    def worker() -> None:
        start.wait()
        results.append(memo.get(("v1", "lifecycle"), make))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["made"]
    assert len({id(r) for r in results}) == 1


def test_bounded_drops_the_oldest_half() -> None:
    memo: Memo[int] = Memo(max_entries=4)
    for i in range(4):
        memo.get(i, lambda i=i: i)
    memo.get(4, lambda: 4)
    assert len(memo) == 3
    made: list[int] = []
    memo.get(0, lambda: made.append(0) or 0)  # 0 was dropped: built again
    memo.get(3, lambda: made.append(3) or 3)  # 3 was kept
    assert made == [0]
