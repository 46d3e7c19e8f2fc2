"""Drawing a timeline with matplotlib's Agg canvas (no display, no pyplot state).

Text is measured with the figure's own renderer, so labels are fitted or left out, never left to
overlap; only this module of the timeline imports matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import blended_transform_factory

from sessions_lib.model.timestamps import NS_PER_S, relative_time, utc_datetime
from sessions_lib.surfaces.timeline.axis import TimeAxis
from sessions_lib.surfaces.timeline.layout import LANE_PX, ROW_PAD_PX, TOPIC_LANE_PX, Detail, Fleet

DPI = 100

# Sizes in pixels.
_BAR_PX, _LABEL_PX = 24, 13  # a session's bar in its lane, the bar's label strip
_MAX_LANES = 6  # sessions of one device overlapping on screen stack up to this many lanes
_LABEL_LANES = 2  # lanes opened so that a label has room
_LABEL_SIZE = 8
_TITLE_SIZE = 10.5
_TOPIC_BAR_PX = 11
_MIN_BAR_PX = 3.0
_RIGHT_PX, _AXIS_PX, _TITLE_PX, _LEGEND_PX, _CUT_LABEL_PX = 24, 48, 36, 24, 12
_GAP_PX = 24  # between two panels

_SESSION_FILL = {"inferred": "#d5e5f5", "api": "#e9dcf3"}
_SESSION_EDGE = {"inferred": "#5b8fc7", "api": "#9170b8"}
_WHOLE_FILE, _RANGED = "#1f4e79", "#e07b00"
_COVERAGE, _COVERAGE_PX = "#2a9d8f", 2  # a device's coverage: a thin band along the foot of its row
_SELECTED = "#c0001a"
_OUTSIDE_WINDOW = "#c9c9c9"  # an extent's part outside its file's contribution window
_FILE_COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728")
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]  # labels stay legible over bars


def render(
    path: Path,
    org: str,
    fleets: tuple[Fleet, ...],
    detail: Detail | None,
    *,
    start_ns: int | None,
    end_ns: int | None,
    selected: str | None,
    width_px: int,
) -> Path:
    """Draw the fleet panels, one under the other (wall clock, then relative time), and the
    session panel for ``detail``, into a PNG at ``path``."""
    figure = Figure(dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    text = _TextMeasure(canvas)
    left_px = _left_margin(text, fleets, detail, width_px)
    plot_px = width_px - left_px - _RIGHT_PX
    axes = [fleet.axis(plot_px, start_ns, end_ns) for fleet in fleets]
    panels = [(_packed(fleet, axis, text), axis) for fleet, axis in zip(fleets, axes, strict=True)]
    heading_px = _TITLE_PX + _LEGEND_PX + _CUT_LABEL_PX
    top_px = sum(heading_px + fleet.height_px + _AXIS_PX for fleet, _ in panels) + _GAP_PX * (len(panels) - 1)
    bottom_px = 0 if detail is None else _GAP_PX + _TITLE_PX + _LEGEND_PX + detail.height_px + _AXIS_PX
    height_px = top_px + bottom_px + 8
    figure.set_size_inches(width_px / DPI, height_px / DPI)

    def axes_at(y_top_px: int, rows_px: int) -> Axes:
        bottom = (height_px - y_top_px - rows_px) / height_px
        return figure.add_axes((left_px / width_px, bottom, plot_px / width_px, rows_px / height_px))

    y = 0
    for fleet, axis in panels:
        _draw_fleet(axes_at(y + heading_px, fleet.height_px), fleet, axis, text, org, selected)
        y += heading_px + fleet.height_px + _AXIS_PX + _GAP_PX
    if detail is not None:
        y = top_px + _GAP_PX + _TITLE_PX + _LEGEND_PX
        _draw_detail(axes_at(y, detail.height_px), detail, plot_px, left_px - 16, text)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png", facecolor="white")
    return path


class _TextMeasure:
    """Text widths in pixels, with the figure's renderer: labels are fitted, never left to overlap."""

    def __init__(self, canvas: FigureCanvasAgg) -> None:
        self._renderer = canvas.get_renderer()
        self._cache: dict[tuple[str, float, str], float] = {}

    def width(self, text: str, size: float, weight: str = "normal") -> float:
        key = (text, size, weight)
        if key not in self._cache:
            props = FontProperties(size=size, weight=weight)
            w, _, _ = self._renderer.get_text_width_height_descent(text, props, ismath=False)
            self._cache[key] = w
        return self._cache[key]

    def fit(self, text: str, room_px: float, size: float, keep: str = "start", least: int = 5) -> str | None:
        """``text``, or as much of it as fits with an ellipsis (its start, or its end for paths);
        ``None`` when not even ``least`` characters would (a stub of a label is noise)."""
        if self.width(text, size) <= room_px:
            return text

        def cut(n: int) -> str:
            return text[:n] + "…" if keep == "start" else "…" + text[len(text) - n :]

        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.width(cut(mid), size) <= room_px:
                lo = mid
            else:
                hi = mid - 1
        return cut(lo) if lo >= min(least, len(text)) else None


