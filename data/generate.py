"""Generate the embedded default fleet: device metadata, recordings and the ground truth they imply.

Run from the repository root (it rewrites ``data/fleet/``, ``data/devices.yaml`` and
``data/ground_truth.json``; the same bytes on every run: fixed seed, fixed times)::

    .venv/bin/python data/generate.py

Recordings are written with the formats' own writers (``mcap.writer.Writer``, ``rosbags``' ROS 1 and
ROS 2 sqlite3 writers) and, for PX4 ULog, by the small writer below that follows the published
format (https://docs.px4.io/main/en/dev_log/ulog_file_format.html). Payloads are plausible but not
meaningful; what matters is the topics, the timestamps and the identifiers inside the files.

The fleet (org ``org_local``, dataset folder ``data/fleet/``, all times UTC, 2026-04-20..23). Devices:
falcon and hawk (quadcopters, session gap 600 s, both tagged ``formation-alpha``; MCAP from the
companion computer, ULog from PX4) and rover1 (rover, gap 1800 s; ROS 1 bags and ROS 2 sqlite3 bags).
The intended sessions, in the order of ``ground_truth.json`` (by start):

 1. falcon 04-20 09:00-09:12: one flight in two MCAP files 30 s apart (``falcon/2026-04-20_0900_{a,b}``).
 2. rover1 04-20 09:05-09:50: one drive in two ROS 1 bags 5 min apart (``rover1/2026-04-20_drive_{0,1}``);
    it overlaps falcon's session 1 but shares no mission tag with it, so it stays separate.
 3. falcon 04-20 14:00-14:15: one MCAP.
 4. hawk 04-20 16:00-16:10: one MCAP.
 5. falcon 04-21 10:00:30-10:08:30: ULog flight 1 } one ULog (``px4/log_0007_2026-04-21.ulg``, matched by
 6. falcon 04-21 10:12:00-10:20:00: ULog flight 2 } ``ulog.sys_uuid``): arming_state 1->2->1->2->1, the
    flights 3.5 min apart (< 600 s), so only the arming splits the log; each session's contribution is
    the log narrowed to its armed interval (GPS-anchored wall clock).
 7. rover1 04-21 13:00-13:30: one ROS 1 bag.
 8. hawk 04-21 15:00:45-15:11:15: a ULog with one flight (``px4/log_0012_2026-04-21.ulg``), sub-window.
 9. rover1 04-22 09:00-09:20: one ROS 2 bag (``ros2/rover1_2026-04-22/``, matched by its ``/rover1``
    namespace only).
10. formation-alpha 04-22 11:00-11:21:30: falcon (11:00-11:20) and hawk (11:02-11:21:30) overlap and share
    the tag: ONE session with both devices (``missions/formation-alpha/``, matched by MCAP metadata).
11. hawk 04-23 08:00-08:12: one MCAP (the 08:30 file beside it is corrupt).
12. rover1 04-23 14:00-14:50: a ROS 2 bag (14:00-14:25), then a ROS 1 bag 15 min later (< 1800 s).

Not in any session: ``unknown/drone-x.mcap`` (a device the metadata does not list: an unmatched file)
and ``hawk/2026-04-23_0830_crash.mcap`` (its first 4 KiB overwritten with zeros: corrupt, no reader
can open it). Each ULog also holds a little time before arming and after disarming that no session
claims. ``ground_truth.json`` holds the 12 sessions with bounds computed from the times written here
(never from our readers); ``tests/test_fleet_data.py`` checks that the readers agree.
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from mcap.writer import CompressionType
from mcap.writer import Writer as McapWriter
from rosbags.interfaces import Nodetype
from rosbags.rosbag1 import Writer as Rosbag1Writer
from rosbags.rosbag2 import Writer as Rosbag2Writer
from rosbags.typesys import Stores, get_typestore
from rosbags.typesys.store import Typestore
from ruamel.yaml import YAML

SEED = 20260420
DATASET_FOLDER = "fleet"  # under data/: the dataset the main job ingests
MCAP_LIBRARY = "sessions data/generate.py"  # fixed, so the bytes do not depend on the mcap version
S_NS, MS_NS, US_NS = 1_000_000_000, 1_000_000, 1_000

DEVICES_YAML = """\
# Device metadata: which devices exist and how a recording maps to one.
org_id: org_local
datasets: [fleet]   # the dataset folders, relative to this file
device_types:
  quadcopter: {session_gap_s: 600}   # activity more than this apart starts a new session
  rover: {session_gap_s: 1800}
