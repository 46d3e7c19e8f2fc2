"""Benchmark: ``ingest_folder`` end to end, against mcap's own reader on the same files in the same run.

Two folders are written with mcap's ``Writer`` into a temporary directory and ingested into a fresh
SQLite catalog per repeat, as a user calls it: ``ingest_folder(folder, roboto_client=Client(...))``.

- **Small files** (``--small-files``, default 1,000): MCAPs of 4 topics x 200 JSON messages (about
  130 bytes each, with a jsonschema schema), in zstd chunks of ``--small-chunk-kib`` (32 KiB: 5
  chunks a file), a metadata record naming the device, and a summary. The baseline opens each file
  and reads its summary with ``mcap.reader.make_reader(f).get_summary()``. Reported: ms per file of
  each, the ratio (goal <= 2x), and ms per file of a re-ingest of the unchanged folder.
- **One big file** (``--big-mb``, default 1,024 MB): ``benchmarks.bench_mcap``'s sensor recording
  (5 topics from 300 B IMU to 100 KB camera messages, 1 MiB chunks, uncompressed by default, a pause
  in the middle; ``--big-profile imu``: only 300 B IMU messages, about 50x as many messages per MB).
  The baseline iterates every message once with mcap's readers: the streaming ``NonSeekingReader``
  in file order and ``make_reader(f).iter_messages()`` (log-time order); the faster one counts.
  Goal: ``ingest_folder`` >= 50x faster than iterating. Re-ingest of the unchanged file: bytes
  read <= 1% of its size.

Bytes read are ``rchar`` deltas of ``/proc/self/io`` around the call (every ``read``/``pread``
system call of the process; the MCAP reader and the fingerprint read through those, not ``mmap``).
They include the catalog's own reads (DuckDB reading its SQLite metadata and Parquet files), so the
report also gives the bytes read outside the catalog's transactions (counted by wrapping the
client's ``Catalog.transaction`` and ``Catalog.read``): the recordings' share, since the fingerprint
and the readers run outside them. The files are freshly written, so both sides read them from the
page cache.

The catalog's creation (the first ``Client`` use: attaching DuckLake and creating the schema) is
timed apart, outside the ingest: a user pays it once per catalog. Opening an existing catalog (once
per process) is timed apart too. Everything else ``ingest_folder`` does is inside the timing:
listing the folder, registering the dataset, fingerprinting, reading, writing.

    python -m benchmarks.bench_ingest                               # 1,000 small files, 1 GB file
    python -m benchmarks.bench_ingest --small-files 200 --big-mb 100 --repeats 1
    python -m benchmarks.bench_ingest --parts big --compression zstd
    python -m benchmarks.bench_ingest --parts big --big-profile imu   # 3.4M messages in 1 GB
    python -m benchmarks.bench_ingest --profile                     # where ingest time goes
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from mcap.reader import make_reader
from mcap.writer import CompressionType, Writer

from benchmarks.bench_mcap import COMPRESSIONS, PROFILES, time_iterate, write_recording
from sessions_lib import Client, ingest_folder
from sessions_lib.ingest import IngestReport, recording_paths
from sessions_lib.readers import read_recording

T = TypeVar("T")

SECOND_NS = 1_000_000_000
START_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z
ORG_ID = "org_bench"
# topic -> (schema name, rate in Hz) of each small file
SMALL_TOPICS: dict[str, tuple[str, int]] = {
    "/imu": ("bench/Imu", 100),
    "/odom": ("bench/Odometry", 50),
    "/gps": ("bench/NavSatFix", 10),
    "/battery": ("bench/BatteryState", 1),
}
SMALL_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {
            "stamp": {"type": "integer"},
            "frame_id": {"type": "string"},
            "seq": {"type": "integer"},
            "values": {"type": "array", "items": {"type": "number"}},
        },
    }
).encode()
GOAL_SMALL_RATIO = 2.0
GOAL_BIG_SPEEDUP = 50.0
GOAL_REINGEST_SHARE = 0.01


# -- writing the recordings ------------------------------------------------------------------------


def write_small_mcap(path: Path, index: int, messages_per_topic: int = 200, chunk_kib: int = 32) -> int:
    """One small recording: 4 topics x ``messages_per_topic`` JSON messages, zstd chunks, a metadata
    record, a summary. Each file starts 10 minutes after the previous one. Returns its messages."""
    start = START_NS + index * 600 * SECOND_NS
    events = sorted(
        (start + i * SECOND_NS // rate + c * 1_000, c, i)
        for c, (_, rate) in enumerate(SMALL_TOPICS.values())
        for i in range(messages_per_topic)
    )
    with path.open("wb") as stream:
        writer = Writer(stream, chunk_size=chunk_kib * 1024, compression=CompressionType.ZSTD)
        writer.start(profile="", library="bench_ingest")
        channels = []
        for topic, (schema, _) in SMALL_TOPICS.items():
            schema_id = writer.register_schema(name=schema, encoding="jsonschema", data=SMALL_SCHEMA)
            channels.append(writer.register_channel(topic, "json", schema_id))
        writer.add_metadata("device", {"serial": f"bench-{index % 16:04d}", "firmware": "1.4.2"})
        for log_time, c, i in events:
            values = ", ".join(f"{(i * 7 + k * 13) % 1000 / 997:.6f}" for k in range(6))
            payload = f'{{"stamp": {log_time}, "frame_id": "base_link", "seq": {i}, "values": [{values}]}}'
            writer.add_message(channels[c], log_time=log_time, data=payload.encode(), publish_time=log_time)
        writer.finish()
    return len(events)


def write_small_folder(folder: Path, files: int, chunk_kib: int = 32) -> int:
    """``files`` small recordings in 10 sub-folders of ``folder``; returns the messages per file."""
    messages = 0
    for index in range(files):
        sub = folder / f"robot-{index % 10:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        messages = write_small_mcap(sub / f"rec-{index:05d}.mcap", index, chunk_kib=chunk_kib)
    return messages


# -- measuring -------------------------------------------------------------------------------------


def read_chars() -> int:
    """Bytes this process has read through ``read``-family system calls (``rchar``), 0 if unknown."""
    try:
        with open("/proc/self/io") as io:
            for line in io:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True, slots=True)
class Measured:
    seconds: float
    bytes_read: int  # by the whole process
    catalog_bytes_read: int  # of which inside the catalog's transactions (DuckDB reading the catalog)

    @property
    def recording_bytes_read(self) -> int:
        """What the process read outside the catalog's transactions: the recordings."""
        return self.bytes_read - self.catalog_bytes_read