def _packed(fleet: Fleet, axis: TimeAxis, text: _TextMeasure) -> Fleet:
    """The rows with each session in a lane, so that bars overlapping on screen stack."""
    rows = []
    for row in fleet.rows:
        lanes, rooms = _pack_lanes(axis, row.sessions, text)
        rows.append(replace(row, lanes=lanes, label_rooms=rooms))
    return replace(fleet, rows=tuple(rows))


def _left_margin(text: _TextMeasure, fleets: tuple[Fleet, ...], detail: Detail | None, width_px: int) -> int:
    labels = [text.width(row.label, 9, "bold") for fleet in fleets for row in fleet.rows]
    if detail is not None:
        labels += [text.width(name, 8) for name in detail.topics["name"].to_list()]
    return int(min(max([*labels, 60]) + 22, width_px * 0.22))


def _draw_fleet(
    axes: Axes, fleet: Fleet, axis: TimeAxis, text: _TextMeasure, org: str, selected: str | None
) -> None:
    """Rows of session bars; contributions inside; labels where they fit; cuts hatched."""
    height = fleet.height_px
    axes.set_xlim(0, axis.width_px)
    axes.set_ylim(height, 0)
    _bare_rows(axes)
    by_session = fleet.contributions.partition_by("session_id", as_dict=True)
    y = 0
    for index, row in enumerate(fleet.rows):
        row_height = row.height_px
        if index % 2 == 0:
            axes.axhspan(y, y + row_height, color="#f6f7f9", zorder=0, lw=0)
        _row_label(axes, y + row_height / 2 - 6, row.label, fontsize=9, fontweight="bold")
        sessions = _count(row.sessions.height, "session")
        _row_label(axes, y + row_height / 2 + 7, sessions, fontsize=7.5, color="#666666")
        if row.coverage is not None:
            _draw_coverage(axes, axis, row.coverage, bottom=y + row_height - 1)
        placed = zip(row.sessions.iter_rows(named=True), row.lanes, row.label_rooms, strict=True)
        for session, lane, room in placed:
            top = y + ROW_PAD_PX / 2 + lane * LANE_PX + (LANE_PX - _BAR_PX) / 2
            held = by_session.get((session["session_id"],))
            _draw_session(
                axes, axis, text, session, top, room, row.label, held, session["session_id"] == selected
            )
        y += row_height
    for x0, x1, hidden_ns in axis.cuts:
        axes.axvspan(x0, x1, facecolor="#fafafa", edgecolor="#c8c8c8", hatch="////", lw=0, zorder=1)
        axes.text(
            (x0 + x1) / 2,
            -3,
            _duration(hidden_ns),
            ha="center",
            va="bottom",
            fontsize=7,
            color="#555555",
            clip_on=False,
        )
    _time_ticks(axes, axis, grid_zorder=0.5)
    axes.tick_params(axis="x", length=4, color="#888888")
    lo, hi = axis.times[0], axis.times[-1]
    if axis.relative:  # the sessions' own extent: the axis's padding may reach before zero
        lo, hi = min(i[0] for i in fleet.intervals()), max(i[1] for i in fleet.intervals())
    span = _span(lo, hi, axis.relative)
    tail = f" · {_count(fleet.session_count, 'session')} · {span}"
    head = f"Sessions per device · org {org}"
    if axis.relative:
        head = f"Unanchored sessions per device (relative time) · org {org}"
    _title(axes, text, head, tail, axis.width_px, _LEGEND_PX + _CUT_LABEL_PX + 4)
    origins = {origin for row in fleet.rows for origin in row.sessions["origin"].to_list()}
    handles = [
        Patch(facecolor=_SESSION_FILL[origin], edgecolor=_SESSION_EDGE[origin], label=f"session ({origin})")
        for origin in ("inferred", "api")
        if origin in origins
    ]
    handles += [
        Patch(color=_WHOLE_FILE, label="whole-file contribution"),
        Patch(color=_RANGED, label="ranged contribution"),
    ]
    if any(row.coverage is not None and not row.coverage.is_empty() for row in fleet.rows):
        handles.append(Patch(color=_COVERAGE, label="device has data"))
    if selected is not None:
        handles.append(Patch(facecolor="none", edgecolor=_SELECTED, lw=2, label="selected session"))
    if axis.cuts:
        handles.append(
            Patch(facecolor="#fafafa", edgecolor="#c8c8c8", hatch="////", label="idle time cut out")
        )
    _legend(axes, handles, lift_px=_CUT_LABEL_PX)


