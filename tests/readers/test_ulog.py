"""The ULog reader against an oracle: pyulog's full parse of the same file.

Topic names, counts, first/last times, spans (the documented gap rule applied to pyulog's timestamps),
the GPS epoch offset and the armed intervals are all recomputed here from pyulog's decoded data; no
number is taken from the reader. Logs we write ourselves (byte by byte, or through pyulog's
``write_ulog``) cover what the real logs lack: a timestamp that is not the first field, nested types,
appended data, corruption, a missing GPS.
"""

from __future__ import annotations

import itertools
import random
import statistics
import struct
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from pyulog import ULog

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import ActivityInterval, Recording
from sessions_lib.readers.spans import SPAN_GAP_NS
from sessions_lib.readers.ulog import IDENTIFYING_INFO_KEYS, SPAN_GAP_PERIODS, read

REAL_ULOGS = sorted((Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "ulog").glob("*.ulg"))
needs_real_data = pytest.mark.skipif(not REAL_ULOGS, reason="no real ULog files in ../shared/data/real/ulog")
real_ulogs = pytest.mark.parametrize("path", REAL_ULOGS, ids=[p.stem for p in REAL_ULOGS])
SMALL_REAL = [p for p in REAL_ULOGS if p.name in ("foxglove_test_ulog.ulg", "log_76_2019-5-30-13-36-20.ulg")]
ARMED = 2


# --- the oracle ------------------------------------------------------------------------------------


def topic_name(name: str, multi_id: int) -> str:
    """The documented naming: the message name, with ``/<multi_id>`` for instances other than 0."""
    return name if multi_id == 0 else f"{name}/{multi_id}"


def timestamps_by_topic(log: ULog) -> dict[str, list[int]]:
    times: dict[str, list[int]] = defaultdict(list)
    for data in log.data_list:
        times[topic_name(data.name, data.multi_id)].extend(int(t) for t in data.data["timestamp"])
    return times


def gap_rule_spans(times_us: list[int]) -> tuple[tuple[int, int], ...]:
    """Spans by the documented rule: split where silent > max(10 s, 10 x the (lower) median interval)."""
    times = sorted(t * 1000 for t in times_us if t > 0)
    if not times:
        return ()
    intervals = [b - a for a, b in itertools.pairwise(times)]
    gap = max(SPAN_GAP_NS, SPAN_GAP_PERIODS * statistics.median_low(intervals)) if intervals else SPAN_GAP_NS
    spans = [[times[0], times[0]]]
    for t in times[1:]:
        if t - spans[-1][1] > gap:
            spans.append([t, t])
        else:
            spans[-1][1] = t
    return tuple((lo, hi) for lo, hi in spans)


def dataset(log: ULog, name: str) -> ULog.Data | None:
    found = [d for d in log.data_list if d.name == name and d.multi_id == 0]
    return found[0] if found else None


def gps_offset_ns(log: ULog) -> int | None:
    """Lower median of time_utc_usec - timestamp over samples with UTC time (vehicle_gps_position first)."""
    for name in ("vehicle_gps_position", "sensor_gps"):
        gps = dataset(log, name)
        if gps is None:
            continue
        pairs = zip(gps.data["timestamp"].tolist(), gps.data["time_utc_usec"].tolist(), strict=True)
        offsets = [utc - t for t, utc in pairs if utc > 0 and t > 0]
        if offsets:
            return statistics.median_low(offsets) * 1000
    return None


def last_sample_ns(log: ULog) -> int:
    return max(int(t) for d in log.data_list for t in d.data["timestamp"] if t > 0) * 1000


