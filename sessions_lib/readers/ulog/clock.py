"""The ULog clock and its anchor: boot-relative ``timestamp`` fields, and the GPS UTC offset.

Clock: the ``timestamp`` field, microseconds since boot, stored as nanoseconds
(``timeline_source="field"``). A timestamp of 0 is not a time (the logger writes it for topics never
published): such samples count in ``message_count`` but not in spans, and the notes count them.

Epoch offset: median of ``time_utc_usec - timestamp`` over GPS samples with UTC time
(``vehicle_gps_position``, else ``sensor_gps``); every topic of the file shares it. Without one the
recording is unanchored (offset 0) and says so.
"""

from __future__ import annotations

import numpy as np

from sessions_lib.readers.ulog.formats import Layout
from sessions_lib.readers.ulog.messages import Messages, Subscription, field_values
from sessions_lib.readers.units import NS_PER_MS, NS_PER_US

# Boot-relative timestamps above this (2**62 ns, ~146 years of uptime) are corruption, not time; the
# bound also keeps ``stored + epoch offset`` inside int64 nanoseconds.
MAX_TIMESTAMP_US = 2**62 // NS_PER_US

GPS_TOPICS = ("vehicle_gps_position", "sensor_gps")  # older PX4 first, then PX4 >= 1.14


def is_real_time(timestamps_us: np.ndarray) -> np.ndarray:
    """Which boot-relative timestamps are times: not 0 (never published), not beyond ``MAX_TIMESTAMP_US``."""
    return (timestamps_us > 0) & (timestamps_us <= MAX_TIMESTAMP_US)


def epoch_offset_ns(
    data: np.ndarray,
    messages: Messages,
    subs: list[Subscription],
    layouts: list[Layout | None],
    notes: list[str],
) -> tuple[int, bool]:
    """GPS UTC minus boot time (median over samples with UTC), or ``(0, False)`` without GPS time."""
    candidates = sorted(
        (GPS_TOPICS.index(s.name), s.multi_id, i) for i, s in enumerate(subs) if s.name in GPS_TOPICS
    )
    seen = []
    for _, _, index in candidates:
        found = field_values(data, messages, subs, layouts, index, "time_utc_usec", ("uint64_t",))
        if found is None:
            continue
        stamps, utc = found
        valid = is_real_time(utc) & is_real_time(stamps)
        if not valid.any():
            count = f"{stamps.size} samples, none with time_utc_usec > 0" if stamps.size else "no samples"
            seen.append(f"{subs[index].topic}: {count}")
            continue
        offsets_us = np.sort(utc[valid].astype(np.int64) - stamps[valid].astype(np.int64))
        median_us = int(offsets_us[(offsets_us.size - 1) // 2])
        spread_ms = (int(offsets_us[-1]) - int(offsets_us[0])) * NS_PER_US / NS_PER_MS
        notes.append(
            f"anchored by GPS: {subs[index].topic}.time_utc_usec - timestamp, median of "
            f"{offsets_us.size} samples (spread {spread_ms:.1f} ms)"
        )
        return median_us * NS_PER_US, True
    why = f" ({'; '.join(seen)})" if seen else f" (no {' or '.join(GPS_TOPICS)} topic in the log)"
    notes.append(f"unanchored: no GPS UTC time{why}; timestamps are microseconds since boot")
    return 0, False