def _bare_rows(axes: Axes) -> None:
    """Rows without a frame: no y ticks, only the bottom spine (the time axis) left."""
    axes.set_yticks([])
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)


def _row_label(axes: Axes, y: float, label: str, **style: Any) -> None:
    """A row's label, right-aligned just left of the plot at height ``y`` (in row pixels)."""
    at = blended_transform_factory(axes.transAxes, axes.transData)
    axes.text(-0.008, y, label, transform=at, ha="right", va="center", clip_on=False, **style)


def _time_ticks(axes: Axes, axis: TimeAxis, grid_zorder: float) -> None:
    """The axis's ticks (UTC, or relative time) under the rows, each with a light grid line."""
    positions, labels = axis.ticks()
    axes.set_xticks(positions, labels, fontsize=8)
    for x in positions:
        axes.axvline(x, color="#e3e3e3", lw=0.8, zorder=grid_zorder)
    label = "relative time (t+ from the recording's start)" if axis.relative else "UTC"
    axes.set_xlabel(label, fontsize=8, color="#555555", labelpad=2)


def _legend(axes: Axes, handles: list[Patch], lift_px: int = 0) -> None:
    """One line of legend between the title and the axes, ``lift_px`` above the axes."""
    lift = lift_px / max(axes.bbox.height, 1)
    axes.legend(
        handles=handles,
        ncol=len(handles),
        loc="lower left",
        bbox_to_anchor=(0, 1.0 + lift),
        borderaxespad=0.2,
        frameon=False,
        fontsize=8,
        handlelength=1.6,
        columnspacing=1.4,
    )


