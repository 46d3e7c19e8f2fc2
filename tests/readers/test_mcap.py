"""The MCAP reader against an oracle: every message iterated with mcap's own streaming reader.

Spans are checked against the oracle's log times split by the documented gap rule, counts and first/last
times against the messages themselves; nothing is compared with numbers taken from the reader.
"""

from __future__ import annotations

import random
import struct
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcap.reader import NonSeekingReader, make_reader
from mcap.writer import CompressionType, IndexType, Writer

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import Recording
from sessions_lib.readers.mcap import read
from sessions_lib.readers.spans import SPAN_GAP_NS

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"  # ../shared beside the project
REAL_MCAPS = sorted(REAL.glob("mcap/*.mcap")) + sorted(REAL.glob("ros2/*/*.mcap"))
SECOND_NS = 1_000_000_000
T0 = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z

NO_SUMMARY = {
    "repeat_schemas": False,
    "repeat_channels": False,
    "use_statistics": False,
    "use_summary_offsets": False,
    "index_types": IndexType.NONE,
}

needs_real_data = pytest.mark.skipif(not REAL_MCAPS, reason=f"no MCAP files under {REAL}")


# --- The oracle -----------------------------------------------------------------------------------


def oracle_times(path: Path) -> dict[str, list[int]]:
    """Every message's log time per topic, from a linear pass of mcap's non-seeking reader."""
    times: dict[str, list[int]] = defaultdict(list)
    with path.open("rb") as stream:
        for _, channel, message in NonSeekingReader(stream).iter_messages(log_time_order=False):
            times[channel.topic].append(message.log_time)
    return dict(times)


def gap_split(times: list[int]) -> tuple[tuple[int, int], ...]:
    """The documented span rule, brute force: a new span wherever two neighbours are > the gap apart."""
    ordered = sorted(times)
    spans = [[ordered[0], ordered[0]]]
    for t in ordered[1:]:
        if t - spans[-1][1] > SPAN_GAP_NS:
            spans.append([t, t])
        else:
            spans[-1][1] = t
    return tuple((low, high) for low, high in spans)


def assert_matches_oracle(recording: Recording, path: Path) -> None:
    expected = oracle_times(path)
    assert [t.name for t in recording.topics] == sorted(expected)
    for topic in recording.topics:
        times = expected[topic.name]
        assert topic.message_count == len(times), topic.name
        assert topic.spans[0][0] == min(times) and topic.spans[-1][1] == max(times), topic.name
        assert topic.spans == gap_split(times), topic.name
        assert topic.unix_epoch_offset_ns == 0 and topic.timeline_source == "log_time"


def assert_within(partial: Recording, full: Recording) -> None:
    """Every span of ``partial`` lies inside a span of the same topic in ``full``; counts do not exceed."""
    whole = {t.name: t for t in full.topics}
    for topic in partial.topics:
        assert topic.name in whole, topic.name
        assert topic.message_count <= whole[topic.name].message_count
        for low, high in topic.spans:
            assert any(a <= low and high <= b for a, b in whole[topic.name].spans), (topic.name, low, high)


# --- Writing test files with mcap's own Writer ----------------------------------------------------


def write_mcap(
    path: Path,
    messages: list[tuple[str, int]],
    *,
    chunk_size: int = 1024 * 1024,
    compression: CompressionType = CompressionType.ZSTD,
    metadata: dict[str, dict[str, str]] | None = None,
    profile: str = "",
    payload: bytes = b"x" * 64,
    **writer_options,
) -> Path:
    """An MCAP holding ``(topic, log_time)`` messages in the given order, one channel per topic."""
    with path.open("wb") as stream:
        writer = Writer(stream, chunk_size=chunk_size, compression=compression, **writer_options)
        writer.start(profile=profile, library="test_mcap")
        channels: dict[str, int] = {}
        for topic, log_time in messages:
            if topic not in channels:
                schema_id = writer.register_schema(f"test/{topic.strip('/')}", "jsonschema", b"{}")
                channels[topic] = writer.register_channel(topic, "json", schema_id)
            writer.add_message(channels[topic], log_time=log_time, data=payload, publish_time=log_time)
        for name, values in (metadata or {}).items():
            writer.add_metadata(name, values)
        writer.finish()
    return path


