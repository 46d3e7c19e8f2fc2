"""Benchmark: the MCAP reader's summary path against iterating every message, as the file grows.

For each size, an MCAP is written with mcap's own ``Writer`` into a temporary directory: five sensor
topics (camera 100 KB at 30 Hz, lidar 60 KB at 10 Hz, IMU 300 B at 200 Hz, GPS 100 B at 10 Hz,
diagnostics 1 KB at 1 Hz) with a two-minute pause in the middle, 1 MiB chunks, uncompressed by default
(``--compression zstd`` or ``lz4`` to compress; payloads are random bytes, so compression only costs
time). ``--profile imu`` writes only 300-byte IMU messages instead: the worst case for the reader, whose
message-index read grows with the message count. In the same run it times ``read(path)`` (median of
several runs), mcap's ``get_summary()`` alone (what chunk-bound spans would cost) and one pass over every
message with mcap's readers: the streaming ``NonSeekingReader`` in file order (the cheapest) and
``make_reader(...).iter_messages()`` in its default log-time order. (``make_reader`` with
``log_time_order=False`` is not used: in mcap 1.6.0 it queues every message of the file before yielding
the first, ~1 GB of memory for a 1 GB file.) It prints a table and the ratio of the faster pass to
``read()`` (goal >= 100).

    python -m benchmarks.bench_mcap                     # 100 MB and 1,000 MB, uncompressed
    python -m benchmarks.bench_mcap --sizes 50 500 --compression zstd
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mcap.reader import NonSeekingReader, make_reader
from mcap.writer import CompressionType, Writer

from sessions_lib.readers.mcap import read

SECOND_NS = 1_000_000_000
START_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
PAUSE_NS = 120 * SECOND_NS

# topic -> (payload bytes, rate in Hz)
PROFILES: dict[str, dict[str, tuple[int, int]]] = {
    "sensors": {
        "/camera/image": (100_000, 30),
        "/lidar/points": (60_000, 10),
        "/imu": (300, 200),
        "/gps": (100, 10),
        "/diagnostics": (1_000, 1),
    },
    "imu": {"/imu": (300, 200)},
}
COMPRESSIONS = {"none": CompressionType.NONE, "zstd": CompressionType.ZSTD, "lz4": CompressionType.LZ4}


@dataclass(frozen=True, slots=True)
class Result:
    """One size's timings; seconds throughout."""

    size_mb: float
    messages: int
    chunks: int
    read_s: float
    summary_s: float
    iterate_s: float  # mcap's streaming reader, file order: the cheapest way to see every message
    seeking_s: float  # make_reader(...).iter_messages(), default log-time order

    @property
    def ratio(self) -> float:
        return min(self.iterate_s, self.seeking_s) / self.read_s