devices:
  - device_id: dv_falcon
    name: falcon
    device_type: quadcopter
    attributes: {serial: QX-0001}
    mission_tags: [formation-alpha]
    match:
      paths: ["falcon/"]  # gitignore-style, relative to the dataset folder
      # any listed identifier equal => this device
      identifiers: {ulog.sys_uuid: "0001-falcon", mcap.metadata.device.id: "falcon"}
  - device_id: dv_hawk
    name: hawk
    device_type: quadcopter
    attributes: {serial: QX-0002}
    mission_tags: [formation-alpha]
    match:
      paths: ["hawk/"]
      identifiers: {ulog.sys_uuid: "0002-hawk", mcap.metadata.device.id: "hawk"}
  - device_id: dv_rover1
    name: rover1
    device_type: rover
    attributes: {serial: RV-0101}
    mission_tags: []
    match:
      paths: ["rover1/"]
      identifiers: {ros.namespace: "/rover1"}
"""
_DEVICE_METADATA = YAML(typ="safe").load(DEVICES_YAML)
SESSION_GAP_S = {name: spec["session_gap_s"] for name, spec in _DEVICE_METADATA["device_types"].items()}
DEVICE_TYPES = {device["device_id"]: device["device_type"] for device in _DEVICE_METADATA["devices"]}


def utc_ns(day: int, hour: int, minute: int, second: int = 0, millisecond: int = 0) -> int:
    """Unix-epoch nanoseconds of 2026-04-``day`` ``hour:minute:second.millisecond`` UTC."""
    seconds = int(datetime(2026, 4, day, hour, minute, second, tzinfo=UTC).timestamp())
    return seconds * S_NS + millisecond * MS_NS


def ticks(start: int, end: int, period: int) -> range:
    """``start, start + period, ...`` up to and including ``end`` (any unit)."""
    return range(start, end + 1, period)


@dataclass
class WrittenFile:
    """What the generator wrote into one file: the facts the ground truth is computed from."""

    relative_path: str
    format: str
    device_id: str | None  # the device the metadata maps it to (None: unmatched)
    identifiers: dict[str, str] = field(default_factory=dict)
    times_ns: list[int] = field(default_factory=list)  # every message's wall-clock time
    armed_ns: list[tuple[int, int]] = field(default_factory=list)  # ULog armed intervals, wall clock
    corrupt: bool = False

    @property
    def window(self) -> tuple[int, int] | None:
        return (min(self.times_ns), max(self.times_ns)) if self.times_ns else None

    def truth(self) -> dict[str, Any]:
        window = self.window
        return {
            "format": self.format,
            "device_id": self.device_id,
            "identifiers": dict(sorted(self.identifiers.items())),
            "window_min_timestamp_ns": window[0] if window else None,
            "window_max_timestamp_ns": window[1] if window else None,
            "armed": [list(interval) for interval in self.armed_ns],
            "corrupt": self.corrupt,
        }


# --- MCAP (quadcopter companion computers) ---------------------------------------------------------

# topic -> (schema name, {field: (typical value, noise)}, period, phase)
_JSON_TOPICS: dict[str, tuple[str, dict[str, tuple[float, float]], int, int]] = {
    "/imu": (
        "sessions.Imu",
        {"ax": (0.0, 0.3), "ay": (0.0, 0.3), "az": (-9.81, 0.3), "gx": (0.0, 0.05), "gy": (0.0, 0.05)},
        200 * MS_NS,
        3 * MS_NS,
    ),
    "/gps": (
        "sessions.Gps",
        {"lat": (47.3977, 0.0005), "lon": (8.5456, 0.0005), "alt": (488.0, 2.0)},
        S_NS,
        11 * MS_NS,
    ),
    "/battery": ("sessions.Battery", {"voltage": (15.8, 0.4), "remaining": (0.6, 0.3)}, 5 * S_NS, 17 * MS_NS),
}


def write_mcap(
    path: Path, written: WrittenFile, device: dict[str, str], start_ns: int, end_ns: int, rng: random.Random
) -> None:
    """An MCAP flight log: /imu 5 Hz, /gps 1 Hz, /battery 0.2 Hz (JSON) and a ``device`` metadata record."""
    events: list[tuple[int, int, bytes]] = []
    with path.open("wb") as file:
        writer = McapWriter(file, compression=CompressionType.ZSTD)
        writer.start(profile="", library=MCAP_LIBRARY)
        for topic, (schema_name, fields, period, phase) in _JSON_TOPICS.items():
            schema = {"type": "object", "properties": {key: {"type": "number"} for key in fields}}
            schema_id = writer.register_schema(schema_name, "jsonschema", json.dumps(schema).encode())
            channel_id = writer.register_channel(topic, "json", schema_id)
            for time_ns in ticks(start_ns + phase, end_ns, period):
                values = {key: round(rng.gauss(mean, noise), 4) for key, (mean, noise) in fields.items()}
                events.append((time_ns, channel_id, json.dumps(values, sort_keys=True).encode()))
        writer.add_metadata("device", device)
        for sequence, (time_ns, channel_id, data) in enumerate(sorted(events)):
            writer.add_message(
                channel_id, log_time=time_ns, data=data, publish_time=time_ns, sequence=sequence
            )
        writer.finish()
    written.identifiers.update({f"mcap.metadata.device.{key}": value for key, value in device.items()})
    written.times_ns.extend(time_ns for time_ns, _, _ in events)


def write_corrupt_mcap(path: Path, rng: random.Random) -> None:
    """A flight log whose first 4 KiB were overwritten with zeros (a card write failure):
    no MCAP magic, no header, and an extension that promises MCAP."""
    scratch = path.with_suffix(".tmp")
    write_mcap(
        scratch, WrittenFile("", "mcap", None), {"id": "hawk"}, utc_ns(23, 8, 30), utc_ns(23, 8, 31), rng
    )
    data = bytearray(scratch.read_bytes())
    scratch.unlink()
    data[:4096] = bytes(min(4096, len(data)))
    path.write_bytes(bytes(data))


# --- ROS bags (the rover) --------------------------------------------------------------------------

ROVER_NAMESPACE = "/rover1"  # every topic but the graph-wide ones lives under it: ros.namespace
# topic -> (message type, period, phase); both rover bag formats carry the same graph.
ROVER_TOPICS = {
    f"{ROVER_NAMESPACE}/pose": ("geometry_msgs/msg/PoseStamped", S_NS, 2 * MS_NS),
    f"{ROVER_NAMESPACE}/cmd_vel": ("geometry_msgs/msg/TwistStamped", S_NS, 7 * MS_NS),
    f"{ROVER_NAMESPACE}/gps/fix": ("sensor_msgs/msg/NavSatFix", S_NS, 13 * MS_NS),
    f"{ROVER_NAMESPACE}/battery": ("sensor_msgs/msg/BatteryState", 5 * S_NS, 19 * MS_NS),
    "/diagnostics": ("diagnostic_msgs/msg/DiagnosticArray", S_NS, 23 * MS_NS),  # graph-wide: no namespace
}


def _default_message(typestore: Typestore, msgtype: str) -> Any:
    """A message of ``msgtype`` with every field zero / empty."""
    _, fields = typestore.fielddefs[msgtype]

    def value(node: tuple[Any, Any]) -> Any:
        kind, detail = node
        if kind == Nodetype.BASE:
            name = detail[0]
            return "" if name == "string" else False if name == "bool" else 0.0 if "float" in name else 0
        if kind == Nodetype.NAME:
            return _default_message(typestore, detail)
        element, length = detail
        if element[0] == Nodetype.BASE and element[1][0] != "string":
            dtype = {"bool": np.bool_, "float32": np.float32, "float64": np.float64}.get(
                element[1][0], np.uint8
            )
            return np.zeros(length if kind == Nodetype.ARRAY else 0, dtype=dtype)
        return [value(element) for _ in range(length if kind == Nodetype.ARRAY else 0)]

    return typestore.types[msgtype](**{name: value(node) for name, node in fields})


def _stamped(template: bytes, time_ns: int, stamp_at: int) -> bytes:
    """``template`` with its header stamp (sec, nanosec: two uint32 at ``stamp_at``) set to ``time_ns``."""
    stamp = struct.pack("<II", time_ns // S_NS, time_ns % S_NS)
    return template[:stamp_at] + stamp + template[stamp_at + 8 :]


def _rover_events(start_ns: int, end_ns: int) -> list[tuple[int, str]]:
    return sorted(
        (time_ns, topic)
        for topic, (_, period, phase) in ROVER_TOPICS.items()
        for time_ns in ticks(start_ns + phase, end_ns, period)
    )


def _rover_templates(typestore: Typestore, serialize: Any) -> dict[str, bytes]:
    """One serialized zero message per topic, its header's frame the rover's base."""
    templates = {}
    for topic, (msgtype, _, _) in ROVER_TOPICS.items():
        message = _default_message(typestore, msgtype)
        message.header.frame_id = f"{ROVER_NAMESPACE[1:]}/base_link"
        templates[topic] = bytes(serialize(message, msgtype))
    return templates


def write_rosbag1(path: Path, written: WrittenFile, start_ns: int, end_ns: int) -> None:
    """A ROS 1 bag (lz4 chunks) of the rover's graph."""
    typestore = get_typestore(Stores.ROS1_NOETIC)
    templates = _rover_templates(typestore, typestore.serialize_ros1)
    writer = Rosbag1Writer(path)
    writer.set_compression(Rosbag1Writer.CompressionFormat.LZ4)
    writer.open()
    connections = {
        topic: writer.add_connection(
            topic, msgtype, typestore=typestore, callerid=f"{ROVER_NAMESPACE}/record"
        )
        for topic, (msgtype, _, _) in ROVER_TOPICS.items()
    }
    events = _rover_events(start_ns, end_ns)
    for time_ns, topic in events:  # a ROS 1 Header is uint32 seq, then the stamp: at byte 4
        writer.write(connections[topic], time_ns, _stamped(templates[topic], time_ns, 4))
    writer.close()
    written.identifiers["ros.namespace"] = ROVER_NAMESPACE
    written.times_ns.extend(time_ns for time_ns, _ in events)


