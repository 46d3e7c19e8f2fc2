"""Benchmark: ``Session.export_mcap`` of one minute of a one-hour MCAP, against the loop a user
writes without an index, in the same run.

The recording is written with mcap's own ``Writer`` into a temporary directory: one hour of four
topics (camera at 30 Hz, lidar at 10 Hz, IMU at 200 Hz, GPS at 10 Hz; payload sizes scaled so the
file is ``--size-mb``, ~1 GB by default), 1 MiB chunks, uncompressed (payloads are random bytes).
It is ingested into a fresh catalog and a session holds it narrowed to one minute in its middle.

- export: ``session.export_mcap(out)``, everything included (the catalog's reads, the indexed read
  of the chunks overlapping the minute, the merge, the write);
- baseline: ``mcap``'s streaming reader over the whole file, each message's log time checked in
  Python, the kept ones written with mcap's ``Writer`` (same options as the export: zstd chunks,
  indexes, statistics).

Both outputs are checked to hold the same messages. Bytes read are the process's ``rchar``
(``/proc/self/io``; the catalog's reads count too). Goal: export >= 20x faster than the baseline.

    python -m benchmarks.bench_export                    # 1,024 MB, one hour, one minute
    python -m benchmarks.bench_export --size-mb 200 --window-s 30
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mcap.reader import NonSeekingReader, make_reader
from mcap.writer import CompressionType, Writer

from benchmarks.bench_ingest import read_chars
from sessions_lib import Client, Dataset, Session, ingest_folder

SECOND_NS = 1_000_000_000
START_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
# topic -> (share of the file's bytes, rate in Hz)
TOPICS: dict[str, tuple[float, int]] = {
    "/camera/image": (0.75, 30),
    "/lidar/points": (0.15, 10),
    "/imu": (0.08, 200),
    "/gps": (0.02, 10),
}


@dataclass(frozen=True, slots=True)
class Result:
    """Seconds, bytes and counts of one run."""

    file_mb: float
    file_messages: int
    window_messages: int
    export_s: float
    export_read_mb: float
    baseline_s: float
    baseline_read_mb: float

    @property
    def speedup(self) -> float:
        return self.baseline_s / self.export_s

    @property
    def read_share(self) -> float:
        """Bytes the export read, as a share of the file."""
        return self.export_read_mb / self.file_mb


def write_recording(path: Path, size_mb: float, seconds: int) -> int:
    """An uncompressed chunked MCAP of ``seconds`` of the topics, about ``size_mb``; its message count."""
    total = size_mb * 1e6
    payloads = {
        topic: os.urandom(max(16, int(total * share / (rate * seconds))))
        for topic, (share, rate) in TOPICS.items()
    }
    count = 0
    with path.open("wb") as stream:
        writer = Writer(stream, compression=CompressionType.NONE)
        writer.start(profile="", library="bench_export")
        channels = {
            topic: writer.register_channel(topic, "raw", writer.register_schema(topic, "raw", b""))
            for topic in TOPICS
        }
        periods = {topic: SECOND_NS // rate for topic, (_, rate) in TOPICS.items()}
        for second in range(seconds):
            base = START_NS + second * SECOND_NS
            batch = sorted(
                (base + k * periods[topic], topic) for topic, (_, rate) in TOPICS.items() for k in range(rate)
            )
            for log_time, topic in batch:
                writer.add_message(channels[topic], log_time, payloads[topic], log_time, count)
                count += 1
        writer.finish()
    return count


def baseline(source: Path, out: Path, window: tuple[int, int]) -> int:
    """The loop without an index: every message of the file, filtered by time, kept ones written."""
    kept = 0
    with source.open("rb") as stream, out.open("wb") as sink:
        writer = Writer(sink, compression=CompressionType.ZSTD)
        writer.start(profile="", library="baseline")
        schemas: dict[int, int] = {}
        channels: dict[int, int] = {}
        for schema, channel, message in NonSeekingReader(stream).iter_messages():
            if not window[0] <= message.log_time <= window[1]:
                continue
            if channel.id not in channels:
                if schema is not None and schema.id not in schemas:
                    schemas[schema.id] = writer.register_schema(schema.name, schema.encoding, schema.data)
                schema_id = schemas[schema.id] if schema is not None else 0
                channels[channel.id] = writer.register_channel(
                    channel.topic, channel.message_encoding, schema_id, channel.metadata
                )
            writer.add_message(
                channels[channel.id], message.log_time, message.data, message.publish_time, message.sequence
            )
            kept += 1
        writer.finish()
    return kept


def timed(call):  # type: ignore[no-untyped-def]
    before_bytes, before = read_chars(), time.perf_counter()
    value = call()
    return value, time.perf_counter() - before, (read_chars() - before_bytes) / 1e6


def message_count(path: Path) -> int:
    with path.open("rb") as stream:
        summary = make_reader(stream).get_summary()
    assert summary is not None and summary.statistics is not None
    return summary.statistics.message_count


def run(
    size_mb: float = 1_024, seconds: int = 3_600, window_s: int = 60, directory: Path | None = None
) -> Result:
    """Write the recording, ingest it, time both ways of cutting the window; deletes what it wrote."""
    with tempfile.TemporaryDirectory(dir=directory, prefix="bench_export_") as temp:
        folder = Path(temp) / "recordings"
        folder.mkdir()
        source = folder / "hour.mcap"
        messages = write_recording(source, size_mb, seconds)
        client = Client(Path(temp) / "catalog", user="bench", org_ids=["org_bench"])
        try:
            report = ingest_folder(folder, roboto_client=client)
            (file,) = Dataset.from_id(report.dataset_id, roboto_client=client).list_files()
            lo = START_NS + (seconds // 2) * SECOND_NS
            window = (lo, lo + window_s * SECOND_NS - 1)
            session = Session.create("one minute", roboto_client=client).add_file(file, *window)
            exported, export_s, export_mb = timed(lambda: session.export_mcap(Path(temp) / "export.mcap"))
            kept, baseline_s, baseline_mb = timed(lambda: baseline(source, Path(temp) / "loop.mcap", window))
        finally:
            client.catalog.close()
        assert exported.message_count == kept == message_count(Path(temp) / "export.mcap") > 0
        return Result(
            source.stat().st_size / 1e6, messages, kept, export_s, export_mb, baseline_s, baseline_mb
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=float, default=1_024, help="size of the recording in MB")
    parser.add_argument("--seconds", type=int, default=3_600, help="its length")
    parser.add_argument("--window-s", type=int, default=60, help="the window exported")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: $TMPDIR)")
    args = parser.parse_args(argv)
    r = run(args.size_mb, args.seconds, args.window_s, args.dir)
    print(f"recording: {r.file_mb:,.0f} MB, {r.file_messages:,} messages, {args.seconds} s")
    print(f"window: {args.window_s} s, {r.window_messages:,} messages")
    print(
        f"export_mcap:            {r.export_s:8.2f} s, read {r.export_read_mb:8.1f} MB ({r.read_share:.1%})"
    )
    print(f"mcap loop (whole file): {r.baseline_s:8.2f} s, read {r.baseline_read_mb:8.1f} MB")
    print(f"speedup: {r.speedup:.1f}x (goal >= 20x)")


if __name__ == "__main__":
    main()
