"""Benchmark: the results page's script time with warm caches at 100 and 10,000 responses, and the cold
analysis at 10,000, against baselines measured in the same run.

    .venv/bin/python benchmarks/results_page.py [--sizes 100 10000] [--repeat 7]

Baselines: an AppTest run of an empty one-line script, and of the app's home page (app.py with its
navigation, language switch and atlas). For each size a fresh SQLite store is filled with demo data,
then, through AppTest with the researcher session already unlocked:

* cold: the first run of the results page (database read, frame, analysis, drawing the open tab);
* warm: the median of ``--repeat`` further runs, per tab (only the open tab is drawn).

The pure cold analysis (``responses_frame`` + ``groupings`` + ``analyse``, no Streamlit) is timed too.
Target: warm page <= 0.5 s at 10,000 responses. Not a test: numbers vary with the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SECRET = "benchmark-secret-123"
TABS = ("Overview", "Artefacts", "Iterations", "Comments", "Exports", "Audit log")


def _route_through_app() -> None:
    """As in tests/apptest/test_results_page.py: AppTest resets Streamlit's old pages/ mode before each
    run, which would make every run of a page run twice (directly, then rerouted through app.py)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def _timed(fn, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def baselines(repeat: int) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "empty.py"
        script.write_text("import streamlit as st\nst.write('')\n")
        empty = AppTest.from_file(str(script), default_timeout=60)
        empty.run()
        empty_median, _ = _timed(empty.run, repeat)
    home = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    home.query_params["lang"] = "en"
    home.run()
    home_median, _ = _timed(home.run, repeat)
    return {"empty script": empty_median, "home page": home_median}


def fill(n: int, data_dir: Path) -> float:
    from components import demo_data, storage
    from components.loader import load_atlas

    atlas = load_atlas(REPO / "artefacts").atlas
    engine = storage.make_engine(f"sqlite:///{data_dir / storage.DB_FILE}")
    start = time.perf_counter()
    demo_data.fill(engine, atlas.survey, atlas.content_version, n, seed=1)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def pure_analysis(data_dir: Path, repeat: int) -> float:
    from components import results_data as rd
    from components import storage
    from components.loader import load_atlas

    atlas = load_atlas(REPO / "artefacts").atlas
    bank = rd.bank_from_survey(atlas.survey, atlas.diagrams, atlas.languages)
    engine = storage.make_engine(f"sqlite:///{data_dir / storage.DB_FILE}")

    def run() -> None:
        rows = storage.fetch_responses(engine)
        frame = rd.responses_frame(rows, bank)
        rd.analyse(frame, bank, rd.groupings(frame, bank), rd.filter_options(frame).content_versions)

    median, _ = _timed(run, repeat)
    engine.dispose()
    return median


def page(repeat: int) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from components import access_view, results_view

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=600)
    at.query_params["lang"] = "en"
    at.session_state[access_view.SESSION_FLAG] = access_view._fingerprint(SECRET)
    at.run()
    at.switch_page("pages/results.py")
    start = time.perf_counter()
    at.run()
    out = {"cold page (Overview)": time.perf_counter() - start}
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.tabs) == 6, "the page did not open"
    for tab in TABS:
        at.session_state[results_view.TAB_KEY] = tab
        at.run()  # first draw of this tab (its own cached pieces, e.g. the methods preview)
        assert not at.exception, [e.value for e in at.exception]
        out[f"warm {tab}"], _ = _timed(at.run, repeat)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    os.environ["ATLAS_RESEARCHER_SECRET"] = SECRET
    os.environ.pop("ATLAS_DATABASE_URL", None)
    _route_through_app()

    print(f"baselines (median of {args.repeat} AppTest runs)")
    base = baselines(args.repeat)
    for name, value in base.items():
        print(f"  {name:<28} {value * 1000:8.1f} ms")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            os.environ["ATLAS_DATA_DIR"] = str(data_dir)
            fill_s = fill(n, data_dir)
            print(f"\n{n:,} responses (demo data written in {fill_s:.1f} s)")
            print(f"  {'cold analysis (pure)':<28} {pure_analysis(data_dir, 3) * 1000:8.1f} ms")
            for name, value in page(args.repeat).items():
                ratio = value / base["home page"]
                print(f"  {name:<28} {value * 1000:8.1f} ms   ({ratio:.1f}x home page)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
