"""The briefing's charts, the dashboard's own, drawn on the server with matplotlib as PNG: the
month-by-month investment against time progress, the completion rate by county and the plan by
batch. Drawn from the content's snapshot (never from live figures), so a published issue's
charts stay as published."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server

from matplotlib import font_manager  # noqa: E402  (after the backend is chosen)
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

# The first of these the machine has is used; Noto CJK (Debian fonts-noto-cjk) is the fallback.
CJK_FAMILIES = ("SimHei", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei")
BLUE, DARK, RED = "#74b9ff", "#0054a6", "#d63939"


@functools.cache
def cjk_family() -> list[str]:
    """The CJK font families matplotlib can find here, preferred first (DejaVu for digits after)."""
    have = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FAMILIES if name in have] + ["DejaVu Sans"]


@contextmanager
def _cjk() -> Iterator[None]:
    """Every text of a chart in the CJK fonts, set as the default while it is built and drawn (the
    tick labels are made during the drawing)."""
    with matplotlib.rc_context({"font.family": cjk_family()}):
        yield


def _figure(width: float = 6.2, height: float = 3.0) -> Figure:
    figure = Figure(figsize=(width, height), dpi=150)
    figure.set_layout_engine("constrained")
    return figure


def _png(figure: Figure) -> bytes:
    """The figure as an opaque PNG, drawn as ``savefig`` draws it (a pass without rendering for
    the layout, then the picture), without an alpha channel: an RGBA PNG costs the PDF a second
    image (the alpha as a mask) decoded and compressed again."""
    canvas = FigureCanvasAgg(figure)
    figure.draw_without_rendering()
    figure.set_layout_engine("none")  # laid out by the pass above, as savefig does
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(figure.dpi, figure.dpi))
    return out.getvalue()


def monthly(rows: list[dict[str, Any]]) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    months = [f"{row['month']}月" for row in rows]
    axes.bar(months, [float(row["completed"]) for row in rows], color=BLUE, label="当月完成")
    reported = [(m, float(row["cumulative"])) for m, row in zip(months, rows, strict=True) if row["cumulative"] is not None]
    if reported:
        axes.plot([m for m, _ in reported], [v for _, v in reported], color=DARK, marker="o", markersize=3,
                  label="累计完成")
    axes.plot(months, [float(row["planned"]) for row in rows], color=RED, linestyle="--", label="按时间进度应完成")
    axes.set_ylabel("亿元")
    axes.set_title("月度完成投资与时间进度")
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    axes.tick_params(labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def counties(rows: list[dict[str, Any]], progress: str | None) -> bytes:
    figure = _figure(height=max(2.4, 0.32 * len(rows) + 0.9))
    axes = figure.add_subplot()
    shown = [row for row in rows if row["rate"]][::-1]  # best at the top
    values = [float(row["rate"]) for row in shown]
    colours = [DARK if progress is None or value >= float(progress) else RED for value in values]
    axes.barh([row["label"] for row in shown], values, color=colours)
    for y, value in enumerate(values):
        axes.text(value, y, f" {value:.1f}%", va="center", fontsize=7)
    if progress is not None:
        axes.axvline(float(progress), color=RED, linestyle="--", linewidth=1)
        axes.text(float(progress), len(shown) - 0.4, f"时间进度 {progress}%", color=RED, fontsize=7, ha="center")
    axes.set_xlim(0, max([*values, float(progress or 0)]) * 1.18)  # room for the labels
    axes.set_xlabel("投资完成率（%）")
    axes.set_title("各县区投资完成率")
    axes.tick_params(labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def batches(rows: list[dict[str, Any]]) -> bytes:
    figure = _figure(width=4.2, height=2.8)
    axes = figure.add_subplot()
    shown = [row for row in rows if row["count"]]
    axes.pie([row["count"] for row in shown], labels=[f"{row['label']} {row['count']}个" for row in shown],
             wedgeprops={"width": 0.4}, startangle=90, counterclock=False, textprops={"fontsize": 8},
             colors=["#0054a6", "#74b9ff", "#2fb344", "#f59f00", "#d63939"][:len(shown)])
    axes.set_title("“三个一批”项目个数")
    return _png(figure)


def draw(content: dict[str, Any]) -> dict[str, bytes]:
    """The PNG of each chart a section of ``content`` names, by name."""
    drawn: dict[str, bytes] = {}
    with _cjk():
        drawn.update(_draw(content))
    return drawn


def _draw(content: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    for section in content["sections"]:
        name = section.get("chart")
        if name == "monthly":
            yield name, monthly(content["charts"]["monthly"])
        elif name == "counties" and any(row["rate"] for row in section["data"]):  # (none: nothing planned)
            yield name, counties(section["data"], content["figures"]["rates"].get("time_progress"))
        elif name == "batches" and content["charts"]["batches"]:
            yield name, batches(content["charts"]["batches"])
