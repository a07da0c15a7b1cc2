"""Workshop burst benchmark: a room of phones opening the app at once, then answering within 30 s.

One run measures, against a baseline served the same way in the same run:

1. **Open bursts** — N = 20, 100, 200 sessions opened at once over the websocket (``loadgen``), timed
   from connect to ``script_finished``, on the questionnaire page at the address the QR code opens
   (``questionnaire?session=<code>&lang=en``, an open workshop session), on the
   lifecycle page (a diagram page), and on ``benchmarks/apps/minimal_page.py`` (one ``st.write``).
   Every server runs with the shipped settings (file watcher off, no post-script GC). Each point is
   repeated and the median of the repeats' p95 is reported; ratios are page p95 / minimal p95.
2. **Submission burst** — a workshop session is opened and its projector tab shows the join slide
   (live count and revealed agreement summary, ``st.fragment(run_every=2s)``, refreshed by a
   simulated projector); N phones open the questionnaire with ``?session=<code>`` and each walks
   the whole questionnaire (consent, every section, submit) through real widget states, starting
   at a random moment of a 30 s window. Afterwards the database must hold exactly N responses for
   the session. Baseline: the same N clients rerunning the minimal page on the same schedule.
3. **Memory** — server RSS (psutil) while 2,000 sessions open and close on the questionnaire page.

``--cluster K`` runs the same against K processes behind nginx (``scripts/cluster.sh``, PostgreSQL
in a private schema), the minimal page behind its own nginx the same way.

    .venv/bin/python benchmarks/burst.py                       # single process (SQLite)
    .venv/bin/python benchmarks/burst.py --cluster 2           # 2 processes behind nginx (PostgreSQL)
    .venv/bin/python benchmarks/burst.py --sizes 20 --repeats 1 --submit 20 --memory 200   # quick

Results: a JSON file and a Markdown table on stdout. Bounded everywhere: every server start,
burst and wait has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen  # noqa: E402

MINIMAL = "benchmarks/apps/minimal_page.py"
SECRET = "burst-benchmark-secret"
PG_URL = os.environ.get("ATLAS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# ----------------------------------------------------------------------------------------- servers


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, timeout: float = 90, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early ({url})")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} not healthy after {timeout}s")


@dataclass
class Target:
    """One thing under test: a URL and the server processes behind it (for RSS/CPU)."""

    name: str
    url: str
    pids: list[int]

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total / 2**20

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids:
            try:
                times = psutil.Process(pid).cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total


@contextmanager
def single_server(app: str, env: dict[str, str], name: str):
    port = free_port()
    log = open(Path(tempfile.gettempdir()) / f"atlas-burst-{name}-{port}.log", "w")
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        app,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--runner.postScriptGC",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_health(url, proc=proc)
        yield Target(name, url, [proc.pid])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def cluster(app: str, env: dict[str, str], name: str, processes: int):
    directory = Path(tempfile.mkdtemp(prefix=f"atlas-burst-{name}-"))
    port = free_port()
    script = REPO / "scripts" / "cluster.sh"
    full_env = {**os.environ, **env, "PYTHON": sys.executable}
    cmd = [
        str(script),
        "start",
        "-n",
        str(processes),
        "-p",
        str(port),
        "-d",
        str(directory),
        "-a",
        app,
        "-b",
        str(free_port() + 200),
    ]
    subprocess.run(cmd, cwd=REPO, env=full_env, check=True, timeout=180, stdout=subprocess.DEVNULL)
    try:
        pids = [int((directory / f"app-{i}.pid").read_text()) for i in range(1, processes + 1)]
        yield Target(name, f"http://127.0.0.1:{port}", pids), directory
    finally:
        subprocess.run(
            [str(script), "stop", "-d", str(directory)],
            cwd=REPO,
            env=full_env,
            timeout=60,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(directory, ignore_errors=True)


# ------------------------------------------------------------------------------------------ phases


async def open_burst(target: Target, page: str, query: str, n: int) -> dict[str, Any]:
    cpu0 = target.cpu_seconds()
    clients, times, errors = await loadgen.open_many(target.url, page, query, n, timeout=120)
    cpu = target.cpu_seconds() - cpu0
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return {
        **loadgen.summary(times),
        "errors": len(errors),
        "error_sample": errors[:2],
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_session": round(cpu / max(1, len(times)) * 1000, 2),
    }


async def warm(target: Target, page: str, query: str) -> None:
    """First runs pay imports and cold caches; a workshop server has served pages before the room."""
    for _ in range(3):
        await open_burst(target, page, query, 2)


@dataclass
class SubmitResult:
    n: int
    window_s: float
    opened: int = 0
    open: dict[str, Any] = field(default_factory=dict)
    finished: int = 0
    stored: int = 0
    distinct_ids: int = 0
    steps: dict[str, Any] = field(default_factory=dict)
    walk_s: dict[str, Any] = field(default_factory=dict)
    projector: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rss_peak_mb: float = 0.0
    cpu_s: float = 0.0


async def _sampler(target: Target, stop: asyncio.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], target.rss_mb())
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass


async def submission_burst(
    target: Target, engine_url: str, n: int, window: float, seed: int = 7
) -> SubmitResult:
    from components import storage
    from components import workshop as ws
    from components.loader import load_atlas

    engine = storage.make_engine(engine_url)
    atlas = load_atlas(REPO / "artefacts").atlas
    session = ws.create_session(engine)
    ws.apply_action(engine, session.code, "open")
    ws.set_step(engine, session.code, 0, len(ws.build_deck(atlas)) - 1)  # the join slide: live panel
    ws.set_revealed(engine, session.code, True)
    result = SubmitResult(n, window)
    rng = random.Random(seed)
    peak = [target.rss_mb()]
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sampler(target, stop, peak))
    cpu0 = target.cpu_seconds()

    projector = loadgen.StreamlitClient(target.url, "present", f"session={session.code}&lang=en", timeout=120)
    await projector.fetch_html()
    await projector.open()
    t_end = time.monotonic() + window + 15
    projector.start_auto_reruns(t_end)

    query = f"session={session.code}&lang=en"
    clients, open_times, errors = await loadgen.open_many(target.url, "questionnaire", query, n, timeout=120)
    result.opened = len(clients)
    result.open = loadgen.summary(open_times)
    result.errors += errors[:3]
    t0 = time.monotonic()

    async def one(client: loadgen.StreamlitClient, index: int) -> tuple[loadgen.FormWalk, float]:
        await asyncio.sleep(rng.uniform(0, window * 0.75))
        started = time.monotonic()
        walk = await loadgen.walk_form(
            client, random.Random(seed * 1000 + index), think=0.3, prefix="survey."
        )
        return walk, time.monotonic() - started

    walks = await asyncio.gather(*(one(c, i) for i, c in enumerate(clients)), return_exceptions=True)
    elapsed = time.monotonic() - t0
    steps, durations = [], []
    for item in walks:
        if isinstance(item, BaseException):
            result.errors.append(f"{type(item).__name__}: {item}")
            continue
        walk, duration = item
        steps += walk.runs
        durations.append(duration)
        if walk.finished and not walk.error:
            result.finished += 1
        elif walk.error:
            result.errors.append(walk.error)
    await asyncio.sleep(max(0.0, min(4.0, t_end - time.monotonic())))  # let the projector see the end
    stop.set()
    await sampler
    result.cpu_s = round(target.cpu_seconds() - cpu0, 1)
    result.rss_peak_mb = round(peak[0], 1)
    result.steps = loadgen.summary(steps)
    result.walk_s = {**loadgen.summary(durations), "all_done_after_s": round(elapsed, 1)}
    result.projector = loadgen.summary(projector.fragment_runs)
    await asyncio.gather(*(c.close() for c in [*clients, projector]), return_exceptions=True)
    rows = storage.fetch_responses(engine, session_code=session.code)
    result.stored = len(rows)
    result.distinct_ids = len({r["response_id"] for r in rows})
    engine.dispose()
    return result


async def rerun_baseline(
    target: Target, n: int, window: float, steps: int = 7, seed: int = 7
) -> dict[str, Any]:
    """The minimal page under the submission burst's schedule: N clients, ``steps`` reruns each."""
    clients, _times, _errors = await loadgen.open_many(target.url, "", "", n, timeout=120)
    rng = random.Random(seed)

    async def one(client: loadgen.StreamlitClient) -> list[float]:
        await asyncio.sleep(rng.uniform(0, window * 0.75))
        out = []
        for _ in range(steps):
            await asyncio.sleep(0.3)
            out.append((await client.rerun()).seconds)
        return out

    runs = await asyncio.gather(*(one(c) for c in clients), return_exceptions=True)
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    flat = [x for r in runs if not isinstance(r, BaseException) for x in r]
    return loadgen.summary(flat)