def write_rosbag2(folder: Path, written: WrittenFile, start_ns: int, end_ns: int) -> None:
    """A ROS 2 bag folder (sqlite3 storage, ``metadata.yaml`` beside the ``.db3``) of the rover's graph."""
    typestore = get_typestore(Stores.ROS2_HUMBLE)
    templates = _rover_templates(typestore, typestore.serialize_cdr)
    writer = Rosbag2Writer(folder, version=9)
    writer.open()
    connections = {
        topic: writer.add_connection(topic, msgtype, typestore=typestore)
        for topic, (msgtype, _, _) in ROVER_TOPICS.items()
    }
    events = _rover_events(start_ns, end_ns)
    for time_ns, topic in events:  # CDR: a 4-byte encapsulation header, then Header.stamp at byte 4
        writer.write(connections[topic], time_ns, _stamped(templates[topic], time_ns, 4))
    writer.close()
    written.identifiers["ros.namespace"] = ROVER_NAMESPACE
    written.times_ns.extend(time_ns for time_ns, _ in events)


# --- ULog (PX4 flight controllers) -----------------------------------------------------------------

ULOG_MAGIC = b"ULog\x01\x12\x35"
ULOG_VERSION = 1
_ULOG_STRUCT = {
    "uint8_t": "B",
    "int32_t": "i",
    "uint64_t": "Q",
    "float": "f",
}
# message -> (fields as (type, name), period us, phase us). Packed, no padding: ULog needs none.
# A type may be an array, ``float[4]``; its values are given flat.
ULOG_MESSAGES: dict[str, tuple[list[tuple[str, str]], int, int]] = {
    "vehicle_status": (
        [("uint64_t", "timestamp"), ("uint8_t", "arming_state"), ("uint8_t", "nav_state")],
        500_000,
        3_000,
    ),
    "vehicle_gps_position": (
        [
            ("uint64_t", "timestamp"),
            ("uint64_t", "time_utc_usec"),
            ("int32_t", "lat"),
            ("int32_t", "lon"),
            ("int32_t", "alt"),
            ("uint8_t", "fix_type"),
            ("uint8_t", "satellites_used"),
        ],
        500_000,
        7_000,
    ),
    "vehicle_attitude": (
        [("uint64_t", "timestamp"), ("float[4]", "q")],
        200_000,
        1_000,
    ),
    "battery_status": (
        [("uint64_t", "timestamp"), ("float", "voltage_v"), ("float", "remaining")],
        1_000_000,
        5_000,
    ),
}
ARMING_STATE_STANDBY, ARMING_STATE_ARMED = 1, 2
GPS_FIX_AFTER_US = 4_000_000  # the first seconds of a log have no GPS fix: time_utc_usec = 0


