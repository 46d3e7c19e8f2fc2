"""Topic spans: every topic's samples split where it falls silent, and notes on what spans leave out.

Spans split where a topic is silent for longer than ``max(SPAN_GAP_NS, SPAN_GAP_PERIODS x its median
period)`` (see :func:`span_gap_ns`).
"""

from __future__ import annotations

import itertools

import numpy as np

from sessions_lib.model.records import RecordedTopic
from sessions_lib.readers.spans import SPAN_GAP_NS, is_gap
from sessions_lib.readers.ulog.clock import is_real_time
from sessions_lib.readers.ulog.messages import Scan
from sessions_lib.readers.units import NS_PER_US

# A topic silent for more than this many of its median periods (or SPAN_GAP_NS, whichever is longer)
# gets a new span. ULog holds both streams (100-1000 Hz sensors: the SPAN_GAP_NS floor applies) and
# slow or on-change topics (1 Hz status, a battery at 0.5 Hz, commands): these would otherwise fall
# apart into one span per sample; 10 periods is far above their jitter.
SPAN_GAP_PERIODS = 10


def span_gap_ns(intervals_ns: np.ndarray) -> int:
    """Silence that splits a topic's span, from the intervals between its consecutive samples.

    ``SPAN_GAP_PERIODS`` times the median interval (the lower median: an exact integer), and at
    least ``SPAN_GAP_NS``.

    >>> span_gap_ns(np.full(11, 5_000_000_000))  # a sample every 5 s
    50000000000
    >>> span_gap_ns(np.full(1000, 10_000_000))  # 100 Hz: the floor
    10000000000
    """
    if intervals_ns.size == 0:
        return SPAN_GAP_NS
    middle = (intervals_ns.size - 1) // 2
    # Two kth values: numpy's single-kth partition is pathologically slow on the few distinct
    # intervals of a steady topic (measured: 10x slower than this on the real logs).
    period = int(np.partition(intervals_ns, [middle, min(middle + 1, intervals_ns.size - 1)])[middle])
    return max(SPAN_GAP_NS, SPAN_GAP_PERIODS * period)


class TopicSpans:
    """Every topic's spans at once: samples grouped by topic, sorted by time, split at silences.

    Samples with timestamp 0 (or absurdly large) are left out and counted per topic.
    """

    def __init__(self, topic_of: np.ndarray, timestamps_us: np.ndarray, topic_count: int) -> None:
        real = is_real_time(timestamps_us)
        self.zeros = np.bincount(topic_of[timestamps_us == 0], minlength=topic_count).tolist()
        topics = topic_of[real]
        times = timestamps_us[real].astype(np.int64) * NS_PER_US
        key = topics.astype(np.uint16 if topic_count <= 0x10000 else np.uint32)
        order = np.argsort(key, kind="stable")  # a radix sort; keeps file order within a topic
        topics, times = topics[order], times[order]
        same_topic = topics[1:] == topics[:-1]
        intervals = np.diff(times)
        if np.any(same_topic & (intervals < 0)):  # rare: a topic out of time order in the file
            order = np.lexsort((times, topics))
            topics, times = topics[order], times[order]
            intervals = np.diff(times)
        bounds = np.searchsorted(topics, np.arange(topic_count + 1)).tolist()
        gaps = np.array(
            [span_gap_ns(intervals[lo : max(lo, hi - 1)]) for lo, hi in itertools.pairwise(bounds)] or [0],
            np.int64,
        )
        split = same_topic & is_gap(intervals, gaps[topics[:-1]])
        starts = np.concatenate(([True], ~same_topic | split)) if times.size else np.zeros(0, bool)
        ends = np.concatenate((~same_topic | split, [True])) if times.size else np.zeros(0, bool)
        self.starts, self.ends = times[starts].tolist(), times[ends].tolist()
        self.span_bounds = np.searchsorted(topics[starts], np.arange(topic_count + 1)).tolist()
        self.last_ns = int(times.max()) if times.size else None
        self.times = times

    def of(self, topic: int) -> tuple[tuple[int, int], ...]:
        lo, hi = self.span_bounds[topic], self.span_bounds[topic + 1]
        return tuple(zip(self.starts[lo:hi], self.ends[lo:hi], strict=True))


def note_omissions(
    scan: Scan,
    topics: list[RecordedTopic],
    spans: TopicSpans,
    names: list[str],
    untimed: set[str],
    notes: list[str],
) -> None:
    """Plain-language notes on what the spans leave out."""
    if not topics:
        notes.append("no data messages: the log holds definitions only")
    zeros = {name: n for name, n in zip(names, spans.zeros, strict=True) if n and name not in untimed}
    if zeros:
        listed = ", ".join(f"{name} ({n})" for name, n in zeros.items())
        notes.append(
            f"{sum(zeros.values())} samples with timestamp 0 (not a real time) left out of spans: {listed}"
        )
    # Such a topic is kept, with its message count and no extent: the file holds it, at no known time.
    if all_zero := [t.name for t in topics if t.name in zeros and not t.spans]:
        notes.append(f"topics with every sample at timestamp 0 have no time span: {', '.join(all_zero)}")
    for name in sorted(untimed & {t.name for t in topics}):
        notes.append(f"topic {name} has no uint64 'timestamp' field; its messages have no spans")
    if early := int(np.count_nonzero(spans.times < scan.start_us * NS_PER_US)):
        notes.append(
            f"{early} samples are timestamped before the header start ({scan.start_us} us): the last "
            f"values the logger writes when it starts"
        )
    if scan.dropouts:
        notes.append(f"{scan.dropouts} logger dropouts, {scan.dropout_ms} ms of data lost in total")
