"""Plotly figures of the results page, pure (no Streamlit): every text comes in translated.

The Likert chart follows R's ``HH::likert`` (Heiberger & Robbins 2014): disagreement to the left of
zero, agreement to the right, the neutral category split evenly across zero, rows sorted by
agreement, a red-blue diverging palette with a grey middle, and the row's n on the right. "Don't know /
not applicable" answers are never part of the 100 %: they get their own small panel beside the bars.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

FONT = "Source Sans, sans-serif"
TEXT = "#1B2733"
MUTED = "#5B6B7B"
GRID = "#E3E8EE"
DK_COLOR = "#9AA5B1"
NEUTRAL = "#D4D8DD"
# ColorBrewer RdBu, as HH::likert; index by distance from the midpoint.
DISAGREE = ("#F4A582", "#D6604D", "#B2182B")
AGREE = ("#92C5DE", "#4393C3", "#2166AC")
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe-Ito colours for lines/dots that compare versions or groups (colour-blind safe)."""


@dataclass(frozen=True)
class LikertRow:
    key: str
    label: str
    counts: Mapping[int, int]
    """Count per scale point among valid answers."""
    n_dk: int = 0

    @property
    def n_valid(self) -> int:
        return int(sum(self.counts.values()))

    def agreement(self, scale: Sequence[int]) -> float:
        mid = (min(scale) + max(scale)) / 2
        n = self.n_valid
        return sum(v for k, v in self.counts.items() if k > mid) / n if n else -1.0


def scale_colors(scale: Sequence[int]) -> dict[int, str]:
    """Red for the points below the midpoint, grey for it, blue above; darker further out."""
    mid = (min(scale) + max(scale)) / 2
    colors = dict.fromkeys(scale, NEUTRAL)
    for points, palette in (
        (sorted((s for s in scale if s < mid), reverse=True), DISAGREE),
        (sorted(s for s in scale if s > mid), AGREE),
    ):
        for i, point in enumerate(points):
            step = i * (len(palette) - 1) / (len(points) - 1) if len(points) > 1 else 1
            colors[point] = palette[round(step)]
    return colors


def sort_rows(rows: Sequence[LikertRow], scale: Sequence[int]) -> list[LikertRow]:
    """Highest agreement first (HH's ``positive.order``); rows without valid answers last."""
    return sorted(rows, key=lambda r: (-r.agreement(scale), r.label))