class ULogWriter:
    """The ULog binary layout, written message by message into memory.

    Header: magic, version (uint8), start timestamp (uint64 us). Every message: uint16 payload size,
    uint8 type, payload. Definitions ('B' flag bits first, then 'F' formats, 'I' info) come before
    the data section ('A' subscriptions, 'D' data, 'L' log lines).
    """

    def __init__(self, start_us: int) -> None:
        self.buffer = bytearray(ULOG_MAGIC + struct.pack("<BQ", ULOG_VERSION, start_us))
        # Flag bits: compat_flags[8], incompat_flags[8] (none set), appended_offsets[3] (no appended data)
        self._message(b"B", bytes(16) + struct.pack("<3Q", 0, 0, 0))

    def _message(self, kind: bytes, payload: bytes) -> None:
        self.buffer += struct.pack("<HB", len(payload), ord(kind)) + payload

    def format(self, name: str, fields: list[tuple[str, str]]) -> struct.Struct:
        """An 'F' message, ``name:type field;...``; returns the packing of its data messages."""
        self._message(b"F", (name + ":" + "".join(f"{t} {f};" for t, f in fields)).encode())
        codes = []
        for type_name, _ in fields:
            base, _, count = type_name.rstrip("]").partition("[")
            codes.append(f"{count}{_ULOG_STRUCT[base]}")
        return struct.Struct("<" + "".join(codes))

    def info(self, key: str, value: str) -> None:
        """An 'I' message with a ``char[n]`` value."""
        encoded_key = f"char[{len(value.encode())}] {key}".encode()
        self._message(b"I", bytes([len(encoded_key)]) + encoded_key + value.encode())

    def add_logged(self, msg_id: int, name: str, multi_id: int = 0) -> None:
        self._message(b"A", struct.pack("<BH", multi_id, msg_id) + name.encode())

    def data(self, msg_id: int, payload: bytes) -> None:
        self._message(b"D", struct.pack("<H", msg_id) + payload)

    def log(self, level: int, timestamp_us: int, text: str) -> None:
        """An 'L' message; the level is the ASCII digit PX4 writes ('6' = info)."""
        self._message(b"L", struct.pack("<BQ", ord("0") + level, timestamp_us) + text.encode())


