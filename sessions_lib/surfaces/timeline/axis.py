"""The time axis of a timeline: ns to pixels, with long idle stretches cut out.

Minutes-long sessions spread over days would be slivers on a linear axis, so the longest idle
stretches between sessions are cut (each a fixed-width band) and the rest laid out linearly.
Ticks are readable times, at nice steps, per segment: UTC on a wall-clock axis, ``t+HH:MM`` on a
relative one (unanchored sessions, whose ns count from their recording's own zero).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sessions_lib.model.timestamps import NS_PER_S, relative_time, utc_datetime

# Sizes in pixels.
_BREAK_PX = 26  # an idle stretch cut out of the time axis
_MIN_SEGMENT_PX = 48
_TICK_SPACING_PX = 72

_NICE_STEPS_S = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400,
)  # fmt: skip


@dataclass(frozen=True)
class TimeAxis:
    """ns to pixels: piecewise linear over segments, with idle stretches cut out.

    ``times`` and ``pixels`` are the segments' ends, in order; between two segments lies a cut
    (``_BREAK_PX`` wide) whatever its duration. ``relative``: the ns are relative time, not wall
    clock (ticks ``t+...``, no dates).
    """

    times: tuple[int, ...]
    pixels: tuple[float, ...]
    origin_ns: int
    relative: bool = False

    @classmethod
    def fitted(
        cls,
        intervals: list[tuple[int, int]],
        width_px: int,
        start_ns: int | None,
        end_ns: int | None,
        relative: bool = False,
    ) -> TimeAxis:
        lo = start_ns if start_ns is not None else min(i[0] for i in intervals)
        hi = end_ns if end_ns is not None else max(i[1] for i in intervals)
        if hi <= lo:
            lo, hi = lo - NS_PER_S, hi + NS_PER_S
        span = hi - lo
        union = _merged(sorted((max(a, lo), min(b, hi)) for a, b in intervals))  # the instants covered
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
        pad = max(sum(b - a for a, b in segments) // 60, NS_PER_S)
        segments = [[a - pad, b + pad] for a, b in segments]
        # A chosen range keeps its ends: what is empty at its edges is worth seeing.
        if start_ns is not None:
            segments[0][0] = start_ns
        if end_ns is not None:
            segments[-1][1] = end_ns
        return cls._laid_out(_merged(segments), width_px, relative)

    @classmethod
    def single(cls, lo: int, hi: int, width_px: int, relative: bool = False) -> TimeAxis:
        return cls._laid_out([[lo, hi]], width_px, relative)

    @classmethod
    def _laid_out(cls, segments: list[list[int]], width_px: int, relative: bool) -> TimeAxis:
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
        return cls(tuple(times), tuple(pixels), segments[0][0], relative)

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
        """Readable ticks per segment: nice steps at least ``_TICK_SPACING_PX`` apart. UTC times
        with the date under the first tick of each day and of each segment; on a relative axis
        ``t+HH:MM`` (``t+HH:MM:SS`` below a minute's step), days counted in front."""
        years = {utc_datetime(self.times[0]).year, utc_datetime(self.times[-1]).year}
        date_format = "%b %d" if len(years) == 1 else "%Y-%m-%d"
        positions: list[float] = []
        labels: list[str] = []
        last_date = None
        for t0, t1, x0, x1 in self.segments:
            ns_per_px = (t1 - t0) / max(x1 - x0, 1e-9)
            step_s = next(
                (s for s in _NICE_STEPS_S if s * NS_PER_S / ns_per_px >= _TICK_SPACING_PX), _NICE_STEPS_S[-1]
            )
            step = step_s * NS_PER_S
            instants = list(range(math.ceil(t0 / step) * step, t1 + 1, step))
            if not instants:  # a segment narrower than one step: one tick, on a round minute if any
                minute = 60 * NS_PER_S
                instants = [math.ceil(t0 / minute) * minute if math.ceil(t0 / minute) * minute <= t1 else t0]
            time_format = "%H:%M:%S" if step_s < 60 else "%H:%M"
            for ns in instants:
                x = float(self.x(ns))
                if positions and x - positions[-1] < _TICK_SPACING_PX * 0.8:
                    continue
                positions.append(x)
                if self.relative:
                    label = relative_time(ns, digits=0)
                    labels.append(label if step_s < 60 else label[: -len(":SS")])
                    continue
                moment = utc_datetime(ns)
                if step_s >= 86400:
                    label = moment.strftime(date_format)
                else:
                    label = moment.strftime(time_format)
                    if moment.date() != last_date or ns == instants[0]:
                        label += "\n" + moment.strftime(date_format)
                    last_date = moment.date()
                labels.append(label)
        return positions, labels


def _merged(intervals: Iterable[Sequence[int]]) -> list[list[int]]:
    """Closed intervals, in start order, with each overlapping or touching run merged into one."""
    merged: list[list[int]] = []
    for a, b in intervals:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged
