"""Benchmark: the catalog's size after many single-file ``add_file`` calls, before and after maintenance.

Every ``add_file`` is its own small transaction: DuckLake inlines its rows in the metadata database
and adds a snapshot. This writes ``--calls`` of them (each a distinct contribution: ``--sessions``
sessions x the files they cycle through), reports bytes stored and the median ``add_file`` time at
each checkpoint, then runs the maintenance step (``Catalog.compact``, what the
``catalog_maintenance`` asset runs, here with a retention window of zero so every superseded
snapshot is expired) and reports the same again.

    python -m benchmarks.bench_catalog_growth                          # 100,000 calls, SQLite
    python -m benchmarks.bench_catalog_growth --maintain-every 25000   # as a schedule would
    python -m benchmarks.bench_catalog_growth --catalog postgresql://... --data-path s3://...
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sessions_lib import Client, RecordedTopic, Session, register_dataset, register_file


@dataclass(frozen=True)
class Checkpoint:
    calls: int
    bytes_stored: int
    median_add_file_ms: float
    note: str = ""


def prepare(client: Client, sessions: int, files: int) -> tuple[list[Session], list[str]]:
    """``sessions`` empty sessions and ``files`` registered files to spread the calls over."""
    dataset = register_dataset("growth", roboto_client=client).dataset_id
    file_ids = [
        register_file(
            dataset, f"f{i}.mcap", [RecordedTopic("/imu", ((i, i + 10),))], roboto_client=client
        ).file_id
        for i in range(files)
    ]
    made = [Session.create(name=f"s{i}", roboto_client=client) for i in range(sessions)]
    return made, file_ids


def grow(
    client: Client, calls: int, sessions: int, checkpoint_every: int, maintain_every: int | None
) -> list[Checkpoint]:
    """Run the calls; a checkpoint (bytes, median latency) every ``checkpoint_every`` calls."""
    files = -(-calls // sessions)
    made, file_ids = prepare(client, sessions, files)
    checkpoints = [Checkpoint(0, client.catalog.size_bytes(), 0.0, "sessions and files registered")]
    timings: list[float] = []
    for call in range(1, calls + 1):
        session = made[(call - 1) % sessions]
        file_id = file_ids[(call - 1) // sessions]
        start = time.perf_counter()
        session.add_file(file_id)
        timings.append(time.perf_counter() - start)
        if call % checkpoint_every == 0 or call == calls:
            median = statistics.median(timings) * 1000
            checkpoints.append(Checkpoint(call, client.catalog.size_bytes(), median))
            print(
                f"  {call:>9,} calls: {checkpoints[-1].bytes_stored / 1e6:9.2f} MB, add_file {median:6.1f} ms"
            )
            timings = []
        if maintain_every and call % maintain_every == 0 and call != calls:
            compact(client, checkpoints, call)
    compact(client, checkpoints, calls)
    return checkpoints


def compact(client: Client, checkpoints: list[Checkpoint], calls: int) -> None:
    start = time.perf_counter()
    client.catalog.compact(keep_snapshots_for=timedelta(0))
    seconds = time.perf_counter() - start
    checkpoints.append(
        Checkpoint(calls, client.catalog.size_bytes(), 0.0, f"after maintenance ({seconds:.1f} s)")
    )
    print(f"  {calls:>9,} calls: {checkpoints[-1].bytes_stored / 1e6:9.2f} MB {checkpoints[-1].note}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--checkpoint-every", type=int, default=10_000)
    parser.add_argument("--maintain-every", type=int, default=None)
    parser.add_argument(
        "--catalog", default=None, help="Catalog folder or PostgreSQL URL (default: a temp folder)."
    )
    parser.add_argument("--data-path", default=None, help="Data path of a PostgreSQL catalog (s3://...).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        client = Client(args.catalog or Path(tmp) / "catalog", data_path=args.data_path, user="bench")
        print(f"{args.calls:,} add_file calls on {client.catalog.location}")
        checkpoints = grow(client, args.calls, args.sessions, args.checkpoint_every, args.maintain_every)
        client.catalog.close()
    grown = [c for c in checkpoints if not c.note][-1]
    after = checkpoints[-1]
    first = next(c for c in checkpoints if c.calls and not c.note)
    mb = 1e6
    print(
        f"bytes before maintenance: {grown.bytes_stored / mb:.2f} MB, after: {after.bytes_stored / mb:.2f} MB"
    )
    print(f"ratio after/before: {after.bytes_stored / grown.bytes_stored:.2f}")
    print(f"add_file median, first / last checkpoint: {first.median_add_file_ms:.1f} / ", end="")
    print(f"{grown.median_add_file_ms:.1f} ms")


if __name__ == "__main__":
    main()
