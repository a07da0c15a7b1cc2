"""Real clicks on the diagrams in headless Chromium, at projector and phone sizes.

One browser context per viewport is shared by the tests of this module (each test opens its own
URL), which keeps the whole file well under a minute. Screenshots go to /tmp/atlas-shots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from components.loader import load_atlas
from components.model import Atlas
from tests.browser.server import AppServer, assert_no_exception, open_page, wait_for_app
from tests.conftest import ARTEFACTS

SHOTS = Path("/tmp/atlas-shots")
VIEWPORTS = {
    "projector": {"viewport": {"width": 1280, "height": 720}},
    # A phone says so in its user agent; the app uses that to draw the portrait layout.
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
              "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                            "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"},
}
CLICKED = ["practices", "governance", "lifecycle"]


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    result = load_atlas(ARTEFACTS)
    assert result.ok, result.problems
    return result.atlas


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def shared(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    """One page per viewport for the module: opening contexts is the slow part."""
    context = browser.new_context(locale="en-US", **VIEWPORTS[request.param])
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield request.param, page
    context.close()


def points(page: Page) -> Locator:
    """The clickable nodes: one bar per card, in reading order (the figure's first trace)."""
    return page.get_by_test_id("stPlotlyChart").locator(".barlayer .point path")


def details(page: Page, diagram_id: str) -> Locator:
    return page.locator(f".st-key-atlas_details_{diagram_id}")


def click_node(page: Page, index: int) -> None:
    """Mouse click on the centre of a node (streamlit-facts.md, section 1)."""
    point = points(page).nth(index)
    point.evaluate("el => el.scrollIntoView({block: 'center', inline: 'center'})")
    box = point.bounding_box()
    assert box is not None, f"node {index} is not drawn"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def expect_highlight(page: Page, index: int) -> None:
    """Exactly the node at ``index`` is highlighted (plotly's selected style on its bar)."""
    opacities = points(page).evaluate_all("els => els.map(e => getComputedStyle(e).opacity)")
    assert [float(o) for o in opacities].count(1.0) == 1, opacities
    assert float(opacities[index]) == 1.0, opacities


def mark_chart(page: Page) -> None:
    page.locator(".js-plotly-plot").evaluate("el => { el.__atlasMark = true; }")


def chart_kept(page: Page) -> bool:
    return page.locator(".js-plotly-plot").evaluate("el => el.__atlasMark === true")


def expect_details(page: Page, diagram_id: str, title: str) -> None:
    expect(details(page, diagram_id).locator("h3")).to_have_text(title, timeout=10_000)
    wait_for_app(page)
    assert_no_exception(page)


def select_by_click(page: Page, diagram_id: str, index: int, title: str) -> None:
    """Click a node and wait for its details. plotly.js sometimes drops a click under
    ``event+select`` (plotly.js#6898, Streamlit's own e2e test reruns it), so a click that
    changed nothing is repeated up to twice; a wrong node would still fail the test."""
    for attempt in range(3):
        click_node(page, index)
        try:
            expect(details(page, diagram_id).locator("h3")).to_have_text(title, timeout=4_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    expect_details(page, diagram_id, title)


@pytest.mark.parametrize("diagram_id", CLICKED)
def test_clicking_every_node_shows_its_details(shared: tuple[str, Page], app_server: AppServer,
                                               atlas: Atlas, diagram_id: str) -> None:
    name, page = shared
    diagram = atlas.diagrams[diagram_id]
    nodes = diagram.ordered_nodes()
    open_page(page, f"{app_server.url}/{diagram_id}?lang=en")
    expect(points(page)).to_have_count(len(nodes))
    for index, node in enumerate(nodes):
        select_by_click(page, diagram_id, index, node.label["en"])
        expect(details(page, diagram_id)).to_contain_text(node.summary["en"])
        expect(page).to_have_url(re.compile(rf"node={node.id}"))
        expect_highlight(page, index)
        if index == len(nodes) // 2:
            page.get_by_test_id("stPlotlyChart").screenshot(
                path=str(SHOTS / f"diagram-{diagram_id}-{name}-figure.png"))
            page.screenshot(path=str(SHOTS / f"diagram-{diagram_id}-{name}.png"))
    # The same node twice (the second click deselects it in plotly), then another one.
    select_by_click(page, diagram_id, 0, nodes[0].label["en"])
    click_node(page, 0)
    page.wait_for_timeout(400)
    wait_for_app(page)
    expect(details(page, diagram_id).locator("h3")).to_have_text(nodes[0].label["en"])
    expect(points(page).nth(0)).to_have_css("opacity", "1")  # highlighted again
    expect_highlight(page, 0)
    select_by_click(page, diagram_id, 1, nodes[1].label["en"])
    expect(details(page, diagram_id)).to_contain_text(nodes[1].summary["en"])
    expect_highlight(page, 1)


def test_a_click_keeps_the_chart_instead_of_redrawing_it(
        shared: tuple[str, Page], app_server: AppServer, atlas: Atlas) -> None:
    """What keeps a click fast: the browser highlights the node itself and the figure sent back
    is unchanged, so the chart is not drawn again (benchmarks/click_latency.py)."""
    _, page = shared
    nodes = atlas.diagrams["lifecycle"].ordered_nodes()
    open_page(page, f"{app_server.url}/lifecycle?lang=en")
    select_by_click(page, "lifecycle", 1, nodes[1].label["en"])
    mark_chart(page)
    for index in (4, 2, 6):
        select_by_click(page, "lifecycle", index, nodes[index].label["en"])
        expect_highlight(page, index)
        assert chart_kept(page), f"the chart was redrawn after a click on node {index}"
    # Prev/next draws the highlight from Python: a new chart, highlighted the same way.
    page.locator(".st-key-atlas_prev_lifecycle button").click()
    expect_details(page, "lifecycle", nodes[5].label["en"])
    expect(points(page).nth(5)).to_have_css("opacity", "1")
    expect_highlight(page, 5)


def test_next_button_walks_the_lifecycle(shared: tuple[str, Page], app_server: AppServer,
                                         atlas: Atlas) -> None:
    _, page = shared
    nodes = atlas.diagrams["lifecycle"].ordered_nodes()
    open_page(page, f"{app_server.url}/lifecycle?lang=en&node={nodes[-1].id}")
    expect_details(page, "lifecycle", nodes[-1].label["en"])
    page.locator(".st-key-atlas_next_lifecycle button").click()
    expect_details(page, "lifecycle", nodes[0].label["en"])  # a cycle starts over
    expect(page).to_have_url(re.compile(rf"node={nodes[0].id}"))
    expect(points(page).nth(0)).to_have_css("opacity", "1")
    expect_highlight(page, 0)
    # The list under the figure selects by keyboard too.
    pick = page.locator(".st-key-atlas_pick_lifecycle").get_by_role(
        "radio", name=re.compile(re.escape(nodes[3].label["en"])))
    pick.focus()
    page.keyboard.press("Enter")
    expect_details(page, "lifecycle", nodes[3].label["en"])
    expect(points(page).nth(3)).to_have_css("opacity", "1")
    expect(pick).to_have_attribute("aria-checked", "true")


def test_cross_link_from_a_practice_opens_the_lifecycle_step(
        shared: tuple[str, Page], app_server: AppServer, atlas: Atlas) -> None:
    name, page = shared
    practice = atlas.node("version-control")
    diagram, members = next((d, m) for d, m in atlas.related_by_diagram(practice)
                            if d.id == "lifecycle")
    step = members[0]
    index = [n.id for n in atlas.diagrams["practices"].ordered_nodes()].index(practice.id)
    open_page(page, f"{app_server.url}/practices?lang=en")
    select_by_click(page, "practices", index, practice.label["en"])
    panel = details(page, "practices")
    panel.get_by_role("tab", name=re.compile("Related")).click()
    panel.get_by_role("link", name=re.compile(re.escape(step.label["en"]))).click()
    expect(page).to_have_url(re.compile(rf"/lifecycle\?.*node={step.id}"))
    expect_details(page, "lifecycle", step.label["en"])
    page.screenshot(path=str(SHOTS / f"diagram-crosslink-{name}.png"))


def test_deep_link_in_a_fresh_context(browser: Browser, app_server: AppServer,
                                      atlas: Atlas) -> None:
    node = atlas.node("step-monitoring")
    for name, options in VIEWPORTS.items():
        context = browser.new_context(locale="en-US", **options)
        page = context.new_page()
        try:
            open_page(page, f"{app_server.url}/lifecycle?node=step-monitoring&lang=en")
            expect_details(page, "lifecycle", node.label["en"])  # and no dialog over it
            expect(details(page, "lifecycle").locator("code")).to_contain_text(
                "/lifecycle?node=step-monitoring&lang=en")
            page.screenshot(path=str(SHOTS / f"diagram-deeplink-{name}.png"))
        finally:
            context.close()


def test_language_switch_changes_the_figure_and_the_details(
        shared: tuple[str, Page], app_server: AppServer, atlas: Atlas) -> None:
    name, page = shared
    node = atlas.node("comply-regulations")
    open_page(page, f"{app_server.url}/practices?lang=en&node={node.id}")
    chart = page.get_by_test_id("stPlotlyChart")
    first_line = node.figure_label("en").split()[0]
    expect(chart).to_contain_text(first_line)
    expect_details(page, "practices", node.label["en"])
    page.get_by_role("link", name="Português").click()
    expect_details(page, "practices", node.label["pt-BR"])
    expect(chart).to_contain_text(node.figure_label("pt-BR").split()[0])
    expect(chart).not_to_contain_text(first_line)
    expect(page).to_have_url(re.compile(r"lang=pt-BR"))
    page.screenshot(path=str(SHOTS / f"diagram-practices-pt-{name}.png"))
    page.get_by_role("link", name="English").click()
    expect_details(page, "practices", node.label["en"])
    # The address bar follows (a reload keeps English) and keeps the selected node.
    expect(page).to_have_url(re.compile(rf"lang=en.*node={node.id}|node={node.id}.*lang=en"))


def test_a_click_on_the_last_step_of_a_flow_disables_next_and_presses_its_pill(
        shared: tuple[str, Page], app_server: AppServer, atlas: Atlas) -> None:
    """Prev/next and the list live in the figure's fragment: a click on the figure updates them."""
    _, page = shared
    nodes = atlas.diagrams["governance"].ordered_nodes()
    last = len(nodes) - 1
    open_page(page, f"{app_server.url}/governance?lang=en")
    next_button = page.locator(".st-key-atlas_next_governance button")
    expect(next_button).to_be_enabled()
    select_by_click(page, "governance", last, nodes[last].label["en"])
    expect(next_button).to_be_disabled()
    pill = page.locator(".st-key-atlas_pick_governance").get_by_role(
        "radio", name=re.compile(re.escape(nodes[last].label["en"])))
    expect(pill).to_have_attribute("aria-checked", "true")