@dataclass(frozen=True)
class ULogFlightPlan:
    """A flight controller's log: boot time in wall clock, log span and armed spans since boot (us)."""

    sys_uuid: str
    boot_wall_ns: int
    log_start_us: int
    log_end_us: int
    armed_us: tuple[tuple[int, int], ...]  # [arm, disarm) in boot microseconds


def write_ulog(path: Path, written: WrittenFile, plan: ULogFlightPlan, rng: random.Random) -> None:
    """A PX4 log: status 2 Hz (arming_state 1 or 2), GPS 2 Hz with UTC time, attitude 5 Hz, battery 1 Hz."""
    offset_us = plan.boot_wall_ns // US_NS  # GPS UTC time - boot time, exact: the reader's median is it
    writer = ULogWriter(plan.log_start_us)
    layouts = {name: writer.format(name, fields) for name, (fields, _, _) in ULOG_MESSAGES.items()}
    for key, value in (
        ("sys_name", "PX4"),
        ("ver_hw", "PX4_FMU_V5X"),
        ("ver_sw", "0123456789abcdef0123456789abcdef01234567"),
        ("sys_uuid", plan.sys_uuid),
    ):
        writer.info(key, value)
    names = list(ULOG_MESSAGES)
    msg_ids = {name: msg_id for msg_id, name in enumerate(names)}
    for name, msg_id in msg_ids.items():
        writer.add_logged(msg_id, name)

    def armed(time_us: int) -> bool:
        return any(arm <= time_us < disarm for arm, disarm in plan.armed_us)

    samples: list[tuple[int, int, tuple[Any, ...]]] = []  # (timestamp us, msg_id, field values)
    for name, (_, period, phase) in ULOG_MESSAGES.items():
        for time_us in ticks(plan.log_start_us + phase, plan.log_end_us, period):
            if name == "vehicle_status":
                state = ARMING_STATE_ARMED if armed(time_us) else ARMING_STATE_STANDBY
                values: tuple[Any, ...] = (time_us, state, 4 if state == ARMING_STATE_ARMED else 0)
            elif name == "vehicle_gps_position":
                fixed = time_us >= plan.log_start_us + GPS_FIX_AFTER_US
                utc_us = time_us + offset_us if fixed else 0
                lat, lon = 473_977_420 + rng.randrange(-500, 500), 85_455_940 + rng.randrange(-500, 500)
                values = (
                    time_us,
                    utc_us,
                    lat,
                    lon,
                    488_000 + rng.randrange(-2000, 2000),
                    3 if fixed else 0,
                    12,
                )
            elif name == "vehicle_attitude":
                values = (time_us, 1.0, 0.0, 0.0, round(rng.uniform(-0.1, 0.1), 4))
            else:
                values = (time_us, round(rng.uniform(15.0, 16.8), 2), round(rng.uniform(0.2, 1.0), 2))
            samples.append((time_us, msg_ids[name], values))
    samples.sort(key=lambda sample: (sample[0], sample[1]))
    arm_events = [(arm, "Armed by RC") for arm, _ in plan.armed_us] + [
        (disarm, "Disarmed by landing") for _, disarm in plan.armed_us
    ]
    pending_logs = sorted(arm_events)
    for time_us, msg_id, values in samples:
        while pending_logs and pending_logs[0][0] <= time_us:
            writer.log(6, *pending_logs.pop(0))
        writer.data(msg_id, layouts[names[msg_id]].pack(*values))
    path.write_bytes(bytes(writer.buffer))

    # The truth, from the samples written: armed from the first armed status sample to the first
    # one after it that is not armed; wall clock = boot time + the GPS offset.
    status = [(t, values[1]) for t, msg_id, values in samples if msg_id == msg_ids["vehicle_status"]]
    start = None
    for time_us, state in status:
        if state == ARMING_STATE_ARMED and start is None:
            start = time_us
        elif state != ARMING_STATE_ARMED and start is not None:
            written.armed_ns.append((start * US_NS + plan.boot_wall_ns, time_us * US_NS + plan.boot_wall_ns))
            start = None
    assert start is None, "every planned flight ends disarmed before the log ends"
    written.identifiers.update(
        {"ulog.sys_uuid": plan.sys_uuid, "ulog.sys_name": "PX4", "ulog.ver_hw": "PX4_FMU_V5X"}
    )
    written.times_ns.extend(time_us * US_NS + plan.boot_wall_ns for time_us, _, _ in samples)