def diverging_likert(
    rows: Sequence[LikertRow],
    scale: Sequence[int],
    scale_labels: Mapping[int, str],
    *,
    dk_label: str,
    percent_axis: str,
    dk_axis: str,
    n_format: str = "n = {n}",
) -> go.Figure:
    """HH-style diverging stacked bars: one row per item, percent of valid answers on x.

    Each row's label (with its n, formatted by ``n_format``) is written *above* its bar rather than
    as a y-axis tick, so the bars keep the full width on a phone. The right-hand panel shows the
    "don't know" share of all answers to the item, with its count.
    """
    ordered = sort_rows(rows, scale)
    count = len(ordered)
    ys = [count - 1 - i for i in range(count)]  # first (most agreed) row on top
    mid = (min(scale) + max(scale)) / 2
    colors = scale_colors(scale)
    fig = make_subplots(
        rows=1, cols=2, shared_yaxes=True, column_widths=[0.84, 0.16], horizontal_spacing=0.04
    )

    def pct(row: LikertRow, point: int) -> float:
        n = row.n_valid
        return 100.0 * row.counts.get(point, 0) / n if n else 0.0

    # Left of zero: the neutral half first (next to zero), then the disagree points outwards.
    has_mid = any(s == mid for s in scale)
    left = ([int(mid)] if has_mid else []) + sorted((s for s in scale if s < mid), reverse=True)
    right = ([int(mid)] if has_mid else []) + sorted(s for s in scale if s > mid)
    for side, points in (("left", left), ("right", right)):
        for point in points:
            half = point == mid
            share = [pct(r, point) for r in ordered]
            width = [(s / 2 if half else s) for s in share]
            counts = [r.counts.get(point, 0) for r in ordered]
            # The neutral share is written once, on its right half.
            labelled = [(s >= 8 and not half) or (half and side == "right" and s >= 14) for s in share]
            fig.add_trace(
                go.Bar(
                    y=ys,
                    x=[-w if side == "left" else w for w in width],
                    width=0.56,
                    orientation="h",
                    name=scale_labels.get(point, str(point)),
                    legendrank=point,
                    showlegend=not (half and side == "left"),
                    marker={"color": colors[point], "line": {"color": "#FFFFFF", "width": 0.6}},
                    customdata=[[s, c] for s, c in zip(share, counts, strict=True)],
                    hovertemplate=f"{scale_labels.get(point, point)}: %{{customdata[0]:.0f}}% "
                    "(%{customdata[1]})<extra></extra>",
                    text=[f"{s:.0f}%" if show else "" for s, show in zip(share, labelled, strict=True)],
                    textposition="inside",
                    insidetextanchor="middle",
                    textangle=0,
                    textfont={
                        "size": 11,
                        "color": TEXT if point == mid or abs(point - mid) < 1.5 else "#FFFFFF",
                    },
                ),
                row=1,
                col=1,
            )
    totals = [r.n_valid + r.n_dk for r in ordered]
    dk_share = [100.0 * r.n_dk / t if t else 0.0 for r, t in zip(ordered, totals, strict=True)]
    fig.add_trace(
        go.Bar(
            y=ys,
            x=dk_share,
            width=0.56,
            orientation="h",
            name=dk_label,
            legendrank=100,
            marker={"color": DK_COLOR},
            customdata=[[r.n_dk, t] for r, t in zip(ordered, totals, strict=True)],
            hovertemplate=f"{dk_label}: %{{customdata[0]}} / %{{customdata[1]}}<extra></extra>",
            text=[str(r.n_dk) for r in ordered],
            textposition="outside",
            textfont={"size": 11, "color": MUTED},
            cliponaxis=False,
        ),
        row=1,
        col=2,
    )
    for r, y in zip(ordered, ys, strict=True):
        fig.add_annotation(
            x=0,
            xref="paper",
            xanchor="left",
            y=y + 0.3,
            yref="y",
            yanchor="bottom",
            showarrow=False,
            text=f"<b>{_plain(r.label)}</b>  <span style='color:{MUTED}'>"
            f"{_plain(n_format.format(n=r.n_valid))}</span>",
            font={"size": 12, "color": TEXT},
            align="left",
            bgcolor="rgba(255,255,255,0.9)",
            borderpad=1,
        )
    fig.update_layout(
        barmode="relative",
        height=96 + 58 * count,
        margin={"l": 6, "r": 28, "t": 64, "b": 44},
        font={"family": FONT, "color": TEXT, "size": 12},
        plot_bgcolor="#FFFFFF",
        paper_bgcolor="#FFFFFF",
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "traceorder": "normal",
            "font": {"size": 11},
            "itemclick": False,
            "itemdoubleclick": False,
            "entrywidth": 0,
            "title": {"text": ""},
        },
        hoverlabel={"font": {"family": FONT}},
    )
    ticks = [-50, 0, 50]
    fig.update_xaxes(
        range=[-101, 101],
        tickvals=ticks,
        ticktext=[f"{abs(v)}%" for v in ticks],
        zeroline=True,
        zerolinecolor="#5B6B7B",
        zerolinewidth=1.2,
        gridcolor=GRID,
        title={"text": percent_axis, "font": {"size": 11}},
        tickfont={"size": 10},
        fixedrange=True,
        row=1,
        col=1,
    )
    dk_max = max([20.0, *(s * 1.35 for s in dk_share)])
    fig.update_xaxes(
        range=[0, dk_max],
        tickvals=[0],
        ticktext=["0"],
        showgrid=False,
        title={"text": dk_axis, "font": {"size": 11}},
        tickfont={"size": 10},
        fixedrange=True,
        row=1,
        col=2,
    )
    fig.update_yaxes(range=[-0.5, count - 0.05], showticklabels=False, showgrid=False, fixedrange=True)
    return fig


def _plain(text: str) -> str:
    """Plotly renders a small HTML subset in annotations: the labels come from trusted YAML, but escape
    them anyway so a stray ``<`` cannot break the figure."""
    return html.escape(str(text), quote=False)


