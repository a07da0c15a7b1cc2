"""Click-to-details latency of the lifecycle diagram against Streamlit's own rerun floor.

In one run this starts the app and ``benchmarks/apps/minimal_rerun.py`` (a button that reruns a
one-line page), then, in headless Chromium:

* diagram: a real mouse click on a lifecycle node (alternating between two nodes, so every click
  changes the selection) until that node's title is in the details panel;
* baseline: a click on the minimal page's button until its counter shows the new run;
* the baseline plus what any diagram click needs anyway, to show where the gap comes from:
  ``+url`` writes the shareable ``?node=`` into the URL, ``+url+figure`` also keeps the lifecycle
  figure (unchanged) on the page.

Clicks are timed inside the page, from the ``mousedown`` event to the DOM mutation that shows the
result, so Playwright's own round trips do not count; the pages take turns click by click, so
load from anything else on the machine lands on all of them alike. It also times the lifecycle
page script with warm caches in AppTest (a full run, as on a page load) against the minimal page.

    .venv/bin/python benchmarks/click_latency.py [-n 40]

Target: median click-to-details at most 1.2x the minimal page's rerun.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import Locator, Page, sync_playwright  # noqa: E402

from components.loader import load_atlas  # noqa: E402
from tests.browser.server import AppServer, start_app, wait_for_app  # noqa: E402

MINIMAL = "benchmarks/apps/minimal_rerun.py"
TARGET = 1.2
BASELINES = {"minimal page": "", "minimal +url": "url", "minimal +url+figure": "url,figure"}

# Resolves with the milliseconds from the next mousedown to the first moment ``done()`` is true.
TIMER_JS = """
(args) => new Promise((resolve, reject) => {
  const [kind, expected] = args;
  const done = kind === "diagram"
    ? () => { const h = document.querySelector(".st-key-atlas_details_lifecycle h3");
              return h && h.textContent.trim() === expected; }
    : () => { const m = [...document.querySelectorAll("[data-testid=stMarkdown]")];
              return m.some(e => e.textContent.trim() === expected); };
  let start = null;
  const observer = new MutationObserver(() => {
    if (start !== null && done()) { observer.disconnect(); resolve(performance.now() - start); }
  });
  window.addEventListener("mousedown", () => { start = performance.now(); },
                          {once: true, capture: true});
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  setTimeout(() => { observer.disconnect(); reject(new Error("timeout waiting for " + expected)); },
             15000);
})
"""


def _summary(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _timed_click(page: Page, kind: str, expected: str, x: float, y: float) -> float:
    """Arm the in-page timer, click at (x, y), return the measured milliseconds."""
    page.evaluate("(args) => { window.__timing = (" + TIMER_JS + ")(args); }", [kind, expected])
    page.mouse.click(x, y)
    value = page.evaluate("() => window.__timing")
    wait_for_app(page)
    return float(value)


def _centre(locator: Locator) -> tuple[float, float]:
    locator.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = locator.bounding_box()
    assert box, "element not drawn"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def measure(diagram_page: Page, app_url: str, baselines: dict[str, Page],
            repetitions: int) -> dict[str, list[float]]:
    """Take turns: one diagram click, then one click on each baseline page, and again."""
    atlas = load_atlas(REPO / "artefacts").atlas
    nodes = atlas.diagrams["lifecycle"].ordered_nodes()
    picks = [(2, nodes[2]), (5, nodes[5])]  # two steps far apart, alternated
    diagram_page.goto(f"{app_url}/lifecycle?lang=en")
    wait_for_app(diagram_page)
    diagram_page.locator(".js-plotly-plot .barlayer").wait_for()
    bars = diagram_page.get_by_test_id("stPlotlyChart").locator(".barlayer .point path")
    warm = 4  # the first rounds warm the figure cache and the browser
    times: dict[str, list[float]] = {"lifecycle click": [], **{name: [] for name in baselines}}
    for i in range(repetitions + warm):
        index, node = picks[i % 2]
        diagram_page.bring_to_front()
        ms = _timed_click(diagram_page, "diagram", node.label["en"], *_centre(bars.nth(index)))
        if i >= warm:
            times["lifecycle click"].append(ms)
        for name, page in baselines.items():
            page.bring_to_front()
            button = _centre(page.get_by_role("button", name="Rerun"))
            ms = _timed_click(page, "minimal", f"Runs: {i + 1}", *button)
            if i >= warm:
                times[name].append(ms)
    return times


def script_times(repetitions: int) -> tuple[list[float], list[float]]:
    """Whole-script run time in AppTest with warm caches: lifecycle page vs minimal page."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    app.query_params["lang"] = "en"
    app.query_params["node"] = "step-monitoring"
    app.run()
    app.switch_page("pages/lifecycle.py")
    app.run()
    base = AppTest.from_file(str(REPO / MINIMAL), default_timeout=30)
    base.run()
    page_ms, base_ms = [], []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        app.run()
        page_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        base.run()
        base_ms.append((time.perf_counter() - t0) * 1000)
    assert not app.exception, app.exception
    return page_ms, base_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--repetitions", type=int, default=40)
    args = parser.parse_args()

    servers: dict[str, AppServer] = {}
    try:
        servers["app"] = start_app({"ATLAS_DATA_DIR": str(Path("/tmp") / "atlas-bench-data")})
        for name, extras in BASELINES.items():
            servers[name] = start_app({"BENCH_EXTRAS": extras}, app=MINIMAL)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            size = {"viewport": {"width": 1280, "height": 720}}
            pages = {}
            for name in BASELINES:
                page = browser.new_context(**size).new_page()
                page.goto(servers[name].url)
                wait_for_app(page)
                pages[name] = page
            times = measure(browser.new_context(**size).new_page(), servers["app"].url, pages,
                            args.repetitions)
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    page_ms, base_ms = script_times(max(10, args.repetitions // 2))

    floor, _ = _summary(times["minimal page"])
    print(f"{'click until shown':32s} {'n':>3s}  {'median':>9s}  {'p95':>9s}  {'x minimal':>9s}")
    for name, values in times.items():
        median, p95 = _summary(values)
        print(f"{name:32s} {len(values):3d}  {median:6.1f} ms  {p95:6.1f} ms  "
              f"{median / floor:8.2f}x")
    ratio = _summary(times["lifecycle click"])[0] / floor
    print(f"ratio lifecycle / minimal (median) {ratio:.2f}x, target <= {TARGET}x: "
          f"{'OK' if ratio <= TARGET else 'MISSED'}")
    s_med, s_p95 = _summary(page_ms)
    m_med, m_p95 = _summary(base_ms)
    print(f"script run, warm (AppTest): lifecycle page median {s_med:.1f} ms (p95 {s_p95:.1f}), "
          f"minimal page median {m_med:.1f} ms (p95 {m_p95:.1f})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
