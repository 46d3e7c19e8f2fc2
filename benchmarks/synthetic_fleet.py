"""A synthetic fleet catalog: devices, their sessions, files, topic partitions and timeline extents.

The default shape is fleet size: 10,000 devices in four types, 10 sessions each (100,000) spread
over 30 days, 1-3 files per session (200,000), ~27 topics per file with 1-4 spans each: 13.3
million timeline extents. Drones record ULog-like files (boot-relative timestamps plus a wall-clock
offset); the other types record on the Unix epoch (offset 0). One contribution in five is narrowed
to a sub-window of its file. Everything follows from ``seed``; ids look like the library's
(``fl_`` + 16 hex digits) but are pseudo-random, so nothing sorts by id the way it sorts by time.

Rows are built column-wise with numpy and written in bulk, as Arrow batches through
``Tx.insert_arrow``, never row by row; the command then compacts the catalog into its sorted
layout. Shrink the shape (``--devices``) for quick runs:

    python -m benchmarks.synthetic_fleet /tmp/fleet                  # 10,000 devices
    python -m benchmarks.synthetic_fleet /tmp/small --devices 100
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import pyarrow as pa

from sessions_lib.catalog import Catalog, CatalogLocation
from sessions_lib.model import ids

SECOND_NS = 10**9
MINUTE_NS = 60 * SECOND_NS
DAY_NS = 86_400 * SECOND_NS
FLEET_START_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
ORG_ID = "org_fleet"
USER = "synthetic-fleet"
DEVICE_TYPES = ("drone", "rover", "arm", "boat")  # drones record boot-relative time (ULog)
SHARED_TOPICS = ("/diagnostics", "/rosout", "/tf")
DEVICES_PER_DATASET = 100


@dataclass(frozen=True)
class FleetShape:
    """How big the fleet is; the defaults give 10,000 devices, 100,000 sessions, 13.3M extents."""

    devices: int = 10_000
    sessions_per_device: int = 10
    days: int = 30
    max_files_per_session: int = 3
    topics_per_device_type: int = 30
    topic_share: float = 0.8  # the chance a file carries each topic of its device type
    max_spans_per_topic: int = 4
    ranged_share: float = 0.2  # contributions narrowed to a sub-window of their file
    seed: int = 0


@dataclass(frozen=True)
class Fleet:
    """The rows of every table, by table name, and the wall-clock span they cover."""

    shape: FleetShape
    tables: Mapping[str, pa.Table]
    start_ns: int
    end_ns: int

    @property
    def extent_count(self) -> int:
        return self.tables["timeline_extents"].num_rows


def build_fleet(shape: FleetShape = FleetShape()) -> Fleet:
    """Every table's rows for ``shape``, the same for the same shape and seed."""
    rng = np.random.default_rng(shape.seed)
    now = datetime.fromtimestamp(FLEET_START_NS // SECOND_NS + shape.days * 86_400, UTC)
    stamp = _Stamp(now)
    id_of = _IdMaker(shape.seed)

    # Devices, and the datasets (sites) they upload to.
    device_index = np.arange(shape.devices)
    device_type = device_index % len(DEVICE_TYPES)
    device_ids = id_of(ids.DEVICE, shape.devices)
    dataset_count = -(-shape.devices // DEVICES_PER_DATASET)
    dataset_ids = id_of(ids.DATASET, dataset_count)
    device_names = np.char.add("robot-", device_index.astype(str))

    # Sessions: each device's sessions fall in consecutive slots of the fleet's span, 10-120 min.
    session_device = np.repeat(device_index, shape.sessions_per_device)
    slot = np.tile(np.arange(shape.sessions_per_device), shape.devices)
    slot_ns = shape.days * DAY_NS // shape.sessions_per_device
    duration = rng.integers(10, 121, session_device.size) * MINUTE_NS
    session_start = (
        FLEET_START_NS
        + slot * slot_ns
        + (rng.random(session_device.size) * (slot_ns - duration)).astype(np.int64)
    )
    session_ids = id_of(ids.SESSION, session_device.size)

    # Files: 1-3 back-to-back recordings splitting their session, with short pauses between.
    files_per_session = rng.integers(1, shape.max_files_per_session + 1, session_device.size)
    file_session = np.repeat(np.arange(session_device.size), files_per_session)
    file_part = _rank_within(file_session)
    part_ns = duration[file_session] // files_per_session[file_session]
    file_start = session_start[file_session] + file_part * part_ns
    file_end = file_start + part_ns - rng.integers(0, 30, file_session.size) * SECOND_NS
    file_device = session_device[file_session]
    is_drone = device_type[file_device] == DEVICE_TYPES.index("drone")
    # A drone's log counts from its boot, a few minutes before recording starts.
    offset = np.where(is_drone, file_start - rng.integers(5, 300, file_session.size) * SECOND_NS, 0)
    file_ids = id_of(ids.FILE, file_session.size)

    # Topic partitions: each file carries about topic_share of its device type's topics.
    topic_names = _topic_names(shape.topics_per_device_type)
    names_per_type = np.array(
        [[i for i, name in enumerate(topic_names) if name.startswith(f"/{kind}/")] for kind in DEVICE_TYPES]
    )
    shared = np.array([topic_names.index(name) for name in SHARED_TOPICS])
    candidates = np.hstack([names_per_type, np.tile(shared, (len(DEVICE_TYPES), 1))])
    carried = rng.random((file_session.size, candidates.shape[1])) < shape.topic_share
    carried[:, -len(SHARED_TOPICS)] = True  # every file carries at least one topic
    part_file, column = np.nonzero(carried)
    part_topic = candidates[device_type[file_device[part_file]], column]
    topic_ids = [ids.stable_id(ids.TOPIC, ORG_ID, name) for name in topic_names]
    part_ids = id_of(ids.TOPIC_PARTITION, part_file.size)

    # Extents: 1-4 spans per partition, consecutive slices of the file with gaps between them.
    spans = rng.integers(1, shape.max_spans_per_topic + 1, part_file.size)
    extent_part = np.repeat(np.arange(part_file.size), spans)
    extent_file = part_file[extent_part]
    slice_ns = (file_end - file_start)[extent_file] // spans[extent_part]
    slice_start = file_start[extent_file] + _rank_within(extent_part) * slice_ns
    min_wall = slice_start + (rng.random(extent_part.size) * 0.1 * slice_ns).astype(np.int64)
    max_wall = slice_start + slice_ns - (rng.random(extent_part.size) * 0.1 * slice_ns).astype(np.int64)
    part_min_wall = min_wall[_first_of_each(extent_part)]
    part_max_wall = max_wall[_last_of_each(extent_part)]

    # Contributions: the file's whole window, or the middle half of it.
    ranged = rng.random(file_session.size) < shape.ranged_share
    file_min_wall = np.minimum.reduceat(min_wall, _first_of_each(extent_file))
    file_max_wall = np.maximum.reduceat(max_wall, _first_of_each(extent_file))
    quarter = (file_max_wall - file_min_wall) // 4
    window_min = np.where(ranged, file_min_wall + quarter, file_min_wall)
    window_max = np.where(ranged, file_max_wall - quarter, file_max_wall)
    first_file = _first_of_each(file_session)

    # Partitions (p) and extents (e) in arrival order: file after file, as they were recorded.
    p = np.argsort(file_start[part_file], kind="stable")
    e = np.argsort(file_start[extent_file], kind="stable")
    extent_part, extent_file, min_wall, max_wall = (
        a[e] for a in (extent_part, extent_file, min_wall, max_wall)
    )
    is_drone_part = is_drone[part_file[p]]
    tables = {
        "devices": pa.table(
            {
                "device_id": device_ids,
                "org_id": _repeat(ORG_ID, shape.devices),
                "name": device_names,
                "device_type": _pick(DEVICE_TYPES, device_type),
                **stamp.created_modified(shape.devices),
            }
        ),
        "datasets": pa.table(
            {
                "dataset_id": dataset_ids,
                "org_id": _repeat(ORG_ID, dataset_count),
                "name": np.char.add("site-", np.arange(dataset_count).astype(str)),
                **stamp.created(dataset_count),
            }
        ),
        "files": pa.table(
            {
                "file_id": file_ids,
                "org_id": _repeat(ORG_ID, file_session.size),
                "dataset_id": dataset_ids.take(file_device // DEVICES_PER_DATASET),
                "relative_path": _file_paths(
                    device_names[file_device], slot[file_session], file_part, is_drone
                ),
                "size_bytes": rng.integers(10**6, 10**9, file_session.size),
                "format": _pick(("mcap", "ulog"), is_drone),
                "device_id": device_ids.take(file_device),
                "ingest_status": _repeat("ingested", file_session.size),
                "read_method": _repeat("summary", file_session.size),
                "anchored": np.ones(file_session.size, dtype=bool),
                **stamp.created_modified(file_session.size),
            }
        ),
        "topics": pa.table(
            {"topic_id": topic_ids, "org_id": _repeat(ORG_ID, len(topic_names)), "name": topic_names}
        ),
        "topic_partitions": pa.table(
            {
                "topic_part_id": part_ids.take(p),
                "org_id": _repeat(ORG_ID, p.size),
                "topic_id": _pick(topic_ids, part_topic[p]),
                "file_id": file_ids.take(part_file[p]),
                "device_id": device_ids.take(file_device[part_file[p]]),
                "schema_name": _pick(("sensor_msgs/Generic", "ulog_message"), is_drone_part),
                "schema_encoding": _pick(("ros2msg", "ulog"), is_drone_part),
                "message_count": rng.integers(1, 100_000, p.size),
                "min_wall_ns": part_min_wall[p],
                "max_wall_ns": part_max_wall[p],
            }
        ),
        "timeline_extents": pa.table(
            {
                "timeline_extent_id": id_of(ids.TIMELINE_EXTENT, e.size),
                "org_id": _repeat(ORG_ID, e.size),
                "topic_part_id": part_ids.take(extent_part),
                "file_id": file_ids.take(extent_file),
                "topic_id": _pick(topic_ids, part_topic[extent_part]),
                "timeline_source": _repeat("log_time", e.size),
                "min_timestamp": min_wall - offset[extent_file],
                "max_timestamp": max_wall - offset[extent_file],
                "unix_epoch_offset_ns": offset[extent_file],
                "min_wall_ns": min_wall,
                "max_wall_ns": max_wall,
            }
        ),
        "sessions": pa.table(
            {
                "session_id": session_ids,
                "org_id": _repeat(ORG_ID, session_device.size),
                "name": np.char.add(np.char.add(device_names[session_device], "-flight-"), slot.astype(str)),
                **stamp.created_modified(session_device.size),
                "min_timestamp_ns": np.minimum.reduceat(window_min, first_file),
                "max_timestamp_ns": np.maximum.reduceat(window_max, first_file),
                "origin": _repeat("inferred", session_device.size),
            }
        ),
        "session_files": pa.table(
            {
                "session_id": session_ids.take(file_session),
                "org_id": _repeat(ORG_ID, file_session.size),
                "file_id": file_ids,
                "range_min_timestamp_ns": pa.array(window_min, mask=~ranged),
                "range_max_timestamp_ns": pa.array(window_max, mask=~ranged),
                **stamp.created(file_session.size),
            }
        ),
        "session_devices": pa.table(
            {
                "session_id": session_ids,
                "org_id": _repeat(ORG_ID, session_device.size),
                "device_id": device_ids.take(session_device),
                **stamp.created(session_device.size),
            }
        ),
    }
    end_ns = FLEET_START_NS + shape.days * DAY_NS
    return Fleet(shape=shape, tables=tables, start_ns=FLEET_START_NS, end_ns=end_ns)


def write_fleet(
    catalog: Catalog,
    fleet: Fleet,
    order: Literal["arrival", "shuffled"] = "arrival",
    batch_rows: int = 100_000,
) -> None:
    """Insert every table of ``fleet``, in transactions of at most ``batch_rows`` rows each.

    ``arrival``: as built, the partitions and extents file after file in the order the files
    were recorded, as a pipeline ingesting the fleet day by day writes them. ``shuffled``: every
    table in a random order, what a catalog written without any layout may hold.
    """
    rng = np.random.default_rng(fleet.shape.seed + 1)
    for name, rows in fleet.tables.items():
        if order == "shuffled":
            rows = rows.take(rng.permutation(rows.num_rows))
        for start in range(0, rows.num_rows, batch_rows):
            batch = rows.slice(start, batch_rows)
            catalog.transaction(lambda tx, name=name, batch=batch: tx.insert_arrow(name, batch))


def _file_paths(
    device_names: np.ndarray, slots: np.ndarray, parts: np.ndarray, is_drone: np.ndarray
) -> list[str]:
    extension = np.where(is_drone, "ulg", "mcap")
    return [
        f"{device}/flight-{slot:03d}/part-{part}.{ext}"
        for device, slot, part, ext in zip(device_names, slots, parts, extension, strict=True)
    ]


def _topic_names(per_device_type: int) -> list[str]:
    """Each device type's own topics, then the topics every device carries."""
    own = [f"/{kind}/sensor_{k:02d}" for kind in DEVICE_TYPES for k in range(per_device_type)]
    return own + list(SHARED_TOPICS)


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted ``groups``."""
    starts = _first_of_each(groups)
    return np.arange(groups.size) - np.repeat(starts, np.diff(np.r_[starts, groups.size]))


def _first_of_each(groups: np.ndarray) -> np.ndarray:
    """Index of the first element of each run of equal values of a sorted ``groups``."""
    return np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])


def _last_of_each(groups: np.ndarray) -> np.ndarray:
    """Index of the last element of each run of equal values of a sorted ``groups``."""
    return np.flatnonzero(np.r_[groups[1:] != groups[:-1], True])


def _pick(choices: Sequence[str], index: np.ndarray) -> pa.Array:
    """``choices[index]`` as an Arrow string array, without a Python object per row."""
    return pa.array(choices, pa.string()).take(index.astype(np.int64))


def _repeat(value: str, count: int) -> pa.Array:
    return _pick((value,), np.zeros(count, dtype=np.int64))


class _IdMaker:
    """Distinct pseudo-random ids per prefix (``fl_3f9a0c1d2b4e5f60``), fixed by the seed.

    The n-th id of a prefix is a bijective 64-bit mix (splitmix64's finalizer) of n and a salt,
    so ids never repeat and carry no order.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, prefix: str, count: int) -> pa.Array:
        digest = hashlib.sha256(f"{self.seed}:{prefix}".encode()).digest()
        salt = np.uint64(int.from_bytes(digest[:8], "little"))
        with np.errstate(over="ignore"):
            z = np.arange(count, dtype=np.uint64) ^ salt
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
        return _hex_strings(f"{prefix}_", z)


def _hex_strings(prefix: str, values: np.ndarray) -> pa.Array:
    """``prefix`` + 16 lower-case hex digits of each uint64, as one Arrow string array."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    octets = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    width = len(prefix) + 16
    text = np.empty((values.size, width), dtype=np.uint8)
    text[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    text[:, len(prefix) :: 2] = digits[octets >> 4]
    text[:, len(prefix) + 1 :: 2] = digits[octets & 15]
    offsets = np.arange(values.size + 1, dtype=np.int64) * width
    return pa.LargeStringArray.from_buffers(
        values.size, pa.py_buffer(offsets), pa.py_buffer(text.tobytes())
    ).cast(pa.string())


class _Stamp:
    """The ``created``/``modified`` columns every table carries."""

    def __init__(self, at: datetime) -> None:
        self.at = pa.scalar(at, pa.timestamp("us", tz="UTC"))

    def created(self, count: int) -> dict[str, pa.Array]:
        return {"created": _timestamps(self.at, count), "created_by": _repeat(USER, count)}

    def created_modified(self, count: int) -> dict[str, pa.Array]:
        modified = {"modified": _timestamps(self.at, count), "modified_by": _repeat(USER, count)}
        return {**self.created(count), **modified}


def _timestamps(at: pa.Scalar, count: int) -> pa.Array:
    return pa.array([at.value], at.type).take(np.zeros(count, dtype=np.int64))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("catalog", help="an empty catalog: a new folder, or a PostgreSQL URL")
    parser.add_argument("--devices", type=int, default=FleetShape.devices)
    parser.add_argument("--sessions-per-device", type=int, default=FleetShape.sessions_per_device)
    parser.add_argument("--days", type=int, default=FleetShape.days)
    parser.add_argument("--seed", type=int, default=FleetShape.seed)
    args = parser.parse_args()
    shape = FleetShape(
        devices=args.devices, sessions_per_device=args.sessions_per_device, days=args.days, seed=args.seed
    )
    catalog = Catalog(CatalogLocation.from_setting(args.catalog))
    if catalog.read(lambda tx: tx.scalar("SELECT count(*) FROM devices")):
        parser.error(f"{args.catalog} already holds devices; give an empty catalog")
    began = time.perf_counter()
    fleet = build_fleet(shape)
    built = time.perf_counter()
    write_fleet(catalog, fleet)
    written = time.perf_counter()
    catalog.compact(keep_snapshots_for=timedelta(0))  # a new catalog has no history worth keeping
    compacted = time.perf_counter()
    catalog.close()
    for name, rows in fleet.tables.items():
        print(f"{name:>18}: {rows.num_rows:>12,} rows")
    print(f"built {built - began:.1f}s, written {written - built:.1f}s, compacted {compacted - written:.1f}s")


if __name__ == "__main__":
    main()