def state_intervals(log: ULog, name: str, field: str, armed: int) -> list[tuple[int, int]]:
    """Armed intervals in boot-relative ns, walking the decoded samples one by one."""
    data = dataset(log, name)
    samples = sorted(
        (t, v)
        for t, v in zip(data.data["timestamp"].tolist(), data.data[field].tolist(), strict=True)
        if t > 0
    )
    intervals, start = [], None
    for t, value in samples:
        if value == armed and start is None:
            start = t * 1000
        elif value != armed and start is not None:
            intervals.append((start, t * 1000))
            start = None
    if start is not None:
        intervals.append((start, last_sample_ns(log)))
    return intervals


@pytest.fixture(scope="module")
def oracle():
    """pyulog's full parse of a file, parsed once per module."""
    parsed: dict[Path, ULog] = {}

    def parse(path: Path) -> ULog:
        if path not in parsed:
            parsed[path] = ULog(str(path))
        return parsed[path]

    return parse


# --- real logs -------------------------------------------------------------------------------------


@needs_real_data
@real_ulogs
def test_topics_counts_and_extremes_equal_pyulogs_parse(path, oracle):
    recording = read(path)
    expected = timestamps_by_topic(oracle(path))
    assert {t.name for t in recording.topics} == set(expected)
    for topic in recording.topics:
        times = expected[topic.name]
        assert topic.message_count == len(times), topic.name
        real = [t for t in times if t > 0]
        if real:
            assert (topic.spans[0][0], topic.spans[-1][1]) == (min(real) * 1000, max(real) * 1000), topic.name
        else:
            assert topic.spans == (), topic.name


@needs_real_data
@real_ulogs
def test_spans_split_where_a_topic_falls_silent(path, oracle):
    expected = timestamps_by_topic(oracle(path))
    for topic in read(path).topics:
        assert topic.spans == gap_rule_spans(expected[topic.name]), topic.name


@needs_real_data
@real_ulogs
def test_records_describe_the_format(path, oracle):
    recording = read(path)
    assert isinstance(recording, Recording)
    assert (recording.format, recording.index_used) == ("ulog", "scan")
    assert len({t.unix_epoch_offset_ns for t in recording.topics}) == 1  # one clock per file
    formats = {topic_name(d.name, d.multi_id): d.name for d in oracle(path).data_list}
    for topic in recording.topics:
        assert (topic.schema_name, topic.schema_encoding) == (formats[topic.name], "ulog")
        assert topic.timeline_source == "field"


@needs_real_data
@real_ulogs
def test_zero_timestamps_are_counted_in_the_notes(path, oracle):
    zeros = {
        name: sum(1 for t in times if t == 0)
        for name, times in timestamps_by_topic(oracle(path)).items()
        if 0 in times
    }
    recording = read(path)
    notes = " | ".join(recording.notes)
    if zeros:
        assert f"{sum(zeros.values())} samples with timestamp 0" in notes
        for name, count in zeros.items():
            assert f"{name} ({count})" in notes
    else:
        assert "timestamp 0" not in notes
    # A topic whose every sample is at 0 stays, with its count and no span, and a note names it.
    all_zero = sorted(name for name, times in timestamps_by_topic(oracle(path)).items() if not any(times))
    topics = {t.name: t for t in recording.topics}
    assert [(name, topics[name].spans) for name in all_zero] == [(name, ()) for name in all_zero]
    listed = f"topics with every sample at timestamp 0 have no time span: {', '.join(all_zero)}"
    assert (listed in recording.notes) == bool(all_zero), notes


@needs_real_data
@real_ulogs
def test_epoch_offset_is_the_median_gps_utc_offset(path, oracle):
    recording = read(path)
    expected = gps_offset_ns(oracle(path))
    if expected is None:
        assert not recording.anchored
        assert all(t.unix_epoch_offset_ns == 0 for t in recording.topics)
        assert any(n.startswith("unanchored: no GPS UTC time") for n in recording.notes)
    else:
        assert recording.anchored
        assert {t.unix_epoch_offset_ns for t in recording.topics} == {expected}


