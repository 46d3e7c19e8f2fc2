"""A synthetic fleet catalog: devices, their sessions, files, topic partitions and timeline extents.

The default shape is fleet size: 10,000 devices in four types, 10 sessions each (100,000) spread
over 30 days, 1-3 files per session (200,000), ~27 topics per file with 1-4 spans each: 13.3
million timeline extents. Drones record ULog-like files (boot-relative timestamps plus a wall-clock
offset); the other types record on the Unix epoch (offset 0). One contribution in five is narrowed
to a sub-window of its file. Everything follows from ``seed``; ids look like the library's
(``fl_`` + 16 hex digits) but are pseudo-random, so nothing sorts by id the way it sorts by time.

Rows are built column-wise with numpy. Two ways to write them (``--mode``):

- ``bulk`` (the default): every table as Arrow batches through ``Tx.insert_arrow``, never row by
  row, the fastest a catalog of this shape can be written;
- ``api``: the way a real fleet writes it, through the library's write path: each device with
  ``register_device``, each dataset with ``register_dataset``, every file with its topics and
  spans through the batched ``register_files`` (``--files-per-transaction``), and the sessions as
  inference writes them (``write_inferred_sessions``: one transaction, bounds from the rules).
  Ids are the generator's except the topic partitions' and extents' (random, as the library makes
  them), so both modes store the same rows modulo those ids and the audit columns.

The command then compacts the catalog into its sorted layout. Shrink the shape (``--devices``)
for quick runs. ``--compare`` writes the same fleet both ways, each in a child process into a
fresh catalog, and reports write throughput (extents and files per second), peak memory (the
growth of the child's peak RSS while writing, over what the generator holds) and the catalog's
bytes after maintenance (``Catalog.compact()``, then ``Catalog.size_bytes()``), with the goal that
the api-written catalog stays within 1.5x of the bulk-written one. Its default shape, 750 devices,
is a 1M-extent fleet (15,004 files, 399,242 topic partitions, 998,151 extents, 7,500 sessions).

    python -m benchmarks.synthetic_fleet /tmp/fleet                  # 10,000 devices, bulk
    python -m benchmarks.synthetic_fleet /tmp/small --devices 100 --mode api
    python -m benchmarks.synthetic_fleet --compare                   # 750 devices, both modes
    python -m benchmarks.synthetic_fleet --profile-api               # where register_files' time goes
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from sessions_lib.catalog import Catalog, CatalogLocation, Tx
from sessions_lib.client import Client
from sessions_lib.inference import InferredSessions, write_inferred_sessions
from sessions_lib.model import ids
from sessions_lib.model.records import RecordedTopic
from sessions_lib.model.requests import FileRegistration

T = TypeVar("T")
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
            catalog.transaction(partial(_insert, name, batch))


def _timed(items: Iterator[T], seconds: list[float]) -> Iterator[T]:
    """``items``, adding the time spent making each to ``seconds[0]``."""
    while True:
        start = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            seconds[0] += time.perf_counter() - start
        yield item


def _insert(table: str, rows: pa.Table, tx: Tx) -> None:
    tx.insert_arrow(table, rows)


def file_registrations(fleet: Fleet) -> Iterator[FileRegistration]:
    """Every file of ``fleet`` as the request a reader's ingest would make: its topics with their
    spans (in the file's own clock, with the file's epoch offset), counts and schemas, and its id.

    Built a file at a time from index arrays, so only the requests in flight are Python objects.
    """
    tables = fleet.tables
    files, parts, extents = tables["files"], tables["topic_partitions"], tables["timeline_extents"]
    part_file = pc.index_in(parts["file_id"], value_set=files["file_id"]).to_numpy()
    part_names = pc.take(
        tables["topics"]["name"], pc.index_in(parts["topic_id"], value_set=tables["topics"]["topic_id"])
    ).to_pylist()
    extent_part = pc.index_in(extents["topic_part_id"], value_set=parts["topic_part_id"]).to_numpy()
    lows = extents["min_timestamp"].to_numpy()
    highs = extents["max_timestamp"].to_numpy()
    offsets = extents["unix_epoch_offset_ns"].to_numpy()
    part_order = np.argsort(part_file, kind="stable")
    part_starts = np.searchsorted(part_file[part_order], np.arange(files.num_rows + 1))
    extent_order = np.lexsort((lows, extent_part))
    extent_starts = np.searchsorted(extent_part[extent_order], np.arange(parts.num_rows + 1))
    message_counts = parts["message_count"].to_pylist()
    schema_names = parts["schema_name"].to_pylist()
    schema_encodings = parts["schema_encoding"].to_pylist()
    columns = ("file_id", "dataset_id", "relative_path", "size_bytes", "format", "device_id")
    for index, row in enumerate(files.select(columns).to_pylist()):
        topics = []
        for part in part_order[part_starts[index] : part_starts[index + 1]].tolist():
            spans = extent_order[extent_starts[part] : extent_starts[part + 1]]
            topics.append(
                RecordedTopic(
                    part_names[part],
                    spans=tuple(zip(lows[spans].tolist(), highs[spans].tolist(), strict=True)),
                    unix_epoch_offset_ns=int(offsets[spans[0]]),
                    message_count=message_counts[part],
                    schema_name=schema_names[part],
                    schema_encoding=schema_encodings[part],
                )
            )
        yield FileRegistration(
            row["dataset_id"],
            row["relative_path"],
            topics,
            device_id=row["device_id"],
            size_bytes=row["size_bytes"],
            format=row["format"],
            read_method="summary",
            anchored=True,
            file_id=row["file_id"],
        )


def write_fleet_api(client: Client, fleet: Fleet, files_per_transaction: int = 256) -> dict[str, float]:
    """Write ``fleet`` through the library's write path (see the module docstring), as org
    ``ORG_ID`` of ``client``; returns the seconds of each step."""
    from sessions_lib import register_dataset, register_device, register_files

    tables = fleet.tables
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    for device in tables["devices"].select(["device_id", "name", "device_type"]).to_pylist():
        register_device(
            device["name"],
            device_type=device["device_type"],
            device_id=device["device_id"],
            org_id=ORG_ID,
            roboto_client=client,
        )
    seconds["devices"] = time.perf_counter() - began
    began = time.perf_counter()
    for dataset in tables["datasets"].select(["dataset_id", "name"]).to_pylist():
        register_dataset(
            dataset["name"], dataset_id=dataset["dataset_id"], org_id=ORG_ID, roboto_client=client
        )
    seconds["datasets"] = time.perf_counter() - began
    began = time.perf_counter()
    building = [0.0]  # seconds spent making the requests, as a reader would, inside the call
    register_files(
        _timed(file_registrations(fleet), building),
        files_per_transaction=files_per_transaction,
        org_id=ORG_ID,
        roboto_client=client,
    )
    seconds["files"] = time.perf_counter() - began
    seconds["files: making the requests"] = building[0]
    began = time.perf_counter()
    inferred = InferredSessions(
        sessions=_frame(
            tables["sessions"].select(
                ["org_id", "session_id", "name", "min_timestamp_ns", "max_timestamp_ns"]
            )
        ),
        contributions=_frame(
            tables["session_files"].select(
                ["org_id", "session_id", "file_id", "range_min_timestamp_ns", "range_max_timestamp_ns"]
            )
        ),
        attachments=_frame(tables["session_devices"].select(["org_id", "session_id", "device_id"])),
    )
    write_inferred_sessions(client, ORG_ID, inferred)
    seconds["sessions"] = time.perf_counter() - began
    return seconds


# What each table of org $org holds that both modes write alike: no random ids (topic partitions
# and extents get new ones from the library), no audit columns; each extent with its partition's
# file and topic, so an extent pointing at the wrong partition shows.
COMPARABLE_ROWS = {
    "devices": "SELECT device_id, name, device_type FROM devices WHERE org_id = $org",
    "datasets": "SELECT dataset_id, name, root_path FROM datasets WHERE org_id = $org",
    "files": """SELECT file_id, dataset_id, relative_path, uri, size_bytes, format, content_hash,
        device_id, ingest_status, ingest_error, read_method, anchored FROM files WHERE org_id = $org""",
    # The topics files record (the bulk mode writes every name of the shape, recorded or not).
    "topics": """SELECT topic_id, name FROM topics WHERE org_id = $org
        AND topic_id IN (SELECT topic_id FROM topic_partitions WHERE org_id = $org)""",
    "topic_partitions": """SELECT topic_id, file_id, device_id, schema_name, schema_encoding,
        message_count, partition_key, row_start, row_end, min_wall_ns, max_wall_ns
        FROM topic_partitions WHERE org_id = $org""",
    "timeline_extents": """SELECT e.file_id, e.topic_id, p.file_id AS partition_file_id,
        p.topic_id AS partition_topic_id, e.timeline_source, e.min_timestamp, e.max_timestamp,
        e.unix_epoch_offset_ns, e.min_wall_ns, e.max_wall_ns
        FROM timeline_extents AS e LEFT JOIN topic_partitions AS p USING (org_id, topic_part_id)
        WHERE e.org_id = $org""",
    "activity_intervals": """SELECT file_id, kind, start_ns, end_ns
        FROM activity_intervals WHERE org_id = $org""",
    "sessions": """SELECT session_id, name, min_timestamp_ns, max_timestamp_ns, origin
        FROM sessions WHERE org_id = $org""",
    "session_files": """SELECT session_id, file_id, range_min_timestamp_ns, range_max_timestamp_ns
        FROM session_files WHERE org_id = $org""",
    "session_devices": "SELECT session_id, device_id FROM session_devices WHERE org_id = $org",
}


def catalog_rows(catalog: Catalog, org_id: str = ORG_ID) -> dict[str, pl.DataFrame]:
    """Every table's comparable rows (``COMPARABLE_ROWS``) of ``org_id``, sorted, in one snapshot."""

    def read(tx: Tx) -> dict[str, pl.DataFrame]:
        frames = {}
        for table, sql in COMPARABLE_ROWS.items():
            rows = tx.frame(sql, org=org_id)
            frames[table] = rows.sort(rows.columns, nulls_last=True)
        return frames

    return catalog.read(read)