class CatalogReads:
    """Counts the bytes a process reads inside one catalog's transactions, by wrapping the
    instance's ``transaction`` and ``read`` (the library's only ways into the catalog)."""

    def __init__(self, catalog: Any) -> None:
        self.bytes_read = 0
        for name in ("transaction", "read"):
            setattr(catalog, name, self._counting(getattr(catalog, name)))

    def _counting(self, method: Callable[..., T]) -> Callable[..., T]:
        def counted(*args: Any, **kwargs: Any) -> T:
            chars = read_chars()
            try:
                return method(*args, **kwargs)
            finally:
                self.bytes_read += read_chars() - chars

        return counted


def measure(call: Callable[[], T], reads: CatalogReads | None = None) -> tuple[T, Measured]:
    """``call()``, its wall-clock seconds, the bytes the process read meanwhile, and how many of
    them ``reads`` counted in the catalog."""
    chars = read_chars()
    in_catalog = reads.bytes_read if reads else 0
    start = time.perf_counter()
    value = call()
    seconds = time.perf_counter() - start
    catalog = (reads.bytes_read if reads else 0) - in_catalog
    return value, Measured(seconds, read_chars() - chars, catalog)


@dataclass(frozen=True, slots=True)
class Ingests:
    """One folder ingested into fresh catalogs ``repeats`` times (medians), and re-ingested."""

    create_catalog_s: float  # first use of a new catalog: attach and create the schema
    open_catalog_s: float  # a new process opening the existing catalog: attach
    ingest: Measured
    reingest: Measured
    registered: int
    unchanged: int
    failed: int