# --- the fleet -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSession:
    """An intended session: which files (and, for a ULog, which armed interval) it is made of."""

    description: str
    parts: tuple[tuple[str, int | None], ...]  # (relative path, index of the ULog armed interval or None)


FALCON_MCAP = {"id": "falcon", "serial": "QX-0001"}
HAWK_MCAP = {"id": "hawk", "serial": "QX-0002"}
DRONE_X_MCAP = {"id": "drone-x", "serial": "QX-9999"}
FALCON_ULOG = "px4/log_0007_2026-04-21.ulg"
HAWK_ULOG = "px4/log_0012_2026-04-21.ulg"
ROVER_BAG2_DAY22 = "ros2/rover1_2026-04-22/rover1_2026-04-22.db3"
ROVER_BAG2_DAY23 = "ros2/rover1_2026-04-23/rover1_2026-04-23.db3"

SESSIONS = (
    PlannedSession(
        "falcon 04-20 09:00, one flight in two MCAP files 30 s apart",
        (("falcon/2026-04-20_0900_a.mcap", None), ("falcon/2026-04-20_0900_b.mcap", None)),
    ),
    PlannedSession(
        "rover1 04-20 09:05, one drive in two ROS 1 bags 5 min apart (overlaps falcon, no shared tag)",
        (("rover1/2026-04-20_drive_0.bag", None), ("rover1/2026-04-20_drive_1.bag", None)),
    ),
    PlannedSession("falcon 04-20 14:00, one MCAP", (("falcon/2026-04-20_1400.mcap", None),)),
    PlannedSession("hawk 04-20 16:00, one MCAP", (("hawk/2026-04-20_1600.mcap", None),)),
    PlannedSession("falcon 04-21 10:00, ULog flight 1 of 2 (armed interval)", ((FALCON_ULOG, 0),)),
    PlannedSession("falcon 04-21 10:12, ULog flight 2 of 2, 3.5 min after flight 1", ((FALCON_ULOG, 1),)),
    PlannedSession("rover1 04-21 13:00, one ROS 1 bag", (("rover1/2026-04-21_drive.bag", None),)),
    PlannedSession("hawk 04-21 15:00, ULog with one flight (armed interval)", ((HAWK_ULOG, 0),)),
    PlannedSession(
        "rover1 04-22 09:00, one ROS 2 bag (matched by its /rover1 namespace)", ((ROVER_BAG2_DAY22, None),)
    ),
    PlannedSession(
        "formation-alpha 04-22 11:00, falcon and hawk overlapping: one session, two devices",
        (
            ("missions/formation-alpha/2026-04-22_falcon.mcap", None),
            ("missions/formation-alpha/2026-04-22_hawk.mcap", None),
        ),
    ),
    PlannedSession(
        "hawk 04-23 08:00, one MCAP (the 08:30 file is corrupt)", (("hawk/2026-04-23_0800.mcap", None),)
    ),
    PlannedSession(
        "rover1 04-23 14:00, a ROS 2 bag then a ROS 1 bag 15 min later",
        ((ROVER_BAG2_DAY23, None), ("rover1/2026-04-23_drive_tail.bag", None)),
    ),
)


