"""Benchmark: a session's topic data (``Session.get_topic(...).get_data_as_df``) against the loops a
user writes with ``mcap`` and ``mcap-ros2-support``, in the same run.

Recordings are written here, into a temporary folder, with ``mcap-ros2-support``'s writer (ROS 2
CDR, zstd chunks of 1 MiB): ``/imu`` (``sensor_msgs/Imu``, 200 Hz), ``/gps`` (10 Hz) and ``/camera``
(``sensor_msgs/CompressedImage`` of random bytes, incompressible as JPEG frames are, 30 Hz), the
frames sized so the file reaches ``--size-mb`` over ``--minutes``. They are ingested into a
catalog of their own.

(a) one minute of ``/imu`` out of the big file vs the loop without an index: iterate every message
    of the file with ``mcap`` and keep ``/imu`` inside the minute (goal >= 20x; bytes read, from
    ``/proc/self/io``, <= 5% of the file);
(b) the same minute vs the floor: ``mcap``'s indexed ``iter_decoded_messages(topics, starting_at,
    ending_at)`` and a DataFrame of the same columns built by hand (goal <= 1.3x);
(c) a session of ``--files`` smaller files, each contributing its middle part, vs the per-file
    indexed loop (open each file, window it, decode, concatenate) (goal <= 1.3x);
(d) decoding throughput over a whole ``/imu`` topic vs ``mcap-ros2-support``'s decoder alone (read
    and decode, nothing built), in messages per second (goal >= 0.8x).

    python -m benchmarks.bench_topic_data                         # 1 GB, one hour; 20 files
    python -m benchmarks.bench_topic_data --size-mb 100 --minutes 10 --files 5
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from mcap_ros2.writer import Writer

from sessions_lib import Client, Dataset, Session, SessionFile, ingest_folder

S = 1_000_000_000
START_NS = 1_767_225_600 * S  # 2026-01-01T00:00:00Z
IMU_HZ, GPS_HZ, CAMERA_HZ = 200, 10, 30

IMU = """std_msgs/Header header
geometry_msgs/Quaternion orientation
float64[9] orientation_covariance
geometry_msgs/Vector3 angular_velocity
float64[9] angular_velocity_covariance
geometry_msgs/Vector3 linear_acceleration
float64[9] linear_acceleration_covariance
================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec
================================================================================
MSG: geometry_msgs/Quaternion
float64 x
float64 y
float64 z
float64 w
================================================================================
MSG: geometry_msgs/Vector3
float64 x
float64 y
float64 z
"""
GPS = """float64 latitude
float64 longitude
float64 altitude
"""
CAMERA = """builtin_interfaces/Time stamp
string format
uint8[] data
================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec
"""
IMU_COLUMNS = (
    "header.stamp.sec",
    "header.stamp.nanosec",
    "header.frame_id",
    "orientation.x",
    "orientation.y",
    "orientation.z",
    "orientation.w",
    "orientation_covariance",
    "angular_velocity.x",
    "angular_velocity.y",
    "angular_velocity.z",
    "angular_velocity_covariance",
    "linear_acceleration.x",
    "linear_acceleration.y",
    "linear_acceleration.z",
    "linear_acceleration_covariance",
)


def write_recording(path: Path, start_ns: int, seconds: int, size_mb: float) -> None:
    """One recording of ``seconds`` from ``start_ns``, its camera frames sized to reach ``size_mb``."""
    frames = seconds * CAMERA_HZ
    frame_bytes = max(16, int(size_mb * 2**20 / frames) - 40) if size_mb else 16
    covariance = [0.01 * i for i in range(9)]
    with path.open("wb") as stream:
        writer = Writer(stream, chunk_size=2**20)
        imu = writer.register_msgdef("sensor_msgs/msg/Imu", IMU)
        gps = writer.register_msgdef("sensors/msg/Gps", GPS)
        camera = writer.register_msgdef("sensor_msgs/msg/CompressedImage", CAMERA)
        for tick in range(seconds * IMU_HZ):  # 200 Hz: every 5 ms
            t = start_ns + tick * (S // IMU_HZ)
            stamp = {"sec": t // S, "nanosec": t % S}
            a = tick * 1e-3
            message = {
                "header": {"stamp": stamp, "frame_id": "imu"},
                "orientation": {"x": 0.0, "y": 0.0, "z": a, "w": 1.0},
                "orientation_covariance": covariance,
                "angular_velocity": {"x": a, "y": -a, "z": 0.5},
                "angular_velocity_covariance": covariance,
                "linear_acceleration": {"x": 0.1, "y": a, "z": -9.81},
                "linear_acceleration_covariance": covariance,
            }
            writer.write_message("/imu", imu, message, log_time=t, publish_time=t)
            if tick % (IMU_HZ // GPS_HZ) == 0:
                fix = {"latitude": 47.0 + a * 1e-6, "longitude": 8.0, "altitude": 400.0}
                writer.write_message("/gps", gps, fix, log_time=t, publish_time=t)
            if (tick * CAMERA_HZ) // IMU_HZ != ((tick - 1) * CAMERA_HZ) // IMU_HZ:
                frame = {"stamp": stamp, "format": "jpeg", "data": os.urandom(frame_bytes)}
                writer.write_message("/camera", camera, frame, log_time=t, publish_time=t)
        writer.finish()


def read_chars() -> int:
    """Bytes this process has read through read() calls so far (Linux ``/proc/self/io``)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def best(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The fastest of ``repeats`` runs (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeats):
        begin = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - begin)
    return min(times), result


