"""``Session.export_mcap`` and ``sessions export``: one MCAP of a session's messages inside its windows.

The oracle is the ``mcap`` library reading each source file in full (no window, no index),
filtered in Python by each contribution's wall-clock window; the export is read back with the
same library. Sources are MCAP files written here, with known times, schemas and channels.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from mcap.reader import make_reader
from mcap.writer import Writer
from typer.testing import CliRunner

from sessions_lib import Client, Dataset, InvalidRequestError, Session
from sessions_lib.ingest import ingest_folder

S = 1_000_000_000
MS = 1_000_000
T0 = 1_776_902_400 * S  # 2026-04-23T00:00:00Z
IMU_SCHEMA = b'{"type":"object","properties":{"ax":{"type":"number"}}}'
GPS_SCHEMA = b'{"type":"object","properties":{"lat":{"type":"number"}}}'
GPS_SCHEMA_V2 = b'{"type":"object","properties":{"lat":{"type":"number"},"lon":{"type":"number"}}}'
# (topic, period) of every file: a fast topic, a slower one, and a latched-style one.
TOPICS = (("/imu", 10 * MS), ("/gps", 100 * MS), ("/map", 7 * S))

# A message as compared: (topic, log_time, publish_time, sequence, data, schema name, schema
# encoding, schema data, message encoding).
Row = tuple[str, int, int, int, bytes, str, str, bytes, str]


def write_mcap(path: Path, start_ns: int, seconds: int, gps_schema: bytes = GPS_SCHEMA) -> None:
    """A chunked MCAP of ``seconds`` of the three topics, starting at ``start_ns`` (small chunks:
    a window covers several, and a sub-window starts inside one)."""
    with path.open("wb") as stream:
        writer = Writer(stream, chunk_size=4096)
        writer.start(profile="", library="test")
        schemas = {
            "/imu": writer.register_schema("Imu", "jsonschema", IMU_SCHEMA),
            "/gps": writer.register_schema("Gps", "jsonschema", gps_schema),
            "/map": writer.register_schema("Map", "jsonschema", b"{}"),
        }
        channels = {
            topic: writer.register_channel(topic, "json", schemas[topic], {"source": path.name})
            for topic, _ in TOPICS
        }
        messages = sorted(
            (start_ns + k * period, topic)
            for topic, period in TOPICS
            for k in range(seconds * S // period + 1)
        )
        for sequence, (time, topic) in enumerate(messages):
            data = json.dumps({"t": time, "topic": topic, "file": path.name}).encode()
            writer.add_message(channels[topic], time, data, time - 1_000, sequence)
        writer.finish()


def source_rows(
    path: Path, window: tuple[int, int], offset: int = 0, topics: set[str] | None = None
) -> list[Row]:
    """The oracle: every message of the file read through in full, kept when its wall time is in
    the closed window (and its topic wanted), with wall-clock times."""
    with path.open("rb") as stream:
        rows = [
            row(schema, channel, message, offset)
            for schema, channel, message in make_reader(stream).iter_messages(log_time_order=False)
        ]
    return [r for r in rows if window[0] <= r[1] <= window[1] and (topics is None or r[0] in topics)]


def row(schema, channel, message, offset: int = 0) -> Row:
    return (
        channel.topic,
        message.log_time + offset,
        message.publish_time + offset,
        message.sequence,
        bytes(message.data),
        schema.name if schema else "",
        schema.encoding if schema else "",
        bytes(schema.data) if schema else b"",
        channel.message_encoding,
    )


def exported_rows(path: Path) -> list[Row]:
    """The export read back in file order; it must already be in log-time order."""
    with path.open("rb") as stream:
        rows = [row(*m) for m in make_reader(stream).iter_messages(log_time_order=False)]
    times = [r[1] for r in rows]
    assert times == sorted(times), "the export is not in log-time order"
    return rows


def summary_of(path: Path):
    with path.open("rb") as stream:
        reader = make_reader(stream)
        return reader.get_summary(), list(reader.iter_metadata())


@pytest.fixture
def fleet(tmp_path: Path, client: Client) -> dict[str, str]:
    """Three MCAP files ingested into one dataset: ``a`` from T0 (60 s), ``b`` from T0+50 s (60 s,
    overlapping ``a``), ``c`` from T0+120 s (30 s) with another /gps schema; file ids by name."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    write_mcap(folder / "a.mcap", T0, 60)
    write_mcap(folder / "b.mcap", T0 + 50 * S, 60)
    write_mcap(folder / "c.mcap", T0 + 120 * S, 30, gps_schema=GPS_SCHEMA_V2)
    report = ingest_folder(folder, roboto_client=client)
    assert not report.failed
    files = Dataset.from_id(report.dataset_id, roboto_client=client).list_files()
    return {Path(f.relative_path).stem: f.file_id for f in files} | {"folder": str(folder)}