def ingest_into_fresh_catalogs(
    folder: Path, catalogs: Path, repeats: int, baseline: Callable[[], object] | None = None
) -> tuple[Ingests, list[float]]:
    """Ingest ``folder`` into ``repeats`` fresh catalogs, re-ingesting it into each; ``baseline``
    (if given) runs before each ingest, alternating with it. Returns the medians and the
    baseline's timings."""
    creates, opens, ingests, reingests, baselines = [], [], [], [], []
    first: IngestReport | None = None
    again: IngestReport | None = None
    for repeat in range(repeats):
        if baseline is not None:
            start = time.perf_counter()
            baseline()
            baselines.append(time.perf_counter() - start)
        location = catalogs / f"catalog-{repeat}"
        client = Client(location, user="bench", org_ids=[ORG_ID])
        _, created = measure(client.catalog.connection)
        creates.append(created.seconds)
        reads = CatalogReads(client.catalog)
        ingest = partial(ingest_folder, folder, roboto_client=client)
        first, measured = measure(ingest, reads)
        ingests.append(measured)
        again, measured = measure(ingest, reads)
        reingests.append(measured)
        client.catalog.close()
        reopened = Client(location, user="bench", org_ids=[ORG_ID])
        _, opened = measure(reopened.catalog.connection)
        opens.append(opened.seconds)
        reopened.catalog.close()
        shutil.rmtree(location)
    assert first is not None and again is not None
    if len(again.unchanged) != len(first.registered) + len(first.failed):
        raise SystemExit(
            f"the re-ingest found {len(again.unchanged)} unchanged of "
            f"{len(first.registered) + len(first.failed)} files: {again.summary()}"
        )
    return (
        Ingests(
            create_catalog_s=statistics.median(creates),
            open_catalog_s=statistics.median(opens),
            ingest=_median(ingests),
            reingest=_median(reingests),
            registered=len(first.registered),
            unchanged=len(again.unchanged),
            failed=len(first.failed),
        ),
        baselines,
    )


