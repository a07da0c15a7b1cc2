"""Server CPU per opened session, page by page: where a crowd's time goes, without the crowd.

A burst's p95 is set by the total server CPU the burst needs (one GIL serialises the sessions),
so the CPU one session costs is the figure to cut. Every target gets its own server with the
shipped settings (the minimal one-line page included, so ratios come from the same run). Rounds
alternate between the servers, each round opening ``--batch`` sessions at once the way a browser
does (GET the page, connect the websocket, ``rerun_script`` until ``script_finished``, close)
``--per-round`` times; the figure is the server's CPU time divided by the sessions, median over
the rounds. Alternating rounds keeps machine drift out of the ratios.

    .venv/bin/python benchmarks/session_cost.py                  # minimal, questionnaire, lifecycle
    .venv/bin/python benchmarks/session_cost.py --target app.py:home:lang=en --rounds 9

A target is ``APP:PAGE:QUERY`` (PAGE = url path, QUERY without ``?``); ``{code}`` in QUERY is the
code of an open workshop session created for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import burst  # noqa: E402
import loadgen  # noqa: E402

DEFAULT_TARGETS = [
    f"{burst.MINIMAL}::",
    "app.py:questionnaire:session={code}&lang=en",  # the QR code's address
    "app.py:questionnaire:lang=en",
    "app.py:lifecycle:lang=en",
]


async def _open_close(url: str, page: str, query: str) -> float:
    client = loadgen.StreamlitClient(url, page, query, timeout=60)
    await client.fetch_html()
    result = await client.open()
    await client.close()
    if result.status != "FINISHED_SUCCESSFULLY":
        raise RuntimeError(result.status)
    return result.seconds


async def _round(target: burst.Target, page: str, query: str, batch: int, batches: int) -> float:
    """CPU ms per session over ``batches`` bursts of ``batch`` sessions."""
    await asyncio.sleep(0.3)
    cpu0 = target.cpu_seconds()
    for _ in range(batches):
        await asyncio.gather(*(_open_close(target.url, page, query) for _ in range(batch)))
    await asyncio.sleep(0.3)  # let closing sessions finish their bookkeeping
    return 1000 * (target.cpu_seconds() - cpu0) / (batch * batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", action="append", help="APP:PAGE:QUERY (repeatable)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=50, help="sessions opened at once")
    parser.add_argument("--per-round", type=int, default=2, help="bursts per round")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    specs = args.target or DEFAULT_TARGETS
    data = Path(tempfile.mkdtemp(prefix="atlas-session-cost-"))
    env = {"ATLAS_DATA_DIR": str(data), "ATLAS_RESEARCHER_SECRET": burst.SECRET}
    os.environ.pop("ATLAS_DATABASE_URL", None)
    if any("{code}" in spec for spec in specs):
        sys.path.insert(0, str(REPO))
        from components import storage
        from components import workshop as ws

        engine = storage.make_engine(f"sqlite:///{data / 'atlas.sqlite3'}")
        code = ws.create_session(engine).code
        ws.apply_action(engine, code, "open")
        engine.dispose()
    else:
        code = ""
    parsed = [(spec, *(spec.replace("{code}", code).split(":", 2) + ["", ""])[:3])
              for spec in specs]
    figures: dict[str, list[float]] = {spec: [] for spec in specs}
    try:
        with ExitStack() as stack:
            servers = [stack.enter_context(burst.single_server(app, env, f"cost{i}"))
                       for i, (_, app, _, _) in enumerate(parsed)]

            async def run() -> None:
                for (_, _, page, query), target in zip(parsed, servers, strict=True):
                    await _round(target, page, query, 10, 2)  # warm-up: imports, caches
                for _ in range(args.rounds):
                    for (spec, _, page, query), target in zip(parsed, servers, strict=True):
                        figures[spec].append(
                            await _round(target, page, query, args.batch, args.per_round))

            asyncio.run(run())
    finally:
        shutil.rmtree(data, ignore_errors=True)
    base = statistics.median(figures[specs[0]])
    rows = []
    print(f"server CPU per session, median of {args.rounds} alternating rounds of "
          f"{args.per_round}×{args.batch} sessions\n")
    print("| target | CPU per session | × first | spread (min–max) |")
    print("|---|---|---|---|")
    for spec in specs:
        values = figures[spec]
        med = statistics.median(values)
        rows.append({"target": spec, "cpu_ms_per_session": med, "rounds": values})
        print(f"| `{spec}` | {med:.2f} ms | {med / base:.2f}× | {min(values):.2f}–{max(values):.2f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
