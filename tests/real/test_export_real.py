"""MCAP export of sessions made of real recordings (MCAP files, ROS 1 bags, ROS 2 .db3 files).

Oracles read each source in full with the format's own library and filter by the window in
Python: ``mcap`` for MCAP files, ``rosbags``' rosbag1 ``Reader`` for bags (connections, times,
raw bytes, message definitions), and ``rosbags``' rosbag2 ``Reader`` over the bag directories
whose metadata.yaml is truthful. The export is read back with ``mcap``. Each recording is
exported whole and in a sub-window (its middle third).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from mcap.reader import make_reader
from rosbags.rosbag1 import Reader as Bag1Reader
from rosbags.rosbag2 import Reader as Bag2Reader

from sessions_lib import Client, Dataset, Session
from sessions_lib.ingest import ingest_folder

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
TRUTHFUL_ROS2 = (
    "rosbag2_cdr_test_sqlite3",
    "rosbag2_topics_and_service_events_sqlite3",
    "rosbags-rs_test_bag_sqlite3",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REAL.is_dir(), reason=f"no real recordings under {REAL}"),
]

# (topic, log_time, bytes, schema name, schema encoding, message encoding); the schema data is
# compared per format below.
Row = tuple[str, int, bytes, str, str, str]


def exported(path: Path) -> tuple[list[Row], dict[str, bytes]]:
    """The export's messages (checked to be in log-time order) and each topic's schema data."""
    with path.open("rb") as stream:
        reader = make_reader(stream)
        rows, schemas = [], {}
        for schema, channel, message in reader.iter_messages(log_time_order=False):
            rows.append(
                (
                    channel.topic,
                    message.log_time,
                    bytes(message.data),
                    schema.name,
                    schema.encoding,
                    channel.message_encoding,
                )
            )
            schemas[channel.topic] = bytes(schema.data)
        summary = reader.get_summary()
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)
    assert summary.statistics.message_count == len(rows)
    assert (summary.chunk_indexes != []) == bool(rows)
    return rows, schemas


def middle_third(times: list[int]) -> tuple[int, int]:
    lo, hi = min(times), max(times)
    return lo + (hi - lo) // 3, hi - (hi - lo) // 3


def export_both(client: Client, file_id: str, times: list[int], tmp_path: Path):
    """The file exported whole and in its middle third: ((window, rows, schemas), ...)."""
    results = []
    for window in ((min(times), max(times)), middle_third(times)):
        session = Session.create(f"export {file_id}", roboto_client=client)
        if window == (min(times), max(times)):
            session.add_file(file_id)
        else:
            session.add_file(file_id, *window)
        out = tmp_path / f"{file_id}-{window[0]}.mcap"
        session.export_mcap(out)
        results.append((window, *exported(out)))
    return results


def ingested(client: Client, folder: Path) -> dict[str, str]:
    report = ingest_folder(folder, roboto_client=client)
    files = Dataset.from_id(report.dataset_id, roboto_client=client).list_files()
    return {f.relative_path: f.file_id for f in files if f.format in ("mcap", "rosbag1", "rosbag2")}


def within(rows: list[Row], window: tuple[int, int]) -> Counter[Row]:
    return Counter(r for r in rows if window[0] <= r[1] <= window[1])


def test_mcap_recordings(client: Client, tmp_path: Path):
    files = ingested(client, REAL / "mcap") | {
        f"ros2/{k}": v for k, v in ingested(client, REAL / "ros2").items() if k.endswith(".mcap")
    }
    assert len(files) >= 10
    for relative, file_id in files.items():
        path = REAL / relative if relative.startswith("ros2/") else REAL / "mcap" / relative
        with path.open("rb") as stream:
            source = [
                (
                    (
                        c.topic,
                        m.log_time,
                        bytes(m.data),
                        s.name if s else "",
                        s.encoding if s else "",
                        c.message_encoding,
                    ),
                    bytes(s.data) if s else b"",
                )
                for s, c, m in make_reader(stream).iter_messages(log_time_order=False)
            ]
        rows = [r for r, _ in source]
        for window, got, schemas in export_both(client, file_id, [r[1] for r in rows], tmp_path):
            assert Counter(got) == within(rows, window), (relative, window)
            assert all(schemas[r[0]] == data for r, data in source if r[0] in schemas), relative


def test_ros1_bags(client: Client, tmp_path: Path):
    files = ingested(client, REAL / "ros1")
    for relative, file_id in files.items():
        with Bag1Reader(REAL / "ros1" / relative) as bag:
            definitions = {c.topic: c.msgdef.data.encode() for c in bag.connections}
            rows = [
                (c.topic, t, bytes(data), c.msgtype.replace("/msg/", "/"), "ros1msg", "ros1")
                for c, t, data in bag.messages()
            ]
        if not rows:
            continue
        for window, got, schemas in export_both(client, file_id, [r[1] for r in rows], tmp_path):
            assert Counter(got) == within(rows, window), (relative, window)
            assert {t: definitions[t] for t in schemas} == schemas


def test_ros2_db3_files(client: Client, tmp_path: Path):
    files = ingested(client, REAL / "ros2")
    checked = 0
    for folder in TRUTHFUL_ROS2:
        with Bag2Reader(REAL / "ros2" / folder) as bag:
            rows = [(c.topic, t, bytes(data), c.msgtype, "ros2msg", "cdr") for c, t, data in bag.messages()]
            msgtypes = {c.topic: c.msgtype for c in bag.connections}
        (file_id,) = [v for k, v in files.items() if k.startswith(folder + "/") and k.endswith(".db3")]
        for window, got, schemas in export_both(client, file_id, [r[1] for r in rows], tmp_path):
            assert Counter(got) == within(rows, window), (folder, window)
            # every schema carries a definition (empty only for a message without fields)
            assert all(data or msgtypes[t].endswith("/Empty") for t, data in schemas.items()), folder
        checked += 1
    assert checked == len(TRUTHFUL_ROS2)
