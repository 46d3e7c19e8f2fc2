"""What a timeline draws: device rows of sessions, their contributions, one session's topics.

Gathered from the frames of :mod:`sessions_lib.surfaces.frames` over one connection, before any
drawing; the row heights here are what the figure's height is made of. Sessions are split into
panels by clock: the anchored ones on a wall-clock axis, the unanchored ones (times counted from
their recording's own zero) on a relative axis of their own, so neither stretches the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import polars as pl

from sessions_lib.errors import InvalidRequestError
from sessions_lib.model.timestamps import utc_datetime
from sessions_lib.surfaces.frames import OrgFrames
from sessions_lib.surfaces.timeline.axis import TimeAxis

# Sizes in pixels.
LANE_PX = 30  # a session lane
ROW_PAD_PX = 8
TOPIC_LANE_PX = 16

_NO_DEVICE = "(no device)"


@dataclass(frozen=True)
class Row:
    """One device's row: its sessions (``sessions_frame`` rows with ``device_id``), each in a lane."""

    label: str
    sessions: pl.DataFrame
    device_id: str | None = None
    lanes: tuple[int, ...] = ()
    label_rooms: tuple[float, ...] = ()  # pixels each session's label may take
    # The device's wall-clock ranges with data (``device_coverage_frame`` rows; none for a
    # relative panel or the row of sessions without a device).
    coverage: pl.DataFrame | None = None

    @property
    def height_px(self) -> int:
        return (max(self.lanes, default=0) + 1) * LANE_PX + ROW_PAD_PX


@dataclass(frozen=True)
class Fleet:
    """One panel of device rows: every session in it anchored (wall clock) or every one not."""

    rows: tuple[Row, ...]
    contributions: pl.DataFrame  # contributions_frame rows of the drawn sessions
    session_count: int
    anchored: bool = True

    @property
    def height_px(self) -> int:
        return sum(row.height_px for row in self.rows)

    def intervals(self) -> list[tuple[int, int]]:
        return [
            (lo, hi)
            for row in self.rows
            for lo, hi in row.sessions.select("min_timestamp_ns", "max_timestamp_ns").iter_rows()
        ]

    def axis(self, width_px: int, start_ns: int | None, end_ns: int | None) -> TimeAxis:
        """The panel's time axis: wall clock over the asked window, or relative time fitted to its
        sessions (a wall-clock window says nothing of a relative clock)."""
        if self.anchored:
            return TimeAxis.fitted(self.intervals(), width_px, start_ns, end_ns)
        return TimeAxis.fitted(self.intervals(), width_px, None, None, relative=True)


@dataclass(frozen=True)
class Detail:
    session: dict
    files: pl.DataFrame
    topics: pl.DataFrame
    extents: pl.DataFrame  # session_extents_frame rows of the listed topics, plus ``lane``
    lanes: dict[str, int]  # topic_id -> lanes (one per file when files overlap in time)

    @property
    def height_px(self) -> int:
        if self.topics.is_empty():
            return 60
        return sum(n * TOPIC_LANE_PX + 6 for n in self.lanes.values())


def fleet_panels(
    frames: OrgFrames,
    device_ids: Sequence[str] | None,
    start_ns: int | None,
    end_ns: int | None,
) -> tuple[Fleet, ...]:
    """The sessions with contributions in range, one row per device (and one for no device): the
    anchored ones in a wall-clock panel, then the unanchored ones in a relative-time panel, each
    panel only when it has sessions. A window (``start_ns``/``end_ns``) is wall clock, so it
    holds no unanchored session."""
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
    names: dict[str, str] = dict(frames.devices().select("device_id", "name").iter_rows())
    contributions = (
        frames.contributions().join(drawn.lazy().select("session_id"), on="session_id", how="semi").collect()
    )
    panels = tuple(
        _fleet(panel, contributions, names, device_ids, anchored)
        for anchored in (True, False)
        if not (panel := drawn.filter(pl.col("anchored") == anchored)).is_empty()
    )
    return tuple(_with_coverage(frames, panel, start_ns, end_ns) for panel in panels)


def _with_coverage(frames: OrgFrames, fleet: Fleet, start_ns: int | None, end_ns: int | None) -> Fleet:
    """A wall-clock panel's device rows with each device's coverage in the window: when it has
    data at all, whichever sessions that data is in (a relative panel has none to show)."""
    if not fleet.anchored:
        return fleet

    def covered(row: Row) -> Row:
        if row.device_id is None:
            return row
        coverage = frames.device_coverage(row.device_id, start_ns=start_ns, end_ns=end_ns, tolerance_ns=0)
        return replace(row, coverage=coverage)

    return replace(fleet, rows=tuple(covered(row) for row in fleet.rows))


def _fleet(
    drawn: pl.DataFrame,
    contributions: pl.DataFrame,
    names: dict[str, str],
    device_ids: Sequence[str] | None,
    anchored: bool,
) -> Fleet:
    """One panel: the ``drawn`` sessions in device rows, by device name (no device last)."""
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
        rows.append(Row(label, mine, device_id=device_id))
    held = contributions.join(drawn.select("session_id"), on="session_id", how="semi")
    return Fleet(tuple(rows), held, drawn.height, anchored)


def session_detail(frames: OrgFrames, session_id: str) -> Detail:
    """One session's files, topics and their extents, each extent in its lane of its topic's row."""
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
    return Detail(session, files, topics, extents, {t: lanes[t] for t in topics["topic_id"].to_list()})


def _iso(ns: int | None) -> str:
    """A range end in a message, to the second: ``2026-04-20 09:00:00 UTC`` (``…`` for open)."""
    return "…" if ns is None else utc_datetime(ns).strftime("%Y-%m-%d %H:%M:%S UTC")