# -- the user's loops ------------------------------------------------------------------------------


def imu_frame(times: list[int], decoded: list[Any]) -> pl.DataFrame:
    """A DataFrame of the IMU columns, built by hand from decoded messages (the user's code)."""
    columns: dict[str, list[Any]] = {"log_time_ns": times}
    for name in IMU_COLUMNS:
        path = name.split(".")
        values = []
        for message in decoded:
            value = message
            for key in path:
                value = getattr(value, key)
            values.append(value)
        columns[name] = values
    return pl.DataFrame(columns)


def unindexed_loop(path: Path, topic: str, low: int, high: int) -> pl.DataFrame:
    """Every message of the file in file order, kept when on the topic and inside [low, high]."""
    from mcap.reader import NonSeekingReader

    decoders: dict[int, Any] = {}
    factory = DecoderFactory()
    times, decoded = [], []
    with path.open("rb") as file:
        for schema, channel, message in NonSeekingReader(file).iter_messages():
            if channel.topic == topic and low <= message.log_time <= high:
                decode = decoders.get(channel.id) or decoders.setdefault(
                    channel.id, factory.decoder_for(channel.message_encoding, schema)
                )
                times.append(message.log_time)
                decoded.append(decode(message.data))
    return imu_frame(times, decoded)


def indexed_loop(path: Path, topic: str, low: int | None, high: int | None) -> pl.DataFrame:
    """``mcap``'s own indexed reading of a window, decoded by ``mcap-ros2-support``, as a DataFrame."""
    with path.open("rb") as file:
        reader = make_reader(file, decoder_factories=[DecoderFactory()])
        times, decoded = [], []
        for _, _, message, ros in reader.iter_decoded_messages(
            topics=[topic], starting_at=low, ending_at=high
        ):
            times.append(message.log_time)
            decoded.append(ros)
    return imu_frame(times, decoded)


def decode_only(path: Path, topic: str) -> int:
    """Read and decode every message of the topic, building nothing: the decoder alone."""
    count = 0
    with path.open("rb") as file:
        reader = make_reader(file, decoder_factories=[DecoderFactory()])
        for _ in reader.iter_decoded_messages(topics=[topic]):
            count += 1
    return count


# -- the run ---------------------------------------------------------------------------------------


