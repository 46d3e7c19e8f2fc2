"""Armed intervals (``ActivityInterval("armed", ...)``): when the vehicle was armed, in the file's clock.

From ``vehicle_status.arming_state == 2`` (ARMED in every PX4 release), else ``actuator_armed.armed``;
from the first armed sample to the first sample that is not armed, or to the log's last sample if it
never disarms.
"""

from __future__ import annotations

import numpy as np

from sessions_lib.model.records import ActivityInterval
from sessions_lib.readers.ulog.clock import is_real_time
from sessions_lib.readers.ulog.formats import Layout
from sessions_lib.readers.ulog.messages import Messages, Subscription, field_values
from sessions_lib.readers.units import NS_PER_US

# vehicle_status.arming_state: INIT 0, STANDBY 1, ARMED 2 in every PX4 release (PX4 < 1.9 also had
# ARMED_ERROR = 3, not counted as armed; no real log here shows it).
ARMING_STATE_ARMED = 2


def armed_intervals(
    data: np.ndarray,
    messages: Messages,
    subs: list[Subscription],
    layouts: list[Layout | None],
    last_ns: int | None,
    notes: list[str],
) -> list[ActivityInterval]:
    """Armed intervals in the file's clock, from vehicle_status (else actuator_armed) instance 0."""
    sources = (
        ("vehicle_status", "arming_state", ("uint8_t",), ARMING_STATE_ARMED),
        ("actuator_armed", "armed", ("bool", "uint8_t"), 1),
    )
    for topic, field_name, type_names, armed_value in sources:
        indices = [i for i, s in enumerate(subs) if s.name == topic and s.multi_id == 0]
        found = [field_values(data, messages, subs, layouts, i, field_name, type_names) for i in indices]
        parts = [p for p in found if p is not None and p[0].size]
        if not parts:
            continue
        stamps = np.concatenate([p[0] for p in parts])
        values = np.concatenate([p[1] for p in parts])
        real = is_real_time(stamps)
        order = np.argsort(stamps[real], kind="stable")
        times_ns = stamps[real][order].astype(np.int64) * NS_PER_US
        armed = (values[real][order] == armed_value).astype(np.int8)
        if times_ns.size == 0:
            continue
        edges = np.diff(np.concatenate(([0], armed, [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        final_ns = max(int(times_ns[-1]), last_ns or 0)
        notes.append(f"armed intervals from {topic}.{field_name} (armed = {armed_value})")
        return [
            ActivityInterval("armed", int(times_ns[s]), int(times_ns[e]) if e < times_ns.size else final_ns)
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
    return []
