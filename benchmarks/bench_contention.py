"""Benchmark: writers of one embedded catalog under contention, racing against queuing.

Three writer processes run single API operations in a loop (each on a session of its own, over
one pool of files: ``add_file``, ``update``, ``remove_file``, again and again) while a fourth
process ingests a folder of recordings (copies of ``data/fleet``, in transactions of a few files),
all on one SQLite catalog and started together. The same load runs twice in one run, each time on
a fresh catalog:

- ``racing``: the writer lock turned off (``Catalog(..., queue_writers=False)``): every writer
  runs its transaction at once, those that find the metadata database locked or their snapshot
  stale at commit retry after a random pause;
- ``queued``: the writer lock on (the library's default): writers wait their turn for the lock.

The report gives, per mode, the writers' call latency (p50, p95, max over every call, and per
operation), the transactions retried (``Catalog.retries``, summed over the four processes), the
calls that gave up with ``CatalogBusyError``, the ingest's wall time, and the spans of the writers
and the ingest (to show they overlapped). Both catalogs must end up with every recording. For
scale, the same calls of one writer alone on a catalog of its own, and the machine's load average:
on shared cores the latencies grow with the load, alone or not.

    python -m benchmarks.bench_contention
    python -m benchmarks.bench_contention --calls 300 --copies 10 --files-per-transaction 4
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sessions_lib import (
    CatalogBusyError,
    Client,
    RecordedTopic,
    Session,
    ingest_folder,
    register_dataset,
    register_files,
)
from sessions_lib.catalog import Catalog, CatalogLocation
from sessions_lib.ingest import recording_paths
from sessions_lib.model.requests import FileRegistration

FLEET = Path(__file__).resolve().parents[1] / "data" / "fleet"
ORG = "org_bench"
WRITERS = 3
POOL_FILES = 12  # files the writers add and remove
OPERATIONS = ("add_file", "update", "remove_file")
MODES = {"racing": False, "queued": True}  # mode -> queue_writers
S = 10**9
T0 = 1_776_902_400 * S  # 2026-04-23T00:00:00Z


@dataclass(frozen=True)
class WriterRun:
    """What one writer process measured: (operation, seconds) per call, from the start barrier."""

    calls: tuple[tuple[str, float], ...]
    retries: int
    busy: int
    started: float
    ended: float


@dataclass(frozen=True)
class IngestRun:
    """What the ingesting process measured."""

    files: int
    retries: int
    busy: int
    started: float
    ended: float


@dataclass(frozen=True)
class Latencies:
    """Seconds per call, all together and per operation."""

    calls: tuple[tuple[str, float], ...]

    def percentile(self, q: float, operation: str | None = None) -> float:
        """The ``q``-th percentile (0-100), nearest rank, of every call or of one operation's."""
        ordered = sorted(s for o, s in self.calls if operation in (None, o))
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]

    def summary(self, operation: str | None = None) -> str:
        p = partial(self.percentile, operation=operation)
        return f"p50 {p(50) * 1000:7.1f} ms  p95 {p(95) * 1000:7.1f} ms  max {p(100) * 1000:8.1f} ms"


@dataclass(frozen=True)
class ModeResult:
    """One mode's run: the writers' latencies, retries and give-ups, and the ingest's."""

    latencies: Latencies
    retries: int
    ingest_retries: int
    busy: int
    writers_s: float
    ingest_s: float
    overlap_s: float
    files_ingested: int
    load: float  # 1-minute load average before the run


def client_of(catalog: str, queue_writers: bool, user: str) -> Client:
    location = CatalogLocation.from_setting(catalog)
    return Client(Catalog(location, queue_writers=queue_writers), user=user, org_ids=[ORG])