def differences(left: Mapping[str, pl.DataFrame], right: Mapping[str, pl.DataFrame]) -> list[str]:
    """The tables whose rows differ between two ``catalog_rows``, with their row counts."""
    return [
        f"{table}: {left[table].height} rows against {right[table].height}"
        for table in COMPARABLE_ROWS
        if not left[table].equals(right[table])
    ]


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


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


MODES = ("bulk", "api")
PROJECT = Path(__file__).resolve().parents[1]  # where ``python -m benchmarks...`` runs
GOAL_SIZE_RATIO = 1.5
COMPARE_SHAPE = FleetShape(devices=750)  # 998,151 extents


def write_catalog(
    setting: str, shape: FleetShape, mode: str = "bulk", files_per_transaction: int = 256
) -> dict[str, Any]:
    """Build ``shape``'s fleet and write it into the empty catalog ``setting`` in ``mode``, then
    compact it; returns seconds per step, rows per table, bytes before and after maintenance, and
    the peak RSS growth while writing (over the RSS holding the built fleet), in MiB."""
    from benchmarks.bench_inference import _max_rss_mib, _reset_peak_rss

    client = Client(CatalogLocation.from_setting(setting), user=USER, org_ids=[ORG_ID])
    catalog = client.catalog
    if catalog.read(lambda tx: tx.scalar("SELECT count(*) FROM devices")):
        raise SystemExit(f"{setting} already holds devices; give an empty catalog")
    began = time.perf_counter()
    fleet = build_fleet(shape)
    built = time.perf_counter()
    gc.collect()
    _reset_peak_rss()
    rss_mib = _max_rss_mib()
    began_writing = time.perf_counter()
    if mode == "api":
        steps = write_fleet_api(client, fleet, files_per_transaction)
    else:
        write_fleet(catalog, fleet)
        steps = {}
    written = time.perf_counter()
    peak_mib = _max_rss_mib()
    bytes_written = catalog.size_bytes()
    compacting = time.perf_counter()
    catalog.compact(keep_snapshots_for=timedelta(0))  # a new catalog has no history worth keeping
    compacted = time.perf_counter()
    result = {
        "mode": mode,
        "rows": {name: rows.num_rows for name, rows in fleet.tables.items()},
        "build_s": built - began,
        "write_s": written - began_writing,
        "steps_s": steps,
        "compact_s": compacted - compacting,
        "bytes_written": bytes_written,
        "bytes_compacted": catalog.size_bytes(),
        "rss_with_fleet_mib": rss_mib,
        "write_peak_growth_mib": peak_mib - rss_mib,
    }
    catalog.close()
    return result