@needs_real_data
@real_ulogs
def test_armed_intervals_follow_vehicle_status(path, oracle):
    log = oracle(path)
    recording = read(path)
    offset = recording.topics[0].unix_epoch_offset_ns
    expected = [
        ActivityInterval("armed", lo + offset, hi + offset)
        for lo, hi in state_intervals(log, "vehicle_status", "arming_state", ARMED)
    ]
    assert list(recording.activity) == expected


@needs_real_data
def test_vehicle_status_and_actuator_armed_agree_on_arming(oracle):
    """Why arming_state == 2 means armed: where a log has both topics, they agree within 1 ms."""
    both = [oracle(p) for p in REAL_ULOGS if dataset(oracle(p), "actuator_armed") is not None]
    assert both  # foxglove_test_ulog, pyulog_sample_logging_tagged..., yuneec_parameterchange
    for log in both:
        by_status = state_intervals(log, "vehicle_status", "arming_state", ARMED)
        by_actuators = state_intervals(log, "actuator_armed", "armed", 1)
        assert len(by_status) == len(by_actuators)
        for (a_lo, a_hi), (b_lo, b_hi) in zip(by_status, by_actuators, strict=True):
            assert abs(a_lo - b_lo) < 1_000_000 and abs(a_hi - b_hi) < 1_000_000


@needs_real_data
@real_ulogs
def test_identifiers_are_the_vehicles_info_messages(path, oracle):
    info = oracle(path).msg_info_dict
    expected = {f"ulog.{key}": str(info[key]).rstrip("\x00") for key in IDENTIFYING_INFO_KEYS if key in info}
    assert dict(read(path).identifiers) == expected
    assert "ulog.sys_name" in expected  # every real log names its system


@needs_real_data
def test_a_log_without_gps_is_unanchored_and_keeps_boot_time(tmp_path, oracle):
    source = next(p for p in REAL_ULOGS if p.name == "foxglove_test_ulog.ulg")
    log = ULog(str(source))
    log.data_list[:] = [d for d in log.data_list if d.name not in ("vehicle_gps_position", "sensor_gps")]
    path = tmp_path / "no_gps.ulg"
    log.write_ulog(str(path))

    recording = read(path)
    assert not recording.anchored
    assert {t.unix_epoch_offset_ns for t in recording.topics} == {0}
    assert any(n.startswith("unanchored: no GPS UTC time") for n in recording.notes)
    written = ULog(str(path))
    expected = state_intervals(written, "vehicle_status", "arming_state", ARMED)
    assert [(a.start_ns, a.end_ns) for a in recording.activity] == expected  # stored (boot) clock


# --- damaged real logs -----------------------------------------------------------------------------


def message_starts(data: bytes) -> list[int]:
    """Where each message of a sound ULog starts (a plain walk over the 3-byte headers)."""
    starts, pos = [], 16
    while pos + 3 <= len(data):
        starts.append(pos)
        pos += 3 + struct.unpack_from("<H", data, pos)[0]
    return starts


@needs_real_data
@pytest.mark.parametrize("fraction", [0.3, 0.77])
def test_a_truncated_log_is_read_up_to_its_last_complete_message(tmp_path, fraction):
    data = SMALL_REAL[0].read_bytes()
    cut_message = next(s for s in message_starts(data) if s > len(data) * fraction)
    path = tmp_path / "cut.ulg"
    path.write_bytes(data[: cut_message + 5])  # 5 bytes into a message

    recording = read(path)
    assert f"truncated at byte {cut_message}" in " | ".join(recording.notes)
    expected = timestamps_by_topic(ULog(str(path)))
    assert {t.name: t.message_count for t in recording.topics} == {n: len(t) for n, t in expected.items()}


@needs_real_data
@pytest.mark.parametrize("source", SMALL_REAL, ids=[p.stem for p in SMALL_REAL])
def test_truncations_and_byte_flips_raise_only_reader_error(tmp_path, source):
    data = source.read_bytes()
    rng = random.Random(20240601)
    path = tmp_path / "damaged.ulg"
    cuts = [*range(0, 40), *rng.sample(range(40, len(data)), 60)]
    flips = []
    for _ in range(300):
        damaged = bytearray(data)
        for _ in range(rng.choice([1, 1, 2, 8])):
            position = rng.choice([rng.randrange(0, 4096), rng.randrange(0, len(data))])
            damaged[position] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(1, 256)
        flips.append(bytes(damaged))
    for damaged in [data[:cut] for cut in cuts] + flips:
        path.write_bytes(damaged)
        try:
            recording = read(path)
        except ReaderError as error:
            assert str(path) in str(error)
        else:
            assert isinstance(recording, Recording)
            for topic in recording.topics:
                assert all(lo <= hi for lo, hi in topic.spans)


# --- logs we write ---------------------------------------------------------------------------------


def message(kind: str, payload: bytes) -> bytes:
    return struct.pack("<HB", len(payload), ord(kind)) + payload


def header(start_us: int = 1_000) -> bytes:
    return b"ULog\x01\x12\x35\x01" + struct.pack("<Q", start_us)


def format_message(text: str) -> bytes:
    return message("F", text.encode())


def info(type_and_key: str, value: bytes) -> bytes:
    key = type_and_key.encode()
    return message("I", bytes([len(key)]) + key + value)


def subscribe(msg_id: int, name: str, multi_id: int = 0) -> bytes:
    return message("A", struct.pack("<BH", multi_id, msg_id) + name.encode())


def data_message(msg_id: int, payload: bytes) -> bytes:
    return message("D", struct.pack("<H", msg_id) + payload)


STATUS = "vehicle_status:uint64_t timestamp;uint8_t arming_state;"
GPS = "vehicle_gps_position:uint64_t timestamp;uint64_t time_utc_usec;"
ARMED_FORMAT = "actuator_armed:uint64_t timestamp;bool armed;"


def status(t_us: int, state: int, msg_id: int = 1) -> bytes:
    return data_message(msg_id, struct.pack("<QB", t_us, state))


def write(tmp_path: Path, *parts: bytes, name: str = "made.ulg") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(parts))
    return path


def test_timestamp_after_nested_and_padded_fields(tmp_path):
    """Format 'custom' puts 11 bytes (a uint32, a nested struct with padding) before its timestamp."""
    custom_format = "custom:uint32_t counter;inner nested;uint64_t timestamp;uint8_t[4] _padding0;"
    samples = {0: [5_000, 6_000, 7_000], 1: [5_500, 6_500]}
    parts = [
        header(),
        format_message("inner:float x;uint8_t[3] _padding0;"),
        format_message(custom_format),
        info("char[3] sys_name", b"PX4"),
        info("char[8] ver_hw", b"TEST_FMU"),
        subscribe(0, "custom", multi_id=0),
        subscribe(1, "custom", multi_id=1),
    ]
    for t in sorted((t, multi) for multi, times in samples.items() for t in times):
        payload = struct.pack("<I", 7) + struct.pack("<f", 1.5) + b"\0\0\0" + struct.pack("<Q", t[0])
        parts.append(data_message(t[1], payload))
    path = write(tmp_path, *parts)

    recording = read(path)
    assert {t.name: (t.spans, t.message_count) for t in recording.topics} == {
        "custom": (((5_000_000, 7_000_000),), 3),
        "custom/1": (((5_500_000, 6_500_000),), 2),
    }
    assert dict(recording.identifiers) == {"ulog.sys_name": "PX4", "ulog.ver_hw": "TEST_FMU"}
    assert not recording.anchored and recording.activity == ()
    # pyulog, which finds the timestamp through its own flattening of the format, agrees.
    expected = timestamps_by_topic(ULog(str(path)))
    assert {n: sorted(t) for n, t in expected.items()} == {"custom": samples[0], "custom/1": samples[1]}


def test_silences_split_spans_and_zero_timestamps_are_left_out(tmp_path):
    fast = [1_000_000 + 10_000 * i for i in range(200)]  # 100 Hz for 2 s
    fast += [18_000_000 + 10_000 * i for i in range(100)]  # 15 s of silence, then 1 s more
    slow = [1_000_000 + 5_000_000 * i for i in range(12)]  # every 5 s: a gap of 10 periods is 50 s
    path = write(
        tmp_path,
        header(),
        format_message("fast:uint64_t timestamp;"),
        format_message("slow:uint64_t timestamp;"),
        subscribe(0, "fast"),
        subscribe(1, "slow"),
        data_message(0, struct.pack("<Q", 0)),
        *(data_message(0, struct.pack("<Q", t)) for t in fast),
        *(data_message(1, struct.pack("<Q", t)) for t in slow),
    )
    recording = read(path)
    topics = {t.name: t for t in recording.topics}
    assert topics["fast"].spans == ((1_000_000_000, 2_990_000_000), (18_000_000_000, 18_990_000_000))
    assert topics["fast"].message_count == 301
    assert topics["slow"].spans == ((1_000_000_000, 56_000_000_000),)
    assert "1 samples with timestamp 0 (not a real time) left out of spans: fast (1)" in recording.notes


def test_gps_anchors_every_topic_and_the_armed_intervals(tmp_path):
    utc_us = 1_700_000_000_000_000
    gps = [(t, utc_us + t + jitter) for t, jitter in [(2_000_000, 3), (3_000_000, -2), (4_000_000, 0)]]
    path = write(
        tmp_path,
        header(),
        format_message(STATUS),
        format_message(GPS),
        subscribe(1, "vehicle_status"),
        subscribe(2, "vehicle_gps_position"),
        data_message(2, struct.pack("<QQ", 1_000_000, 0)),  # no fix yet: no UTC time
        status(1_000_000, 1),
        status(2_500_000, ARMED),
        *(data_message(2, struct.pack("<QQ", t, utc)) for t, utc in gps),
        status(3_500_000, 1),
        status(4_200_000, ARMED),
        status(4_500_000, ARMED),
        data_message(2, struct.pack("<QQ", 5_000_000, utc_us + 5_000_000)),
    )
    recording = read(path)
    offset_ns = utc_us * 1000  # median of the offsets (+3, -2, 0, 0) us: 0
    assert recording.anchored
    assert {t.unix_epoch_offset_ns for t in recording.topics} == {offset_ns}
    assert recording.activity == (
        ActivityInterval("armed", 2_500_000_000 + offset_ns, 3_500_000_000 + offset_ns),
        ActivityInterval("armed", 4_200_000_000 + offset_ns, 5_000_000_000 + offset_ns),  # open: log end
    )


def test_actuator_armed_stands_in_for_vehicle_status(tmp_path):
    path = write(
        tmp_path,
        header(),
        format_message(ARMED_FORMAT),
        subscribe(3, "actuator_armed"),
        *(data_message(3, struct.pack("<Q?", t, armed)) for t, armed in [(1_000, 0), (2_000, 1), (3_000, 0)]),
    )
    recording = read(path)
    assert recording.activity == (ActivityInterval("armed", 2_000_000, 3_000_000),)
    assert "armed intervals from actuator_armed.armed (armed = 1)" in recording.notes


def appended_flags(offset: int) -> bytes:
    """Flag bits: incompatible bit 0 (data appended), and where the appended data starts."""
    return message("B", bytes(8) + b"\x01" + bytes(7) + struct.pack("<3Q", offset, 0, 0))