def write_loop(
    catalog: str, queue_writers: bool, session_id: str, file_ids: list[str], calls: int, start: Any
) -> WriterRun:
    """One writer: ``calls`` single operations on its session, cycling through ``OPERATIONS``."""
    client = client_of(catalog, queue_writers, "writer")
    session = Session.from_id(session_id, roboto_client=client)
    start.wait()
    retries_before, busy, timed = client.catalog.retries, 0, []
    started = time.time()
    for i in range(calls):
        operation = OPERATIONS[i % len(OPERATIONS)]
        file_id = file_ids[(i // len(OPERATIONS)) % len(file_ids)]
        began = time.perf_counter()
        try:
            if operation == "add_file":
                session.add_file(file_id)
            elif operation == "update":
                session.update(description=f"call {i}")
            else:
                session.remove_file(file_id)
        except CatalogBusyError:
            busy += 1
        timed.append((operation, time.perf_counter() - began))
    ended = time.time()
    client.catalog.close()
    return WriterRun(tuple(timed), client.catalog.retries - retries_before, busy, started, ended)


def ingest_loop(
    catalog: str, queue_writers: bool, folder: str, files_per_transaction: int, start: Any
) -> IngestRun:
    """The ingest: every recording of ``folder``, in transactions of ``files_per_transaction``."""
    client = client_of(catalog, queue_writers, "ingest")
    start.wait()
    retries_before, busy, files = client.catalog.retries, 0, 0
    started = time.time()
    try:
        report = ingest_folder(
            Path(folder), files_per_transaction=files_per_transaction, roboto_client=client
        )
        files = len(report.registered) + len(report.failed)
    except CatalogBusyError:
        busy += 1
    ended = time.time()
    client.catalog.close()
    return IngestRun(files, client.catalog.retries - retries_before, busy, started, ended)


def prepare(catalog: str) -> tuple[list[str], list[str]]:
    """A fresh catalog with a pool of files and one session per writer: (session ids, file ids)."""
    client = client_of(catalog, True, "bench")
    dataset_id = register_dataset("pool", roboto_client=client).dataset_id
    stored = register_files(
        (
            FileRegistration(
                dataset_id,
                f"pool/{i:03d}.mcap",
                [RecordedTopic("/imu", ((T0 + i * S, T0 + i * S + S // 2),))],
            )
            for i in range(POOL_FILES)
        ),
        roboto_client=client,
    )
    sessions = [Session.create(name=f"writer-{n}", roboto_client=client).session_id for n in range(WRITERS)]
    client.catalog.close()
    return sessions, [f.file_id for f in stored]


def copy_fleet(folder: Path, copies: int) -> int:
    """``copies`` copies of ``data/fleet`` under ``folder``; the number of recordings."""
    for copy in range(copies):
        shutil.copytree(FLEET, folder / f"copy-{copy:03d}")
    return len(list(recording_paths(folder)))


def run_mode(
    catalog: str, queue_writers: bool, folder: Path, calls: int, files_per_transaction: int
) -> ModeResult:
    sessions, file_ids = prepare(catalog)
    load = os.getloadavg()[0]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(WRITERS + 1) as pool:
        start = manager.Barrier(WRITERS + 1)
        ingest = pool.apply_async(
            ingest_loop, (catalog, queue_writers, str(folder), files_per_transaction, start)
        )
        writers = pool.starmap(
            write_loop,
            [(catalog, queue_writers, session_id, file_ids, calls, start) for session_id in sessions],
        )
        ingested = ingest.get()
        pool.close()
        pool.join()
    calls_made = [call for writer in writers for call in writer.calls]
    writers_span = (min(w.started for w in writers), max(w.ended for w in writers))
    overlap = min(writers_span[1], ingested.ended) - max(writers_span[0], ingested.started)
    return ModeResult(
        latencies=Latencies(tuple(calls_made)),
        retries=sum(w.retries for w in writers),
        ingest_retries=ingested.retries,
        busy=sum(w.busy for w in writers) + ingested.busy,
        writers_s=writers_span[1] - writers_span[0],
        ingest_s=ingested.ended - ingested.started,
        overlap_s=max(0.0, overlap),
        files_ingested=ingested.files,
        load=load,
    )


def run(calls: int = 150, copies: int = 4, files_per_transaction: int = 4) -> dict[str, Any]:
    """Both modes on fresh catalogs with the same load; raises if an ingest missed a recording."""
    with tempfile.TemporaryDirectory(prefix="bench-contention-") as temp:
        folder = Path(temp) / "recordings"
        recordings = copy_fleet(folder, copies)
        alone_catalog = str(Path(temp) / "catalog-alone")
        (session_id, *_), file_ids = prepare(alone_catalog)
        alone = write_loop(alone_catalog, True, session_id, file_ids, calls, threading.Barrier(1))
        results = {
            mode: run_mode(str(Path(temp) / f"catalog-{mode}"), queue, folder, calls, files_per_transaction)
            for mode, queue in MODES.items()
        }
    for mode, result in results.items():
        if result.files_ingested != recordings and not result.busy:
            raise SystemExit(
                f"{mode}: the ingest registered {result.files_ingested} of {recordings} recordings"
            )
    return {"recordings": recordings, "calls": calls, "alone": Latencies(alone.calls), "modes": results}


def report(results: dict[str, Any]) -> Iterator[str]:
    yield (
        f"{WRITERS} writers x {results['calls']} calls ({', '.join(OPERATIONS)}) and an ingest of "
        f"{results['recordings']} recordings, on one SQLite catalog"
    )
    yield f"  alone   {results['alone'].summary()}  (one writer, no ingest, a catalog of its own)"
    for mode, result in results["modes"].items():
        yield (
            f"  {mode:7s} {result.latencies.summary()}  retries {result.retries} (writers) + "
            f"{result.ingest_retries} (ingest)  busy {result.busy}"
        )
        for operation in OPERATIONS:
            yield f"          {operation:12s} {result.latencies.summary(operation)}"
        yield (
            f"          writers {result.writers_s:.1f} s, ingest {result.ingest_s:.1f} s, "
            f"overlapping {result.overlap_s:.1f} s; load average before: {result.load:.1f} "
            f"on {os.cpu_count()} cores"
        )
    racing, queued = (results["modes"][mode].latencies for mode in MODES)
    yield f"  p95 racing / queued: {racing.percentile(95) / queued.percentile(95):.2f}x"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=150, help="single operations per writer")
    parser.add_argument("--copies", type=int, default=4, help="copies of data/fleet the ingest reads")
    parser.add_argument("--files-per-transaction", type=int, default=4, help="the ingest's transaction size")
    args = parser.parse_args(argv)
    for line in report(run(args.calls, args.copies, args.files_per_transaction)):
        print(line)


if __name__ == "__main__":
    main()