def timeline(
    dates: Sequence[str],
    counts: Sequence[int],
    *,
    y_title: str,
    cumulative: Sequence[int] | None = None,
    cumulative_name: str = "",
    bars_name: str = "",
) -> go.Figure:
    """Responses per day (bars) and, optionally, the running total (line on a second axis)."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=list(dates),
            y=list(counts),
            name=bars_name,
            marker={"color": SERIES[0]},
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    if cumulative is not None:
        fig.add_trace(
            go.Scatter(
                x=list(dates),
                y=list(cumulative),
                name=cumulative_name,
                yaxis="y2",
                mode="lines",
                line={"color": SERIES[1], "width": 2.5, "shape": "hv"},
                hovertemplate="%{x}: %{y}<extra></extra>",
            )
        )
    fig.update_layout(
        height=260,
        margin={"l": 8, "r": 8, "t": 30, "b": 8},
        font={"family": FONT, "color": TEXT, "size": 12},
        plot_bgcolor="#FFFFFF",
        paper_bgcolor="#FFFFFF",
        bargap=0.15,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        yaxis={
            "title": {"text": y_title},
            "gridcolor": GRID,
            "rangemode": "tozero",
            "fixedrange": True,
            "tickformat": ",d",
        },
        yaxis2={
            "overlaying": "y",
            "tickformat": ",d",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "fixedrange": True,
        },
        xaxis={"fixedrange": True, "type": "date"},
    )
    return fig


def horizontal_counts(
    labels: Sequence[str], counts: Sequence[int], *, color: str = SERIES[0], suppressed: str | None = None
) -> go.Figure:
    """A compact horizontal bar chart of counts per category (profile, language, session)."""
    fig = go.Figure(
        go.Bar(
            y=list(labels),
            x=list(counts),
            orientation="h",
            marker={"color": color},
            text=[str(c) for c in counts],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_layout(
        height=max(120, 40 + 30 * len(labels)),
        margin={"l": 8, "r": 32, "t": 8, "b": 8},
        font={"family": FONT, "color": TEXT, "size": 12},
        plot_bgcolor="#FFFFFF",
        paper_bgcolor="#FFFFFF",
        bargap=0.3,
        showlegend=False,
        xaxis={"visible": False, "fixedrange": True, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
    )
    if suppressed:
        fig.add_annotation(
            text=suppressed,
            x=0,
            xref="paper",
            y=-0.02,
            yref="paper",
            yanchor="top",
            showarrow=False,
            font={"size": 11, "color": MUTED},
            align="left",
        )
    return fig


def version_dots(
    criteria: Sequence[str], versions: Sequence[str], values: Mapping[tuple[str, str], float], *, x_title: str
) -> go.Figure:
    """One row per criterion, one coloured dot per artefact version (share agreeing, 0..1), joined by a
    grey line: how the evaluation moved between design iterations (a dumbbell chart)."""
    fig = go.Figure()
    for crit in criteria:
        xs = [100 * values[(crit, v)] for v in versions if values.get((crit, v)) is not None]
        if len(xs) >= 2:
            fig.add_trace(
                go.Scatter(
                    x=[min(xs), max(xs)],
                    y=[crit, crit],
                    mode="lines",
                    showlegend=False,
                    line={"color": "#C5CDD6", "width": 4},
                    hoverinfo="skip",
                )
            )
    for i, ver in enumerate(versions):
        pairs = [(100 * values[(c, ver)], c) for c in criteria if values.get((c, ver)) is not None]
        fig.add_trace(
            go.Scatter(
                x=[x for x, _ in pairs],
                y=[c for _, c in pairs],
                mode="markers",
                name=ver,
                marker={
                    "size": 13,
                    "color": SERIES[i % len(SERIES)],
                    "line": {"color": "#FFFFFF", "width": 1.5},
                },
                hovertemplate=f"{ver} · %{{y}}: %{{x:.0f}}%<extra></extra>",
            )
        )
    fig.update_layout(
        height=max(180, 70 + 40 * len(criteria)),
        margin={"l": 8, "r": 8, "t": 36, "b": 40},
        font={"family": FONT, "color": TEXT, "size": 12},
        plot_bgcolor="#FFFFFF",
        paper_bgcolor="#FFFFFF",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        xaxis={
            "title": {"text": x_title},
            "range": [-3, 103],
            "gridcolor": GRID,
            "ticksuffix": "%",
            "fixedrange": True,
        },
        yaxis={
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "categoryorder": "array",
            "categoryarray": list(criteria),
        },
    )
    return fig