def folder_of(fleet: dict[str, str]) -> Path:
    return Path(fleet["folder"])


def test_a_session_of_one_whole_file_exports_that_file(client: Client, fleet, tmp_path: Path):
    session = Session.create("one file", roboto_client=client).add_file(fleet["a"])
    out = tmp_path / "out.mcap"
    report = session.export_mcap(out)

    expected = source_rows(folder_of(fleet) / "a.mcap", (0, 2**63))
    got = exported_rows(out)
    assert sorted(got) == sorted(expected)
    assert report.message_count == len(expected) and report.latched_count == 0
    assert report.topics == ("/gps", "/imu", "/map") and report.file_ids == (fleet["a"],)

    summary, _ = summary_of(out)
    assert summary.statistics.message_count == len(expected)
    assert summary.statistics.channel_count == 3 and summary.statistics.schema_count == 3
    assert summary.chunk_indexes and all(i.message_index_offsets for i in summary.chunk_indexes)
    counts = Counter(r[0] for r in expected)
    by_topic = {c.topic: c.id for c in summary.channels.values()}
    assert {t: summary.statistics.channel_message_counts[i] for t, i in by_topic.items()} == counts
    assert not list(tmp_path.glob("*.partial"))


def test_three_files_with_sub_windows_keep_exactly_the_windows_in_time_order(
    client: Client, fleet, tmp_path: Path
):
    windows = {
        "a": (T0 + 10 * S + 5 * MS, T0 + 40 * S),  # starts between two /imu messages
        "b": (T0 + 45 * S, T0 + 200 * S),  # wider than the file
        "c": (T0 + 130 * S, T0 + 140 * S),
    }
    session = Session.create("three files", roboto_client=client)
    for name, (lo, hi) in windows.items():
        session.add_file(fleet[name], lo, hi)
    session.add_file(fleet["c"], *windows["c"])  # re-added: still held once
    out = tmp_path / "out.mcap"
    report = session.export_mcap(out)

    expected = [
        r for name, window in windows.items() for r in source_rows(folder_of(fleet) / f"{name}.mcap", window)
    ]
    got = exported_rows(out)
    assert sorted(got) == sorted(expected)
    assert report.message_count == len(expected)
    # a and b overlap from T0+50 s: both files' messages are there, interleaved by time
    assert {json.loads(r[4])["file"] for r in got if T0 + 50 * S <= r[1] <= T0 + 51 * S} == {"b.mcap"}
    assert {json.loads(r[4])["file"] for r in got if T0 + 39 * S <= r[1] <= T0 + 40 * S} == {"a.mcap"}

    # Channels: one per topic and schema across files (c's /gps has another schema); schemas likewise.
    summary, metadata = summary_of(out)
    channels = sorted((c.topic, summary.schemas[c.schema_id].data) for c in summary.channels.values())
    assert channels == sorted(
        [("/imu", IMU_SCHEMA), ("/map", b"{}"), ("/gps", GPS_SCHEMA), ("/gps", GPS_SCHEMA_V2)]
    )
    assert len(summary.schemas) == 4 and (report.channel_count, report.schema_count) == (4, 4)
    assert summary.statistics.message_count == len(expected)

    # Metadata: the session, and each file read with its window.
    by_name = {}
    for record in metadata:
        by_name.setdefault(record.name, []).append(record.metadata)
    (described,) = by_name["session"]
    assert described["session_id"] == session.session_id and described["name"] == "three files"
    assert json.loads(described["topics"]) == ["/gps", "/imu", "/map"]
    sources = {
        m["file_id"]: (int(m["window_min_ns"]), int(m["window_max_ns"])) for m in by_name["source_file"]
    }
    assert sources == {
        fleet["a"]: windows["a"],
        fleet["b"]: windows["b"],  # the range as given: the contribution window
        fleet["c"]: windows["c"],
    }


def test_chosen_topics_only(client: Client, fleet, tmp_path: Path):
    session = Session.create("gps", roboto_client=client)
    session.add_file(fleet["a"], T0 + 5 * S, T0 + 25 * S)
    session.add_file(fleet["c"])
    out = tmp_path / "gps.mcap"
    report = session.export_mcap(out, topics=["/gps"])
    expected = source_rows(folder_of(fleet) / "a.mcap", (T0 + 5 * S, T0 + 25 * S), topics={"/gps"})
    expected += source_rows(folder_of(fleet) / "c.mcap", (0, 2**63), topics={"/gps"})
    assert sorted(exported_rows(out)) == sorted(expected) and report.topics == ("/gps",)

    with pytest.raises(InvalidRequestError, match="'/nope' has no data inside the contribution windows"):
        session.export_mcap(tmp_path / "none.mcap", topics=["/nope"])
    assert not (tmp_path / "none.mcap").exists()