def run(
    size_mb: float = 1000,
    minutes: int = 60,
    files: int = 20,
    file_seconds: int = 120,
    file_size_mb: float = 30,
    repeats: int = 3,
    directory: Path | None = None,
) -> dict[str, float]:
    """Write the recordings, ingest them, time (a)-(d); a flat dict of results."""
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=directory, prefix="bench_topic_data_") as temp:
        root = Path(temp)
        big_folder, many_folder = root / "big", root / "many"
        big_folder.mkdir()
        many_folder.mkdir()
        big = big_folder / "hour.mcap"
        begin = time.perf_counter()
        write_recording(big, START_NS, minutes * 60, size_mb)
        for i in range(files):
            start = START_NS + i * (file_seconds + 30) * S
            write_recording(many_folder / f"run-{i:02d}.mcap", start, file_seconds, file_size_mb)
        results["write_s"] = time.perf_counter() - begin
        results["file_bytes"] = big.stat().st_size

        client = Client(root / "catalog", org_ids=["org_bench"])
        big_report = ingest_folder(big_folder, roboto_client=client)
        many_report = ingest_folder(many_folder, roboto_client=client)
        (big_file,) = Dataset.from_id(big_report.dataset_id, roboto_client=client).list_files()
        hour = Session.create(name="hour", roboto_client=client).add_file(big_file.file_id)
        # Each small file contributes its middle half.
        many_files = list(Dataset.from_id(many_report.dataset_id, roboto_client=client).list_files())
        windows = [
            (many_folder / f.relative_path, start + file_seconds * S // 4, start + 3 * file_seconds * S // 4)
            for i, f in enumerate(many_files)
            for start in [START_NS + i * (file_seconds + 30) * S]
        ]
        many = Session.create(name="many", roboto_client=client).add_files(
            [SessionFile(f.file_id, lo, hi) for f, (_, lo, hi) in zip(many_files, windows, strict=True)]
        )

        # (a), (b): one minute in the middle of the hour.
        low = START_NS + (minutes * 60 // 2) * S
        high = low + 60 * S - 1
        imu = hour.get_topic("/imu")
        imu.get_data_as_df(start_time_ns=low, end_time_ns=low)  # decoders and readers imported
        before = read_chars()
        ours_s, ours = best(lambda: imu.get_data_as_df(start_time_ns=low, end_time_ns=high), repeats)
        results["ours_bytes_read"] = (read_chars() - before) / repeats
        floor_s, floor = best(lambda: indexed_loop(big, "/imu", low, high), repeats)
        naive_s, naive = best(lambda: unindexed_loop(big, "/imu", low, high), 1)
        assert ours.height == floor.height == naive.height == 60 * IMU_HZ, (ours.height, floor.height)
        assert ours["log_time_ns"].to_list() == floor["log_time_ns"].to_list()
        results |= {"minute_rows": ours.height, "ours_s": ours_s, "floor_s": floor_s, "naive_s": naive_s}

        # (c): the session of many files vs the per-file indexed loop.
        many_imu = many.get_topic("/imu")
        session_s, session_frame = best(lambda: many_imu.get_data_as_df(), repeats)
        loop_s, loop_frame = best(
            lambda: pl.concat([indexed_loop(path, "/imu", lo, hi) for path, lo, hi in windows]), repeats
        )
        assert session_frame["log_time_ns"].to_list() == loop_frame["log_time_ns"].to_list()
        results |= {"session_rows": session_frame.height, "session_s": session_s, "per_file_loop_s": loop_s}

        # (d): the whole /imu topic of one of the small files: messages per second.
        one = Session.create(name="one", roboto_client=client).add_file(many_files[0].file_id)
        whole_s, whole_frame = best(lambda: one.get_topic("/imu").get_data_as_df(), repeats)
        decode_s, decoded = best(lambda: decode_only(windows[0][0], "/imu"), repeats)
        assert whole_frame.height == decoded
        results |= {
            "throughput_messages": decoded,
            "ours_messages_per_s": decoded / whole_s,
            "decoder_messages_per_s": decoded / decode_s,
        }
        client.catalog.close()
    return results


def report(results: dict[str, float]) -> list[str]:
    r = results
    read_share = 100 * r["ours_bytes_read"] / r["file_bytes"]
    throughput = r["ours_messages_per_s"] / r["decoder_messages_per_s"]
    return [
        f"file: {r['file_bytes'] / 2**20:,.0f} MiB, written in {r['write_s']:.0f} s",
        f"(a) one minute of /imu ({r['minute_rows']:,.0f} rows): get_data_as_df {r['ours_s'] * 1e3:,.0f} ms, "
        f"unindexed loop {r['naive_s'] * 1e3:,.0f} ms: {r['naive_s'] / r['ours_s']:.1f}x faster "
        f"(goal >= 20x); bytes read {r['ours_bytes_read'] / 2**20:,.1f} MiB = {read_share:.2f}% of the "
        "file (goal <= 5%)",
        f"(b) vs mcap's indexed iter_decoded_messages + DataFrame {r['floor_s'] * 1e3:,.0f} ms: "
        f"{r['ours_s'] / r['floor_s']:.2f}x of the floor (goal <= 1.3x)",
        f"(c) session of many files ({r['session_rows']:,.0f} rows): {r['session_s'] * 1e3:,.0f} ms vs the "
        f"per-file indexed loop {r['per_file_loop_s'] * 1e3:,.0f} ms: "
        f"{r['session_s'] / r['per_file_loop_s']:.2f}x (goal <= 1.3x)",
        f"(d) whole /imu ({r['throughput_messages']:,.0f} messages): get_data_as_df "
        f"{r['ours_messages_per_s']:,.0f} msg/s, mcap-ros2-support's decoder alone "
        f"{r['decoder_messages_per_s']:,.0f} msg/s: {throughput:.2f}x (goal >= 0.8x)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1000, help="size of the big recording")
    parser.add_argument("--minutes", type=int, default=60, help="length of the big recording")
    parser.add_argument("--files", type=int, default=20, help="files of the session of (c)")
    parser.add_argument("--file-seconds", type=int, default=120, help="length of each of them")
    parser.add_argument("--file-size-mb", type=float, default=30, help="size of each of them")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--directory", type=Path, default=None, help="where the temporary folder goes")
    args = parser.parse_args()
    results = run(
        args.size_mb,
        args.minutes,
        args.files,
        args.file_seconds,
        args.file_size_mb,
        args.repeats,
        args.directory,
    )
    for line in report(results):
        print(line, flush=True)


if __name__ == "__main__":
    main()
