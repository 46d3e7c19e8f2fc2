"""Spans and clocks: the rules every reader shares.

A topic silent for longer than the gap threshold gets two spans, so a session narrowed to the
silence does not claim the topic. Shorter gaps (jitter, a dropped message, chunk boundaries)
are bridged so a continuous stream stays one span. Times before 2000 are not wall clock.
"""

from collections.abc import Iterable

import numpy as np

from sessions_lib.readers.units import NS_PER_S

# Two messages of one topic more than this apart start a new span. 10 s: longer than the period of
# the slow topics robots publish (diagnostics and demo talkers at 1 Hz, whose jitter crosses 1 s;
# battery state at 0.2 Hz), far shorter than a recorder pause or a robot switched off (minutes).
SPAN_GAP_NS = 10 * NS_PER_S

# Times before 2000-01-01 are not Unix-epoch wall clock: simulated, boot-relative or synthetic.
EARLIEST_WALL_CLOCK_NS = 946_684_800 * NS_PER_S


def is_wall_clock(earliest_ns: int | None) -> bool:
    """Whether a recording whose earliest time is ``earliest_ns`` is in Unix-epoch wall clock."""
    return earliest_ns is None or earliest_ns >= EARLIEST_WALL_CLOCK_NS


def split_at_gaps(
    times_ns: Iterable[int] | np.ndarray, gap_ns: int = SPAN_GAP_NS
) -> tuple[tuple[int, int], ...]:
    """Closed spans covering sorted-or-unsorted timestamps, split where consecutive ones are
    more than ``gap_ns`` apart.

    >>> split_at_gaps([0, 10, 20, 5_000_000_000, 5_000_000_010])
    ((0, 20), (5000000000, 5000000010))
    """
    times = np.sort(
        np.asarray(list(times_ns) if not isinstance(times_ns, np.ndarray) else times_ns, dtype=np.int64)
    )
    if times.size == 0:
        return ()
    breaks = np.flatnonzero(np.diff(times) > gap_ns)
    starts = np.concatenate(([times[0]], times[breaks + 1]))
    ends = np.concatenate((times[breaks], [times[-1]]))
    return tuple((int(lo), int(hi)) for lo, hi in zip(starts, ends, strict=True))


def merge_spans(spans: Iterable[tuple[int, int]], gap_ns: int = SPAN_GAP_NS) -> tuple[tuple[int, int], ...]:
    """Union of closed spans, also joining spans less than ``gap_ns`` apart.

    >>> merge_spans([(0, 5), (3, 8), (20, 30)], gap_ns=15)
    ((0, 30),)
    """
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo - merged[-1][1] <= gap_ns:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)