async def memory_run(
    target: Target, page: str, query: str, total: int, batch: int = 100
) -> list[dict[str, float]]:
    samples = [{"sessions": 0, "rss_mb": round(target.rss_mb(), 1)}]
    done = 0
    while done < total:
        size = min(batch, total - done)
        clients, _t, _e = await loadgen.open_many(target.url, page, query, size, timeout=120)
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        done += size
        if done % 500 == 0 or done == total:
            samples.append({"sessions": done, "rss_mb": round(target.rss_mb(), 1)})
    return samples


# -------------------------------------------------------------------------------------------- main


def median_p95(runs: list[dict[str, Any]]) -> float | None:
    values = [r["p95"] for r in runs if r.get("p95") is not None]
    return statistics.median(values) if values else None


def median_cpu(runs: list[dict[str, Any]]) -> float | None:
    """Server CPU per session: far less sensitive than latency to other load on a shared machine."""
    values = [r["cpu_ms_per_session"] for r in runs if r.get("cpu_ms_per_session")]
    return statistics.median(values) if values else None


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(s) for s in args.sizes.split(",")]
    data = Path(tempfile.mkdtemp(prefix="atlas-burst-data-"))
    report: dict[str, Any] = {
        "mode": f"cluster x{args.cluster} behind nginx" if args.cluster else "single process",
        "cpus": os.cpu_count(),
        "sizes": sizes,
        "repeats": args.repeats,
        "open": {},
        "ratios": {},
        "cpu_ratios": {},
    }
    if args.cluster:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine_url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        import sqlalchemy as sa

        admin = sa.create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        app_env = {"ATLAS_DATABASE_URL": engine_url, "ATLAS_RESEARCHER_SECRET": SECRET}
    else:
        engine_url = f"sqlite:///{data / 'atlas.sqlite3'}"
        app_env = {"ATLAS_DATA_DIR": str(data), "ATLAS_RESEARCHER_SECRET": SECRET}
        app_env.pop("ATLAS_DATABASE_URL", None)
        os.environ.pop("ATLAS_DATABASE_URL", None)

    def serve(app: str, env: dict[str, str], name: str):
        if args.cluster:
            return cluster(app, env, name, args.cluster)
        return single_server(app, env, name)

    try:
        with serve("app.py", app_env, "app") as app_ctx, serve(MINIMAL, {}, "minimal") as min_ctx:
            app = app_ctx[0] if args.cluster else app_ctx
            minimal = min_ctx[0] if args.cluster else min_ctx
            # What the QR code opens: the questionnaire of an open workshop session, on a phone.
            from components import storage
            from components import workshop as ws

            qr_session = ws.create_session(storage.make_engine(engine_url))
            ws.apply_action(storage.make_engine(engine_url), qr_session.code, "open")
            pages = [
                ("minimal", minimal, "", ""),
                ("questionnaire", app, "questionnaire", f"session={qr_session.code}&lang=en"),
                ("lifecycle", app, "lifecycle", "lang=en"),
            ]
            for _name, target, page, query in pages:
                await warm(target, page, query)
            report["rss_idle_mb"] = {"app": round(app.rss_mb(), 1), "minimal": round(minimal.rss_mb(), 1)}
            for n in sizes:
                runs: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in pages}
                for _ in range(args.repeats):
                    for name, target, page, query in pages:  # interleaved: drift hits every page alike
                        runs[name].append(await open_burst(target, page, query, n))
                        await asyncio.sleep(args.pause)
                report["open"][n] = {
                    name: {"p95_median": median_p95(r), "cpu_ms_median": median_cpu(r), "runs": r}
                    for name, r in runs.items()
                }
                base, base_cpu = median_p95(runs["minimal"]), median_cpu(runs["minimal"])
                report["ratios"][n] = {
                    name: round(median_p95(runs[name]) / base, 2) if base else None
                    for name in ("questionnaire", "lifecycle")
                }
                report["cpu_ratios"][n] = {
                    name: round(median_cpu(runs[name]) / base_cpu, 2) if base_cpu else None
                    for name in ("questionnaire", "lifecycle")
                }
                print(
                    f"N={n}: "
                    + ", ".join(
                        f"{k} p95 {v['p95_median']:.3f}s cpu {v['cpu_ms_median']}ms"
                        for k, v in report["open"][n].items()
                    )
                    + f" | ratios {report['ratios'][n]} cpu {report['cpu_ratios'][n]}",
                    file=sys.stderr,
                    flush=True,
                )
            if args.submit:
                sub = await submission_burst(app, engine_url, args.submit, args.window)
                report["submission"] = asdict(sub)
                report["submission_baseline_minimal_reruns"] = await rerun_baseline(
                    minimal, args.submit, args.window
                )
                print(
                    f"submission: stored {sub.stored}/{sub.n}, steps p95 {sub.steps.get('p95')}",
                    file=sys.stderr,
                )
            if args.memory:
                report["memory"] = await memory_run(app, "questionnaire", "lang=en", args.memory)
                print(f"memory: {report['memory']}", file=sys.stderr)
    finally:
        shutil.rmtree(data, ignore_errors=True)
        if args.cluster:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
    return report


def _fmt(value: float | None, unit: str = "s", digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f} {unit}"


def markdown(report: dict[str, Any]) -> str:
    head = f"### Open bursts — {report['mode']}, {report['cpus']} CPUs, median of {report['repeats']} runs"
    lines = [head, "",
             "| sessions at once | minimal page p95 | questionnaire p95 (×) | lifecycle p95 (×) "
             "| server CPU per session: minimal / questionnaire (×) / lifecycle (×) |",
             "|---|---|---|---|---|"]
    for n, pages in report["open"].items():
        ratio, cpu = report["ratios"][n], report["cpu_ratios"][n]
        m, q, lc = pages["minimal"], pages["questionnaire"], pages["lifecycle"]
        lines.append(
            f"| {n} | {_fmt(m['p95_median'])} | {_fmt(q['p95_median'])} ({ratio['questionnaire']}×) "
            f"| {_fmt(lc['p95_median'])} ({ratio['lifecycle']}×) | {_fmt(m['cpu_ms_median'], 'ms', 1)} / "
            f"{_fmt(q['cpu_ms_median'], 'ms', 1)} ({cpu['questionnaire']}×) / "
            f"{_fmt(lc['cpu_ms_median'], 'ms', 1)} ({cpu['lifecycle']}×) |"
        )
    sub = report.get("submission")
    if sub:
        base = report["submission_baseline_minimal_reruns"]
        steps = sub["steps"]
        lines += [
            "", f"### Submission burst — {sub['n']} phones, {sub['window_s']:.0f} s window", "",
            f"- stored {sub['stored']} of {sub['n']} (distinct ids {sub['distinct_ids']}, finished walks "
            f"{sub['finished']}, errors {len(sub['errors'])})",
            f"- open p95 {_fmt(sub['open'].get('p95'))}; questionnaire step rerun p50 / p95 / max "
            + " / ".join(_fmt(steps.get(k), "s", 3) for k in ("p50", "p95", "max"))
            + f" (baseline: minimal page rerun p95 {_fmt(base.get('p95'), 's', 3)})",
            f"- every phone done {sub['walk_s'].get('all_done_after_s')} s after the window opened",
            f"- projector live panel: {sub['projector'].get('n')} refreshes, "
            f"p95 {_fmt(sub['projector'].get('p95'), 's', 3)}",
            f"- server CPU {sub['cpu_s']} s, RSS peak {sub['rss_peak_mb']} MB",
        ]
    if report.get("memory"):
        lines += ["", "### Memory (RSS) while sessions open and close on the questionnaire page", "",
                  "| sessions | " + " | ".join(str(s["sessions"]) for s in report["memory"]) + " |",
                  "|---|" + "---|" * len(report["memory"]),
                  "| RSS MB | " + " | ".join(f"{s['rss_mb']:.0f}" for s in report["memory"]) + " |"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20,100,200")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pause", type=float, default=1.5, help="seconds between bursts")
    parser.add_argument("--submit", type=int, default=200, help="phones in the submission burst (0: skip)")
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--memory", type=int, default=2000, help="sessions for the memory check (0: skip)")
    parser.add_argument("--cluster", type=int, default=0, help="processes behind nginx (0: one process)")
    parser.add_argument("--out", default=None, help="JSON report path")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    out = Path(args.out or Path(tempfile.gettempdir()) / f"atlas-burst-{int(time.time())}.json")
    out.write_text(json.dumps(report, indent=2, default=str))
    print(markdown(report))
    print(f"\n(JSON: {out})")


if __name__ == "__main__":
    main()
