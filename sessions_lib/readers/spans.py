"""Spans from timestamps: one closed span per stretch of data, split where the data stops.

A topic silent for longer than the gap threshold gets two spans, so a session narrowed to the
silence does not claim the topic. Shorter gaps (jitter, a dropped message, chunk boundaries)
are bridged so a continuous stream stays one span.
"""

from collections.abc import Iterable

import numpy as np

# Gaps longer than this split a topic's data into separate spans (1 s: far above the period of
# any streamed robot topic at >= 1 Hz, far below the minutes between flights or drives).
SPAN_GAP_NS = 1_000_000_000


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
