"""Run ``streamlit run <app>`` with every script run profiled (cProfile, per-thread CPU time).

Where does a session's time go? Each script run executes in its session's thread; this wraps
``ScriptRunner._run_script`` in a ``cProfile.Profile(timer=time.thread_time)`` so the figures are
CPU seconds of that thread (not time spent waiting for the GIL), and merges all runs. On exit
Every 3 s it writes the merged stats to ``$ATLAS_PROFILE_OUT`` (a pstats file; ``.txt`` beside it
has the run count and CPU ms per run; touching ``$ATLAS_PROFILE_OUT.reset`` drops what was collected,
e.g. after a warm-up). Use with ``loadgen.py`` against it:

    ATLAS_PROFILE_OUT=/tmp/q.prof .venv/bin/python benchmarks/profile_server.py app.py --server.port 8631 &
    .venv/bin/python benchmarks/loadgen.py --url http://127.0.0.1:8631 --page questionnaire -n 100
    sleep 4; kill %1
    .venv/bin/python -c "import pstats; pstats.Stats('/tmp/q.prof').sort_stats('cumtime').print_stats(40)"

cProfile inflates call-heavy code; for where wall time goes under load, sample the running server
with py-spy instead (``py-spy record -p <pid> -f raw``), as docs/workshop.md describes.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import threading
import time

from streamlit.runtime.scriptrunner import script_runner

_profiles: list[cProfile.Profile] = []
_merged: list[pstats.Stats] = []
_lock = threading.Lock()
_original = script_runner.ScriptRunner._run_script
_runs = [0, 0.0]


_TIME_ONLY = os.environ.get("ATLAS_PROFILE_MODE") == "time"


def _profiled(self, rerun_data):
    """``ATLAS_PROFILE_MODE=time``: only the run's CPU time, without cProfile's inflation."""
    profile = None if _TIME_ONLY else cProfile.Profile(timer=time.thread_time)
    started = time.thread_time()
    if profile is not None:
        profile.enable()
    try:
        return _original(self, rerun_data)
    finally:
        if profile is not None:
            profile.disable()
        with _lock:
            if profile is not None:
                _profiles.append(profile)
            _runs[0] += 1
            _runs[1] += time.thread_time() - started


def _dump() -> None:
    out = os.environ.get("ATLAS_PROFILE_OUT", "/tmp/atlas-server.prof")
    with _lock:
        if _TIME_ONLY and _runs[0]:
            with open(out + ".txt", "w") as summary:
                summary.write(f"{_runs[0]} script runs, {_runs[1]:.3f} CPU s, "
                              f"{_runs[1] / _runs[0] * 1000:.2f} ms/run\n")
            return
        if not _profiles:
            return
        if not _merged:
            _merged.append(pstats.Stats(_profiles.pop()))
        stats = _merged[0]
        while _profiles:
            stats.add(_profiles.pop())
        stats.dump_stats(out)
        with open(out + ".txt", "w") as summary:
            summary.write(
                f"{_runs[0]} script runs, {_runs[1]:.3f} CPU s, {_runs[1] / _runs[0] * 1000:.2f} ms/run\n"
            )


def _dump_every(seconds: float) -> None:
    """Streamlit owns the signal handlers, so the stats are written every few seconds instead."""
    out = os.environ.get("ATLAS_PROFILE_OUT", "/tmp/atlas-server.prof")
    while True:
        time.sleep(seconds)
        if os.path.exists(out + ".reset"):  # touch it after a warm-up to measure steady state only
            with _lock:
                _profiles.clear()
                _merged.clear()
                _runs[:] = [0, 0.0]
            os.remove(out + ".reset")
            continue
        _dump()


if __name__ == "__main__":
    script_runner.ScriptRunner._run_script = _profiled
    threading.Thread(target=_dump_every, args=(3.0,), daemon=True).start()
    from streamlit.web import cli

    sys.argv = [
        "streamlit",
        "run",
        *sys.argv[1:],
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--runner.postScriptGC",
        "false",
        "--browser.gatherUsageStats",
        "false",
    ]
    cli.main()