def test_appended_data_after_a_crash_is_read(tmp_path):
    """PX4 appends data after a crash and names its offset in the flag bits; pyulog reads it alike."""
    definitions = format_message(STATUS) + subscribe(1, "vehicle_status")
    before = status(1_000, 1) + status(2_000, ARMED)
    partial = status(3_000, ARMED)[:4]  # the crash cut this message short
    # What follows the crash subscribes anew (pyulog forgets earlier subscriptions there).
    appended = subscribe(2, "vehicle_status") + status(4_000, ARMED, msg_id=2) + status(5_000, 1, msg_id=2)
    offset = len(header()) + len(appended_flags(0)) + len(definitions) + len(before) + len(partial)
    path = write(tmp_path, header(), appended_flags(offset), definitions, before, partial, appended)

    recording = read(path)
    assert [t.message_count for t in recording.topics] == [4]
    assert recording.activity == (ActivityInterval("armed", 2_000_000, 5_000_000),)
    assert sorted(timestamps_by_topic(ULog(str(path)))["vehicle_status"]) == [1_000, 2_000, 4_000, 5_000]


def test_a_corrupt_header_is_skipped_to_the_next_sync_marker(tmp_path):
    sync = message("S", b"\x2f\x73\x13\x20\x25\x0c\xbb\x12")
    garbage = b"\x00\x00\x00" + bytes(range(40))
    path = write(
        tmp_path,
        header(),
        format_message(STATUS),
        subscribe(1, "vehicle_status"),
        status(1_000, 1),
        garbage,
        sync,
        status(2_000, 1),
        data_message(9, struct.pack("<QB", 2_500, 1)),  # a msg_id nobody subscribed
        status(3_000, 1),
    )
    recording = read(path)
    assert [t.message_count for t in recording.topics] == [3]
    notes = " | ".join(recording.notes)
    assert "corrupt message header at byte" in notes and "skipped to the sync marker" in notes
    assert "1 data messages name a msg_id with no subscription" in notes


def test_a_log_without_data_has_no_topics_but_says_why(tmp_path):
    path = write(tmp_path, header(), format_message(STATUS), info("char[3] sys_name", b"PX4"))
    recording = read(path)
    assert recording.topics == ()
    assert "no data messages: the log holds definitions only" in recording.notes
    assert dict(recording.identifiers) == {"ulog.sys_name": "PX4"}


@pytest.mark.parametrize(
    ("contents", "cause"),
    [
        (b"", "empty file"),
        (b"\x89MCAP0\r\n" + bytes(40), "not a ULog file: expected magic"),
        (b"ULog\x01\x12\x35\x01\x00", "truncated inside the 16-byte ULog header"),
        (header(), "no complete ULog message after the 16-byte header"),
        (header() + b"\x05\x00", "no complete ULog message after the 16-byte header"),
        (header() + message("B", bytes(8) + b"\x02" + bytes(7 + 24)), "unknown incompatible ULog flag bits"),
    ],
)
def test_unreadable_files_raise_reader_error_naming_the_file(tmp_path, contents, cause):
    path = write(tmp_path, contents, name="bad.ulg")
    with pytest.raises(ReaderError) as raised:
        read(path)
    assert str(path) in str(raised.value) and cause in str(raised.value)


def test_a_missing_file_or_a_folder_raises_reader_error(tmp_path):
    for path in (tmp_path / "absent.ulg", tmp_path):
        with pytest.raises(ReaderError, match="cannot be read"):
            read(path)


def test_spans_of_a_jittery_gappy_topic_follow_the_gap_rule(tmp_path):
    rng = np.random.default_rng(7)
    times = np.cumsum(rng.integers(9_000, 11_000, 3_000)).tolist()  # ~100 Hz with jitter
    times = [t + 15_000_000 * (i >= 1_000) + 8_000_000 * (i >= 2_000) for i, t in enumerate(times)]
    path = write(
        tmp_path,
        header(),
        format_message("jittery:uint64_t timestamp;float x;"),
        subscribe(4, "jittery"),
        *(data_message(4, struct.pack("<Qf", t, 0.0)) for t in times),
    )
    (topic,) = read(path).topics
    assert topic.spans == gap_rule_spans(times)
    assert len(topic.spans) == 2  # the 15 s silence splits, the 8 s one does not
