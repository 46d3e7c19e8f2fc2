"""A timeline picture: an org's sessions per device over time, and one session's topics' extents.

The top panel has one row per device; each session is a bar from its first to its last instant,
named when the name fits, with its file contributions as thin bars inside (whole files and ranged
contributions in different colours). Long idle stretches between sessions are cut out of the time
axis (a hatched band says how long each cut is), so minutes-long sessions stay visible across days.
With ``session_id`` a second panel shows that session's topics: one row per topic, its extents as
bars coloured by file, the files' contribution windows shaded. Drawn with matplotlib's Agg canvas
(no display, no pyplot state), from the frames of :mod:`sessions_lib.surfaces.frames`.

>>> draw_timeline(Path("fleet.png"))  # doctest: +SKIP
>>> draw_timeline(Path("flight.png"), session_id="se_0123456789abcdef", width_px=1200)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import blended_transform_factory

from sessions_lib.client import Client
from sessions_lib.errors import InvalidRequestError
from sessions_lib.surfaces.frames import OrgFrames

SECOND_NS = 1_000_000_000
DPI = 100
MIN_WIDTH_PX = 400

# Sizes in pixels.
_LANE_PX, _BAR_PX, _LABEL_PX = 30, 24, 13  # a session lane, its bar, the bar's label strip
_ROW_PAD_PX = 8
_MAX_LANES = 6  # sessions of one device overlapping on screen stack up to this many lanes
_LABEL_LANES = 2  # lanes opened so that a label has room
_LABEL_SIZE = 8
_TITLE_SIZE = 10.5
_TOPIC_LANE_PX, _TOPIC_BAR_PX = 16, 11
_BREAK_PX = 26  # an idle stretch cut out of the time axis
_MIN_SEGMENT_PX = 48
_MIN_BAR_PX = 3.0
_TICK_SPACING_PX = 72
_RIGHT_PX, _AXIS_PX, _TITLE_PX, _LEGEND_PX, _CUT_LABEL_PX = 24, 48, 36, 24, 12

_NICE_STEPS_S = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400,
)  # fmt: skip

_SESSION_FILL = {"inferred": "#d5e5f5", "api": "#e9dcf3"}
_SESSION_EDGE = {"inferred": "#5b8fc7", "api": "#9170b8"}
_WHOLE_FILE, _RANGED = "#1f4e79", "#e07b00"
_SELECTED = "#c0001a"
_FILE_COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728")
_NO_DEVICE = "(no device)"
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]  # labels stay legible over bars


def draw_timeline(
    path: Path,
    *,
    org_id: str | None = None,
    device_ids: Sequence[str] | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    session_id: str | None = None,
    roboto_client: Client | None = None,
    width_px: int = 1600,
) -> Path:
    """Write a PNG of the org's sessions per device (optionally only ``device_ids``, only sessions
    overlapping ``[start_ns, end_ns]``) and return its path.

    The image is ``width_px`` wide; its height grows with the number of device rows (and, with
    ``session_id``, of that session's topics). Raises ``InvalidRequestError`` when no session with
    contributions is in range (nothing to draw), ``NotFoundError`` for an unknown ``session_id``.

    >>> draw_timeline(Path("/tmp/fleet.png"), start_ns=t0, end_ns=t0 + 86_400 * 10**9)  # doctest: +SKIP
    PosixPath('/tmp/fleet.png')
    """
    if not isinstance(width_px, int) or width_px < MIN_WIDTH_PX:
        raise InvalidRequestError(f"width_px must be an integer of at least {MIN_WIDTH_PX}, got {width_px!r}")
    if start_ns is not None and end_ns is not None and start_ns > end_ns:
        raise InvalidRequestError(f"start_ns ({start_ns}) is after end_ns ({end_ns}): nothing to draw")
    if isinstance(device_ids, str):
        raise InvalidRequestError(f"device_ids must be a list of device ids, got {device_ids!r}")
    with OrgFrames(org_id, roboto_client) as frames:
        org = frames.org_id
        fleet = _fleet(frames, device_ids, start_ns, end_ns)
        detail = _session_detail(frames, session_id) if session_id is not None else None

    figure = Figure(dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    text = _TextMeasure(canvas)
    left_px = _left_margin(text, fleet, detail, width_px)
    plot_px = width_px - left_px - _RIGHT_PX
    axis = _TimeAxis.fitted(fleet.intervals(), plot_px, start_ns, end_ns)
    fleet = fleet.packed(axis, text)
    top_px = _TITLE_PX + _LEGEND_PX + _CUT_LABEL_PX + fleet.height_px + _AXIS_PX
    bottom_px = 0 if detail is None else 24 + _TITLE_PX + _LEGEND_PX + detail.height_px + _AXIS_PX
    height_px = top_px + bottom_px + 8
    figure.set_size_inches(width_px / DPI, height_px / DPI)

    def axes_at(y_top_px: int, rows_px: int) -> Axes:
        bottom = (height_px - y_top_px - rows_px) / height_px
        return figure.add_axes((left_px / width_px, bottom, plot_px / width_px, rows_px / height_px))

    _draw_fleet(
        axes_at(_TITLE_PX + _LEGEND_PX + _CUT_LABEL_PX, fleet.height_px), fleet, axis, text, org, session_id
    )
    if detail is not None:
        y = top_px + 24 + _TITLE_PX + _LEGEND_PX
        _draw_detail(axes_at(y, detail.height_px), detail, plot_px, left_px - 16, text)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png", facecolor="white")
    return path


# -- what is drawn ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """One device's row: its sessions (``sessions_frame`` rows with ``device_id``), each in a lane."""

    label: str
    sessions: pl.DataFrame
    lanes: tuple[int, ...] = ()
    label_rooms: tuple[float, ...] = ()  # pixels each session's label may take

    @property
    def height_px(self) -> int:
        return (max(self.lanes, default=0) + 1) * _LANE_PX + _ROW_PAD_PX


@dataclass(frozen=True)
class _Fleet:
    rows: tuple[_Row, ...]
    contributions: pl.DataFrame  # contributions_frame rows of the drawn sessions
    session_count: int

    @property
    def height_px(self) -> int:
        return sum(row.height_px for row in self.rows)

    def packed(self, axis: _TimeAxis, text: _TextMeasure) -> _Fleet:
        """The rows with each session in a lane, so that bars overlapping on screen stack."""
        rows = []
        for row in self.rows:
            lanes, rooms = _pack_lanes(axis, row.sessions, text)
            rows.append(replace(row, lanes=lanes, label_rooms=rooms))
        return replace(self, rows=tuple(rows))

    def intervals(self) -> list[tuple[int, int]]:
        return [
            (lo, hi)
            for row in self.rows
            for lo, hi in row.sessions.select("min_timestamp_ns", "max_timestamp_ns").iter_rows()
        ]


@dataclass(frozen=True)
class _Detail:
    session: dict
    files: pl.DataFrame
    topics: pl.DataFrame
    extents: pl.DataFrame  # session_extents_frame rows of the listed topics, plus ``lane``
    lanes: dict[str, int]  # topic_id -> lanes (one per file when files overlap in time)

    @property
    def height_px(self) -> int:
        if self.topics.is_empty():
            return 60
        return sum(n * _TOPIC_LANE_PX + 6 for n in self.lanes.values())


def _fleet(
    frames: OrgFrames,
    device_ids: Sequence[str] | None,
    start_ns: int | None,
    end_ns: int | None,
) -> _Fleet:
    org = frames.org_id
    sessions = frames.sessions(start_ns=start_ns, end_ns=end_ns).filter(
        pl.col("min_timestamp_ns").is_not_null()
    )
    if device_ids is not None:
        wanted = list(device_ids)
        sessions = sessions.filter(pl.col("device_ids").list.eval(pl.element().is_in(wanted)).list.any())
    drawn = sessions.collect()
    if drawn.is_empty():
        where = []
        if device_ids is not None:
            where.append(f"for devices {list(device_ids)}")
        if start_ns is not None or end_ns is not None:
            where.append(f"between {_iso(start_ns)} and {_iso(end_ns)}")
        raise InvalidRequestError(
            f"no session with contributions {' '.join(where) or 'at all'} in org {org!r}: nothing to draw"
        )
    names = dict(frames.devices().select("device_id", "name").iter_rows())
    per_device = drawn.with_columns(
        pl.when(pl.col("device_ids").list.len() == 0)
        .then(pl.lit([None], dtype=pl.List(pl.String)))
        .otherwise(pl.col("device_ids"))
        .alias("device_id")
    ).explode("device_id")
    if device_ids is not None:
        per_device = per_device.filter(pl.col("device_id").is_in(list(device_ids)))
    order = sorted(
        per_device["device_id"].unique().to_list(),
        key=lambda d: (d is None, names.get(d, d or "").lower(), d or ""),
    )
    rows = []
    for device_id in order:
        mine = per_device.filter(
            pl.col("device_id").is_null() if device_id is None else pl.col("device_id") == device_id
        )
        label = _NO_DEVICE if device_id is None else names.get(device_id, device_id)
        rows.append(_Row(label, mine))
    contributions = (
        frames.contributions().join(drawn.lazy().select("session_id"), on="session_id", how="semi").collect()
    )
    return _Fleet(tuple(rows), contributions, drawn.height)


def _session_detail(frames: OrgFrames, session_id: str) -> _Detail:
    files = frames.session_files(session_id)
    topics = frames.session_topics(session_id)
    session = frames.sessions().filter(pl.col("session_id") == session_id).collect().row(0, named=True)
    extents = (
        frames.session_extents(session_id)
        .join(topics.lazy().select("topic_id"), on="topic_id", how="semi")
        .collect()
    )
    # Files carrying one topic at overlapping times get a lane each, so no bar hides another.
    spans = extents.group_by("topic_id", "file_id").agg(
        pl.col("min_wall_ns").min().alias("lo"), pl.col("max_wall_ns").max().alias("hi")
    )
    lanes: dict[str, int] = {}
    lane_of: dict[tuple[str, str], int] = {}
    for (topic_id,), group in spans.sort("lo", "file_id").group_by("topic_id", maintain_order=True):
        reach = group["hi"].cum_max().to_list()  # the latest end so far, in start order
        overlapping = any(lo <= before for lo, before in zip(group["lo"].to_list()[1:], reach, strict=False))
        for index, file_id in enumerate(group["file_id"].to_list()):
            lane_of[(topic_id, file_id)] = index if overlapping else 0
        lanes[topic_id] = group.height if overlapping else 1
    for topic_id in topics["topic_id"].to_list():
        lanes.setdefault(topic_id, 1)
    lane_frame = pl.DataFrame(
        [(t, f, lane) for (t, f), lane in lane_of.items()],
        schema={"topic_id": pl.String, "file_id": pl.String, "lane": pl.Int64},
        orient="row",
    )
    extents = extents.join(lane_frame, on=["topic_id", "file_id"], how="left")
    return _Detail(session, files, topics, extents, {t: lanes[t] for t in topics["topic_id"].to_list()})


# -- the time axis --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TimeAxis:
    """Wall-clock ns to pixels: piecewise linear over segments, with idle stretches cut out.

    ``times`` and ``pixels`` are the segments' ends, in order; between two segments lies a cut
    (``_BREAK_PX`` wide) whatever its duration.
    """

    times: tuple[int, ...]
    pixels: tuple[float, ...]
    origin_ns: int

    @classmethod
    def fitted(
        cls, intervals: list[tuple[int, int]], width_px: int, start_ns: int | None, end_ns: int | None
    ) -> _TimeAxis:
        lo = start_ns if start_ns is not None else min(i[0] for i in intervals)
        hi = end_ns if end_ns is not None else max(i[1] for i in intervals)
        if hi <= lo:
            lo, hi = lo - SECOND_NS, hi + SECOND_NS
        span = hi - lo
        union: list[list[int]] = []  # the instants some session covers
        for a, b in sorted((max(a, lo), min(b, hi)) for a, b in intervals):
            if union and a <= union[-1][1]:
                union[-1][1] = max(union[-1][1], b)
            else:
                union.append([a, b])
        # Idle stretches much longer than a typical session are cut, the longest first, as many as
        # fit in 30% of the width: minutes-long sessions then stay visible across days.
        typical = float(np.median([b - a for a, b in intervals]))
        gaps = [union[i + 1][0] - union[i][1] for i in range(len(union) - 1)]
        candidates = [i for i, g in enumerate(gaps) if g > max(4 * typical, span * 0.01)]
        cut = set(sorted(candidates, key=lambda i: -gaps[i])[: int(width_px * 0.3) // _BREAK_PX])
        segments = [list(union[0])]
        for i, (a, b) in enumerate(union[1:]):
            if i in cut:
                segments.append([a, b])
            else:
                segments[-1][1] = b
        pad = max(sum(b - a for a, b in segments) // 60, SECOND_NS)
        segments = [[a - pad, b + pad] for a, b in segments]
        # A chosen range keeps its ends: what is empty at its edges is worth seeing.
        if start_ns is not None:
            segments[0][0] = start_ns
        if end_ns is not None:
            segments[-1][1] = end_ns
        merged: list[list[int]] = []
        for a, b in segments:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return cls._laid_out(merged, width_px)

    @classmethod
    def single(cls, lo: int, hi: int, width_px: int) -> _TimeAxis:
        return cls._laid_out([[lo, hi]], width_px)

    @classmethod
    def _laid_out(cls, segments: list[list[int]], width_px: int) -> _TimeAxis:
        room = width_px - _BREAK_PX * (len(segments) - 1)
        floor = _MIN_SEGMENT_PX if room > _MIN_SEGMENT_PX * len(segments) * 2 else 0
        total = sum(max(b - a, 1) for a, b in segments)
        times: list[int] = []
        pixels: list[float] = []
        x = 0.0
        for a, b in segments:
            w = floor + (room - floor * len(segments)) * max(b - a, 1) / total
            times += [a, max(b, a + 1)]
            pixels += [x, x + w]
            x += w + _BREAK_PX
        return cls(tuple(times), tuple(pixels), segments[0][0])

    @property
    def segments(self) -> list[tuple[int, int, float, float]]:
        t, p = self.times, self.pixels
        return [(t[i], t[i + 1], p[i], p[i + 1]) for i in range(0, len(t), 2)]

    @property
    def cuts(self) -> list[tuple[float, float, int]]:
        """Each cut's pixels and the idle duration it hides."""
        s = self.segments
        return [(s[i][3], s[i + 1][2], s[i + 1][0] - s[i][1]) for i in range(len(s) - 1)]

    @property
    def width_px(self) -> float:
        return self.pixels[-1]

    def x(self, ns: np.ndarray | Sequence[int] | int) -> np.ndarray:
        values = np.asarray(ns, dtype=np.int64) - self.origin_ns
        return np.interp(
            values.astype(np.float64),
            np.asarray(self.times, dtype=np.int64) - self.origin_ns,
            np.asarray(self.pixels, dtype=np.float64),
        )

    def ticks(self) -> tuple[list[float], list[str]]:
        """Readable UTC ticks per segment: nice steps at least ``_TICK_SPACING_PX`` apart, the date
        written under the first tick of each day and of each segment."""
        years = {_utc(self.times[0]).year, _utc(self.times[-1]).year}
        date_format = "%b %d" if len(years) == 1 else "%Y-%m-%d"
        positions: list[float] = []
        labels: list[str] = []
        last_date = None
        for t0, t1, x0, x1 in self.segments:
            ns_per_px = (t1 - t0) / max(x1 - x0, 1e-9)
            step_s = next(
                (s for s in _NICE_STEPS_S if s * SECOND_NS / ns_per_px >= _TICK_SPACING_PX), _NICE_STEPS_S[-1]
            )
            step = step_s * SECOND_NS
            instants = list(range(math.ceil(t0 / step) * step, t1 + 1, step))
            if not instants:  # a segment narrower than one step: one tick, on a round minute if any
                minute = 60 * SECOND_NS
                instants = [math.ceil(t0 / minute) * minute if math.ceil(t0 / minute) * minute <= t1 else t0]
            time_format = "%H:%M:%S" if step_s < 60 else "%H:%M"
            for ns in instants:
                x = float(self.x(ns))
                if positions and x - positions[-1] < _TICK_SPACING_PX * 0.8:
                    continue
                moment = _utc(ns)
                if step_s >= 86400:
                    label = moment.strftime(date_format)
                else:
                    label = moment.strftime(time_format)
                    if moment.date() != last_date or ns == instants[0]:
                        label += "\n" + moment.strftime(date_format)
                    last_date = moment.date()
                positions.append(x)
                labels.append(label)
        return positions, labels


# -- drawing ------------------------------------------------------------------------------------------


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


def _left_margin(text: _TextMeasure, fleet: _Fleet, detail: _Detail | None, width_px: int) -> int:
    labels = [text.width(row.label, 9, "bold") for row in fleet.rows]
    if detail is not None:
        labels += [text.width(name, 8) for name in detail.topics["name"].to_list()]
    return int(min(max([*labels, 60]) + 22, width_px * 0.22))


def _draw_fleet(
    axes: Axes, fleet: _Fleet, axis: _TimeAxis, text: _TextMeasure, org: str, selected: str | None
) -> None:
    """Rows of session bars; contributions inside; labels where they fit; cuts hatched."""
    height = fleet.height_px
    axes.set_xlim(0, axis.width_px)
    axes.set_ylim(height, 0)
    axes.set_yticks([])
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    label_at = blended_transform_factory(axes.transAxes, axes.transData)
    by_session = fleet.contributions.partition_by("session_id", as_dict=True)
    y = 0
    for index, row in enumerate(fleet.rows):
        row_height = row.height_px
        if index % 2 == 0:
            axes.axhspan(y, y + row_height, color="#f6f7f9", zorder=0, lw=0)
        axes.text(
            -0.008,
            y + row_height / 2 - 6,
            row.label,
            transform=label_at,
            ha="right",
            va="center",
            fontsize=9,
            fontweight="bold",
            clip_on=False,
        )
        count = row.sessions.height
        axes.text(
            -0.008,
            y + row_height / 2 + 7,
            _count(count, "session"),
            transform=label_at,
            ha="right",
            va="center",
            fontsize=7.5,
            color="#666666",
            clip_on=False,
        )
        placed = zip(row.sessions.iter_rows(named=True), row.lanes, row.label_rooms, strict=True)
        for session, lane, room in placed:
            top = y + _ROW_PAD_PX / 2 + lane * _LANE_PX + (_LANE_PX - _BAR_PX) / 2
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
    positions, labels = axis.ticks()
    axes.set_xticks(positions, labels, fontsize=8)
    axes.tick_params(axis="x", length=4, color="#888888")
    for x in positions:
        axes.axvline(x, color="#e3e3e3", lw=0.8, zorder=0.5)
    axes.set_xlabel("UTC", fontsize=8, color="#555555", labelpad=2)
    tail = f" · {_count(fleet.session_count, 'session')} · {_span(axis.times[0], axis.times[-1])}"
    _title(
        axes, text, f"Sessions per device · org {org}", tail, axis.width_px, _LEGEND_PX + _CUT_LABEL_PX + 4
    )
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
    if selected is not None:
        handles.append(Patch(facecolor="none", edgecolor=_SELECTED, lw=2, label="selected session"))
    if axis.cuts:
        handles.append(
            Patch(facecolor="#fafafa", edgecolor="#c8c8c8", hatch="////", label="idle time cut out")
        )
    _legend(axes, handles, lift_px=_CUT_LABEL_PX)


def _legend(axes: Axes, handles: list[Patch], lift_px: int = 0) -> None:
    """One line of legend between the title and the axes, ``lift_px`` above the axes."""
    lift = lift_px / max(axes.bbox.height, 1)
    placement = {"loc": "lower left", "bbox_to_anchor": (0, 1.0 + lift), "borderaxespad": 0.2}
    style = {"frameon": False, "fontsize": 8, "handlelength": 1.6, "columnspacing": 1.4}
    axes.legend(handles=handles, ncol=len(handles), **placement, **style)


def _pack_lanes(
    axis: _TimeAxis, sessions: pl.DataFrame, text: _TextMeasure
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
    axis: _TimeAxis,
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


def _draw_detail(axes: Axes, detail: _Detail, width_px: int, label_px: int, text: _TextMeasure) -> None:
    """One row per topic: its extents by file (faded outside the file's window), windows shaded."""
    session = detail.session
    name = session["name"] or session["session_id"]
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.set_yticks([])
    tail = f" ({session['session_id']}) · {_count(detail.topics.height, 'topic')}"
    tail += f" · {_count(detail.files.height, 'file')}"
    if session["min_timestamp_ns"] is not None:
        tail += f" · {_span(session['min_timestamp_ns'], session['max_timestamp_ns'])}"
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
    pad = max((hi - lo) // 30, SECOND_NS // 10)
    axis = _TimeAxis.single(lo - pad, hi + pad, width_px)
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
    label_at = blended_transform_factory(axes.transAxes, axes.transData)
    by_topic = detail.extents.partition_by("topic_id", as_dict=True)
    y = 0.0
    for index, topic in enumerate(detail.topics.iter_rows(named=True)):
        lanes = detail.lanes[topic["topic_id"]]
        row_height = lanes * _TOPIC_LANE_PX + 6
        if index % 2 == 0:
            axes.axhspan(y, y + row_height, color="#f6f7f9", zorder=0.2, lw=0)
        axes.text(
            -0.008,
            y + row_height / 2,
            text.fit(topic["name"], label_px, 8) or topic["name"],
            transform=label_at,
            ha="right",
            va="center",
            fontsize=8,
            clip_on=False,
        )
        extents = by_topic.get((topic["topic_id"],))
        if extents is not None:
            for file_id, lane_rows in extents.partition_by("file_id", "lane", as_dict=True).items():
                top = y + 3 + lane_rows["lane"][0] * _TOPIC_LANE_PX + (_TOPIC_LANE_PX - _TOPIC_BAR_PX) / 2
                _draw_extents(axes, axis, lane_rows, top, colors[file_id[0]])
        y += row_height
    positions, labels = axis.ticks()
    axes.set_xticks(positions, labels, fontsize=8)
    for x in positions:
        axes.axvline(x, color="#e3e3e3", lw=0.8, zorder=0.3)
    axes.set_xlabel("UTC", fontsize=8, color="#555555", labelpad=2)
    handles = [
        Patch(
            facecolor=colors[f["file_id"]],
            alpha=0.85,
            label=text.fit(f["relative_path"], 260, 8, keep="end") or "file",
        )
        for f in detail.files.iter_rows(named=True)
    ][:6]
    handles.append(Patch(facecolor="#c9c9c9", label="outside its file's window"))
    handles.append(
        Patch(facecolor="#888888", alpha=0.12, edgecolor="#888888", ls="--", label="contribution window")
    )
    _legend(axes, handles)


def _draw_extents(axes: Axes, axis: _TimeAxis, extents: pl.DataFrame, top: float, color: str) -> None:
    """Extents as bars: the whole extent faded, its part inside the file's window in the file's colour."""
    x0 = axis.x(extents["min_wall_ns"].to_numpy())
    x1 = np.maximum(axis.x(extents["max_wall_ns"].to_numpy()), x0 + 1.5)
    axes.broken_barh(
        list(zip(x0, x1 - x0, strict=True)), (top, _TOPIC_BAR_PX), facecolors="#c9c9c9", lw=0, zorder=1
    )
    inside = extents.filter(pl.col("in_window"))
    if inside.is_empty():
        return
    lo = np.maximum(inside["min_wall_ns"].to_numpy(), inside["window_min_ns"].to_numpy())
    hi = np.minimum(inside["max_wall_ns"].to_numpy(), inside["window_max_ns"].to_numpy())
    i0 = axis.x(lo)
    i1 = np.maximum(axis.x(hi), i0 + 1.5)
    axes.broken_barh(
        list(zip(i0, i1 - i0, strict=True)), (top, _TOPIC_BAR_PX), facecolors=color, lw=0, zorder=2
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _utc(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / SECOND_NS, UTC)


def _title(axes: Axes, text: _TextMeasure, head: str, tail: str, room_px: float, pad_px: float) -> None:
    """A panel title that fits its width: the head (a name) is shortened first, then the whole."""
    head = text.fit(head, room_px - text.width(tail, _TITLE_SIZE), _TITLE_SIZE, least=12) or ""
    title = text.fit(head + tail, room_px, _TITLE_SIZE) or ""
    axes.set_title(title, loc="left", fontsize=_TITLE_SIZE, pad=pad_px)


def _span(lo: int, hi: int) -> str:
    """``2026-04-20 09:00:00 to 09:11:59 UTC``, with the end's date only when it differs."""
    a, b = _utc(lo), _utc(hi)
    end = b.strftime("%H:%M:%S") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M:%S")
    return f"{a:%Y-%m-%d %H:%M:%S} to {end} UTC"


def _iso(ns: int | None) -> str:
    return "…" if ns is None else _utc(ns).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(ns: int) -> str:
    """A cut's length in one unit: ``45m``, ``17h``, ``3d``."""
    seconds = ns / SECOND_NS
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