def _write_fleet(root: Path, rng: random.Random) -> Iterator[WrittenFile]:
    """Write every recording under ``root``; yield what was written, one file at a time."""

    def target(relative_path: str) -> Path:
        path = root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    mcaps: list[tuple[str, str | None, dict[str, str], int, int]] = [
        ("falcon/2026-04-20_0900_a.mcap", "dv_falcon", FALCON_MCAP, utc_ns(20, 9, 0), utc_ns(20, 9, 6)),
        ("falcon/2026-04-20_0900_b.mcap", "dv_falcon", FALCON_MCAP, utc_ns(20, 9, 6, 30), utc_ns(20, 9, 12)),
        ("falcon/2026-04-20_1400.mcap", "dv_falcon", FALCON_MCAP, utc_ns(20, 14, 0), utc_ns(20, 14, 15)),
        ("hawk/2026-04-20_1600.mcap", "dv_hawk", HAWK_MCAP, utc_ns(20, 16, 0), utc_ns(20, 16, 10)),
        (
            "missions/formation-alpha/2026-04-22_falcon.mcap",
            "dv_falcon",
            FALCON_MCAP,
            utc_ns(22, 11, 0),
            utc_ns(22, 11, 20),
        ),
        (
            "missions/formation-alpha/2026-04-22_hawk.mcap",
            "dv_hawk",
            HAWK_MCAP,
            utc_ns(22, 11, 2),
            utc_ns(22, 11, 21, 30),
        ),
        ("hawk/2026-04-23_0800.mcap", "dv_hawk", HAWK_MCAP, utc_ns(23, 8, 0), utc_ns(23, 8, 12)),
        ("unknown/drone-x.mcap", None, DRONE_X_MCAP, utc_ns(22, 16, 0), utc_ns(22, 16, 10)),
    ]
    for relative_path, device_id, device, start_ns, end_ns in mcaps:
        written = WrittenFile(relative_path, "mcap", device_id)
        write_mcap(target(relative_path), written, device, start_ns, end_ns, rng)
        yield written

    corrupt = WrittenFile("hawk/2026-04-23_0830_crash.mcap", "mcap", "dv_hawk", corrupt=True)
    write_corrupt_mcap(target(corrupt.relative_path), rng)
    yield corrupt

    ulogs = [
        # falcon: boots 09:59:40, logs 10:00:00-10:20:20; armed 10:00:30-10:08:30 and 10:12:00-10:20:00.
        (
            FALCON_ULOG,
            "dv_falcon",
            ULogFlightPlan(
                "0001-falcon",
                utc_ns(21, 9, 59, 40, 250),
                20_000_000,
                1_240_000_000,
                ((50_000_000, 530_000_000), (740_000_000, 1_220_000_000)),
            ),
        ),
        # hawk: boots 14:59:30, logs 15:00:00-15:12:00; armed 15:00:45-15:11:15.
        (
            HAWK_ULOG,
            "dv_hawk",
            ULogFlightPlan(
                "0002-hawk",
                utc_ns(21, 14, 59, 30, 125),
                30_000_000,
                750_000_000,
                ((75_000_000, 705_000_000),),
            ),
        ),
    ]
    for relative_path, device_id, plan in ulogs:
        written = WrittenFile(relative_path, "ulog", device_id)
        write_ulog(target(relative_path), written, plan, rng)
        yield written

    bags1 = [
        ("rover1/2026-04-20_drive_0.bag", utc_ns(20, 9, 5), utc_ns(20, 9, 25)),
        ("rover1/2026-04-20_drive_1.bag", utc_ns(20, 9, 30), utc_ns(20, 9, 50)),
        ("rover1/2026-04-21_drive.bag", utc_ns(21, 13, 0), utc_ns(21, 13, 30)),
        ("rover1/2026-04-23_drive_tail.bag", utc_ns(23, 14, 40), utc_ns(23, 14, 50)),
    ]
    for relative_path, start_ns, end_ns in bags1:
        written = WrittenFile(relative_path, "rosbag1", "dv_rover1")
        write_rosbag1(target(relative_path), written, start_ns, end_ns)
        yield written

    bags2 = [
        (ROVER_BAG2_DAY22, utc_ns(22, 9, 0), utc_ns(22, 9, 20)),
        (ROVER_BAG2_DAY23, utc_ns(23, 14, 0), utc_ns(23, 14, 25)),
    ]
    for relative_path, start_ns, end_ns in bags2:
        written = WrittenFile(relative_path, "rosbag2", "dv_rover1")
        folder = target(relative_path).parent
        folder.rmdir()  # the rosbag2 writer creates the bag folder itself
        write_rosbag2(folder, written, start_ns, end_ns)
        yield written