def _pack_lanes(
    axis: TimeAxis, sessions: pl.DataFrame, text: _TextMeasure
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Each session's lane and the room its label has (to the next bar in its lane).

    A session goes to the first lane where it and its whole label fit; failing that a second lane
    is opened for the label's sake, and beyond that only bars that overlap on screen stack (up to
    ``_MAX_LANES``), the label then being shortened or left out.
    """
    starts = axis.x(sessions["min_timestamp_ns"].to_numpy())
    ends = np.maximum(axis.x(sessions["max_timestamp_ns"].to_numpy()), starts + _MIN_BAR_PX)
    names = [n or i for n, i in sessions.select("name", "session_id").iter_rows()]
    label_ends: list[float] = []
    bar_ends: list[float] = []
    lanes: list[int] = []
    for start, end, name in zip(starts, ends, names, strict=True):
        wanted = max(end, start + text.width(name, _LABEL_SIZE) + 10)
        lane = next((i for i, e in enumerate(label_ends) if e + 3 <= start), None)
        if lane is None and len(label_ends) < _LABEL_LANES:
            lane = len(label_ends)
        if lane is None:
            lane = next((i for i, e in enumerate(bar_ends) if e + 2 <= start), None)
        if lane is None:
            lane = len(bar_ends) if len(bar_ends) < _MAX_LANES else int(np.argmin(bar_ends))
        if lane == len(bar_ends):
            label_ends.append(-math.inf)
            bar_ends.append(-math.inf)
        label_ends[lane], bar_ends[lane] = wanted, end
        lanes.append(lane)
    rooms = []
    for i, (lane, start) in enumerate(zip(lanes, starts, strict=True)):
        following = [starts[j] for j in range(i + 1, len(lanes)) if lanes[j] == lane]
        rooms.append((following[0] if following else axis.width_px) - start - 6)
    return tuple(lanes), tuple(rooms)


def _draw_session(
    axes: Axes,
    axis: TimeAxis,
    text: _TextMeasure,
    session: dict,
    top: float,
    label_room: float,
    row_label: str,
    held: pl.DataFrame | None,
    selected: bool,
) -> None:
    x0 = float(axis.x(session["min_timestamp_ns"]))
    x1 = max(float(axis.x(session["max_timestamp_ns"])), x0 + _MIN_BAR_PX)
    origin = session["origin"] if session["origin"] in _SESSION_FILL else "api"
    axes.add_patch(
        Rectangle(
            (x0, top),
            x1 - x0,
            _BAR_PX,
            facecolor=_SESSION_FILL[origin],
            edgecolor=_SELECTED if selected else _SESSION_EDGE[origin],
            lw=2 if selected else 0.8,
            zorder=2,
        )
    )
    if held is not None and not held.is_empty():
        # A device row shows the files of that device (all of them for files without a device).
        shown = held
        if session["device_id"] is not None:
            shown = held.filter(
                pl.col("device_id").is_null()
                | ~pl.col("device_id").is_in(session["device_ids"])
                | (pl.col("device_id") == session["device_id"])
            )
        strip_top, strip_px = top + _LABEL_PX, _BAR_PX - _LABEL_PX - 2
        strips = min(max(shown.height, 1), 3)
        strip_h = strip_px / strips
        for i, file in enumerate(shown.sort("window_min_ns").iter_rows(named=True)):
            if file["window_min_ns"] is None:
                continue
            c0 = float(axis.x(file["window_min_ns"]))
            c1 = max(float(axis.x(file["window_max_ns"])), c0 + 1.5)
            ranged = file["range_min_timestamp_ns"] is not None
            axes.add_patch(
                Rectangle(
                    (c0, strip_top + (i % strips) * strip_h + 0.5),
                    c1 - c0,
                    max(strip_h - 1, 1.5),
                    facecolor=_RANGED if ranged else _WHOLE_FILE,
                    lw=0,
                    zorder=3,
                )
            )
    label = _session_label(text, session["name"] or session["session_id"], row_label, label_room)
    if label is not None:
        axes.text(
            x0 + 3,
            top + _LABEL_PX / 2 + 1,
            label,
            fontsize=_LABEL_SIZE,
            va="center",
            ha="left",
            color="#1a1a1a",
            zorder=4,
            clip_on=True,
            path_effects=_HALO,
        )


def _session_label(text: _TextMeasure, name: str, device_name: str, room_px: float) -> str | None:
    """The name if it fits; else without the row's device name in front (``…day3-sortie``), which
    the row already says; else shortened with an ellipsis; ``None`` when nothing readable fits."""
    if text.width(name, _LABEL_SIZE) <= room_px:
        return name
    rest = name[len(device_name) :].lstrip("-_ .") if name.startswith(device_name) else ""
    if len(rest) >= 3:
        return text.fit("…" + rest, room_px, _LABEL_SIZE)
    return text.fit(name, room_px, _LABEL_SIZE)


def _draw_detail(axes: Axes, detail: Detail, width_px: int, label_px: int, text: _TextMeasure) -> None:
    """One row per topic: its extents by file (faded outside the file's window), windows shaded."""
    session = detail.session
    name = session["name"] or session["session_id"]
    _bare_rows(axes)
    tail = f" ({session['session_id']}) · {_count(detail.topics.height, 'topic')}"
    tail += f" · {_count(detail.files.height, 'file')}"
    if session["min_timestamp_ns"] is not None:
        tail += (
            f" · {_span(session['min_timestamp_ns'], session['max_timestamp_ns'], not session['anchored'])}"
        )
    _title(axes, text, f"Session {name}", tail, width_px, _LEGEND_PX + 4)
    if detail.topics.is_empty() or session["min_timestamp_ns"] is None:
        axes.set_xticks([])
        axes.text(
            0.5,
            0.5,
            "no topic has an extent in its file's contribution window",
            ha="center",
            va="center",
            transform=axes.transAxes,
            fontsize=9,
            color="#666666",
        )
        return
    lo, hi = session["min_timestamp_ns"], session["max_timestamp_ns"]
    pad = max((hi - lo) // 30, NS_PER_S // 10)
    axis = TimeAxis.single(lo - pad, hi + pad, width_px, relative=not session["anchored"])
    height = detail.height_px
    axes.set_xlim(0, axis.width_px)
    axes.set_ylim(height, 0)
    colors = {f: _FILE_COLORS[i % len(_FILE_COLORS)] for i, f in enumerate(detail.files["file_id"].to_list())}
    for file in detail.files.iter_rows(named=True):
        if file["window_min_ns"] is None:
            continue
        c0, c1 = axis.x([file["window_min_ns"], file["window_max_ns"]])
        axes.axvspan(c0, max(c1, c0 + 1), color=colors[file["file_id"]], alpha=0.1, lw=0, zorder=0.4)
        for x in (c0, c1):
            axes.axvline(x, color=colors[file["file_id"]], lw=0.8, ls=(0, (3, 3)), alpha=0.8, zorder=0.5)
    by_topic = detail.extents.partition_by("topic_id", as_dict=True)
    y = 0.0
    for index, topic in enumerate(detail.topics.iter_rows(named=True)):
        lanes = detail.lanes[topic["topic_id"]]
        row_height = lanes * TOPIC_LANE_PX + 6
        if index % 2 == 0:
            axes.axhspan(y, y + row_height, color="#f6f7f9", zorder=0.2, lw=0)
        _row_label(
            axes, y + row_height / 2, text.fit(topic["name"], label_px, 8) or topic["name"], fontsize=8
        )
        extents = by_topic.get((topic["topic_id"],))
        if extents is not None:
            for file_id, lane_rows in extents.partition_by("file_id", "lane", as_dict=True).items():
                top = y + 3 + lane_rows["lane"][0] * TOPIC_LANE_PX + (TOPIC_LANE_PX - _TOPIC_BAR_PX) / 2
                _draw_extents(axes, axis, lane_rows, top, colors[file_id[0]])
        y += row_height
    _time_ticks(axes, axis, grid_zorder=0.3)
    handles = [
        Patch(
            facecolor=colors[f["file_id"]],
            alpha=0.85,
            label=text.fit(f["relative_path"], 260, 8, keep="end") or "file",
        )
        for f in detail.files.iter_rows(named=True)
    ][:6]
    handles.append(Patch(facecolor=_OUTSIDE_WINDOW, label="outside its file's window"))
    handles.append(
        Patch(facecolor="#888888", alpha=0.12, edgecolor="#888888", ls="--", label="contribution window")
    )
    _legend(axes, handles)


def _draw_extents(axes: Axes, axis: TimeAxis, extents: pl.DataFrame, top: float, color: str) -> None:
    """Extents as bars: the whole extent faded, its part inside the file's window in the file's colour."""
    whole_lo, whole_hi = extents["min_wall_ns"].to_numpy(), extents["max_wall_ns"].to_numpy()
    _bars(axes, axis, whole_lo, whole_hi, top, _OUTSIDE_WINDOW, zorder=1)
    inside = extents.filter(pl.col("in_window"))
    if inside.is_empty():
        return
    lo = np.maximum(inside["min_wall_ns"].to_numpy(), inside["window_min_ns"].to_numpy())
    hi = np.minimum(inside["max_wall_ns"].to_numpy(), inside["window_max_ns"].to_numpy())
    _bars(axes, axis, lo, hi, top, color, zorder=2)


def _draw_coverage(axes: Axes, axis: TimeAxis, coverage: pl.DataFrame, bottom: float) -> None:
    """A device's ranges with data as a thin band ending at ``bottom``, each at least 1.5 px wide."""
    x0 = axis.x(coverage["start_ns"].to_numpy())
    x1 = np.maximum(axis.x(coverage["end_ns"].to_numpy()), x0 + 1.5)
    spans = list(zip(x0, x1 - x0, strict=True))
    axes.broken_barh(spans, (bottom - _COVERAGE_PX, _COVERAGE_PX), facecolors=_COVERAGE, lw=0, zorder=1)


def _bars(
    axes: Axes, axis: TimeAxis, lo_ns: np.ndarray, hi_ns: np.ndarray, top: float, color: str, zorder: int
) -> None:
    """One topic lane's bars from ``lo_ns`` to ``hi_ns``, each at least 1.5 px wide."""
    x0 = axis.x(lo_ns)
    x1 = np.maximum(axis.x(hi_ns), x0 + 1.5)
    axes.broken_barh(
        list(zip(x0, x1 - x0, strict=True)), (top, _TOPIC_BAR_PX), facecolors=color, lw=0, zorder=zorder
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _title(axes: Axes, text: _TextMeasure, head: str, tail: str, room_px: float, pad_px: float) -> None:
    """A panel title that fits its width: the head (a name) is shortened first, then the whole."""
    head = text.fit(head, room_px - text.width(tail, _TITLE_SIZE), _TITLE_SIZE, least=12) or ""
    title = text.fit(head + tail, room_px, _TITLE_SIZE) or ""
    axes.set_title(title, loc="left", fontsize=_TITLE_SIZE, pad=pad_px)


def _span(lo: int, hi: int, relative: bool) -> str:
    """``2026-04-20 09:00:00 to 09:11:59 UTC``, with the end's date only when it differs; relative
    time ``t+00:03:11 to t+00:04:11``."""
    if relative:
        return f"{relative_time(lo, digits=0)} to {relative_time(hi, digits=0)}"
    a, b = utc_datetime(lo), utc_datetime(hi)
    end = b.strftime("%H:%M:%S") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M:%S")
    return f"{a:%Y-%m-%d %H:%M:%S} to {end} UTC"


def _duration(ns: int) -> str:
    """A cut's length in one unit: ``45m``, ``17h``, ``3d``."""
    seconds = ns / NS_PER_S
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
