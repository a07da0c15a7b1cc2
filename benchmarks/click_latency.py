"""Click-to-details latency of the lifecycle diagram against Streamlit's own rerun floor.

In one run this starts the app and ``benchmarks/apps/minimal_rerun.py`` (a button that reruns a
one-line page), then, in headless Chromium:

* diagram: a real mouse click on a lifecycle node (alternating between two nodes, so every click
  changes the selection and the figure) until that node's title is in the details panel;
* baseline: a click on the minimal page's button until its counter shows the new run.

Both are timed inside the page, from the ``mousedown`` event to the DOM mutation that shows the
result, so Playwright's own round trips do not count. It also times the lifecycle page script
with warm caches in AppTest (a full run, as on a page load) against the minimal page.

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
from tests.browser.server import start_app, wait_for_app  # noqa: E402

MINIMAL = "benchmarks/apps/minimal_rerun.py"
TARGET = 1.2

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
  window.__timerReady = true;
})
"""


def _summary(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _timed_click(page: Page, kind: str, expected: str, x: float, y: float) -> float:
    """Arm the in-page timer, click at (x, y), return the measured milliseconds."""
    handle = page.evaluate_handle(
        "(args) => { window.__timing = (" + TIMER_JS + ")(args); return true; }", [kind, expected])
    handle.dispose()
    page.mouse.click(x, y)
    value = page.evaluate("() => window.__timing")
    wait_for_app(page)
    return float(value)


def _centre(page: Page, locator: Locator) -> tuple[float, float]:
    locator.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = locator.bounding_box()
    assert box, "element not drawn"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def measure(diagram_page: Page, app_url: str, minimal_page: Page, minimal_url: str,
            repetitions: int) -> tuple[list[float], list[float]]:
    """Alternate one diagram click and one baseline click, so load from anything else on the
    machine lands on both series alike."""
    atlas = load_atlas(REPO / "artefacts").atlas
    nodes = atlas.diagrams["lifecycle"].ordered_nodes()
    picks = [(2, nodes[2]), (5, nodes[5])]  # two steps far apart, alternated
    diagram_page.goto(f"{app_url}/lifecycle?lang=en")
    wait_for_app(diagram_page)
    diagram_page.locator(".js-plotly-plot .barlayer").wait_for()
    minimal_page.goto(minimal_url)
    wait_for_app(minimal_page)
    bars = diagram_page.get_by_test_id("stPlotlyChart").locator(".barlayer .point path")
    warm = 4  # the first rounds warm the figure cache and the browser
    diagram, baseline = [], []
    for i in range(repetitions + warm):
        index, node = picks[i % 2]
        diagram_page.bring_to_front()
        x, y = _centre(diagram_page, bars.nth(index))
        d_ms = _timed_click(diagram_page, "diagram", node.label["en"], x, y)
        minimal_page.bring_to_front()
        x, y = _centre(minimal_page, minimal_page.get_by_role("button", name="Rerun"))
        b_ms = _timed_click(minimal_page, "minimal", f"Runs: {i + 1}", x, y)
        if i >= warm:
            diagram.append(d_ms)
            baseline.append(b_ms)
    return diagram, baseline


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

    app = start_app({"ATLAS_DATA_DIR": str(Path("/tmp") / "atlas-bench-data")})
    minimal = start_app(app=MINIMAL)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            size = {"viewport": {"width": 1280, "height": 720}}
            diagram, baseline = measure(browser.new_context(**size).new_page(), app.url,
                                        browser.new_context(**size).new_page(), minimal.url,
                                        args.repetitions)
            browser.close()
    finally:
        app.stop()
        minimal.stop()
    page_ms, base_ms = script_times(max(10, args.repetitions // 2))

    d_med, d_p95 = _summary(diagram)
    b_med, b_p95 = _summary(baseline)
    s_med, s_p95 = _summary(page_ms)
    m_med, m_p95 = _summary(base_ms)
    ratio = d_med / b_med
    print(f"click -> details, lifecycle    n={len(diagram):3d}  median {d_med:6.1f} ms  "
          f"p95 {d_p95:6.1f} ms")
    print(f"click -> rerun, minimal page   n={len(baseline):3d}  median {b_med:6.1f} ms  "
          f"p95 {b_p95:6.1f} ms")
    print(f"ratio (median)                 {ratio:.2f}x   target <= {TARGET}x   "
          f"{'OK' if ratio <= TARGET else 'MISSED'}")
    print(f"script run, warm (AppTest): lifecycle page median {s_med:.1f} ms (p95 {s_p95:.1f}), "
          f"minimal page median {m_med:.1f} ms (p95 {m_p95:.1f}), ratio {s_med / m_med:.1f}x")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