def _session_truth(plan: PlannedSession, files: dict[str, WrittenFile]) -> dict[str, Any]:
    contributions = []
    for relative_path, armed_index in sorted(plan.parts):
        written = files[relative_path]
        window = written.window if armed_index is None else written.armed_ns[armed_index]
        assert window is not None, relative_path
        contributions.append(
            {
                "relative_path": relative_path,
                "range_min_timestamp_ns": None if armed_index is None else window[0],
                "range_max_timestamp_ns": None if armed_index is None else window[1],
                "window": window,
            }
        )
    bounds = [c.pop("window") for c in contributions]
    return {
        "description": plan.description,
        "device_ids": sorted({files[path].device_id for path, _ in plan.parts}),  # type: ignore[type-var]
        "min_timestamp_ns": min(lo for lo, _ in bounds),
        "max_timestamp_ns": max(hi for _, hi in bounds),
        "contributions": contributions,
    }


def _check_plan(sessions: list[dict[str, Any]], files: dict[str, WrittenFile]) -> None:
    """The plan is unambiguous: every matched, readable file takes part, and one device's sessions lie
    more than its gap apart unless they are armed intervals of one ULog (split by arming alone)."""
    used = {c["relative_path"] for s in sessions for c in s["contributions"]}
    expected = {p for p, f in files.items() if f.device_id and not f.corrupt}
    assert used == expected, sorted(used ^ expected)
    for device_id, device_type in DEVICE_TYPES.items():
        gap_ns = SESSION_GAP_S[device_type] * S_NS
        mine = sorted(
            (s for s in sessions if device_id in s["device_ids"]), key=lambda s: s["min_timestamp_ns"]
        )
        for before, after in itertools.pairwise(mine):
            if after["min_timestamp_ns"] - before["max_timestamp_ns"] > gap_ns:
                continue
            paths = {c["relative_path"] for c in before["contributions"] + after["contributions"]}
            sub_windows = all(
                c["range_min_timestamp_ns"] is not None
                for c in before["contributions"] + after["contributions"]
            )
            assert len(paths) == 1 and sub_windows, f"{device_id}: sessions within the gap: {sorted(paths)}"


def generate(out_dir: Path) -> dict[str, Any]:
    """Write the fleet, ``devices.yaml`` and ``ground_truth.json`` under ``out_dir``; return the truth."""
    out_dir = Path(out_dir)
    root = out_dir / DATASET_FOLDER
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = random.Random(SEED)
    files = {written.relative_path: written for written in _write_fleet(root, rng)}
    sessions = sorted(
        (_session_truth(plan, files) for plan in SESSIONS),
        key=lambda s: (s["min_timestamp_ns"], s["device_ids"]),
    )
    _check_plan(sessions, files)
    truth = {
        "org_id": _DEVICE_METADATA["org_id"],
        "dataset_folder": DATASET_FOLDER,
        "session_gap_s": SESSION_GAP_S,
        "sessions": sessions,
        "unmatched_files": sorted(p for p, f in files.items() if f.device_id is None),
        "corrupt_files": sorted(p for p, f in files.items() if f.corrupt),
        "files": {path: files[path].truth() for path in sorted(files)},
    }
    (out_dir / "devices.yaml").write_text(DEVICES_YAML, encoding="utf-8")
    (out_dir / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


if __name__ == "__main__":
    data_dir = Path(__file__).resolve().parent
    written_truth = generate(data_dir)
    print(
        f"wrote {len(written_truth['files'])} recordings and {len(written_truth['sessions'])} sessions "
        f"of ground truth under {data_dir}"
    )