def compare(
    shape: FleetShape = COMPARE_SHAPE, files_per_transaction: int = 256, directory: Path | None = None
) -> dict[str, Any]:
    """The same fleet written in each mode by a child process of its own into a fresh catalog;
    their results by mode, whether both catalogs hold the same rows, and the size ratio api/bulk."""
    results: dict[str, Any] = {"load": os.getloadavg()[0]}  # others' work shares the cores
    with tempfile.TemporaryDirectory(dir=directory, prefix="fleet-modes-") as temp:
        for mode in MODES:
            setting = str(Path(temp) / mode)
            command = [
                sys.executable, "-m", "benchmarks.synthetic_fleet", setting, "--mode", mode, "--json",
                "--devices", str(shape.devices), "--sessions-per-device", str(shape.sessions_per_device),
                "--days", str(shape.days), "--seed", str(shape.seed),
                "--files-per-transaction", str(files_per_transaction),
            ]  # fmt: skip
            # jemalloc (polars' allocator) returns freed pages at once, so RSS follows live memory.
            environment = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}
            output = subprocess.run(
                command, check=True, capture_output=True, text=True, env=environment, cwd=PROJECT
            )
            results[mode] = json.loads(output.stdout.splitlines()[-1])
        rows = {}
        for mode in MODES:
            catalog = Catalog(CatalogLocation.from_setting(Path(temp) / mode))
            rows[mode] = catalog_rows(catalog)
            catalog.close()
    results["differences"] = differences(rows["bulk"], rows["api"])
    results["size_ratio"] = results["api"]["bytes_compacted"] / results["bulk"]["bytes_compacted"]
    return results