def stream_of(topic: str, start_ns: int, stop_ns: int, rate_hz: int) -> list[tuple[str, int]]:
    return [(topic, t) for t in range(start_ns, stop_ns + 1, SECOND_NS // rate_hz)]


def by_time(*streams: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted((m for s in streams for m in s), key=lambda m: m[1])


def footer_summary_start(path: Path) -> int:
    data = path.read_bytes()
    return struct.unpack_from("<Q", data, len(data) - 8 - 20)[0]


def chunk_count(path: Path) -> int:
    with path.open("rb") as stream:
        summary = make_reader(stream).get_summary()
    return len(summary.chunk_indexes) if summary else 0


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """Three topics over many zstd chunks; /gps falls silent for five minutes in the middle."""
    messages = by_time(
        stream_of("/imu", T0, T0 + 60 * SECOND_NS, 50),
        stream_of("/gps", T0, T0 + 20 * SECOND_NS, 5),
        stream_of("/gps", T0 + 320 * SECOND_NS, T0 + 340 * SECOND_NS, 5),
        stream_of("/cmd", T0 + 30 * SECOND_NS, T0 + 31 * SECOND_NS, 10),
    )
    return write_mcap(tmp_path / "drive.mcap", messages, chunk_size=4096)


# --- 1. Real files --------------------------------------------------------------------------------


@needs_real_data
@pytest.mark.parametrize("path", REAL_MCAPS, ids=lambda p: p.name)
def test_real_file_matches_every_message(path: Path):
    recording = read(path)
    assert recording.format == "mcap"
    assert recording.index_used == "summary"
    assert_matches_oracle(recording, path)


@needs_real_data
@pytest.mark.parametrize("path", REAL_MCAPS, ids=lambda p: p.name)
def test_real_file_without_its_last_byte_scans_to_the_same_topics(path: Path, tmp_path: Path):
    cut = tmp_path / path.name
    cut.write_bytes(path.read_bytes()[:-1])
    recording = read(cut)
    assert recording.index_used == "scan"
    assert any("scan of the records" in note for note in recording.notes)
    assert recording.topics == read(path).topics


@needs_real_data
def test_real_files_identifiers_and_clock():
    rosbag = read(REAL / "mcap/rerun_rosbag2_2025_09_10-13_03_56_0.mcap")
    assert rosbag.identifiers["mcap.profile"] == "ros2"
    assert rosbag.identifiers["mcap.metadata.rosbag2.ROS_DISTRO"] == "humble"
    assert rosbag.anchored
    # rosbag2 stores its whole metadata.yaml as one metadata value: a document, not an identifier.
    only_topics = read(REAL / "mcap/rosbag2_only_topics.mcap")
    assert "mcap.metadata.rosbag2.serialized_metadata" not in only_topics.identifiers
    assert any("serialized_metadata" in note for note in only_topics.notes)
    assert any("declared without messages" in note for note in only_topics.notes)
    # The split bag uses synthetic log times of about a microsecond.
    for path in sorted(REAL.glob("ros2/rosbag2_wbag_split_mcap/*.mcap")):
        recording = read(path)
        assert not recording.anchored
        assert any("not anchored" in note for note in recording.notes)


# --- 2. Files written by mcap's Writer ------------------------------------------------------------


def test_continuous_stream_over_many_chunks_is_one_span(tmp_path: Path):
    path = write_mcap(tmp_path / "imu.mcap", stream_of("/imu", T0, T0 + 60 * SECOND_NS, 100), chunk_size=2048)
    assert chunk_count(path) > 20
    recording = read(path)
    assert recording.index_used == "summary" and recording.notes == ()
    (imu,) = recording.topics
    assert imu.spans == ((T0, T0 + 60 * SECOND_NS),)
    assert imu.message_count == 6001
    assert imu.schema_name == "test/imu" and imu.schema_encoding == "jsonschema"  # the schema's, not "json"


def test_long_silence_gives_two_spans(drive: Path):
    recording = read(drive)
    assert_matches_oracle(recording, drive)
    gps = next(t for t in recording.topics if t.name == "/gps")
    assert gps.spans == ((T0, T0 + 20 * SECOND_NS), (T0 + 320 * SECOND_NS, T0 + 340 * SECOND_NS))


@pytest.mark.parametrize(
    ("silence_ns", "spans"),
    [(SPAN_GAP_NS, 1), (SPAN_GAP_NS + 1, 2), (SPAN_GAP_NS * 3 // 2, 2)],
)
@pytest.mark.parametrize("chunk_size", [64, 1 << 20], ids=["chunk per message", "one chunk"])
def test_the_gap_threshold_is_inclusive(tmp_path: Path, silence_ns: int, spans: int, chunk_size: int):
    times = [T0, T0 + SECOND_NS, T0 + SECOND_NS + silence_ns, T0 + 2 * SECOND_NS + silence_ns]
    path = write_mcap(tmp_path / "gap.mcap", [("/beat", t) for t in times], chunk_size=chunk_size)
    assert len(read(path).topics[0].spans) == spans
    assert_matches_oracle(read(path), path)


def test_topic_in_some_chunks_gets_its_own_times_not_the_chunk_bounds(tmp_path: Path):
    sparse = [("/button", T0 + 40 * SECOND_NS + k * 100_000_000) for k in range(3)]
    path = write_mcap(
        tmp_path / "sparse.mcap",
        by_time(stream_of("/odom", T0, T0 + 100 * SECOND_NS, 10), sparse),
        chunk_size=8192,
    )
    with path.open("rb") as stream:
        chunks = make_reader(stream).get_summary().chunk_indexes
    holding = [c for c in chunks if len(c.message_index_offsets) == 2]
    assert holding and holding[0].message_start_time < sparse[0][1]  # chunk bounds would be wider
    button = next(t for t in read(path).topics if t.name == "/button")
    assert button.spans == ((sparse[0][1], sparse[-1][1]),)
    assert button.message_count == 3


def test_silence_inside_one_chunk_is_visible(tmp_path: Path):
    messages = stream_of("/a", T0, T0 + 5 * SECOND_NS, 10) + stream_of(
        "/a", T0 + 65 * SECOND_NS, T0 + 70 * SECOND_NS, 10
    )
    path = write_mcap(tmp_path / "one_chunk.mcap", messages)
    assert chunk_count(path) == 1
    assert read(path).topics[0].spans == (
        (T0, T0 + 5 * SECOND_NS),
        (T0 + 65 * SECOND_NS, T0 + 70 * SECOND_NS),
    )


def test_out_of_order_messages(tmp_path: Path):
    messages = stream_of("/late", T0, T0 + 30 * SECOND_NS, 2)
    random.Random(7).shuffle(messages)
    path = write_mcap(tmp_path / "shuffled.mcap", messages, chunk_size=512)
    assert_matches_oracle(read(path), path)


WRITER_VARIANTS = {
    "full summary, zstd": ({}, "summary", None),
    "lz4": ({"compression": CompressionType.LZ4}, "summary", None),
    "uncompressed": ({"compression": CompressionType.NONE}, "summary", None),
    "no statistics": ({"use_statistics": False}, "summary", None),
    "no message indexes": (
        {"index_types": IndexType.CHUNK | IndexType.METADATA},
        "summary",
        "have no message index",
    ),
    "no summary": (NO_SUMMARY, "scan", "no summary section"),
    "no summary, lz4": ({**NO_SUMMARY, "compression": CompressionType.LZ4}, "scan", "no summary section"),
    "no chunk indexes": ({"index_types": IndexType.NONE}, "scan", "no chunk indexes"),
    "unchunked": ({"use_chunking": False}, "scan", "no chunk indexes"),
    "no channels in summary": ({"repeat_channels": False}, "scan", "no Channel record"),
}


@pytest.mark.parametrize("variant", WRITER_VARIANTS)
def test_writer_options_give_the_same_topics(tmp_path: Path, drive: Path, variant: str):
    options, index_used, note = WRITER_VARIANTS[variant]
    messages = oracle_messages(drive)
    path = write_mcap(tmp_path / "variant.mcap", messages, chunk_size=4096, **options)
    recording = read(path)
    assert recording.index_used == index_used
    if note is None:
        assert recording.notes == ()
    else:
        assert any(note in n for n in recording.notes), recording.notes
    assert_matches_oracle(recording, path)
    assert recording.topics == read(drive).topics


def oracle_messages(path: Path) -> list[tuple[str, int]]:
    with path.open("rb") as stream:
        return [
            (c.topic, m.log_time) for _, c, m in NonSeekingReader(stream).iter_messages(log_time_order=False)
        ]


def test_summary_path_never_touches_payloads(tmp_path: Path, drive: Path):
    """Overwriting every chunk's compressed data leaves the summary path's answer unchanged."""
    data = bytearray(drive.read_bytes())
    with drive.open("rb") as stream:
        chunks = make_reader(stream).get_summary().chunk_indexes
    for chunk in chunks:
        data_start = chunk.chunk_start_offset + 1 + 8 + 8 + 8 + 8 + 4 + 4 + len(chunk.compression) + 8
        data[data_start : chunk.chunk_start_offset + chunk.chunk_length] = b"\xff" * (
            chunk.chunk_start_offset + chunk.chunk_length - data_start
        )
    scrambled = tmp_path / "scrambled.mcap"
    scrambled.write_bytes(bytes(data))
    assert read(scrambled) == read(drive)


@pytest.mark.parametrize(
    "options",
    [{}, {"compression": CompressionType.NONE}, {"use_chunking": False}, NO_SUMMARY],
    ids=["zstd", "uncompressed", "unchunked", "no summary"],
)
def test_truncation_yields_the_readable_part(tmp_path: Path, drive: Path, options: dict):
    path = write_mcap(tmp_path / "whole.mcap", oracle_messages(drive), chunk_size=4096, **options)
    whole = read(path)
    data = path.read_bytes()
    size = len(data)
    summary_start = footer_summary_start(path) or size - 8 - 29
    cuts = {size * k // 10 for k in range(1, 10)}
    cuts |= {8, 12, 30, summary_start - 5, summary_start + 3, size - 20, size - 1}
    cuts |= {size - 37 + k for k in range(0, 37, 6)}  # inside the footer and the closing magic
    seen_truncated = seen_intact = 0
    for cut in sorted(c for c in cuts if 0 < c < size):
        truncated = tmp_path / f"cut_{cut}.mcap"
        truncated.write_bytes(data[:cut])
        try:
            partial = read(truncated)
        except ReaderError as error:
            assert str(truncated) in str(error)
            assert cut < 200, f"cut at {cut} of {size} should leave something readable"
            continue
        assert partial.index_used == "scan"
        assert_within(partial, whole)
        assert_matches_oracle_prefix(partial, data[:cut], tmp_path / "prefix.mcap")
        if cut < summary_start - 20:
            assert any("truncated at byte" in n and "readable part" in n for n in partial.notes), (
                partial.notes
            )
            seen_truncated += 1
        else:  # the data section is whole: only the summary or footer is missing
            assert partial.topics == whole.topics
            seen_intact += 1
    assert seen_truncated >= 8 and seen_intact >= 3


def assert_matches_oracle_prefix(partial: Recording, prefix: bytes, scratch: Path) -> None:
    """The scan's counts equal the messages mcap's streaming reader gets out of the same bytes."""
    scratch.write_bytes(prefix)
    expected: dict[str, int] = defaultdict(int)
    try:
        with scratch.open("rb") as stream:
            for _, channel, _ in NonSeekingReader(stream).iter_messages(log_time_order=False):
                expected[channel.topic] += 1
    except Exception:  # the oracle stops where the bytes stop; what it counted so far is the truth
        pass
    assert {t.name: t.message_count for t in partial.topics} == dict(expected)


def test_metadata_and_header_become_identifiers(tmp_path: Path):
    path = write_mcap(
        tmp_path / "robot.mcap",
        stream_of("/imu", T0, T0 + SECOND_NS, 10),
        metadata={"device": {"serial": "RB-0042", "fleet": "alpha"}, "notes": {"text": "n" * 1000}},
        profile="ros2",
    )
    recording = read(path)
    assert recording.identifiers == {
        "mcap.metadata.device.serial": "RB-0042",
        "mcap.metadata.device.fleet": "alpha",
        "mcap.profile": "ros2",
        "mcap.library": "test_mcap",
    }
    assert any("mcap.metadata.notes.text" in note for note in recording.notes)
    scanned = tmp_path / "robot_cut.mcap"
    scanned.write_bytes(path.read_bytes()[:-1])
    assert read(scanned).identifiers == recording.identifiers


def test_channels_sharing_a_topic_become_one_topic(tmp_path: Path):
    path = tmp_path / "shared.mcap"
    with path.open("wb") as stream:
        writer = Writer(stream)
        writer.start()
        first = writer.register_channel("/cam", "cdr", writer.register_schema("a/Image", "ros2msg", b""))
        second = writer.register_channel("/cam", "cdr", writer.register_schema("b/Image", "ros2msg", b""))
        for k in range(10):
            writer.add_message(first, log_time=T0 + k * SECOND_NS, data=b"", publish_time=0)
        for k in range(5):
            writer.add_message(second, log_time=T0 + (100 + k) * SECOND_NS, data=b"", publish_time=0)
        writer.finish()
    recording = read(path)
    (cam,) = recording.topics
    assert cam.message_count == 15
    assert cam.spans == ((T0, T0 + 9 * SECOND_NS), (T0 + 100 * SECOND_NS, T0 + 104 * SECOND_NS))
    assert cam.schema_name == "a/Image" and cam.schema_encoding == "ros2msg"  # the schema's, not "cdr"
    assert any("different schemas" in note for note in recording.notes)


def test_relative_clock_is_not_anchored(tmp_path: Path):
    path = write_mcap(tmp_path / "boot.mcap", stream_of("/imu", 0, 5 * SECOND_NS, 10))
    recording = read(path)
    assert not recording.anchored
    assert recording.topics[0].spans == ((0, 5 * SECOND_NS),)
    assert any("not anchored" in note for note in recording.notes)
    assert read(write_mcap(tmp_path / "epoch.mcap", stream_of("/imu", T0, T0, 1))).anchored


def test_file_without_messages_has_no_topics(tmp_path: Path):
    path = tmp_path / "empty.mcap"
    with path.open("wb") as stream:
        writer = Writer(stream)
        writer.start()
        writer.register_channel("/never", "json", writer.register_schema("s", "jsonschema", b"{}"))
        writer.finish()
    recording = read(path)
    assert recording.topics == () and recording.index_used == "summary"
    assert any("/never" in note for note in recording.notes)


def test_summary_and_scan_agree_on_messages_outside_chunks(tmp_path: Path):
    # An unchunked file still has a summary with statistics, but nothing indexes its messages.
    path = write_mcap(
        tmp_path / "loose.mcap", stream_of("/x", T0, T0 + 30 * SECOND_NS, 1), use_chunking=False
    )
    recording = read(path)
    assert recording.index_used == "scan"
    assert_matches_oracle(recording, path)


# --- Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"", "empty file"),
        (b"#ROSBAG V2.0\n" + b"\0" * 100, "not an MCAP file"),
        (b"\x89MCAP0\r", "not an MCAP file"),
        (b"\x89MCAP0\r\n", "no Header record"),
        (b"\x89MCAP0\r\n\x01\x10\x00", "no Header record"),
        (b"\x89MCAP0\r\n\x01" + struct.pack("<Q", 1000) + b"\0" * 10, "truncated"),
        (b"\x89MCAP0\r\n\x05" + struct.pack("<Q", 4) + b"\0" * 4, "not a Header"),
        (b"\x89MCAP0\r\n\x01" + struct.pack("<Q", 8) + b"\0" * 8, "nothing is readable after the header"),
    ],
    ids=[
        "empty",
        "rosbag",
        "short magic",
        "magic only",
        "cut header",
        "long header",
        "no header",
        "header only",
    ],
)
def test_unreadable_files_raise_reader_error_naming_file_and_cause(
    tmp_path: Path, content: bytes, cause: str
):
    path = tmp_path / "bad.mcap"
    path.write_bytes(content)
    with pytest.raises(ReaderError, match=cause) as error:
        read(path)
    assert str(path) in str(error.value)


def test_missing_file_and_directory_raise_reader_error(tmp_path: Path):
    for path in (tmp_path / "missing.mcap", tmp_path):
        with pytest.raises(ReaderError, match=str(path)):
            read(path)


# --- 3. Corrupt input never raises anything but ReaderError ----------------------------------------


def read_or_reader_error(path: Path) -> Recording | None:
    try:
        recording = read(path)
    except ReaderError as error:
        assert str(path) in str(error)
        return None
    assert isinstance(recording, Recording)
    return recording


def corruption_sources(tmp_path: Path) -> list[Path]:
    messages = by_time(
        stream_of("/a", T0, T0 + 20 * SECOND_NS, 20), stream_of("/b", T0, T0 + 5 * SECOND_NS, 3)
    )
    written = [
        write_mcap(tmp_path / f"src_{name}.mcap", messages, chunk_size=1024, compression=compression)
        for name, compression in [("zstd", CompressionType.ZSTD), ("lz4", CompressionType.LZ4)]
    ]
    written.append(write_mcap(tmp_path / "src_loose.mcap", messages, use_chunking=False))
    written.append(write_mcap(tmp_path / "src_bare.mcap", messages, chunk_size=1024, **NO_SUMMARY))
    return REAL_MCAPS + written


def test_byte_flips_and_truncations_raise_only_reader_error(tmp_path: Path):
    rng = random.Random(20260101)
    damaged = tmp_path / "damaged.mcap"
    reads = 0
    for source in corruption_sources(tmp_path):
        data = source.read_bytes()
        if len(data) > 200_000:  # the large real file: keep the loop fast, damage its ends
            data = data[:100_000] + data[-60_000:]
        size = len(data)
        tail = max(0, size - 600)  # the summary and footer, where a flip changes the path taken
        positions = [rng.randrange(size) for _ in range(30)] + [rng.randrange(tail, size) for _ in range(30)]
        for position in positions:
            flipped = bytearray(data)
            flipped[position] ^= rng.choice([0x01, 0x80, 0xFF, rng.randrange(1, 256)])
            damaged.write_bytes(bytes(flipped))
            read_or_reader_error(damaged)
            reads += 1
        for cut in [rng.randrange(size) for _ in range(15)]:
            damaged.write_bytes(data[:cut])
            read_or_reader_error(damaged)
            reads += 1
    assert reads > 1000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_damage_to_a_small_file_raises_only_reader_error(tmp_path: Path, data: st.DataObject):
    source = tmp_path / "small.mcap"
    if not source.exists():
        write_mcap(source, stream_of("/a", T0, T0 + 2 * SECOND_NS, 50), chunk_size=256)
    content = bytearray(source.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(content) - 1))
        content[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(content)))
    damaged = tmp_path / "damaged_small.mcap"
    damaged.write_bytes(bytes(content[:cut]))
    read_or_reader_error(damaged)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.tuples(st.integers(0, 40), st.sampled_from([-1, 0, 1])), min_size=1, max_size=80),
    chunk_size=st.sampled_from([64, 256, 1024, 1 << 20]),
)
def test_summary_and_scan_agree_for_any_messages(
    tmp_path: Path, steps: list[tuple[int, int]], chunk_size: int
):
    """Times on a grid of a third of the gap, give or take 1 ns, in any order, over any chunking."""
    messages = [(f"/t{k % 3}", T0 + s * (SPAN_GAP_NS // 3) + jitter) for k, (s, jitter) in enumerate(steps)]
    indexed_path = write_mcap(tmp_path / "indexed.mcap", messages, chunk_size=chunk_size)
    indexed = read(indexed_path)
    bare = write_mcap(tmp_path / "bare.mcap", messages, chunk_size=chunk_size, **NO_SUMMARY)
    scanned = read(bare)
    assert indexed.index_used == "summary" and scanned.index_used == "scan"
    assert_matches_oracle(indexed, indexed_path)
    assert indexed.topics == scanned.topics
