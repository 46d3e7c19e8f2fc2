"""The MCAP reader's ``messages``: a window of one topic, read by chunk index.

Oracle: the messages written (JSON, several topics, many chunks). The bytes the process reads
(``/proc/self/io`` ``rchar``) show that only the chunks overlapping the window are read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcap.writer import CompressionType, Writer

from sessions_lib.readers.mcap import READER
from sessions_lib.readers.messages import TopicSlice

MS = 1_000_000
T0 = 1_776_902_400_000 * MS


def read_chars() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, dict]]]:
    """10,000 /pose messages (1 kHz, 10 s) among /noise messages of 2 KiB, in chunks of 64 KiB."""
    path = tmp_path_factory.mktemp("mcap-messages") / "flight.mcap"
    written = []
    with path.open("wb") as stream:
        writer = Writer(stream, chunk_size=64 * 1024, compression=CompressionType.NONE)
        writer.start()
        schema = writer.register_schema("Pose", "jsonschema", b"{}")
        pose = writer.register_channel("/pose", "json", schema)
        noise = writer.register_channel("/noise", "json", schema)
        for i in range(10_000):
            t = T0 + i * MS
            message = {"i": i, "p": {"x": i / 3}}
            writer.add_message(pose, t, json.dumps(message).encode(), t)
            writer.add_message(noise, t, json.dumps({"pad": "x" * 2048}).encode(), t)
            written.append((t, message))
        writer.finish()
    return path, written


def test_a_window_reads_only_its_chunks_and_equals_what_was_written(recording):
    path, written = recording
    assert READER.messages is not None
    low, high = T0 + 5_000 * MS, T0 + 5_099 * MS  # 1% of the file's time, both ends closed
    list(READER.messages(TopicSlice(path, "/pose", T0, T0)))  # the decoders' modules imported
    before = read_chars()
    batches = list(READER.messages(TopicSlice(path, "/pose", low, high)))
    read = read_chars() - before
    assert read < 0.05 * path.stat().st_size
    rows = [row for batch in batches for row in batch.to_pylist()]
    assert [(r["timestamp_ns"], r["i"], r["p.x"]) for r in rows] == [
        (t, m["i"], m["p"]["x"]) for t, m in written if low <= t <= high
    ]


def test_fields_and_open_windows(recording):
    path, written = recording
    assert READER.messages is not None
    batches = list(READER.messages(TopicSlice(path, "/pose", None, T0 + 9 * MS, fields=("p",))))
    assert [b.schema.names for b in batches] == [["timestamp_ns", "p.x"]]
    assert batches[0].column("timestamp_ns").to_pylist() == [t for t, _ in written[:10]]
    tail = list(READER.messages(TopicSlice(path, "/pose", T0 + 9_990 * MS, None)))
    assert sum(b.num_rows for b in tail) == 10


def test_a_topic_on_two_channels_keeps_time_order_and_each_schema(tmp_path: Path):
    path = tmp_path / "two.mcap"
    with path.open("wb") as stream:
        writer = Writer(stream)
        writer.start()
        first = writer.register_channel("/state", "json", writer.register_schema("A", "jsonschema", b"{}"))
        second = writer.register_channel("/state", "json", writer.register_schema("B", "jsonschema", b"{}"))
        for i in range(20):
            channel, payload = (first, {"a": i}) if i % 3 else (second, {"b": {"c": i}})
            writer.add_message(channel, T0 + i * MS, json.dumps(payload).encode(), T0 + i * MS)
        writer.finish()
    assert READER.messages is not None
    rows = [row for b in READER.messages(TopicSlice(path, "/state")) for row in b.to_pylist()]
    assert [r["timestamp_ns"] for r in rows] == [T0 + i * MS for i in range(20)]
    assert [r.get("a", r.get("b.c")) for r in rows] == list(range(20))
    assert list(READER.messages(TopicSlice(path, "/state", T0 + 5 * MS, T0 + 4 * MS))) == []