def profile_register_files(
    shape: FleetShape = COMPARE_SHAPE, files_per_transaction: int = 256, directory: Path | None = None
) -> Iterator[str]:
    """Where ``register_files`` spends its time on ``shape``'s fleet, into a fresh catalog holding
    its devices and datasets: wall-clock per phase by call path (``bench_ingest.PhaseTimer``), the
    failed ``import pandas`` attempts, and each write transaction's seconds (do they grow?)."""
    from benchmarks.bench_ingest import ImportAttempts, PhaseTimer, failed_import_seconds
    from sessions_lib import register_files

    fleet = build_fleet(shape)
    with tempfile.TemporaryDirectory(dir=directory, prefix="fleet-profile-") as temp:
        client = Client(Path(temp) / "api", user=USER, org_ids=[ORG_ID])
        for table in ("devices", "datasets"):  # not what is profiled: in bulk
            client.catalog.transaction(partial(_insert, table, fleet.tables[table]))
        requests = list(file_registrations(fleet))
        per_transaction: list[float] = []
        with PhaseTimer() as timer, ImportAttempts("pandas") as attempts:
            write = client.catalog.transaction

            def timed(work: Any) -> Any:
                start = time.perf_counter()
                try:
                    return write(work)
                finally:
                    per_transaction.append(time.perf_counter() - start)

            client.catalog.transaction = timed  # type: ignore[method-assign]
            start = time.perf_counter()
            register_files(
                requests, files_per_transaction=files_per_transaction, org_id=ORG_ID, roboto_client=client
            )
            total_s = time.perf_counter() - start
        client.catalog.close()
    yield (
        f"register_files: {len(requests):,} files, {fleet.extent_count:,} extents in {total_s:.1f} s "
        f"({fleet.extent_count / total_s:,.0f} extents/s); 1-minute load average {os.getloadavg()[0]:.1f}"
    )
    yield from timer.lines(len(requests), total_s, title="register_files")
    failed = failed_import_seconds("pandas")
    if failed is not None:
        yield (
            f"  failed 'import pandas' attempts (DuckDB converting Python parameters): {attempts.count:,}, "
            f"~{attempts.count * failed:.2f} s ({failed * 1e6:.0f} us each)"
        )
    quarter = max(1, len(per_transaction) // 4)
    yield (
        f"  {len(per_transaction)} write transactions: median {statistics.median(per_transaction):.3f} s; "
        f"first quarter {statistics.median(per_transaction[:quarter]):.3f} s, "
        f"last quarter {statistics.median(per_transaction[-quarter:]):.3f} s"
    )


def _rates(rows: Mapping[str, int], seconds: float) -> str:
    return f"{rows['timeline_extents'] / seconds:10,.0f} extents/s, {rows['files'] / seconds:8,.0f} files/s"


def compare_report(results: Mapping[str, Any]) -> Iterator[str]:
    rows = results["bulk"]["rows"]
    yield f"1-minute load average before the run: {results['load']:.1f} (cores: {os.cpu_count()})"
    yield (
        f"fleet: {rows['devices']:,} devices, {rows['files']:,} files, {rows['topic_partitions']:,} topic "
        f"partitions, {rows['timeline_extents']:,} extents, {rows['sessions']:,} sessions"
    )
    for mode in MODES:
        result = results[mode]
        seconds = result["write_s"]
        steps = ", ".join(f"{step} {s:.1f}s" for step, s in result["steps_s"].items())
        rates = _rates(rows, seconds)
        yield f"  {mode:>4}: written in {seconds:7.1f} s ({rates}){f' [{steps}]' if steps else ''}"
        if result["steps_s"].get("files"):
            files_s = result["steps_s"]["files"] - result["steps_s"]["files: making the requests"]
            yield f"        register_files alone (without making the requests): {_rates(rows, files_s)}"
        yield (
            f"        peak RSS growth while writing {result['write_peak_growth_mib']:7.0f} MiB "
            f"(over {result['rss_with_fleet_mib']:.0f} MiB holding the built fleet)"
        )
        yield (
            f"        catalog {result['bytes_written'] / 2**20:8.1f} MiB as written, "
            f"{result['bytes_compacted'] / 2**20:8.1f} MiB after maintenance ({result['compact_s']:.1f} s)"
        )
    ratio = results["size_ratio"]
    verdict = "met" if ratio <= GOAL_SIZE_RATIO else "NOT met"
    yield f"  size after maintenance, api / bulk: {ratio:.2f}x (goal <= {GOAL_SIZE_RATIO}x: {verdict})"
    same = "the same rows" if not results["differences"] else f"DIFFERENT rows: {results['differences']}"
    yield f"  both catalogs hold {same} (modulo partition and extent ids, audit columns)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("catalog", nargs="?", help="an empty catalog: a new folder, or a PostgreSQL URL")
    parser.add_argument("--mode", choices=MODES, default="bulk", help="how the rows are written")
    parser.add_argument("--compare", action="store_true", help="write the fleet both ways, in temp catalogs")
    parser.add_argument("--devices", type=int, default=None, help="default 10,000 (750 with --compare)")
    parser.add_argument("--sessions-per-device", type=int, default=FleetShape.sessions_per_device)
    parser.add_argument("--days", type=int, default=FleetShape.days)
    parser.add_argument("--seed", type=int, default=FleetShape.seed)
    parser.add_argument("--files-per-transaction", type=int, default=256, help="register_files batches (api)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    parser.add_argument(
        "--profile-api", action="store_true", help="where register_files spends its time (750 devices)"
    )
    args = parser.parse_args()
    default_devices = COMPARE_SHAPE.devices if args.compare or args.profile_api else FleetShape.devices
    shape = FleetShape(
        devices=args.devices or default_devices,
        sessions_per_device=args.sessions_per_device,
        days=args.days,
        seed=args.seed,
    )
    if args.profile_api:
        for line in profile_register_files(shape, args.files_per_transaction):
            print(line)
        return
    if args.compare:
        results = compare(shape, args.files_per_transaction)
        if args.json:
            print(json.dumps(results))
        for line in compare_report(results):
            print(line)
        return
    if args.catalog is None:
        parser.error("give the catalog to write (or --compare)")
    result = write_catalog(args.catalog, shape, args.mode, args.files_per_transaction)
    if args.json:
        print(json.dumps(result))
        return
    for name, count in result["rows"].items():
        print(f"{name:>18}: {count:>12,} rows")
    print(
        f"built {result['build_s']:.1f}s, written {result['write_s']:.1f}s ({args.mode}), "
        f"compacted {result['compact_s']:.1f}s"
    )


if __name__ == "__main__":
    main()