def test_epoch_offsets_of_file_and_topic_move_the_exported_times(client: Client, fleet, tmp_path: Path):
    from sessions_lib import File

    shift, gps_shift = 3 * S, 250 * MS
    File.from_id(fleet["a"], roboto_client=client).set_timeline_offset(shift)
    File.from_id(fleet["a"], roboto_client=client).set_timeline_offset(gps_shift, topic="/gps")
    session = Session.create("shifted", roboto_client=client).add_file(fleet["a"])
    out = tmp_path / "shifted.mcap"
    session.export_mcap(out)

    source = folder_of(fleet) / "a.mcap"
    expected = source_rows(source, (0, 2**63), shift, topics={"/imu", "/map"})
    expected += source_rows(source, (0, 2**63), shift + gps_shift, topics={"/gps"})
    assert sorted(exported_rows(out)) == sorted(expected)  # and in wall-clock order across the two clocks


def test_with_latched_adds_each_channels_last_message_before_the_window_at_its_start(
    client: Client, fleet, tmp_path: Path
):
    lo, hi = T0 + 20 * S + 5 * MS, T0 + 30 * S
    session = Session.create("latched", roboto_client=client).add_file(fleet["a"], lo, hi)
    plain, latched = tmp_path / "plain.mcap", tmp_path / "latched.mcap"
    session.export_mcap(plain)
    report = session.export_mcap(latched, with_latched=True)

    before = [r for r in source_rows(folder_of(fleet) / "a.mcap", (0, lo - 1))]
    last = {}
    for r in sorted(before, key=lambda r: r[1]):
        last[r[0]] = r
    expected_extra = sorted((r[0], lo, *r[2:]) for r in last.values())  # at the window start
    got = exported_rows(latched)
    extra = sorted((Counter(got) - Counter(exported_rows(plain))).elements())
    assert extra == expected_extra and len(extra) == 3  # /imu, /gps, /map (the map's last at 14 s)
    assert report.latched_count == 3 and report.message_count == len(got)
    summary, _ = summary_of(latched)
    assert summary.statistics.message_count == len(got) and summary.statistics.message_start_time == lo

    # a window starting at the file's first message: nothing before it, nothing added
    whole = Session.create("whole", roboto_client=client).add_file(fleet["b"])
    assert whole.export_mcap(tmp_path / "whole.mcap", with_latched=True).latched_count == 0


def test_unsupported_formats_and_outputs_are_refused(client: Client, fleet, tmp_path: Path):
    folder = folder_of(fleet)
    (folder / "d.csv").write_text(f"timestamp,x\n{T0},1\n{T0 + S},2\n")
    ingest_folder(folder, roboto_client=client)
    (dataset,) = Dataset.for_org(roboto_client=client)
    (csv,) = dataset.list_files(include_patterns=["*.csv"])
    session = Session.create("mixed", roboto_client=client).add_files([fleet["a"], csv.file_id])
    with pytest.raises(InvalidRequestError, match=r"export of csv topics is not supported: topic '/?d'"):
        session.export_mcap(tmp_path / "mixed.mcap")
    assert not (tmp_path / "mixed.mcap").exists()
    session.export_mcap(tmp_path / "imu.mcap", topics=["/imu"])  # leaving it out works

    with pytest.raises(InvalidRequestError, match=r"would replace a\.mcap"):
        session.export_mcap(folder / "a.mcap", topics=["/imu"])
    with pytest.raises(InvalidRequestError, match="list of topic names"):
        session.export_mcap(tmp_path / "x.mcap", topics="/imu")


def test_the_export_command(client: Client, fleet, tmp_path: Path):
    from pipelines.cli import app

    session = Session.create("cli", roboto_client=client).add_file(fleet["c"], T0 + 121 * S, T0 + 125 * S)
    catalog = str(client.catalog.location.metadata_path.parent)
    out = tmp_path / "cli.mcap"
    args = ["export", session.session_id, str(out), "--catalog", catalog, "--topic", "/imu", "--with-latched"]
    runner = CliRunner(env={"SESSIONS_ORG_IDS": session.org_id, "SESSIONS_CATALOG": None})
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = source_rows(folder_of(fleet) / "c.mcap", (T0 + 121 * S, T0 + 125 * S), topics={"/imu"})
    got = exported_rows(out)
    assert len(got) == len(expected) + 1 and sorted(got[1:]) == sorted(expected)
    assert f"wrote {len(got)} messages (1 latched) of 1 topic(s) from 1 file(s)" in result.stdout

    missing = runner.invoke(app, ["export", "se_0000000000000000", str(out), "--catalog", catalog])
    assert missing.exit_code == 1 and "not found" in missing.output