def _median(measured: Sequence[Measured]) -> Measured:
    """The median run by seconds (its bytes with it)."""
    return sorted(measured, key=lambda m: m.seconds)[(len(measured) - 1) // 2]


def read_summaries(paths: Sequence[Path]) -> int:
    """The baseline of the small files: each file opened and its summary read by mcap."""
    chunks = 0
    for path in paths:
        with path.open("rb") as stream:
            summary = make_reader(stream).get_summary()
        chunks += len(summary.chunk_indexes) if summary else 0
    return chunks


@dataclass(frozen=True, slots=True)
class SmallFiles:
    files: int
    bytes: int
    messages_per_file: int
    chunks_per_file: float
    list_s: float  # listing the folder (the library's own walk)
    summary_s: float  # the baseline over every file (median)
    reader_s: float  # the library's reader alone over every file, no catalog (median)
    ingests: Ingests

    @property
    def ratio(self) -> float:
        return self.ingests.ingest.seconds / self.summary_s


@dataclass(frozen=True, slots=True)
class BigFile:
    bytes: int
    messages: int
    chunks: int
    stream_s: float  # NonSeekingReader, file order
    seeking_s: float  # make_reader(...).iter_messages(), log-time order
    reader_s: float  # the library's reader alone, no catalog (median)
    ingests: Ingests

    @property
    def iterate_s(self) -> float:
        return min(self.stream_s, self.seeking_s)

    @property
    def speedup(self) -> float:
        return self.iterate_s / self.ingests.ingest.seconds

    @property
    def reingest_share(self) -> float:
        return self.ingests.reingest.bytes_read / self.bytes


def median_seconds(call: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def run_small(temp: Path, files: int, repeats: int, chunk_kib: int = 32) -> SmallFiles:
    folder = temp / "small"
    messages = write_small_folder(folder, files, chunk_kib)
    paths = sorted(recording_paths(folder))
    assert len(paths) == files
    list_s = median_seconds(lambda: sorted(recording_paths(folder)), repeats)
    chunks = read_summaries(paths)
    reader_s = median_seconds(lambda: [read_recording(p) for p in paths], repeats)
    ingests, summaries = ingest_into_fresh_catalogs(
        folder, temp / "catalogs", repeats, baseline=lambda: read_summaries(paths)
    )
    if ingests.registered != files:
        raise SystemExit(f"{files} small files written, {ingests.registered} registered")
    return SmallFiles(
        files=files,
        bytes=sum(p.stat().st_size for p in paths),
        messages_per_file=messages,
        chunks_per_file=chunks / files,
        list_s=list_s,
        summary_s=statistics.median(summaries),
        reader_s=reader_s,
        ingests=ingests,
    )


def run_big(
    temp: Path, size_mb: float, repeats: int, compression: str = "none", profile: str = "sensors"
) -> BigFile:
    folder = temp / "big"
    folder.mkdir()
    path = folder / "drive.mcap"
    messages = write_recording(path, size_mb, profile, compression)
    with path.open("rb") as stream:
        summary = make_reader(stream).get_summary()
    chunks = len(summary.chunk_indexes) if summary else 0
    reader_s = median_seconds(lambda: read_recording(path), repeats)
    ingests, _ = ingest_into_fresh_catalogs(folder, temp / "catalogs", repeats)
    stream_s, streamed = time_iterate(path, streaming=True)
    seeking_s, seeked = time_iterate(path, streaming=False)
    assert streamed == seeked == messages
    return BigFile(
        bytes=path.stat().st_size,
        messages=messages,
        chunks=chunks,
        stream_s=stream_s,
        seeking_s=seeking_s,
        reader_s=reader_s,
        ingests=ingests,
    )


def run(
    small_files: int = 1_000,
    big_mb: float = 1_024,
    repeats: int = 3,
    compression: str = "none",
    small_chunk_kib: int = 32,
    parts: Sequence[str] = ("small", "big"),
    directory: Path | None = None,
    big_profile: str = "sensors",
) -> dict[str, Any]:
    """Write, time and delete the folders of ``parts``; returns their results by part."""
    results: dict[str, Any] = {"load": os.getloadavg()[0]}  # others' work shares the cores
    with tempfile.TemporaryDirectory(dir=directory, prefix="bench_ingest_") as temp:
        if "small" in parts:
            results["small"] = run_small(Path(temp), small_files, repeats, small_chunk_kib)
        if "big" in parts:
            results["big"] = run_big(Path(temp), big_mb, repeats, compression, big_profile)
    return results


# -- where the time goes ---------------------------------------------------------------------------


# The library's functions an ingest runs, timed by wrappers set on their modules (and classes) for
# the length of one ingest: (module or class, attribute, label). Times are inclusive and kept by
# call path, so a function shows under each caller it ran for.
def _timed_functions() -> list[tuple[Any, str, str]]:
    from sessions_lib import ingest
    from sessions_lib.catalog import lake
    from sessions_lib.store import files

    return [
        (ingest, "dataset_for_folder", "dataset lookup or creation (dataset_for_folder)"),
        (ingest, "plan_batches", "listing the folder (plan_batches)"),
        (ingest, "ingest_batch", "ingest_batch"),
        (ingest, "stamp_file", "fingerprint (stamp_file)"),
        (ingest, "read_recording", "reader (read_recording)"),
        (ingest, "_read_file", "read one file (_read_file: reader + FileRegistration)"),
        (files, "write_registrations", "write_registrations"),
        (files, "held_at_paths", "held_at_paths (SQL)"),
        (files, "put_files", "put_files"),
        (files, "require_all", "require_all (SQL)"),
        (files, "_refuse_taken_ids", "_refuse_taken_ids (SQL)"),
        (files, "_insert_rows", "_insert_rows (rows built and inserted)"),
        (lake.Catalog, "read", "catalog read transaction"),
        (lake.Catalog, "transaction", "catalog write transaction"),
        (lake.Tx, "insert_arrow", "INSERT (Tx.insert_arrow)"),
        (lake.Tx, "rows", "SELECT (Tx.rows)"),
        (lake.Tx, "execute", "INSERT ... SELECT, DELETE, UPDATE (Tx.execute)"),
    ]


class PhaseTimer:
    """Wall-clock seconds and calls per call path of the functions of ``_timed_functions``."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str, ...], float] = {}
        self.calls: dict[tuple[str, ...], int] = {}
        self._stack: list[str] = []
        self._saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> PhaseTimer:
        for owner, name, label in _timed_functions():
            original = owner.__dict__.get(name)
            if original is None:  # moved or renamed since: not timed
                continue
            self._saved.append((owner, name, original))
            setattr(owner, name, self._wrap(original, label))
        return self

    def __exit__(self, *_: object) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()

    def _wrap(self, function: Callable[..., T], label: str) -> Callable[..., T]:
        def timed(*args: Any, **kwargs: Any) -> T:
            self._stack.append(label)
            path = tuple(self._stack)
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                # A generator's callee may run between two of its caller's steps: keep what it took.
                self.seconds[path] = self.seconds.get(path, 0.0) + time.perf_counter() - start
                self.calls[path] = self.calls.get(path, 0) + 1
                self._stack.pop()

        return timed

    def lines(self, files: int, total_s: float, title: str = "ingest_folder") -> Iterator[str]:
        yield f"  {title:<64} {total_s * 1e3:10.1f} ms {total_s / files * 1e3:8.3f} ms/file"
        for path in sorted(self.seconds):
            label = "  " * len(path) + path[-1]
            spent = self.seconds[path]
            yield (
                f"  {label:<64} {spent * 1e3:10.1f} ms {spent / files * 1e3:8.3f} ms/file "
                f"{self.calls[path]:7d} calls"
            )


class ImportAttempts:
    """Counts the attempts to import a module that is not installed (each a search of ``sys.path``
    that ``sys.modules`` does not remember), through a finder that only counts."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname == self.name:
            self.count += 1
        return None

    def __enter__(self) -> ImportAttempts:
        sys.meta_path.insert(0, self)
        return self

    def __exit__(self, *_: object) -> None:
        sys.meta_path.remove(self)


def failed_import_seconds(name: str, repeats: int = 2_000) -> float | None:
    """Seconds one ``import name`` takes when ``name`` is not installed (None if it is)."""
    start = time.perf_counter()
    for _ in range(repeats):
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        return None
    return (time.perf_counter() - start) / repeats


def profile_ingest(folder: Path, catalog: Path, files: int) -> Iterator[str]:
    """One ingest of ``folder`` into a fresh catalog with the phase timers, a re-ingest, then one
    ingest under cProfile: the report's lines."""
    for what in ("ingest", "re-ingest"):
        if what == "ingest":
            client = Client(catalog, user="bench", org_ids=[ORG_ID])
            client.catalog.connection()
        with PhaseTimer() as timer, ImportAttempts("pandas") as attempts:
            start = time.perf_counter()
            ingest_folder(folder, roboto_client=client)
            total_s = time.perf_counter() - start
        yield f"{what}, timed by phase ({files} file(s)):"
        yield from timer.lines(files, total_s)
        failed = failed_import_seconds("pandas")
        if failed is not None and attempts.count:
            yield (
                f"  failed 'import pandas' attempts (DuckDB converting Python parameters): {attempts.count}, "
                f"~{attempts.count * failed * 1e3:.1f} ms ({failed * 1e6:.0f} us each), "
                f"{attempts.count * failed / files * 1e3:.3f} ms/file"
            )
    client.catalog.close()
    shutil.rmtree(catalog)
    client = Client(catalog, user="bench", org_ids=[ORG_ID])
    client.catalog.connection()
    profile = cProfile.Profile()
    profile.enable()
    start = time.perf_counter()
    ingest_folder(folder, roboto_client=client)
    seconds = time.perf_counter() - start
    profile.disable()
    client.catalog.close()
    shutil.rmtree(catalog)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(20)
    yield f"ingest under cProfile: {seconds * 1e3:.1f} ms, the top functions by own time:"
    yield from (line for line in out.getvalue().splitlines() if line.strip())


def run_profile(
    small_files: int,
    big_mb: float,
    compression: str,
    small_chunk_kib: int,
    directory: Path | None,
    big_profile: str = "sensors",
) -> Iterator[str]:
    with tempfile.TemporaryDirectory(dir=directory, prefix="bench_ingest_profile_") as temp:
        root = Path(temp)
        cases = []
        if small_files:
            write_small_folder(root / "small", small_files, small_chunk_kib)
            cases.append(("small", root / "small", small_files))
        if big_mb:
            (root / "big").mkdir()
            write_recording(root / "big" / "drive.mcap", big_mb, big_profile, compression)
            cases.append(("big", root / "big", 1))
        warm = Client(root / "warm", user="bench", org_ids=[ORG_ID])
        for name, folder, files in cases:
            ingest_folder(folder, roboto_client=warm)  # imports done, the files in the page cache
            yield f"== {name}: {files} file(s); 1-minute load average {os.getloadavg()[0]:.1f}"
            yield from profile_ingest(folder, root / f"catalog-{name}", files)
        warm.catalog.close()


# -- the report ------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _bytes(measured: Measured, total: int) -> str:
    """What a call read, as a share of ``total``: everything, and the part outside the catalog."""
    return (
        f"read {measured.bytes_read / 2**20:.2f} MiB = {measured.bytes_read / total:.2%}; "
        f"outside the catalog {measured.recording_bytes_read / 2**20:.2f} MiB = "
        f"{measured.recording_bytes_read / total:.2%}"
    )


def _row(label: str, text: str) -> str:
    return f"  {label:<38}{text}"


def report(results: dict[str, Any]) -> Iterator[str]:
    yield f"1-minute load average before the run: {results['load']:.1f} (cores: {os.cpu_count()})"
    small: SmallFiles | None = results.get("small")
    if small is not None:
        n = small.files
        ingests = small.ingests
        yield (
            f"small files: {n} MCAPs of {small.messages_per_file} messages "
            f"({small.bytes / n / 1024:.0f} KiB, {small.chunks_per_file:.1f} chunks each; "
            f"{small.bytes / 2**20:.1f} MiB in all)"
        )
        yield _row("catalog creation (once per catalog)", f"{ingests.create_catalog_s * 1e3:9.1f} ms, apart")
        yield _row("catalog open (once per process)", f"{ingests.open_catalog_s * 1e3:9.1f} ms, apart")
        yield f"  listing the folder                    {small.list_s / n * 1e3:9.3f} ms/file"
        yield f"  library reader alone, no catalog      {small.reader_s / n * 1e3:9.3f} ms/file"
        yield f"  mcap get_summary() (baseline)         {small.summary_s / n * 1e3:9.3f} ms/file"
        yield (
            f"  ingest_folder                         {ingests.ingest.seconds / n * 1e3:9.3f} ms/file "
            f"({n / ingests.ingest.seconds:.0f} files/s; {_bytes(ingests.ingest, small.bytes)} of the folder)"
        )
        yield (
            f"  re-ingest, unchanged                  {ingests.reingest.seconds / n * 1e3:9.3f} ms/file "
            f"({_bytes(ingests.reingest, small.bytes)})"
        )
        yield (
            f"  ratio ingest / summary: {small.ratio:.2f}x (goal <= {GOAL_SMALL_RATIO:g}x: "
            f"{_verdict(small.ratio <= GOAL_SMALL_RATIO)})"
        )
    big: BigFile | None = results.get("big")
    if big is not None:
        ingests = big.ingests
        yield f"big file: {big.bytes / 1e6:.0f} MB, {big.messages} messages, {big.chunks} chunks"
        yield _row("catalog creation (once per catalog)", f"{ingests.create_catalog_s * 1e3:9.1f} ms, apart")
        yield f"  iterate, streaming NonSeekingReader   {big.stream_s * 1e3:9.1f} ms"
        yield f"  iterate, make_reader().iter_messages  {big.seeking_s * 1e3:9.1f} ms"
        yield f"  library reader alone, no catalog      {big.reader_s * 1e3:9.1f} ms"
        yield (
            f"  ingest_folder                         {ingests.ingest.seconds * 1e3:9.1f} ms "
            f"({_bytes(ingests.ingest, big.bytes)} of the file)"
        )
        yield (
            f"  re-ingest, unchanged                  {ingests.reingest.seconds * 1e3:9.1f} ms "
            f"({_bytes(ingests.reingest, big.bytes)})"
        )
        yield (
            f"  speed-up over iterating: {big.speedup:.0f}x (goal >= {GOAL_BIG_SPEEDUP:g}x: "
            f"{_verdict(big.speedup >= GOAL_BIG_SPEEDUP)}); re-ingest read {big.reingest_share:.3%} of the "
            f"file (goal <= {GOAL_REINGEST_SHARE:.0%}: {_verdict(big.reingest_share <= GOAL_REINGEST_SHARE)})"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small-files", type=int, default=1_000, help="small MCAPs in the folder")
    parser.add_argument("--small-chunk-kib", type=int, default=32, help="chunk size of the small MCAPs")
    parser.add_argument("--big-mb", type=float, default=1_024, help="size of the big MCAP in MB")
    parser.add_argument("--compression", choices=sorted(COMPRESSIONS), default="none", help="big file")
    parser.add_argument(
        "--big-profile", choices=sorted(PROFILES), default="sensors", help="big file: bench_mcap's topics"
    )
    parser.add_argument("--parts", nargs="+", choices=["small", "big"], default=["small", "big"])
    parser.add_argument("--repeats", type=int, default=3, help="fresh catalogs per part (median)")
    parser.add_argument("--dir", type=Path, default=None, help="where to write the files (default: $TMPDIR)")
    parser.add_argument("--profile", action="store_true", help="one ingest per part under cProfile")
    args = parser.parse_args(argv)
    free_mb = shutil.disk_usage(args.dir or tempfile.gettempdir()).free / 1e6
    if "big" in args.parts and args.big_mb * 1.1 > free_mb:
        parser.error(f"the big file needs {args.big_mb} MB; only {free_mb:.0f} MB are free")
    if args.profile:
        lines = run_profile(
            args.small_files if "small" in args.parts else 0,
            args.big_mb if "big" in args.parts else 0,
            args.compression,
            args.small_chunk_kib,
            args.dir,
            args.big_profile,
        )
        for line in lines:
            print(line)
        return
    results = run(
        args.small_files,
        args.big_mb,
        args.repeats,
        args.compression,
        args.small_chunk_kib,
        args.parts,
        args.dir,
        args.big_profile,
    )
    for line in report(results):
        print(line)


if __name__ == "__main__":
    main()
