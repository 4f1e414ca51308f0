"""The modelling report's charts (matplotlib, drawn off-screen), as inline SVG or PNG."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: draw into files and strings only

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

plt.rcParams.update(
    {
        "svg.fonttype": "path",  # glyphs as paths: the SVG needs no font
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
    }
)
CURRENT_COLOUR = "#7f7f7f"
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


def colour(index: int, name: str) -> str:
    return CURRENT_COLOUR if name == "current" else COLOURS[(index - 1) % len(COLOURS)]


def _money(value: float, _: object = None) -> str:
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


def to_svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), then closed."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def save_png(figure: Figure, path: Path) -> None:
    figure.savefig(path, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)


def total_cost(scenarios: Sequence[str], totals: Sequence[Decimal], currency: str) -> Figure:
    figure, axes = plt.subplots(figsize=(6.4, 0.5 + 0.45 * len(scenarios)))
    values = [float(v) for v in totals]
    bars = axes.barh(
        list(scenarios), values, color=[colour(i, s) for i, s in enumerate(scenarios)]
    )
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(FuncFormatter(_money))
    axes.set_title(f"Total cost over the range ({currency})", loc="left")
    axes.bar_label(bars, labels=[f"{v:,.0f}" for v in values], padding=3, fontsize=8)
    axes.margins(x=0.18)
    return figure


def cost_by_month(
    series: Mapping[str, Sequence[tuple[str, Decimal]]], currency: str
) -> Figure:
    figure, axes = plt.subplots(figsize=(6.4, 3.0))
    for index, (name, points) in enumerate(series.items()):
        axes.plot(
            [p for p, _ in points],
            [float(v) for _, v in points],
            marker="o",
            markersize=3,
            label=name,
            color=colour(index, name),
            linewidth=2.2 if name == "current" else 1.6,
        )
    axes.yaxis.set_major_formatter(FuncFormatter(_money))
    axes.set_title(f"Cost by month ({currency})", loc="left")
    axes.tick_params(axis="x", rotation=45)
    axes.legend(frameon=False, fontsize=8)
    return figure


def distribution(
    samples: Mapping[str, Sequence[float]], title: str, *, percent: bool = False
) -> Figure:
    """Box plots (whiskers at P10 and P90) of one value per rep, one box per scenario."""
    names = list(samples)
    figure, axes = plt.subplots(figsize=(6.4, 0.6 + 0.45 * len(names)))
    data = [list(samples[n]) or [0.0] for n in names]
    boxes = axes.boxplot(
        data,
        orientation="horizontal",
        whis=(10, 90),
        tick_labels=names,
        patch_artist=True,
        showfliers=False,
    )
    for index, (patch, name) in enumerate(zip(boxes["boxes"], names, strict=True)):
        patch.set_facecolor(colour(index, name))
        patch.set_alpha(0.55)
    axes.invert_yaxis()
    formatter = PercentFormatter(1.0) if percent else FuncFormatter(_money)
    axes.xaxis.set_major_formatter(formatter)
    if percent:
        axes.axvline(1.0, color="#333333", linewidth=0.8, linestyle="--")
    axes.set_title(title, loc="left")
    return figure


def cost_by_role(
    roles: Sequence[str], values: Mapping[str, Sequence[Decimal]], currency: str
) -> Figure:
    names = list(values)
    figure, axes = plt.subplots(figsize=(6.4, 0.8 + 0.32 * len(roles) * max(1, len(names))))
    height = 0.8 / max(1, len(names))
    for index, name in enumerate(names):
        axes.barh(
            [i + index * height for i in range(len(roles))],
            [float(v) for v in values[name]],
            height=height,
            label=name,
            color=colour(index, name),
        )
    axes.set_yticks([i + height * (len(names) - 1) / 2 for i in range(len(roles))], roles)
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(FuncFormatter(_money))
    axes.set_title(f"Cost by role ({currency})", loc="left")
    axes.legend(frameon=False, fontsize=8)
    return figure


def movers(names: Sequence[str], changes: Sequence[Decimal], title: str) -> Figure:
    figure, axes = plt.subplots(figsize=(6.4, 0.6 + 0.3 * max(1, len(names))))
    values = [float(v) for v in changes]
    axes.barh(
        list(names), values, color=["#2ca02c" if v >= 0 else "#d62728" for v in values]
    )
    axes.invert_yaxis()
    axes.axvline(0, color="#333333", linewidth=0.8)
    axes.xaxis.set_major_formatter(FuncFormatter(_money))
    axes.set_title(title, loc="left")
    return figure