def write_recording(path: Path, size_mb: float, profile: str = "sensors", compression: str = "none") -> int:
    """An MCAP of about ``size_mb`` megabytes of payload; returns its message count."""
    topics = PROFILES[profile]
    bytes_per_second = sum(size * rate for size, rate in topics.values())
    duration_ns = int(size_mb * 1e6 / bytes_per_second * SECOND_NS)
    events = []
    for index, (_, rate) in enumerate(topics.values()):
        period_ns = SECOND_NS // rate
        events += [(t, index) for t in range(index * 1_000, duration_ns, period_ns)]
    events.sort()
    # Payloads are slices of a random pool taken at a moving offset, so no two messages in a chunk
    # share bytes and compression cannot shrink the file below its nominal size.
    pool = os.urandom(16 * 2**20)
    offset = 0
    with path.open("wb") as stream:
        writer = Writer(stream, compression=COMPRESSIONS[compression])
        writer.start(profile="", library="bench_mcap")
        channels = []
        sizes = []
        for topic, (size, _) in topics.items():
            schema_id = writer.register_schema(name=f"bench{topic}", encoding="jsonschema", data=b"{}")
            channels.append(writer.register_channel(topic, "json", schema_id))
            sizes.append(size)
        for t, index in events:
            # The recorder pauses for two minutes half way through: every topic gets two spans.
            log_time = START_NS + t + (PAUSE_NS if t >= duration_ns // 2 else 0)
            size = sizes[index]
            if offset + size > len(pool):
                offset = 0
            payload = pool[offset : offset + size]
            offset += size
            writer.add_message(channels[index], log_time=log_time, data=payload, publish_time=log_time)
        writer.finish()
    return len(events)


def time_read(path: Path, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        read(path)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def time_summary(path: Path, repeats: int) -> tuple[float, int]:
    timings = []
    chunks = 0
    for _ in range(repeats):
        start = time.perf_counter()
        with path.open("rb") as stream:
            summary = make_reader(stream).get_summary()
        timings.append(time.perf_counter() - start)
        chunks = len(summary.chunk_indexes) if summary else 0
    return statistics.median(timings), chunks


def time_iterate(path: Path, streaming: bool) -> tuple[float, int]:
    """One pass over every message: mcap's streaming reader, or ``make_reader`` in log-time order."""
    start = time.perf_counter()
    count = 0
    with path.open("rb") as stream:
        reader = NonSeekingReader(stream) if streaming else make_reader(stream)
        for _ in reader.iter_messages(log_time_order=not streaming):
            count += 1
    return time.perf_counter() - start, count


def run(
    sizes_mb: list[float] | None = None,
    profile: str = "sensors",
    compression: str = "none",
    repeats: int = 5,
    directory: Path | None = None,
) -> dict[float, Result]:
    """Write, time and delete one file per size; returns the results by size."""
    results: dict[float, Result] = {}
    with tempfile.TemporaryDirectory(dir=directory, prefix="bench_mcap_") as temp:
        for size_mb in sizes_mb or [100, 1000]:
            path = Path(temp) / f"bench_{size_mb}mb.mcap"
            messages = write_recording(path, size_mb, profile, compression)
            recording = read(path)
            assert sum(t.message_count or 0 for t in recording.topics) == messages
            imu = next(t for t in recording.topics if t.name == "/imu")
            assert len(imu.spans) == 2, "the pause must show as a gap"
            read_s = time_read(path, repeats)
            summary_s, chunks = time_summary(path, repeats)
            iterate_s, iterated = time_iterate(path, streaming=True)
            seeking_s, seeked = time_iterate(path, streaming=False)
            assert iterated == seeked == messages
            results[size_mb] = Result(
                size_mb=path.stat().st_size / 1e6,
                messages=messages,
                chunks=chunks,
                read_s=read_s,
                summary_s=summary_s,
                iterate_s=iterate_s,
                seeking_s=seeking_s,
            )
            path.unlink()
    return results


def print_table(results: dict[float, Result], profile: str, compression: str) -> None:
    print(f"profile={profile} compression={compression}")
    print(
        f"{'file MB':>9} {'messages':>9} {'chunks':>7} {'read() ms':>10} {'summary ms':>11} "
        f"{'stream s':>9} {'seeking s':>10} {'ratio':>7}"
    )
    for result in results.values():
        print(
            f"{result.size_mb:9.1f} {result.messages:9d} {result.chunks:7d} {result.read_s * 1e3:10.2f} "
            f"{result.summary_s * 1e3:11.2f} {result.iterate_s:9.2f} {result.seeking_s:10.2f} "
            f"{result.ratio:6.0f}x"
        )
    if len(results) > 1:
        first, last = results[min(results)], results[max(results)]
        print(
            f"file grew {last.size_mb / first.size_mb:.1f}x; "
            f"read() time grew {last.read_s / first.read_s:.1f}x, "
            f"streaming iteration grew {last.iterate_s / first.iterate_s:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[100, 1000], help="file sizes in MB")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="sensors")
    parser.add_argument("--compression", choices=sorted(COMPRESSIONS), default="none")
    parser.add_argument("--repeats", type=int, default=5, help="runs of read() per size (median)")
    parser.add_argument("--dir", type=Path, default=None, help="where to write the files (default: $TMPDIR)")
    args = parser.parse_args()
    free_mb = shutil.disk_usage(args.dir or tempfile.gettempdir()).free / 1e6
    if max(args.sizes) * 1.1 > free_mb:
        parser.error(f"the largest file needs {max(args.sizes)} MB; only {free_mb:.0f} MB are free")
    results = run(args.sizes, args.profile, args.compression, args.repeats, args.dir)
    print_table(results, args.profile, args.compression)


if __name__ == "__main__":
    main()
