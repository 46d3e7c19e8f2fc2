"""A session's topic data from real MCAP recordings (``mcap/`` and the ROS 2 bags with MCAP
storage), through ``Session.get_topic`` on a catalog that ingested them, against an oracle: every
message decoded by a full pass of ``mcap``'s non-seeking reader with the encodings' own decoders
(ROS 2, ROS 1, protobuf, JSON), filtered by time in Python.

For every topic of every file, in a random window of the topic: the same count, the same log
times, and the same values of a few scalar fields in the first and last rows.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcap.reader import NonSeekingReader
from mcap_protobuf.decoder import DecoderFactory as ProtobufDecoderFactory
from mcap_ros1.decoder import DecoderFactory as Ros1DecoderFactory
from mcap_ros2.decoder import DecoderFactory as Ros2DecoderFactory

from sessions_lib import Client, Dataset, ReaderError, Session, ingest_folder

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
FOLDERS = sorted([REAL / "mcap", *REAL.glob("ros2/*_mcap")]) if REAL.is_dir() else []

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not FOLDERS, reason=f"no real MCAP recordings under {REAL}"),
]


class JsonFactory:
    def decoder_for(self, message_encoding: str, schema: Any) -> Any:
        return json.loads if message_encoding == "json" else None


def oracle(path: Path) -> dict[str, list[tuple[int, Any]] | Exception]:
    """Every message of the file by topic, decoded in one pass: (log time, decoded), or the error
    its library raised for a topic it cannot decode."""
    factories = [Ros2DecoderFactory(), Ros1DecoderFactory(), ProtobufDecoderFactory(), JsonFactory()]
    found: dict[str, list[tuple[int, Any]] | Exception] = {}
    with path.open("rb") as file:
        for schema, channel, message in NonSeekingReader(file).iter_messages():
            held = found.setdefault(channel.topic, [])
            if isinstance(held, Exception):
                continue
            try:
                decoder = next(
                    d for f in factories if (d := f.decoder_for(channel.message_encoding, schema)) is not None
                )
                held.append((message.log_time, decoder(message.data)))
            except Exception as error:
                found[channel.topic] = error
    for held in found.values():
        if isinstance(held, list):
            held.sort(key=lambda pair: pair[0])
    return found


def value_at(decoded: Any, column: str) -> Any:
    """The oracle's value of a flattened column (``a.b.c``) in a decoded message."""
    for key in column.split("."):
        decoded = decoded[key] if isinstance(decoded, dict) else getattr(decoded, key)
    return decoded


def scalar_columns(row: dict[str, Any]) -> Iterator[str]:
    for name, value in row.items():
        if name not in ("log_time_ns", "file_id") and isinstance(value, bool | int | float | str):
            yield name


@pytest.fixture(scope="module")
def real_sessions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Client, list[tuple[Path, Session]]]:
    """One catalog holding every real MCAP folder, and one session per file holding it whole."""
    client = Client(tmp_path_factory.mktemp("real-topic-data") / "catalog", org_ids=["org_real"])
    sessions = []
    for folder in FOLDERS:
        report = ingest_folder(folder, roboto_client=client)
        assert not report.failed, report.failed
        for file in Dataset.from_id(report.dataset_id, roboto_client=client).list_files():
            session = Session.create(name=file.relative_path[:120], roboto_client=client).add_file(
                file.file_id
            )
            sessions.append((folder / file.relative_path, session))
    return client, sessions


def test_every_topic_in_a_random_window_equals_the_full_decode(real_sessions):
    _, sessions = real_sessions
    random_ = random.Random(16)
    compared = undecodable = 0
    for path, session in sessions:
        expected_by_topic = oracle(path)
        for topic in session.list_topics():
            expected = expected_by_topic[topic.name]
            data = session.get_topic(topic.name)
            if isinstance(expected, Exception):  # the format's own library cannot decode it either
                with pytest.raises(ReaderError, match=topic.name):
                    data.get_data_as_df()
                undecodable += 1
                continue
            times = [t for t, _ in expected]
            low, high = sorted(random_.choice(times) for _ in range(2))
            inside = [(t, m) for t, m in expected if low <= t <= high]
            frame = data.get_data_as_df(start_time_ns=low, end_time_ns=high)
            assert frame["log_time_ns"].to_list() == [t for t, _ in inside], (path, topic.name)
            assert set(frame["file_id"]) <= {f.file_id for f in session.list_files()}
            rows = frame.to_dicts()
            for row, (_, message) in [(rows[0], inside[0]), (rows[-1], inside[-1])]:
                for column in list(scalar_columns(row))[:4]:
                    assert row[column] == pytest.approx(value_at(message, column)), (path, topic.name, column)
            compared += 1
    assert compared > 100 and undecodable >= 1


def test_whole_topic_as_nested_dicts_equals_the_full_decode(real_sessions):
    """``get_data`` without a window: every message of a ROS 2 topic, nested as decoded."""
    _, sessions = real_sessions
    path, session = next((p, s) for p, s in sessions if p.name == "talker.mcap")
    expected = oracle(path)["/rosout"]
    assert isinstance(expected, list)
    got = list(session.get_topic("/rosout").get_data())
    assert [t for t, _ in got] == [t for t, _ in expected]
    for (_, message), (_, decoded) in zip(got, expected, strict=True):
        assert message["msg"] == decoded.msg
        assert message["stamp"] == {"sec": decoded.stamp.sec, "nanosec": decoded.stamp.nanosec}
